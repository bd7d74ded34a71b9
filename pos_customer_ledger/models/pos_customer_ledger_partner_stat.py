import pytz
from psycopg2.extras import Json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..tools import posting_rules

VISIT_KINDS = ("sale", "refund")
# the visit profile columns: postings add to them, the nightly rebuild recomputes them
VISIT_PROFILE_FIELDS = [
    "visit_count",
    "last_visit_day",
    "interval_sum",
    "interval_sq_sum",
    "hour_counts",
    "weekday_counts",
    "payment_method_counts",
]


class PosCustomerLedgerPartnerStat(models.Model):
    """Running totals of one customer's ledger in one company.

    Kept up to date by each posting with one upsert, so reading a customer's
    balance never scans their history.
    """

    _name = "pos.customer.ledger.partner.stat"
    _description = "Customer Ledger Balance"
    _log_access = False
    _order = "balance desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id")
    balance = fields.Monetary(readonly=True, help="What the customer owes.")
    owes = fields.Boolean(
        compute="_compute_owes", search="_search_owes", help="The balance is an amount the customer owes."
    )
    order_count = fields.Integer(string="Orders", readonly=True)
    total_spent = fields.Monetary(readonly=True, help="Sales net of refunds.")
    avg_basket = fields.Monetary(string="Average Basket", compute="_compute_avg_basket")
    first_date = fields.Datetime(string="First Visit", readonly=True)
    last_date = fields.Datetime(string="Last Visit", readonly=True, index=True)
    # visit profile: a visit is a day with a sale, in the company's time zone
    visit_count = fields.Integer(string="Visits", readonly=True)
    last_visit_day = fields.Date(readonly=True)
    interval_sum = fields.Float(readonly=True, help="Days between the first and the last visit.")
    interval_sq_sum = fields.Float(readonly=True, help="Sum of the squared days between visits.")
    hour_counts = fields.Json(
        readonly=True, help="Sales per local hour of the day: 24 counters from midnight."
    )
    weekday_counts = fields.Json(readonly=True, help="Sales per weekday: 7 counters from Monday.")
    payment_method_counts = fields.Json(
        readonly=True, help="Payments of the customer's sales per payment method."
    )
    statement_sent_date = fields.Date(
        string="Statement Emailed On",
        readonly=True,
        help="When the customer was last emailed their statement.",
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique (partner_id, company_id)",
            "A customer has one ledger balance per company.",
        ),
    ]

    @api.depends("total_spent", "order_count")
    def _compute_avg_basket(self):
        for stat in self:
            stat.avg_basket = stat.total_spent / stat.order_count if stat.order_count else 0.0

    @api.depends("balance", "currency_id")
    def _compute_owes(self):
        for stat in self:
            stat.owes = posting_rules.owes(stat.currency_id, stat.balance)

    def _search_owes(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on whether the customer owes: %s", operator))
        # each company's rows in its own currency
        companies = self.env["res.company"].sudo().with_context(active_test=False).search([])
        domain = expression.OR(
            [
                [("company_id", "=", company.id), *posting_rules.owes_domain(company.currency_id)]
                for company in companies
            ]
        )
        return domain if (operator == "=") == value else ["!", *domain]

    @api.model
    def _apply_entry_sql(self, vals, tz):
        """SQL CTE body adding one entry, given by its posting's values
        (``vals``, with the payment_method_counts of a sale), to its customer's
        totals and, for a sale, to their visit profile in time zone ``tz``.

        Runs in the posting statement after the ``chain`` CTE, and only if the
        chain moved. A sale dated before the customer's last visit (a till that
        syncs late) leaves the visit intervals to the nightly recompute.
        """
        is_visit = vals["kind"] in VISIT_KINDS
        is_sale = vals["kind"] == "sale"
        totals = SQL(
            """
            balance = stat.balance + EXCLUDED.balance,
            order_count = stat.order_count + EXCLUDED.order_count,
            total_spent = stat.total_spent + EXCLUDED.total_spent,
            first_date = LEAST(stat.first_date, EXCLUDED.first_date),
            last_date = GREATEST(stat.last_date, EXCLUDED.last_date)
            """
        )
        hours, weekdays, methods, day = [0] * 24, [0] * 7, {}, None
        if is_sale:
            local = pytz.utc.localize(fields.Datetime.to_datetime(vals["date"])).astimezone(pytz.timezone(tz))
            day = local.date()
            hours[local.hour] = weekdays[local.weekday()] = 1
            # counted once by the order (pos.order._prepare_ledger_postings)
            methods = vals.get("payment_method_counts") or {}
            totals = SQL(
                """%(totals)s,
                visit_count = COALESCE(stat.visit_count, 0)
                    + (EXCLUDED.last_visit_day > COALESCE(stat.last_visit_day, '-infinity'))::int,
                interval_sum = COALESCE(stat.interval_sum, 0)
                    + CASE WHEN EXCLUDED.last_visit_day > stat.last_visit_day
                    THEN EXCLUDED.last_visit_day - stat.last_visit_day ELSE 0 END,
                interval_sq_sum = COALESCE(stat.interval_sq_sum, 0)
                    + CASE WHEN EXCLUDED.last_visit_day > stat.last_visit_day
                    THEN (EXCLUDED.last_visit_day - stat.last_visit_day) ^ 2 ELSE 0 END,
                last_visit_day = GREATEST(stat.last_visit_day, EXCLUDED.last_visit_day),
                hour_counts = %(add_hour)s,
                weekday_counts = %(add_weekday)s,
                payment_method_counts = %(add_methods)s
                """,
                totals=totals,
                add_hour=self._add_counts_sql("hour_counts", {local.hour: 1}, [0] * 24),
                add_weekday=self._add_counts_sql("weekday_counts", {local.weekday(): 1}, [0] * 7),
                add_methods=self._add_counts_sql("payment_method_counts", methods, {}),
            )
        return SQL(
            """
            INSERT INTO pos_customer_ledger_partner_stat AS stat
                (partner_id, company_id, balance, order_count, total_spent, first_date, last_date,
                 visit_count, last_visit_day, interval_sum, interval_sq_sum,
                 hour_counts, weekday_counts, payment_method_counts)
            SELECT %(partner)s, chain.company_id, %(due)s, %(orders)s, %(spent)s,
                   %(visit)s::timestamp, %(visit)s::timestamp,
                   %(orders)s, %(day)s::date, 0, 0, %(hours)s::jsonb, %(weekdays)s::jsonb, %(methods)s::jsonb
              FROM chain
            ON CONFLICT (partner_id, company_id) DO UPDATE SET %(updates)s
            """,
            partner=vals["partner_id"],
            due=vals.get("amount_due") or 0.0,
            orders=1 if is_sale else 0,
            spent=(vals.get("amount_total") or 0.0) if is_visit else 0.0,
            visit=vals["date"] if is_visit else None,
            day=day,
            hours=Json(hours),
            weekdays=Json(weekdays),
            methods=Json(methods),
            updates=totals,
        )

    @api.model
    def _balances(self, company_id, partner_ids):
        """{customer: balance} in the company, 0.0 for customers without a row."""
        found = dict(
            self.env.execute_query(
                SQL(
                    "SELECT partner_id, balance::float8 FROM pos_customer_ledger_partner_stat "
                    "WHERE company_id = %s AND partner_id = ANY(%s)",
                    company_id,
                    list(partner_ids),
                )
            )
        )
        return {partner_id: found.get(partner_id, 0.0) for partner_id in partner_ids}

    @api.model
    def _add_to_balances(self, company_id, partner_amounts):
        """Add ``[(customer, change in dues)]`` of entries that are not visits to
        the customers' balances, in one statement; new rows get what
        _apply_entry_sql gives a customer without sales."""
        partner_ids, amounts = zip(*partner_amounts, strict=True)
        self.env.execute_query(
            SQL(
                """
                INSERT INTO pos_customer_ledger_partner_stat AS stat
                    (partner_id, company_id, balance, order_count, total_spent,
                     visit_count, interval_sum, interval_sq_sum,
                     hour_counts, weekday_counts, payment_method_counts)
                SELECT partner_id, %(company)s, SUM(amount), 0, 0, 0, 0, 0,
                       %(hours)s::jsonb, %(weekdays)s::jsonb, '{}'::jsonb
                  FROM unnest(%(partners)s::int[], %(amounts)s::numeric[]) AS change(partner_id, amount)
                 GROUP BY partner_id
                ON CONFLICT (partner_id, company_id) DO UPDATE SET balance = stat.balance + EXCLUDED.balance
                """,
                company=company_id,
                partners=list(partner_ids),
                amounts=list(amounts),
                hours=Json([0] * 24),
                weekdays=Json([0] * 7),
            )
        )
        self.invalidate_model(flush=False)

    @api.model
    def _add_counts_sql(self, column, counts, empty):
        """``column`` (counters in a JSON array or object, ``empty`` when unset)
        plus ``counts``, keyed by index or key: plain expressions, which
        PostgreSQL plans faster than a subquery."""
        expression = SQL("COALESCE(stat.%s, %s::jsonb)", SQL.identifier(column), Json(empty))
        for key, count in counts.items():
            expression = SQL(
                "jsonb_set(%(counters)s, %(path)s, "
                "to_jsonb(COALESCE((stat.%(column)s ->> %(key)s)::int, 0) + %(count)s))",
                counters=expression,
                path=[str(key)],
                column=SQL.identifier(column),
                key=key,
                count=count,
            )
        return expression

    @api.model
    def _recompute_from_entries(self, company_ids=None):
        """Rebuild the totals from the entries in one set-based pass."""
        self.env["pos.customer.ledger.entry"].flush_model()
        company_filter = SQL("company_id = ANY(%s)", list(company_ids)) if company_ids else SQL("TRUE")
        # an upsert, not a rebuild: the rows keep their ids and mailing dates
        self.env.cr.execute(
            SQL(
                """
                WITH upserted AS (
                    INSERT INTO pos_customer_ledger_partner_stat AS stat
                        (partner_id, company_id, balance, order_count, total_spent, first_date, last_date)
                    SELECT partner_id, company_id,
                           SUM(amount_due),
                           COUNT(*) FILTER (WHERE kind = 'sale'),
                           COALESCE(SUM(amount_total) FILTER (WHERE kind = ANY(%(visits)s)), 0),
                           MIN(date) FILTER (WHERE kind = ANY(%(visits)s)),
                           MAX(date) FILTER (WHERE kind = ANY(%(visits)s))
                      FROM pos_customer_ledger_entry
                     WHERE %(company_filter)s
                     GROUP BY partner_id, company_id
                    ON CONFLICT (partner_id, company_id) DO UPDATE SET
                        balance = EXCLUDED.balance,
                        order_count = EXCLUDED.order_count,
                        total_spent = EXCLUDED.total_spent,
                        first_date = EXCLUDED.first_date,
                        last_date = EXCLUDED.last_date
                    RETURNING stat.id
                )
                DELETE FROM pos_customer_ledger_partner_stat
                 WHERE %(company_filter)s AND id NOT IN (SELECT id FROM upserted)
                """,
                visits=list(VISIT_KINDS),
                company_filter=company_filter,
            )
        )
        self.invalidate_model(flush=False)
