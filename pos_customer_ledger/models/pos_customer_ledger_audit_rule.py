import hashlib
import json
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools.access import ledger_right
from ..tools.dates import company_today, day_range, local_date_sql
from ..tools.money import money_formatter
from ..tools.posting_rules import LEDGER_STATES, posts_order_sql

SEVERITIES = [("info", "Info"), ("warning", "Warning"), ("critical", "Critical")]


class PosCustomerLedgerAuditRule(models.Model):
    _name = "pos.customer.ledger.audit.rule"
    _description = "Customer Ledger Audit Rule"
    _order = "company_id, sequence, id"

    code = fields.Char(
        required=True,
        help="Stable identifier of the rule: its check is the method _audit_<code>.",
    )
    name = fields.Char(required=True, translate=True)
    explanation = fields.Text(
        translate=True, help="What the rule catches and why it matters, shown to the reviewer."
    )
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    severity = fields.Selection(SEVERITIES, required=True, default="warning")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    threshold_percent = fields.Float(string="Threshold (%)", digits=(16, 2))
    threshold_amount = fields.Monetary(currency_field="currency_id")
    threshold_days = fields.Integer(string="Threshold (Days)")
    threshold_count = fields.Integer(string="Threshold (Count)")
    threshold_score = fields.Float(string="Threshold (Score)", digits=(16, 2))
    threshold_seconds = fields.Integer(string="Threshold (Seconds)")
    flag_ids = fields.One2many("pos.customer.ledger.flag", "rule_id", string="Flags")
    open_flag_count = fields.Integer(compute="_compute_open_flag_count", string="Open Flags")

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A rule code is used once per company."),
    ]

    @api.constrains("code")
    def _check_code(self):
        for rule in self:
            if not hasattr(rule, f"_audit_{rule.code}"):
                raise ValidationError(
                    self.env._("There is no audit rule with the code %(code)s.", code=rule.code)
                )

    @api.constrains(
        "threshold_percent",
        "threshold_amount",
        "threshold_days",
        "threshold_count",
        "threshold_score",
        "threshold_seconds",
    )
    def _check_thresholds(self):
        for rule in self:
            values = (
                rule.threshold_percent,
                rule.threshold_amount,
                rule.threshold_days,
                rule.threshold_count,
                rule.threshold_score,
                rule.threshold_seconds,
            )
            if any(value < 0 for value in values):
                raise ValidationError(self.env._("The thresholds of a rule cannot be negative."))

    def _compute_open_flag_count(self):
        counts = dict(
            self.env["pos.customer.ledger.flag"]._read_group(
                [("rule_id", "in", self.ids), ("state", "=", "open")], ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.open_flag_count = counts.get(rule, 0)

    def write(self, vals):
        if "code" in vals and any(rule.code != vals["code"] for rule in self):
            # flags and integrations find a rule by its code
            raise UserError(self.env._("The code of an audit rule cannot be changed."))
        return super().write(vals)

    # ------------------------------------------------------------ rules per company

    @api.model
    def _create_company_rules(self, companies=None):
        """Give each company the rules the addon ships (copies of the main
        company's, translations included) that it does not have yet."""
        templates = (
            self.env["ir.model.data"]
            .sudo()
            .search([("module", "=", "pos_customer_ledger"), ("model", "=", self._name)])
        )
        Rule = self.sudo().with_context(active_test=False)
        templates = Rule.browse(templates.mapped("res_id")).exists()
        companies = companies or self.env["res.company"].sudo().search([])
        existing = {
            (rule.company_id.id, rule.code) for rule in Rule.search([("company_id", "in", companies.ids)])
        }
        for company in companies:
            for template in templates:
                if (company.id, template.code) not in existing:
                    template.copy({"company_id": company.id, "active": template.active})

    # --------------------------------------------------------------------- running

    @api.model
    @ledger_right("audit")
    def run_audit(self, date_from, date_to, rule_codes=None):
        """Run the active rules (all, or those of ``rule_codes``) of the
        companies in use over the company days ``date_from``..``date_to``;
        return the flags created."""
        return self._run_audit(date_from, date_to, rule_codes)[1]

    @api.model
    def _run_audit(self, date_from, date_to, rule_codes=None, trigger="manual"):
        """(runs, flags) created by a run over the companies in use."""
        date_from, date_to, codes = self._check_run_input(date_from, date_to, rule_codes)
        Run = self.env["pos.customer.ledger.audit.run"].sudo()
        runs, flags = Run, self.env["pos.customer.ledger.flag"].sudo()
        for company in self.env.companies:
            domain = [("company_id", "=", company.id)]
            if codes is not None:
                domain.append(("code", "in", codes))
            rules = self.sudo().search(domain)
            if not rules:
                continue
            started = time.monotonic()
            run = Run.create(
                {
                    "company_id": company.id,
                    "date_from": date_from,
                    "date_to": date_to,
                    "rule_ids": rules.ids,
                    "trigger": trigger,
                    "user_id": self.env.uid,
                }
            )
            lines = []
            for rule in rules:
                rows = rule._findings(date_from, date_to)
                created = rule._flag_findings(rows, run)
                flags |= created
                lines.append(
                    {
                        "rule_id": rule.id,
                        "severity": rule.severity,
                        "finding_count": len(rows),
                        "flag_count": len(created),
                    }
                )
            run.write(
                {
                    "line_ids": [fields.Command.create(line) for line in lines],
                    "duration": time.monotonic() - started,
                }
            )
            runs |= run
        return runs, flags.sudo(False)

    @api.model
    def _check_run_input(self, date_from, date_to, rule_codes):
        try:
            date_from = fields.Date.to_date(date_from)
            date_to = fields.Date.to_date(date_to)
        except (TypeError, ValueError):
            date_from = date_to = None
        if not date_from or not date_to:
            raise UserError(self.env._("An audit needs the first and the last day of its period."))
        if date_to < date_from:
            raise UserError(self.env._("The last day of the audit comes before its first day."))
        if rule_codes is None:
            return date_from, date_to, None
        if isinstance(rule_codes, str):
            rule_codes = [rule_codes]
        unknown = sorted(str(code) for code in rule_codes if not hasattr(self, f"_audit_{code}"))
        if unknown:
            raise UserError(self.env._("Unknown audit rules: %(codes)s.", codes=", ".join(unknown)))
        return date_from, date_to, list(rule_codes)

    def _findings(self, date_from, date_to):
        """What the rule ``self`` finds over the company days ``date_from``..
        ``date_to``: its check ``_audit_<code>``, which reads in SQL, so
        pending writes are flushed first."""
        self.ensure_one()
        self.env.flush_all()
        return getattr(self, f"_audit_{self.code}")(date_from, date_to)

    def _flag_findings(self, rows, run):
        """Open a flag for each finding of the rule ``self`` that has none open
        and was not reviewed with the same figures."""
        self.ensure_one()
        if not rows:
            return self.env["pos.customer.ledger.flag"].sudo()
        # a review made earlier in this transaction counts
        self.env["pos.customer.ledger.flag"].flush_model(["finding_key", "state", "fingerprint"])
        for row in rows:
            row["fingerprint"] = hashlib.sha256(
                json.dumps(row.pop("figures"), default=str).encode()
            ).hexdigest()[:32]
        # the last flag of a finding decides: open -> nothing new;
        # reviewed -> a new flag only if the figures changed
        last = dict(
            self.env.execute_query(
                SQL(
                    "SELECT DISTINCT ON (finding_key) finding_key, "
                    "CASE WHEN state = 'open' THEN NULL ELSE fingerprint END "
                    "FROM pos_customer_ledger_flag WHERE rule_id = %s AND finding_key IN %s "
                    "ORDER BY finding_key, id DESC",
                    self.id,
                    tuple(row["finding_key"] for row in rows),
                )
            )
        )
        values = [
            {
                **row,
                "rule_id": self.id,
                "severity": self.severity,
                "company_id": self.company_id.id,
                "run_id": run.id,
            }
            for row in rows
            if row["finding_key"] not in last or (last[row["finding_key"]] not in (None, row["fingerprint"]))
        ]
        return self.env["pos.customer.ledger.flag"].sudo().with_context(mail_create_nolog=True).create(values)

    def _period(self, date_from, date_to):
        """Half-open naive UTC bounds of the company days of the period."""
        return day_range(self.company_id, date_from, date_to)

    def _money(self, amount):
        """``amount`` as the currency formats it; the language and currency are
        read once per transaction (tools/money.py)."""
        key = ("pos_customer_ledger.money", self.env.lang, self.currency_id.id)
        money = self.env.cr.cache.get(key)
        if money is None:
            money = self.env.cr.cache[key] = money_formatter(self.env, self.currency_id)
        return money(amount)

    # -------------------------------------------------------------------- the cron

    @api.model
    def _cron_run_audit(self, days=1):
        """Run each company's active rules over its last ``days`` days before
        today (company time zone); a to-do for its auditors on each new critical flag."""
        companies = self.sudo().search([]).company_id
        for company in companies:
            yesterday = company_today(company) - timedelta(days=1)
            date_from = yesterday - timedelta(days=days - 1)
            Rule = self.sudo().with_company(company).with_context(allowed_company_ids=company.ids)
            _runs, flags = Rule._run_audit(date_from, yesterday, trigger="cron")
            flags.sudo()._notify_auditors()

    # ------------------------------------------------------------------ the rules

    def _order_scope(self, date_from, date_to, alias="o"):
        start, end = self._period(date_from, date_to)
        o = SQL.identifier(alias)
        return SQL(
            "%s.company_id = %s AND %s.date_order >= %s AND %s.date_order < %s AND %s.state IN %s",
            o,
            self.company_id.id,
            o,
            start,
            o,
            end,
            o,
            LEDGER_STATES,
        )

    def _finding(self, row, key, message, figures, **pointers):
        return {
            "finding_key": key,
            "figures": figures,
            "message": message,
            "pos_order_id": row.get("order_id"),
            "partner_id": row.get("partner_id"),
            "session_id": row.get("session_id"),
            "config_id": row.get("config_id"),
            "user_id": row.get("user_id"),
            "date": row.get("date"),
            **pointers,
        }

    def _audit_missing_ledger_entry(self, date_from, date_to):
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT o.id AS order_id, o.name, o.partner_id, o.session_id, s.config_id, o.user_id,
                       o.date_order AS date, o.amount_total
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                 WHERE %s AND %s
                   AND NOT EXISTS (SELECT 1 FROM pos_customer_ledger_entry e WHERE e.pos_order_id = o.id)
                 ORDER BY o.id
                """,
                self._order_scope(date_from, date_to),
                posts_order_sql("o"),
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "Order %(order)s of %(amount)s has a customer and is paid, "
                    "but the customer ledger has no entry for it.",
                    order=row["name"],
                    amount=self._money(row["amount_total"]),
                ),
                (row["amount_total"], row["partner_id"]),
            )
            for row in rows
        ]

    def _audit_refund_without_origin(self, date_from, date_to):
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT o.id AS order_id, o.name, o.partner_id, o.session_id, s.config_id, o.user_id,
                       o.date_order AS date, COUNT(*) AS line_count, SUM(l.price_subtotal_incl) AS amount
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                  JOIN pos_order_line l ON l.order_id = o.id
                 WHERE %s AND l.qty < 0 AND l.refunded_orderline_id IS NULL
                 GROUP BY o.id, s.config_id
                 ORDER BY o.id
                """,
                self._order_scope(date_from, date_to),
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "Order %(order)s takes back %(count)s line(s) worth %(amount)s that refund no sold line.",
                    order=row["name"],
                    count=row["line_count"],
                    amount=self._money(row["amount"]),
                ),
                (row["line_count"], row["amount"]),
            )
            for row in rows
        ]

    def _audit_discount_above_cap(self, date_from, date_to):
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT o.id AS order_id, o.name, o.partner_id, o.session_id, s.config_id, o.user_id,
                       o.date_order AS date, COUNT(*) AS line_count, MAX(l.discount) AS discount,
                       SUM(l.price_unit * l.qty * l.discount / 100) AS discount_amount
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                  JOIN pos_order_line l ON l.order_id = o.id
                 WHERE %s AND l.discount > %s
                 GROUP BY o.id, s.config_id
                 ORDER BY o.id
                """,
                self._order_scope(date_from, date_to),
                self.threshold_percent,
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "Order %(order)s has %(count)s line(s) discounted above the %(cap)s%% cap, up to "
                    "%(discount)s%%: %(amount)s off before taxes.",
                    order=row["name"],
                    count=row["line_count"],
                    cap=format(self.threshold_percent, "g"),
                    discount=format(row["discount"], "g"),
                    amount=self._money(row["discount_amount"]),
                ),
                (row["line_count"], row["discount"], round(row["discount_amount"], 2)),
            )
            for row in rows
        ]

    def _audit_below_cost(self, date_from, date_to):
        # costs are in the company's currency, prices in the order's: convert at the order's rate
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT o.id AS order_id, o.name, o.partner_id, o.session_id, s.config_id, o.user_id,
                       o.date_order AS date, COUNT(*) AS line_count,
                       SUM(l.total_cost - l.price_subtotal / COALESCE(NULLIF(o.currency_rate, 0), 1))
                           AS shortfall
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                  JOIN pos_order_line l ON l.order_id = o.id
                 WHERE %s AND l.qty > 0 AND l.is_total_cost_computed AND l.total_cost > 0
                   AND l.price_subtotal / COALESCE(NULLIF(o.currency_rate, 0), 1) < l.total_cost
                 GROUP BY o.id, s.config_id
                HAVING SUM(l.total_cost - l.price_subtotal / COALESCE(NULLIF(o.currency_rate, 0), 1)) > %s
                 ORDER BY o.id
                """,
                self._order_scope(date_from, date_to),
                self.threshold_amount,
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "Order %(order)s sold %(count)s line(s) below their cost: "
                    "%(amount)s under cost before taxes.",
                    order=row["name"],
                    count=row["line_count"],
                    amount=self._money(row["shortfall"]),
                ),
                (row["line_count"], round(row["shortfall"], 2)),
            )
            for row in rows
        ]

    def _audit_cash_difference(self, date_from, date_to):
        start, end = self._period(date_from, date_to)
        # what pos.session._compute_cash_balance expects of a closed session
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH closed AS (
                    SELECT s.id AS session_id, s.name, s.config_id, s.user_id, s.stop_at AS date,
                           s.cash_register_balance_end_real AS counted,
                           COALESCE(s.cash_register_balance_start, 0) + COALESCE(s.cash_real_transaction, 0)
                           + COALESCE((
                               SELECT SUM(p.amount)
                                 FROM pos_payment p
                                 JOIN pos_order po ON po.id = p.pos_order_id
                                 JOIN pos_payment_method m ON m.id = p.payment_method_id
                                WHERE p.session_id = s.id AND m.is_cash_count AND po.state IN %s
                           ), 0) AS expected
                      FROM pos_session s
                     WHERE s.state = 'closed' AND s.stop_at >= %s AND s.stop_at < %s
                       AND EXISTS (
                           SELECT 1 FROM pos_config_pos_payment_method_rel r
                             JOIN pos_payment_method m ON m.id = r.pos_payment_method_id
                            WHERE r.pos_config_id = s.config_id AND m.is_cash_count
                       )
                       AND EXISTS (SELECT 1 FROM pos_config c WHERE c.id = s.config_id AND c.company_id = %s)
                )
                SELECT *, counted - expected AS difference FROM closed
                 WHERE ABS(counted - expected) > %s
                 ORDER BY session_id
                """,
                LEDGER_STATES,
                start,
                end,
                self.company_id.id,
                self.threshold_amount,
            )
        )
        return [
            self._finding(
                row,
                f"session:{row['session_id']}",
                self.env._(
                    "Session %(session)s closed with %(counted)s of cash counted against %(expected)s "
                    "expected: a difference of %(difference)s.",
                    session=row["name"],
                    counted=self._money(row["counted"]),
                    expected=self._money(row["expected"]),
                    difference=self._money(row["difference"]),
                ),
                (round(row["counted"], 2), round(row["expected"], 2)),
            )
            for row in rows
        ]

    def _cashier_sql(self, alias):
        """SQL of who rang an order up: its employee when pos_hr records one, else its user."""
        o = SQL.identifier(alias)
        if "employee_id" in self.env["pos.order"]._fields:
            return SQL(
                "CASE WHEN %s.employee_id IS NOT NULL THEN 'employee:' || %s.employee_id "
                "ELSE 'user:' || %s.user_id END",
                o,
                o,
                o,
            )
        return SQL("'user:' || %s.user_id", o)

    def _cashier_name(self, cashier):
        kind, record_id = cashier.split(":")
        model = "hr.employee" if kind == "employee" else "res.users"
        return self.env[model].sudo().browse(int(record_id)).display_name

    def _audit_zero_total_order(self, date_from, date_to):
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH candidate AS (
                    -- only orders at zero or with a line given away: the others are never grouped
                    SELECT o.id FROM pos_order o WHERE %(scope)s AND ROUND(o.amount_total::numeric, 2) = 0
                     UNION
                    SELECT l.order_id FROM pos_order_line l JOIN pos_order o ON o.id = l.order_id
                     WHERE %(scope)s AND l.discount >= 100 AND l.qty > 0
                )
                SELECT o.id AS order_id, o.name, o.partner_id, o.session_id, s.config_id, o.user_id,
                       o.date_order AS date, o.amount_total, MAX(l.discount) AS discount,
                       SUM(l.price_unit * l.qty) AS list_amount
                  FROM candidate
                  JOIN pos_order o ON o.id = candidate.id
                  JOIN pos_session s ON s.id = o.session_id
                  JOIN pos_order_line l ON l.order_id = o.id
                 WHERE l.qty > 0
                 GROUP BY o.id, s.config_id
                HAVING MAX(l.discount) >= 100
                    OR (ROUND(o.amount_total::numeric, 2) = 0 AND SUM(l.price_unit * l.qty) > 0)
                 ORDER BY o.id
                """,
                scope=self._order_scope(date_from, date_to),
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "Order %(order)s gave goods listed at %(list_amount)s for a total of %(amount)s "
                    "(largest discount %(discount)s%%).",
                    order=row["name"],
                    list_amount=self._money(row["list_amount"]),
                    amount=self._money(row["amount_total"]),
                    discount=format(row["discount"], "g"),
                ),
                (round(row["amount_total"], 2), round(row["list_amount"], 2), row["discount"]),
            )
            for row in rows
        ]

    def _audit_refund_other_cashier_or_day(self, date_from, date_to):
        tz = self.company_id.partner_id.tz or "UTC"
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT r.id AS order_id, r.name, r.partner_id, r.session_id, s.config_id, r.user_id,
                       r.date_order AS date, SUM(l.price_subtotal_incl) AS amount,
                       STRING_AGG(DISTINCT o.name, ', ') AS origins,
                       BOOL_OR(%s <> %s) AS other_cashier,
                       BOOL_OR(%s <> %s) AS other_day
                  FROM pos_order r
                  JOIN pos_session s ON s.id = r.session_id
                  JOIN pos_order_line l ON l.order_id = r.id
                  JOIN pos_order_line ol ON ol.id = l.refunded_orderline_id
                  JOIN pos_order o ON o.id = ol.order_id
                 WHERE %s
                 GROUP BY r.id, s.config_id
                HAVING BOOL_OR(%s <> %s) OR BOOL_OR(%s <> %s)
                 ORDER BY r.id
                """,
                self._cashier_sql("o"),
                self._cashier_sql("r"),
                local_date_sql(SQL("o.date_order"), tz),
                local_date_sql(SQL("r.date_order"), tz),
                self._order_scope(date_from, date_to, "r"),
                self._cashier_sql("o"),
                self._cashier_sql("r"),
                local_date_sql(SQL("o.date_order"), tz),
                local_date_sql(SQL("r.date_order"), tz),
            )
        )
        findings = []
        for row in rows:
            if row["other_cashier"] and row["other_day"]:
                why = self.env._("by another cashier and on another day")
            elif row["other_cashier"]:
                why = self.env._("by another cashier")
            else:
                why = self.env._("on another day")
            findings.append(
                self._finding(
                    row,
                    f"order:{row['order_id']}",
                    self.env._(
                        "Refund %(order)s of %(amount)s refunds %(origins)s %(why)s than the sale.",
                        order=row["name"],
                        amount=self._money(row["amount"]),
                        origins=row["origins"],
                        why=why,
                    ),
                    (round(row["amount"], 2), row["other_cashier"], row["other_day"]),
                )
            )
        return findings

    def _audit_large_sale_without_customer(self, date_from, date_to):
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT o.id AS order_id, o.name, o.session_id, s.config_id, o.user_id,
                       o.date_order AS date, o.amount_total
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                 WHERE %s AND o.partner_id IS NULL
                   AND o.amount_total / COALESCE(NULLIF(o.currency_rate, 0), 1) > %s
                 ORDER BY o.id
                """,
                self._order_scope(date_from, date_to),
                self.threshold_amount,
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "Order %(order)s of %(amount)s, above %(threshold)s, was sold without a customer.",
                    order=row["name"],
                    amount=self._money(row["amount_total"]),
                    threshold=self._money(self.threshold_amount),
                ),
                (round(row["amount_total"], 2),),
            )
            for row in rows
        ]

    def _audit_duplicate_sale(self, date_from, date_to):
        start, end = self._period(date_from, date_to)
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH ordered AS (
                    -- one pass in customer, total and time order: each order next to the one before it
                    SELECT o.id AS order_id, o.name, o.partner_id, o.session_id, o.user_id,
                           o.date_order AS date, o.amount_total, o.date_order >= %(start)s AS in_period,
                           LAG(o.name) OVER same AS previous, LAG(o.date_order) OVER same AS previous_date
                      FROM pos_order o
                     WHERE o.company_id = %(company)s AND o.state IN %(states)s
                       AND o.date_order >= %(start)s - make_interval(secs => %(seconds)s)
                       AND o.date_order < %(end)s
                       AND o.partner_id IS NOT NULL AND o.amount_total > 0
                    WINDOW same AS (PARTITION BY o.partner_id, o.amount_total ORDER BY o.date_order, o.id)
                )
                SELECT ordered.*, s.config_id, EXTRACT(EPOCH FROM date - previous_date) AS seconds
                  FROM ordered
                  JOIN pos_session s ON s.id = ordered.session_id
                 WHERE in_period AND previous_date >= date - make_interval(secs => %(seconds)s)
                 ORDER BY order_id
                """,
                company=self.company_id.id,
                states=LEDGER_STATES,
                start=start,
                end=end,
                seconds=self.threshold_seconds,
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "Order %(order)s charged the same customer the same %(amount)s as order %(previous)s, "
                    "%(seconds)s seconds earlier.",
                    order=row["name"],
                    amount=self._money(row["amount_total"]),
                    previous=row["previous"],
                    seconds=int(row["seconds"]),
                ),
                (round(row["amount_total"], 2), row["previous"]),
            )
            for row in rows
        ]

    def _audit_refund_above_sold(self, date_from, date_to):
        # every refund of a sold line refunded in the period, whenever the other refunds were
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH touched AS (
                    SELECT DISTINCT l.refunded_orderline_id AS line_id
                      FROM pos_order_line l
                      JOIN pos_order r ON r.id = l.order_id
                     WHERE %s AND l.refunded_orderline_id IS NOT NULL
                ), refunded AS (
                    SELECT l.refunded_orderline_id AS line_id, SUM(-l.qty) AS refunded_qty,
                           SUM(-l.price_subtotal_incl) AS refunded_amount, MAX(l.order_id) AS last_refund_id
                      FROM pos_order_line l
                      JOIN pos_order r ON r.id = l.order_id
                      JOIN touched t ON t.line_id = l.refunded_orderline_id
                     WHERE r.state IN %s
                     GROUP BY l.refunded_orderline_id
                )
                SELECT f.*, ol.qty AS sold_qty, ol.price_subtotal_incl AS sold_amount, o.name AS origin,
                       ol.full_product_name AS product, r.id AS order_id, r.name, r.partner_id, r.session_id,
                       s.config_id, r.user_id, r.date_order AS date
                  FROM refunded f
                  JOIN pos_order_line ol ON ol.id = f.line_id
                  JOIN pos_order o ON o.id = ol.order_id
                  JOIN pos_order r ON r.id = f.last_refund_id
                  JOIN pos_session s ON s.id = r.session_id
                 WHERE f.refunded_qty > ol.qty OR f.refunded_amount > ol.price_subtotal_incl + 0.005
                 ORDER BY f.line_id
                """,
                self._order_scope(date_from, date_to, "r"),
                LEDGER_STATES,
            )
        )
        return [
            self._finding(
                row,
                f"line:{row['line_id']}",
                self.env._(
                    "%(product)s of order %(origin)s: %(refunded_qty)s refunded for %(refunded)s, "
                    "%(sold_qty)s sold for %(sold)s (last refund %(order)s).",
                    product=row["product"],
                    origin=row["origin"],
                    refunded_qty=format(row["refunded_qty"], "g"),
                    refunded=self._money(row["refunded_amount"]),
                    sold_qty=format(row["sold_qty"], "g"),
                    sold=self._money(row["sold_amount"]),
                    order=row["name"],
                ),
                (row["refunded_qty"], round(row["refunded_amount"], 2)),
            )
            for row in rows
        ]

    def _audit_refund_cash_for_card_sale(self, date_from, date_to):
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH refunds AS (
                    -- only orders that refund sold lines: the period's sales never enter
                    SELECT r.id AS order_id, r.name, r.partner_id, r.session_id, s.config_id, r.user_id,
                           r.date_order AS date,
                           (SELECT SUM(p.amount) FROM pos_payment p
                              JOIN pos_payment_method m ON m.id = p.payment_method_id
                             WHERE p.pos_order_id = r.id AND m.is_cash_count AND p.amount < 0) AS cash_out,
                           array_agg(DISTINCT ol.order_id) AS origin_ids
                      FROM pos_order r
                      JOIN pos_session s ON s.id = r.session_id
                      JOIN pos_order_line l ON l.order_id = r.id AND l.refunded_orderline_id IS NOT NULL
                      JOIN pos_order_line ol ON ol.id = l.refunded_orderline_id
                     WHERE %s
                     GROUP BY r.id, s.config_id
                )
                SELECT f.*, (SELECT STRING_AGG(o.name, ', ' ORDER BY o.id) FROM pos_order o
                              WHERE o.id = ANY(f.origin_ids)) AS origins
                  FROM refunds f
                 WHERE f.cash_out < 0
                   AND NOT EXISTS (
                       SELECT 1 FROM pos_payment p JOIN pos_payment_method m ON m.id = p.payment_method_id
                        WHERE p.pos_order_id = ANY(f.origin_ids) AND m.is_cash_count
                   )
                   AND EXISTS (
                       SELECT 1 FROM pos_payment p
                         JOIN pos_payment_method m ON m.id = p.payment_method_id
                         JOIN account_journal j ON j.id = m.journal_id
                        WHERE p.pos_order_id = ANY(f.origin_ids) AND j.type = 'bank'
                   )
                 ORDER BY f.order_id
                """,
                self._order_scope(date_from, date_to, "r"),
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "Refund %(order)s paid %(amount)s out in cash for %(origins)s, paid by card.",
                    order=row["name"],
                    amount=self._money(-row["cash_out"]),
                    origins=row["origins"],
                ),
                (round(row["cash_out"], 2), row["origins"]),
            )
            for row in rows
        ]

    def _audit_customer_many_refunds(self, date_from, date_to):
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT o.partner_id, p.name AS customer, COUNT(*) AS refunds, -SUM(o.amount_total) AS amount
                  FROM pos_order o
                  JOIN res_partner p ON p.id = o.partner_id
                 WHERE %s AND EXISTS (SELECT 1 FROM pos_order_line l WHERE l.order_id = o.id AND l.qty < 0)
                 GROUP BY o.partner_id, p.name
                HAVING COUNT(*) >= %s
                 ORDER BY o.partner_id
                """,
                self._order_scope(date_from, date_to),
                max(self.threshold_count, 1),
            )
        )
        return [
            self._finding(
                row,
                f"customer:{row['partner_id']}:{date_from}:{date_to}",
                self.env._(
                    "%(customer)s had %(count)s refunds, %(amount)s in all, "
                    "from %(date_from)s to %(date_to)s.",
                    customer=row["customer"],
                    count=row["refunds"],
                    amount=self._money(row["amount"]),
                    date_from=date_from,
                    date_to=date_to,
                ),
                (row["refunds"], round(row["amount"], 2)),
            )
            for row in rows
        ]
