import math
import operator as py_operator
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, ormcache

from ..tools.access import RIGHTS, ledger_right
from ..tools.dates import company_today
from .pos_customer_ledger_partner_stat import VISIT_PROFILE_FIELDS
from .pos_customer_ledger_statement_mail import STATEMENT_MAIL_BATCH
from .pos_customer_segment_history import RFM_SEGMENTS

# the ledger's fields on a contact: for those who may see the ledger
LEDGER_GROUP = RIGHTS["view"]
OPERATORS = {
    "=": py_operator.eq,
    "!=": py_operator.ne,
    "<": py_operator.lt,
    "<=": py_operator.le,
    ">": py_operator.gt,
    ">=": py_operator.ge,
}

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]


# how each kind of the ledger's fields on a contact is filled
FILLED_BY = {
    # the customer's totals over the active companies
    "stats": {"compute": "_compute_ledger_stats"},
    # the visit profile in the current company
    "profile": {"compute": "_compute_ledger_profile"},
    # written by the RFM scoring run, per company; stored for filters and group-bys
    "scoring": {"company_dependent": True, "readonly": True},
}


def ledger_field(field_type, filled_by, *args, **attributes):
    """A field of the ledger on a contact, for those who may see the ledger,
    filled as ``FILLED_BY[filled_by]`` says."""
    return field_type(*args, groups=LEDGER_GROUP, **FILLED_BY[filled_by], **attributes)


