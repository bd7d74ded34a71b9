import io
import logging
import math
import operator as py_operator
import threading
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize_all

from ..tools.access import RIGHTS, ledger_right
from ..tools.planner import PROFILE_REBUILD, planner_settings
from ..tools.xlsx import new_workbook, write_text
from .pos_customer_ledger_partner_stat import VISIT_PROFILE_FIELDS
from .pos_customer_segment_history import RFM_SEGMENTS

_logger = logging.getLogger(__name__)

# the ledger's fields on a contact: for those who may see the ledger
LEDGER_GROUP = RIGHTS["view"]
# the profile rebuild's parts, which write different tables: res.partner methods taking partner_ids
REBUILD_PARTS = ("_ledger_rebuild_preferences", "_ledger_rebuild_habits_and_rfm")
OPERATORS = {
    "=": py_operator.eq,
    "!=": py_operator.ne,
    "<": py_operator.lt,
    "<=": py_operator.le,
    ">": py_operator.gt,
    ">=": py_operator.ge,
}

STATEMENT_MAIL_BATCH = 200
WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]
# (segment, recency scores, frequency scores): the usual RFM map on R and F
SEGMENT_RULES = [
    ("champions", (5,), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalist", (4, 5), (2, 3)),
    ("new", (5,), (1,)),
    ("promising", (4,), (1,)),
    ("need_attention", (3,), (3,)),
    ("about_to_sleep", (3,), (1, 2)),
    ("cant_lose", (1, 2), (5,)),
    ("at_risk", (1, 2), (3, 4)),
    ("hibernating", (1, 2), (1, 2)),
]
SEGMENT_CASE = SQL(
    "CASE %s END",
    SQL(" ").join(
        SQL("WHEN r = ANY(%s) AND f = ANY(%s) THEN %s", list(recency), list(frequency), code)
        for code, recency, frequency in SEGMENT_RULES
    ),
)
# rows of each list on the ledger card at the till
POS_CARD_LIMIT = 5


class ResPartner(models.Model):
    _inherit = "res.partner"

    ledger_currency_id = fields.Many2one("res.currency", compute="_compute_ledger_stats", groups=LEDGER_GROUP)
    ledger_balance = fields.Monetary(
        string="Ledger Balance",
        currency_field="ledger_currency_id",
        compute="_compute_ledger_stats",
        search="_search_ledger_balance",
        groups=LEDGER_GROUP,
        help="What the customer owes the shop on their POS customer account; negative when "
        "they are in credit (see Ledger Credit).",
    )
    ledger_credit = fields.Monetary(
        string="Ledger Credit",
        currency_field="ledger_currency_id",
        compute="_compute_ledger_stats",
        groups=LEDGER_GROUP,
        help="What the shop owes the customer: paid into their customer account beyond their dues "
        "(a deposit) and not spent yet. A negative ledger balance.",
    )
    ledger_order_count = fields.Integer(
        string="Ledger Orders", compute="_compute_ledger_stats", groups=LEDGER_GROUP
    )
    ledger_total_spent = fields.Monetary(
        string="Total Spent",
        currency_field="ledger_currency_id",
        compute="_compute_ledger_stats",
        groups=LEDGER_GROUP,
        help="POS sales net of refunds.",
    )
    ledger_avg_basket = fields.Monetary(
        string="Average Basket",
        currency_field="ledger_currency_id",
        compute="_compute_ledger_stats",
        groups=LEDGER_GROUP,
    )
    ledger_first_date = fields.Datetime(
        string="First Visit", compute="_compute_ledger_stats", groups=LEDGER_GROUP
    )
    ledger_last_date = fields.Datetime(
        string="Last Visit", compute="_compute_ledger_stats", groups=LEDGER_GROUP
    )
    ledger_entry_ids = fields.One2many(
        "pos.customer.ledger.entry", "partner_id", string="Ledger Entries", groups=LEDGER_GROUP
    )
    ledger_preference_note = fields.Text(
        string="Preference Notes",
        groups=LEDGER_GROUP,
        help="What staff know of the customer's wishes: sizes, allergies, how they like to be served.",
    )
    ledger_preference_tag_ids = fields.Many2many(
        "pos.customer.preference.tag", string="Preference Tags", groups=LEDGER_GROUP
    )
    ledger_preference_ids = fields.One2many(
        "pos.customer.preference",
        "partner_id",
        string="Favourites",
        domain=[("rank", "<=", 10)],
        groups=LEDGER_GROUP,
    )

    # RFM: per company, written by the scoring run; stored for filters and group-bys
    rfm_recency_score = fields.Integer(
        string="Recency Score",
        company_dependent=True,
        readonly=True,
        groups=LEDGER_GROUP,
        help="1 to 5: how recently the customer bought, by quintile among the company's customers.",
    )
    rfm_frequency_score = fields.Integer(
        string="Frequency Score",
        company_dependent=True,
        readonly=True,
        groups=LEDGER_GROUP,
        help="1 to 5: how often the customer bought in the scoring window, by quintile.",
    )
    rfm_monetary_score = fields.Integer(
        string="Monetary Score",
        company_dependent=True,
        readonly=True,
        groups=LEDGER_GROUP,
        help="1 to 5: how much the customer spent in the scoring window, by quintile.",
    )
    rfm_segment = fields.Selection(
        RFM_SEGMENTS,
        string="Segment",
        company_dependent=True,
        readonly=True,
        groups=LEDGER_GROUP,
        help="Customer segment from the recency and frequency scores, recomputed nightly.",
    )
    ledger_segment_history_ids = fields.One2many(
        "pos.customer.segment.history", "partner_id", string="Segment History", groups=LEDGER_GROUP
    )
    # visit profile in the current company
    ledger_preferred_payment_method_id = fields.Many2one(
        "pos.payment.method",
        string="Preferred Payment Method",
        compute="_compute_ledger_profile",
        groups=LEDGER_GROUP,
    )
    ledger_preferred_weekday = fields.Selection(
        WEEKDAYS, string="Preferred Weekday", compute="_compute_ledger_profile", groups=LEDGER_GROUP
    )
    ledger_preferred_hour = fields.Integer(
        string="Preferred Hour",
        compute="_compute_ledger_profile",
        groups=LEDGER_GROUP,
        help="Local hour of the day (0-23) at which the customer buys most often.",
    )
    ledger_visit_count = fields.Integer(
        string="Visit Days", compute="_compute_ledger_profile", groups=LEDGER_GROUP
    )
    ledger_visit_interval = fields.Float(
        string="Usual Interval (Days)",
        compute="_compute_ledger_profile",
        digits=(16, 1),
        groups=LEDGER_GROUP,
        help="Average number of days between two visits.",
    )
    ledger_visit_interval_spread = fields.Float(
        string="Interval Spread (Days)",
        compute="_compute_ledger_profile",
        digits=(16, 1),
        groups=LEDGER_GROUP,
        help="Standard deviation of the days between two visits.",
    )
    ledger_next_visit_date = fields.Date(
        string="Expected Next Visit", compute="_compute_ledger_profile", groups=LEDGER_GROUP
    )
    ledger_churn_risk = fields.Boolean(
        string="Churn Risk",
        compute="_compute_ledger_profile",
        search="_search_ledger_churn_risk",
        groups=LEDGER_GROUP,
        help="The customer's last visit is longer ago than the company's churn factor times "
        "their usual interval between visits.",
    )

    @api.depends_context("company")
    def _compute_ledger_profile(self):
        company = self.env.company
        stats = (
            self.env["pos.customer.ledger.partner.stat"]
            .sudo()
            .search_fetch(
                [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", company.id)],
                ["partner_id", *VISIT_PROFILE_FIELDS],
            )
        )
        by_partner = {stat.partner_id.id: stat for stat in stats}
        today = fields.Date.context_today(self)

        def most_frequent(counts):
            """The slot with the highest count (the first of ties), or None."""
            pairs = (
                enumerate(counts)
                if isinstance(counts, list)
                else ((int(k), n) for k, n in (counts or {}).items())
            )
            best = max(((n, -slot) for slot, n in pairs if n), default=None)
            return -best[1] if best else None

        for partner in self:
            stat = by_partner.get(partner.commercial_partner_id.id)
            gaps = stat.visit_count - 1 if stat else 0
            interval = stat.interval_sum / gaps if gaps > 0 else 0.0
            method = most_frequent(stat.payment_method_counts) if stat else None
            hour = most_frequent(stat.hour_counts) if stat else None
            weekday = most_frequent(stat.weekday_counts) if stat else None
            partner.ledger_preferred_payment_method_id = method or False
            partner.ledger_preferred_weekday = str(weekday) if weekday is not None else False
            partner.ledger_preferred_hour = hour or 0
            partner.ledger_visit_count = stat.visit_count if stat else 0
            partner.ledger_visit_interval = interval
            partner.ledger_visit_interval_spread = (
                math.sqrt(max(stat.interval_sq_sum / gaps - interval**2, 0.0)) if gaps > 0 else 0.0
            )
            next_visit = stat.last_visit_day + timedelta(days=round(interval)) if gaps > 0 else False
            partner.ledger_next_visit_date = next_visit
            partner.ledger_churn_risk = bool(
                gaps > 0 and (today - stat.last_visit_day).days > company.ledger_churn_factor * interval
            )

    def _search_ledger_churn_risk(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on the churn risk: %s", operator))
        company = self.env.company
        at_risk = self.env.execute_query(
            SQL(
                """
                SELECT partner_id FROM pos_customer_ledger_partner_stat
                 WHERE company_id = %(company)s AND visit_count > 1
                   AND %(today)s - last_visit_day > %(factor)s * interval_sum / (visit_count - 1)
                """,
                company=company.id,
                today=fields.Date.context_today(self),
                factor=company.ledger_churn_factor,
            )
        )
        ids = [partner_id for (partner_id,) in at_risk]
        positive = (operator == "=") == value
        return [("commercial_partner_id", "in" if positive else "not in", ids)]

    @api.depends_context("allowed_company_ids")
    def _compute_ledger_stats(self):
        """Totals over the customer's commercial entity, in the active companies."""
        commercial = self.commercial_partner_id
        groups = self.env["pos.customer.ledger.partner.stat"]._read_group(
            [("partner_id", "in", commercial.ids), ("company_id", "in", self.env.companies.ids)],
            groupby=["partner_id"],
            aggregates=[
                "balance:sum",
                "order_count:sum",
                "total_spent:sum",
                "first_date:min",
                "last_date:max",
            ],
        )
        stats = {partner.id: values for partner, *values in groups}
        for partner in self:
            balance, count, spent, first, last = stats.get(
                partner.commercial_partner_id.id, (0.0, 0, 0.0, False, False)
            )
            partner.ledger_currency_id = self.env.company.currency_id
            partner.ledger_balance = balance
            partner.ledger_credit = max(-balance, 0.0)
            partner.ledger_order_count = count
            partner.ledger_total_spent = spent
            partner.ledger_avg_basket = spent / count if count else 0.0
            partner.ledger_first_date = first
            partner.ledger_last_date = last

    def _search_ledger_balance(self, operator, value):
        if operator not in OPERATORS:
            raise UserError(self.env._("Unsupported search on the ledger balance: %s", operator))
        Stat = self.env["pos.customer.ledger.partner.stat"]
        company_domain = [("company_id", "in", self.env.companies.ids)]
        matching = Stat._read_group(company_domain, ["partner_id"], having=[("balance:sum", operator, value)])
        domain = [("commercial_partner_id", "in", [partner.id for (partner,) in matching])]
        if OPERATORS[operator](0.0, value or 0.0):
            # customers without any entry have a zero balance too
            with_stats = Stat._read_group(company_domain, ["partner_id"])
            domain = ["|", *domain, ("commercial_partner_id", "not in", [p.id for (p,) in with_stats])]
        return domain

    @ledger_right("settle")
    def get_ledger_dues_for_pos(self, config_id):
        """What this customer owes in the company of a point of sale: the till
        asks when the cashier settles their dues, as partners are not preloaded."""
        self.ensure_one()
        self.check_access("read")
        config = self.env["pos.config"].browse(config_id)
        config.check_access("read")
        company = config.company_id
        stat = (
            self.env["pos.customer.ledger.partner.stat"]
            .sudo()
            .search([("partner_id", "=", self.commercial_partner_id.id), ("company_id", "=", company.id)])
        )
        return company.currency_id.round(stat.balance)

    @ledger_right("view")
    def action_open_ledger_entries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pos_customer_ledger.action_pos_customer_ledger_entry"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    @ledger_right("audit")
    def action_open_ledger_statement_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer Statement"),
            "res_model": "pos.customer.ledger.statement.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.commercial_partner_id.ids},
        }

    @ledger_right("audit")
    def ledger_statement_xlsx(self, date_from, date_to, statement_type="activity"):
        """Customer statement of the customers in ``self`` as XLSX bytes, for the
        current company: ``activity`` (opening balance, the period's entries,
        closing balance) or ``outstanding`` (what is due at ``date_to``, aged).
        """
        return self.env["report.pos_customer_ledger.customer_statement"]._render_xlsx(
            self, date_from, date_to, statement_type
        )

    @ledger_right("audit")
    def ledger_statement_pdf(self, date_from, date_to, statement_type="activity"):
        """The same statements as one PDF, each in its customer's language under
        the company's letterhead."""
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "pos_customer_ledger.action_report_customer_statement",
            self.commercial_partner_id.ids,
            data=self._ledger_statement_report_data(date_from, date_to, statement_type),
        )
        return content

    @ledger_right("audit")
    def ledger_segment_xlsx(self):
        """The customers in ``self`` as an XLSX contact list with their segment,
        scores and ledger figures in the current company."""
        _ = self.env._
        partners = self.commercial_partner_id
        partners.fetch(
            [
                "display_name",
                "ref",
                "email",
                "phone",
                "mobile",
                "city",
                "country_id",
                "rfm_segment",
                "rfm_recency_score",
                "rfm_frequency_score",
                "rfm_monetary_score",
            ]
        )
        segments = dict(self._fields["rfm_segment"]._description_selection(self.env))
        output = io.BytesIO()
        workbook = new_workbook(output, constant_memory=True)
        header = workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#EEEEEE"})
        money = workbook.add_format({"num_format": "#,##0.00;-#,##0.00"})
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet = workbook.add_worksheet(_("Customers"))
        columns = [
            (_("Customer"), 32),
            (_("Reference"), 12),
            (_("Email"), 28),
            (_("Phone"), 16),
            (_("Mobile"), 16),
            (_("City"), 16),
            (_("Country"), 16),
            (_("Segment"), 18),
            (_("Recency"), 9),
            (_("Frequency"), 9),
            (_("Monetary"), 9),
            (_("Orders"), 9),
            (_("Total Spent"), 14),
            (_("Balance"), 14),
            (_("Last Visit"), 12),
            (_("Churn Risk"), 10),
        ]
        for col, (title, width) in enumerate(columns):
            sheet.set_column(col, col, width)
            write_text(sheet, 0, col, title, header)
        for row, partner in enumerate(partners, start=1):
            texts = [
                partner.display_name,
                partner.ref,
                partner.email,
                partner.phone,
                partner.mobile,
                partner.city,
                partner.country_id.name,
                segments.get(partner.rfm_segment),
            ]
            for col, text in enumerate(texts):
                write_text(sheet, row, col, text)
            for col, score in enumerate(
                (
                    partner.rfm_recency_score,
                    partner.rfm_frequency_score,
                    partner.rfm_monetary_score,
                    partner.ledger_order_count,
                ),
                start=8,
            ):
                sheet.write_number(row, col, score or 0)
            sheet.write_number(row, 12, partner.ledger_total_spent, money)
            sheet.write_number(row, 13, partner.ledger_balance, money)
            if partner.ledger_last_date:
                sheet.write_datetime(row, 14, partner.ledger_last_date, date_format)
            write_text(sheet, row, 15, _("Yes") if partner.ledger_churn_risk else "")
        workbook.close()
        return output.getvalue()

    @api.model
    def _ledger_statement_report_data(self, date_from, date_to, statement_type):
        return {
            "date_from": fields.Date.to_string(fields.Date.to_date(date_from)),
            "date_to": fields.Date.to_string(fields.Date.to_date(date_to)),
            "statement_type": statement_type,
        }

    @api.model
    def _cron_send_ledger_statements(self, batch_size=STATEMENT_MAIL_BATCH):
        """Email their outstanding statement to the customers who owe at least
        their company's minimum, once per the company's frequency. Opt-in per
        company; a batch per run, the scheduled action continues with the rest."""
        template = self.env.ref("pos_customer_ledger.mail_template_outstanding_statement")
        today = fields.Date.context_today(self)
        done = remaining = 0
        for company in self.env["res.company"].search([("ledger_statement_mail", "=", True)]):
            interval = (
                relativedelta(weeks=1)
                if company.ledger_statement_interval == "weekly"
                else relativedelta(months=1)
            )
            due = [
                ("company_id", "=", company.id),
                ("balance", ">=", max(company.ledger_statement_min_amount, company.currency_id.rounding)),
                ("partner_id.email", "!=", False),
                "|",
                ("statement_sent_date", "=", False),
                ("statement_sent_date", "<=", today - interval),
            ]
            Stat = self.env["pos.customer.ledger.partner.stat"].sudo()
            stats = Stat.search(due, limit=max(batch_size - done, 0), order="id")
            if stats:
                partners = stats.partner_id.with_company(company)
                composer = (
                    self.env["mail.compose.message"]
                    .with_company(company)
                    .with_context(
                        allowed_company_ids=company.ids,
                        ledger_statement_type="outstanding",
                        ledger_statement_date=fields.Date.to_string(today),
                    )
                    .create(
                        {
                            "composition_mode": "mass_mail",
                            "model": "res.partner",
                            "res_ids": repr(partners.ids),
                            "template_id": template.id,
                        }
                    )
                )
                composer._action_send_mail()
                stats.write({"statement_sent_date": today})
                done += len(stats)
            remaining += Stat.search_count(due)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    @ledger_right("manage")
    def ledger_recompute_profiles(self, partner_ids=None):
        """Rebuild what the ledger knows of the customers (all of them, or
        ``partner_ids``) from their ledger, in a few set-based statements.

        A rebuild of every customer from a transaction that has written
        nothing (the scheduled action, an RPC call) runs its two parts,
        preferences and habits with RFM, at the same time on two connections,
        each committing its own (the caller's transaction keeps its snapshot
        and does not see the results); otherwise it runs in the caller's
        transaction.
        """
        if partner_ids is not None:
            partner_ids = self.browse(partner_ids).commercial_partner_id.ids
        if partner_ids is None and self._ledger_rebuild_can_run_in_parallel():
            _logger.info("Customer profile rebuild: parts in parallel on their own connections")
            self._ledger_run_rebuild_in_parallel()
            return True
        _logger.info("Customer profile rebuild: in the calling transaction")
        # postings update the same rows: hold them off until this commits
        self.env["pos.customer.ledger.chain"].sudo()._lock_heads()
        with planner_settings(self.env.cr, **PROFILE_REBUILD):
            for part in REBUILD_PARTS:
                getattr(self, part)(partner_ids)
        return True

    @api.model
    def _ledger_rebuild_preferences(self, partner_ids):
        self.env["pos.customer.preference"].sudo()._recompute(partner_ids)

    @api.model
    def _ledger_rebuild_habits_and_rfm(self, partner_ids):
        self.env["pos.customer.ledger.partner.stat"].sudo()._recompute_visit_profiles(partner_ids)
        # a rebuild of every customer has just computed the RFM facts of all
        self.sudo()._ledger_score_rfm(partner_ids, from_visit_profiles=partner_ids is None)

    @api.model
    def _ledger_rebuild_can_run_in_parallel(self):
        """Other connections see only committed data: true when this
        transaction has nothing of its own to show them."""
        if self.pool.in_test_mode():
            return False
        self.env.flush_all()
        return self.env.execute_query(SQL("SELECT pg_current_xact_id_if_assigned() IS NULL"))[0][0]

    @api.model
    def _ledger_run_rebuild_in_parallel(self):
        """Rebuild every customer's profiles with each part of REBUILD_PARTS in
        its own thread, connection and transaction. The parts write different
        tables; each holds off postings with a shared lock on the chain heads
        until it commits. The first error is raised once all have ended; the
        parts that succeeded stay committed, each complete."""
        errors = []

        def run(part):
            current = threading.current_thread()
            current.dbname, current.uid = self.env.cr.dbname, self.env.uid
            try:
                with self.pool.cursor() as cr:
                    # a repeatable-read snapshot taken before the lock wait would
                    # fail on the head a posting has just moved; once the lock is
                    # held nothing the rebuild reads can change
                    cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                    env = self.env(cr=cr)
                    env["pos.customer.ledger.chain"].sudo()._lock_heads(shared=True)
                    with planner_settings(cr, **PROFILE_REBUILD):
                        getattr(env[self._name], part)(None)
            except Exception as error:  # raised again below, in the caller's thread
                _logger.exception("Customer profile rebuild: %s failed", part)
                errors.append(error)

        threads = [threading.Thread(target=run, args=(part,), name=part) for part in REBUILD_PARTS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    @api.model
    def _ledger_score_rfm(self, partner_ids=None, from_visit_profiles=False):
        """Score recency, frequency and monetary value 1-5 by quintile among each
        company's customers who bought in its window, map R and F to a segment,
        and record the customers whose segment changed: one statement per
        company, so that each customer's scores are one JSON key to set rather
        than an aggregate over their companies.

        Customers with ledgered sales, none of them in the window, score 1-1-1.
        Ties share the lower score. ``from_visit_profiles``: read the facts from
        the table the visit profile rebuild of every customer left, instead of
        scanning the ledger again.
        """
        self.env["pos.customer.ledger.entry"].flush_model()
        self.env["res.company"].flush_model(["ledger_rfm_window_days"])
        self.flush_model(["rfm_segment", "rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score"])
        companies = self.env.execute_query(
            SQL("SELECT company_id FROM pos_customer_ledger_chain ORDER BY company_id")
        )
        for (company_id,) in companies:
            self._ledger_score_rfm_company(company_id, partner_ids, from_visit_profiles)
        self.invalidate_model(
            ["rfm_segment", "rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score"]
        )
        self.env["pos.customer.segment.history"].invalidate_model()

    @api.model
    def _ledger_score_rfm_company(self, company_id, partner_ids, from_visit_profiles):
        if from_visit_profiles:
            facts = SQL(
                """
                SELECT partner_id, company_id, rfm_last_sale AS last_sale, rfm_frequency AS frequency,
                       rfm_monetary AS monetary
                  FROM pos_customer_ledger_visit_profile
                 WHERE company_id = %s AND rfm_frequency > 0
                """,
                company_id,
            )
        else:
            facts = SQL(
                """
                SELECT entry.partner_id, entry.company_id,
                       MAX(entry.date) FILTER (WHERE entry.kind = 'sale') AS last_sale,
                       COUNT(*) FILTER (WHERE entry.kind = 'sale') AS frequency,
                       SUM(entry.amount_total) AS monetary
                  FROM pos_customer_ledger_entry entry
                 WHERE entry.company_id = %(company)s AND entry.kind IN ('sale', 'refund')
                   AND entry.date >= %(since)s
                 GROUP BY entry.partner_id, entry.company_id
                HAVING COUNT(*) FILTER (WHERE entry.kind = 'sale') > 0
                """,
                company=company_id,
                since=self.env["res.company"].browse(company_id)._ledger_rfm_window_start(self.env.cr.now()),
            )
        self.env.execute_query(
            SQL(
                """
                WITH scored AS (
                    SELECT partner_id,
                           LEAST(5, 1 + FLOOR(5 * percent_rank() OVER (ORDER BY last_sale)))::int AS r,
                           LEAST(5, 1 + FLOOR(5 * percent_rank() OVER (ORDER BY frequency)))::int AS f,
                           LEAST(5, 1 + FLOOR(5 * percent_rank() OVER (ORDER BY monetary)))::int AS m
                      FROM (%(facts)s) facts
                ), customers AS (
                    SELECT stat.partner_id,
                           COALESCE(scored.r, 1) AS r, COALESCE(scored.f, 1) AS f, COALESCE(scored.m, 1) AS m
                      FROM pos_customer_ledger_partner_stat stat
                      LEFT JOIN scored ON scored.partner_id = stat.partner_id
                     WHERE stat.company_id = %(company)s AND stat.order_count > 0 AND %(partner_filter)s
                ), segmented AS (
                    SELECT *, %(segment_case)s AS segment FROM customers
                ), moves AS (
                    INSERT INTO pos_customer_segment_history
                        (partner_id, company_id, date, segment, previous_segment,
                         recency_score, frequency_score, monetary_score)
                    SELECT segmented.partner_id, %(company)s, %(today)s, segmented.segment,
                           partner.rfm_segment ->> %(key)s, r, f, m
                      FROM segmented JOIN res_partner partner ON partner.id = segmented.partner_id
                     WHERE (partner.rfm_segment ->> %(key)s) IS DISTINCT FROM segmented.segment
                )
                UPDATE res_partner partner
                   SET rfm_segment = COALESCE(partner.rfm_segment, '{}'::jsonb)
                                     || jsonb_build_object(%(key)s, segmented.segment),
                       rfm_recency_score = COALESCE(partner.rfm_recency_score, '{}'::jsonb)
                                           || jsonb_build_object(%(key)s, segmented.r),
                       rfm_frequency_score = COALESCE(partner.rfm_frequency_score, '{}'::jsonb)
                                             || jsonb_build_object(%(key)s, segmented.f),
                       rfm_monetary_score = COALESCE(partner.rfm_monetary_score, '{}'::jsonb)
                                            || jsonb_build_object(%(key)s, segmented.m)
                  FROM segmented
                 WHERE partner.id = segmented.partner_id
                   AND (partner.rfm_segment ->> %(key)s, (partner.rfm_recency_score ->> %(key)s)::int,
                        (partner.rfm_frequency_score ->> %(key)s)::int,
                        (partner.rfm_monetary_score ->> %(key)s)::int)
                       IS DISTINCT FROM (segmented.segment, segmented.r, segmented.f, segmented.m)
                """,
                facts=facts,
                company=company_id,
                key=str(company_id),
                today=fields.Date.context_today(self),
                partner_filter=SQL("stat.partner_id = ANY(%s)", list(partner_ids))
                if partner_ids
                else SQL("TRUE"),
                segment_case=SEGMENT_CASE,
            )
        )

    # ---------------------------------------------------------- ledger history

    def _ledger_history_companies(self):
        """{partner id: company ids} of the partners that appear in the ledger
        in any company, whatever the caller may see: entries, balance rows,
        preferences, segment history, or POS orders that were posted."""
        if not self:
            return {}
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, array_agg(DISTINCT company_id) FROM (
                    SELECT DISTINCT partner_id, company_id FROM pos_customer_ledger_entry
                     WHERE partner_id = ANY(%(ids)s)
                    UNION ALL
                    SELECT partner_id, company_id FROM pos_customer_ledger_partner_stat
                     WHERE partner_id = ANY(%(ids)s)
                    UNION ALL
                    SELECT DISTINCT partner_id, company_id FROM pos_customer_preference
                     WHERE partner_id = ANY(%(ids)s)
                    UNION ALL
                    SELECT DISTINCT partner_id, company_id FROM pos_customer_segment_history
                     WHERE partner_id = ANY(%(ids)s)
                    UNION ALL
                    SELECT DISTINCT o.partner_id, o.company_id FROM pos_order o
                     WHERE o.partner_id = ANY(%(ids)s)
                       AND EXISTS (SELECT 1 FROM pos_customer_ledger_entry e WHERE e.pos_order_id = o.id)
                ) used
                GROUP BY partner_id
                """,
                ids=self.ids,
            )
        )
        return {partner_id: set(company_ids) for partner_id, company_ids in rows}

    # ---------------------------------------------------------- anonymisation
    # Privacy: replace a customer's personal data by a pseudonym, keeping the
    # ledger (entries, amounts, hash chain) and the accounting it is tied to.

    ledger_anonymized = fields.Boolean(
        string="Anonymised",
        readonly=True,
        copy=False,
        groups=LEDGER_GROUP,
        help="The customer's personal data was replaced by a pseudonym; the ledger is kept.",
    )
    ledger_anonymized_date = fields.Datetime(
        string="Anonymised On", readonly=True, copy=False, groups=LEDGER_GROUP
    )

    @api.model
    def _ledger_personal_fields(self):
        """Fields emptied on anonymisation, where installed. A company's VAT
        and registry number identify a business, not a person, and stay on
        the records tax law keeps; a natural person's tax number goes."""
        names = [
            "email", "phone", "mobile", "street", "street2", "zip", "city", "state_id",
            "country_id", "website", "comment", "image_1920", "function", "title", "ref",
            "barcode", "company_name", "additional_info", "category_id",
            "partner_latitude", "partner_longitude", "invoice_warn_msg", "picking_warn_msg",
            "ledger_preference_note", "ledger_preference_tag_ids",
        ]  # fmt: skip
        return [name for name in names if name in self._fields]

    @ledger_right("manage")
    def action_ledger_anonymize(self):
        """Anonymise the customers' commercial entities and all their contacts:
        personal data replaced or emptied, contacts archived, chatter and
        attachments deleted, copies on other documents scrubbed. Ledger entries
        and amounts are untouched, so the hash chain still verifies. Customers
        already anonymised are left as they are.

        Only for customers with ledger history in the caller's companies, used
        by no other company, whose contacts the caller may edit."""
        _ = self.env._
        Partner = self.sudo().with_context(active_test=False, tracking_disable=True)
        customers = Partner.browse(self.commercial_partner_id.ids)
        partners = Partner.search([("id", "child_of", customers.ids)])
        # as the caller: the right to edit every contact that is rewritten
        self.env["res.partner"].browse(partners.ids).check_access("write")
        self._ledger_check_anonymizable(customers, partners)
        customers = customers.filtered(lambda partner: not partner.ledger_anonymized)
        if not customers:
            return True
        partners = Partner.search([("id", "child_of", customers.ids)])
        pseudonyms = {}
        for partner in partners:
            number = str(partner.id).zfill(5)
            pseudonyms[partner.id] = (
                _("Anonymised customer %(number)s", number=number)
                if partner in customers
                else _("Anonymised contact %(number)s", number=number)
            )
        identifiers = {
            partner.id: [
                value
                for value in (partner.name, partner.email, partner.phone, partner.mobile)
                if value and len(value) >= 3
            ]
            for partner in partners
        }
        emails = [partner.email for partner in partners if partner.email]

        natural_persons = partners.filtered(lambda partner: not partner.commercial_partner_id.is_company)

        # bank accounts are archived, never deleted (entries may use them): scrub the number
        for bank in partners.bank_ids:
            bank_vals = {
                "acc_number": _("Anonymised account %(number)s", number=bank.id),
                "acc_holder_name": False,
                "active": False,
            }
            if bank.allow_out_payment:
                bank_vals["allow_out_payment"] = False
            bank.write(bank_vals)
        if "payment_token_ids" in partners._fields:
            partners.payment_token_ids.action_archive()
        cleared = dict.fromkeys(self._ledger_personal_fields(), False)
        now = fields.Datetime.now()
        for partner in partners:
            vals = dict(
                cleared, name=pseudonyms[partner.id], ledger_anonymized=True, ledger_anonymized_date=now
            )
            if partner in natural_persons:
                vals.update(vat=False, company_registry=False)
            partner.write(vals)
        (partners - customers).action_archive()
        self.env["pos.order"].sudo().with_context(tracking_disable=True).search(
            [("partner_id", "in", partners.ids)]
        ).write({"email": False, "mobile": False})
        self._ledger_scrub_mail(partners, pseudonyms, identifiers, emails)
        for customer in customers:
            customer._message_log(
                body=_(
                    "Customer anonymised by %(user)s on %(date)s (UTC): personal data removed, ledger kept.",
                    user=self.env.user.name,
                    date=fields.Datetime.to_string(now),
                )
            )
        return True

    @api.model
    def _ledger_check_anonymizable(self, customers, partners):
        """Refuse, before anything is written, customers without ledger history
        in the caller's companies, contacts another company uses (its ledger or
        the contact's company), and contacts of users or companies."""
        _ = self.env._
        env = self.sudo().with_context(active_test=False).env
        users = env["res.users"].search([("partner_id", "in", partners.ids)])
        if users:
            raise UserError(
                _(
                    "%(partners)s cannot be anonymised: they are the contact of the user(s) %(users)s. "
                    "Remove or anonymise the users first.",
                    partners=", ".join(users.partner_id.mapped("display_name")),
                    users=", ".join(users.mapped("login")),
                )
            )
        companies = env["res.company"].search([("partner_id", "in", partners.ids)])
        if companies:
            raise UserError(
                _(
                    "%(partners)s cannot be anonymised: they are the partner of the company %(companies)s.",
                    partners=", ".join(companies.partner_id.mapped("display_name")),
                    companies=", ".join(companies.mapped("name")),
                )
            )
        allowed = set(self.env.companies.ids)
        history = partners._ledger_history_companies()
        strangers = customers.filtered(lambda customer: not history.get(customer.id, set()) & allowed)
        if strangers:
            raise UserError(
                _(
                    "%(customers)s cannot be anonymised here: they have no customer ledger history in "
                    "your companies. Anonymisation is for customers of the ledger.",
                    customers=", ".join(strangers.mapped("display_name")),
                )
            )
        shared = partners.filtered(
            lambda partner: (
                history.get(partner.id, set()) - allowed
                or (partner.company_id and partner.company_id.id not in allowed)
            )
        )
        if shared:
            raise UserError(
                _(
                    "%(customers)s cannot be anonymised: they are also used by a company you are not "
                    "working in. Ask a manager of every company that uses them.",
                    customers=", ".join(shared.commercial_partner_id.mapped("display_name")),
                )
            )

    @api.model
    def _ledger_normalized_emails(self, emails):
        return sorted({address for email in emails for address in email_normalize_all(email)})

    @api.model
    def _ledger_scrub_mail(self, partners, pseudonyms, identifiers, emails):
        """Delete what the mail machinery holds on the partners themselves and
        replace their identity where other documents' chatter copies it."""
        Message = self.env["mail.message"].sudo()
        on_partners = [("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)]
        own_messages = Message.search([("model", "=", "res.partner"), ("res_id", "in", partners.ids)])
        own_messages |= Message.search(
            [("model", "=", "res.partner.bank"), ("res_id", "in", partners.bank_ids.ids)]
        )
        own_messages.unlink()
        self.env["ir.attachment"].sudo().search(on_partners).unlink()
        self.env["mail.activity"].sudo().search(on_partners).unlink()
        self.env["mail.followers"].sudo().search(
            ["|", "&", *on_partners, ("partner_id", "in", partners.ids)]
        ).unlink()
        outgoing = [("recipient_ids", "in", partners.ids)]
        for email in emails:
            outgoing = ["|", *outgoing, ("email_to", "ilike", email)]
        self.env["mail.mail"].sudo().search(outgoing).unlink()
        # The blacklist would be the last record of the address; with no contact
        # left holding it, nothing here can mail it.
        addresses = self._ledger_normalized_emails(emails)
        if addresses:
            self.env["mail.blacklist"].sudo().with_context(active_test=False).search(
                [("email", "in", addresses)]
            ).unlink()

        # many2one trackings keep the partner's name next to its id
        Tracking = self.env["mail.tracking.value"].sudo()
        trackings = Tracking.search(
            [
                ("field_id.relation", "=", "res.partner"),
                "|",
                ("old_value_integer", "in", partners.ids),
                ("new_value_integer", "in", partners.ids),
            ]
        )
        for tracking in trackings:
            vals = {}
            if tracking.old_value_integer in pseudonyms:
                vals["old_value_char"] = pseudonyms[tracking.old_value_integer]
            if tracking.new_value_integer in pseudonyms:
                vals["new_value_char"] = pseudonyms[tracking.new_value_integer]
            tracking.write(vals)

        # longest first, so that a name containing another is replaced whole
        replacements = sorted(
            (
                (value, pseudonyms[partner_id])
                for partner_id, values in identifiers.items()
                for value in values
            ),
            key=lambda pair: -len(pair[0]),
        )
        messages = Message.search(
            ["|", ("author_id", "in", partners.ids), ("partner_ids", "in", partners.ids)]
        )
        for message in messages:
            body, subject = str(message.body or ""), message.subject or ""
            for old, new in replacements:
                body = body.replace(escape(old), escape(new))
                subject = subject.replace(old, new)
            vals = {}
            if body != str(message.body or ""):
                vals["body"] = Markup(body)
            if subject != (message.subject or ""):
                vals["subject"] = subject
            if message.author_id in partners:
                vals.update(email_from=False, reply_to=False)
            if vals:
                message.write(vals)

    @ledger_right("view")
    def ledger_pos_card(self, config_id=None):
        """What the till shows of the customer, fetched when the cashier opens
        their ledger card: balance due, segment, churn risk and expected next
        visit, last visits, favourite products sold at that point of sale, and
        staff notes. A handful of indexed queries, all in the company of the
        point of sale."""
        self.ensure_one()
        company = self.env["pos.config"].browse(config_id).company_id if config_id else self.env.company
        # one company only: the balance and the favourites are per company
        partner = self.with_context(allowed_company_ids=company.ids)
        commercial = partner.commercial_partner_id
        currency = commercial.ledger_currency_id
        notes = [
            note for note in dict.fromkeys((partner | commercial).mapped("ledger_preference_note")) if note
        ]
        segment = commercial.rfm_segment
        segments = dict(self._fields["rfm_segment"]._description_selection(self.env))
        return {
            "partner_id": commercial.id,
            "name": commercial.display_name,
            "balance": commercial.ledger_balance,
            "currency": {
                "id": currency.id,
                "symbol": currency.symbol,
                "position": currency.position,
                "decimal_places": currency.decimal_places,
            },
            "segment": segment and {"code": segment, "label": segments[segment]},
            "churn_risk": commercial.ledger_churn_risk,
            "next_visit_date": fields.Date.to_string(commercial.ledger_next_visit_date),
            "last_visits": commercial._ledger_pos_card_visits(),
            "favourites": commercial._ledger_pos_card_favourites(config_id),
            "notes": "\n".join(notes),
            "tags": [
                {"id": tag.id, "name": tag.name, "color": tag.color}
                for tag in (partner | commercial).ledger_preference_tag_ids
            ],
        }

    def _ledger_pos_card_visits(self):
        """The customer's last POS orders, from the partner/company/date index."""
        entries = self.env["pos.customer.ledger.entry"].search_fetch(
            [
                ("partner_id", "=", self.id),
                ("company_id", "=", self.env.company.id),
                ("pos_order_id", "!=", False),
            ],
            ["date", "kind", "amount_total"],
            order="date desc, id desc",
            limit=POS_CARD_LIMIT,
        )
        kinds = dict(entries._fields["kind"]._description_selection(self.env))
        return [
            {
                "date": fields.Datetime.to_string(entry.date),
                "kind": entry.kind,
                "kind_label": kinds[entry.kind],
                "amount": entry.amount_total,
            }
            for entry in entries
        ]

    def _ledger_pos_card_favourites(self, config_id):
        """The customer's most bought products that the point of sale sells;
        the till shows them from its own product data."""
        domain = [
            ("partner_id", "=", self.id),
            ("company_id", "=", self.env.company.id),
            ("product_id.sale_ok", "=", True),
            ("product_id.available_in_pos", "=", True),
        ]
        config = self.env["pos.config"].browse(config_id)
        if config.limit_categories and config.iface_available_categ_ids:
            domain.append(("product_id.pos_categ_ids", "in", config.iface_available_categ_ids.ids))
        preferences = self.env["pos.customer.preference"].search_fetch(
            domain, ["product_id", "qty", "rank", "last_date"], order="rank, id", limit=POS_CARD_LIMIT
        )
        return [
            {
                "product_id": preference.product_id.id,
                "qty": preference.qty,
                "rank": preference.rank,
                "last_date": fields.Datetime.to_string(preference.last_date),
            }
            for preference in preferences
        ]