class ResPartner(models.Model):
    _inherit = "res.partner"

    ledger_currency_id = ledger_field(fields.Many2one, "stats", "res.currency")
    ledger_balance = ledger_field(
        fields.Monetary,
        "stats",
        currency_field="ledger_currency_id",
        search="_search_ledger_balance",
        help="What the customer owes the shop on their POS customer account; negative when "
        "they are in credit (see Ledger Credit).",
    )
    ledger_credit = ledger_field(
        fields.Monetary,
        "stats",
        currency_field="ledger_currency_id",
        help="What the shop owes the customer: paid into their customer account beyond their dues "
        "(a deposit) and not spent yet. A negative ledger balance.",
    )
    ledger_order_count = ledger_field(fields.Integer, "stats", string="Ledger Orders")
    ledger_has_history = ledger_field(
        fields.Boolean, "stats", string="Has Ledger History", help="The customer has ledger entries."
    )
    ledger_total_spent = ledger_field(
        fields.Monetary,
        "stats",
        string="Total Spent",
        currency_field="ledger_currency_id",
        help="POS sales net of refunds.",
    )
    ledger_avg_basket = ledger_field(
        fields.Monetary, "stats", string="Average Basket", currency_field="ledger_currency_id"
    )
    ledger_first_date = ledger_field(fields.Datetime, "stats", string="First Visit")
    ledger_last_date = ledger_field(fields.Datetime, "stats", string="Last Visit")
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
    # products and categories are ranked apart, each from 1: shown as two lists
    ledger_favourite_product_ids = fields.One2many(
        "pos.customer.preference",
        "partner_id",
        string="Favourite Products",
        domain=[("product_id", "!=", False), ("rank", "<=", 10)],
        groups=LEDGER_GROUP,
    )
    ledger_favourite_category_ids = fields.One2many(
        "pos.customer.preference",
        "partner_id",
        string="Favourite Categories",
        domain=[("categ_id", "!=", False), ("rank", "<=", 10)],
        groups=LEDGER_GROUP,
    )

    rfm_recency_score = ledger_field(
        fields.Integer,
        "scoring",
        string="Recency Score",
        aggregator="avg",
        help="1 to 5: how recently the customer bought. With 50 customers or more who bought in the "
        "window, by quintile among them; with fewer, quintiles mean little, so by the shop's rhythm "
        "(the median interval between its customers' visits): within 1, 2, 4 or 8 rhythms scores 5, 4, 3 "
        "or 2, longer ago 1.",
    )
    rfm_frequency_score = ledger_field(
        fields.Integer,
        "scoring",
        string="Frequency Score",
        aggregator="avg",
        help="1 to 5: how often the customer bought in the scoring window. With 50 customers or more, "
        "by quintile; with fewer, by number of sales: 12 or more 5, 6 or more 4, 3 or more 3, 2 scores 2, "
        "1 scores 1.",
    )
    rfm_monetary_score = ledger_field(
        fields.Integer,
        "scoring",
        string="Monetary Score",
        aggregator="avg",
        help="1 to 5: how much the customer spent in the scoring window. With 50 customers or more, "
        "by quintile; with fewer, against the median customer: twice or more 5, 1.25 times 4, "
        "0.8 times 3, half 2, less 1.",
    )
    rfm_segment = ledger_field(
        fields.Selection,
        "scoring",
        RFM_SEGMENTS,
        string="Segment",
        help="Customer segment from the recency and frequency scores, recomputed nightly.",
    )
    ledger_segment_history_ids = fields.One2many(
        "pos.customer.segment.history", "partner_id", string="Segment History", groups=LEDGER_GROUP
    )
    ledger_preferred_payment_method_id = ledger_field(
        fields.Many2one, "profile", "pos.payment.method", string="Preferred Payment Method"
    )
    ledger_preferred_weekday = ledger_field(fields.Selection, "profile", WEEKDAYS, string="Preferred Weekday")
    ledger_preferred_hour = ledger_field(
        fields.Integer,
        "profile",
        string="Preferred Hour",
        help="Local hour of the day (0-23) at which the customer buys most often.",
    )
    ledger_preferred_hour_label = ledger_field(
        fields.Char,
        "profile",
        string="Preferred Time",
        help="Local hour of the day at which the customer buys most often, e.g. 16:00 for 16:00-16:59.",
    )
    ledger_visit_count = ledger_field(fields.Integer, "profile", string="Visit Days")
    ledger_visit_interval = ledger_field(
        fields.Float,
        "profile",
        string="Usual Interval (Days)",
        digits=(16, 1),
        help="Average number of days between two visits.",
    )
    ledger_visit_interval_spread = ledger_field(
        fields.Float,
        "profile",
        string="Interval Spread (Days)",
        digits=(16, 1),
        help="Standard deviation of the days between two visits.",
    )
    ledger_next_visit_date = ledger_field(fields.Date, "profile", string="Expected Next Visit")
    ledger_churn_risk = ledger_field(
        fields.Boolean,
        "profile",
        string="Churn Risk",
        search="_search_ledger_churn_risk",
        help="The customer's last visit is longer ago than the company's churn factor times "
        "their usual interval between visits.",
    )
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

    def write(self, vals):
        family = self.browse()
        if "parent_id" in vals or "is_company" in vals:
            family = self.sudo().with_context(active_test=False).search([("id", "child_of", self.ids)])
        commercial = {partner.id: partner.commercial_partner_id.id for partner in family}
        result = super().write(vals)
        Fact = self.env["pos.finance.fact"].sudo()
        # the finance summaries hold each order under its customer's company, its day in the company's zone
        moved = [
            partner.id for partner in family if partner.commercial_partner_id.id != commercial[partner.id]
        ]
        if moved:
            Fact._unsummarize_orders("o.partner_id = ANY(%s)", moved)
        if "tz" in vals:
            companies = self.env["res.company"].sudo().search([("partner_id", "in", self.ids)])
            if companies:
                Fact._unsummarize_orders("o.company_id = ANY(%s)", companies.ids)
        return result

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
        today = company_today(company)

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
            partner.ledger_preferred_hour_label = f"{hour:02d}:00" if hour is not None else False
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
                today=company_today(company),
                factor=company.ledger_churn_factor,
            )
        )
        ids = [partner_id for (partner_id,) in at_risk]
        positive = (operator == "=") == value
        return [("commercial_partner_id", "in" if positive else "not in", ids)]

    @api.model
    @ormcache()
    def _ledger_field_names(self):
        """The partner's fields that postings change: its entries and what is
        computed from its totals and habits (preferences follow later, in
        their own scheduled action)."""
        return ["ledger_entry_ids"] + [
            name
            for name, field in self._fields.items()
            if name.startswith("ledger_") and field.compute and not field.store
        ]

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
            partner.ledger_has_history = partner.commercial_partner_id.id in stats
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
        """What this customer owes in the company of a point of sale (the till's
        settlement of dues)."""
        self.ensure_one()
        return self.env["pos.customer.ledger.pos.card"]._dues(self, config_id)

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
        statement = self.env["pos.customer.ledger.statement.wizard"]._statement_of(
            self, date_from, date_to, statement_type
        )
        return self.env["ir.actions.report"]._render_xlsx(
            "pos_customer_ledger.action_report_customer_statement_xlsx", statement.ids, data=None
        )[0]

    @ledger_right("audit")
    def ledger_statement_pdf(self, date_from, date_to, statement_type="activity"):
        """The same statements as one PDF, each in its customer's language under
        the company's letterhead."""
        statement = self.env["pos.customer.ledger.statement.wizard"]._statement_of(
            self, date_from, date_to, statement_type
        )
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "pos_customer_ledger.action_report_customer_statement", statement.ids
        )
        return content

    @ledger_right("audit")
    def ledger_segment_xlsx(self):
        """The customers in ``self`` as an XLSX contact list with their segment,
        scores and ledger figures in the current company."""
        return self.env["report.pos_customer_ledger.segment_xlsx"]._render_partners(
            self.commercial_partner_id
        )

    @api.model
    def _cron_send_ledger_statements(self, batch_size=STATEMENT_MAIL_BATCH):
        """The scheduled action's entry point (existing databases' action calls it)."""
        return self.env["pos.customer.ledger.statement.mail"]._send_due_statements(batch_size)

    @api.model
    @ledger_right("manage")
    def ledger_recompute_profiles(self, partner_ids=None):
        """Rebuild what the ledger knows of the customers (all of them, or
        ``partner_ids``) from their ledger: see pos.customer.ledger.profile._rebuild."""
        self.env["pos.customer.ledger.profile"]._rebuild(partner_ids)
        return True

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

    @ledger_right("manage")
    def action_ledger_anonymize(self):
        """Anonymise the customers: personal data replaced by a pseudonym, the
        ledger kept (see pos.customer.ledger.anonymization)."""
        return self.env["pos.customer.ledger.anonymization"]._anonymize(self)

    @ledger_right("view")
    def ledger_pos_card(self, config_id=None):
        """The customer's ledger card at the till (see pos.customer.ledger.pos.card)."""
        self.ensure_one()
        return self.env["pos.customer.ledger.pos.card"]._card(self, config_id)
