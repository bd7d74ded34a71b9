from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import dates
from ..tools.access import ledger_right
from ..tools.payment_terms import term_due_date_sql
from ..tools.planner import LARGE_REPORTS, planner_settings
from ..tools.posting_rules import owes_sql

AGING_BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


class PosCustomerLedgerAging(models.TransientModel):
    """Aged dues per customer and company as of a date, one snapshot per
    request of the Aged Dues wizard, so that the list reads stored rows.

    A customer's payments and credits settle their oldest dues first. A
    pay-later sale is due by the customer's payment terms (else the company's
    ledger payment terms), as its invoice would be; an invoiced one on its
    invoice's due date; anything else on its own date.
    """

    _name = "pos.customer.ledger.aging"
    _description = "Customer Aged Dues"
    _order = "balance desc, id"
    _rec_name = "partner_id"

    wizard_id = fields.Many2one(
        "pos.customer.ledger.aging.wizard", required=True, ondelete="cascade", index=True
    )
    aging_date = fields.Date(string="As of", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    balance = fields.Monetary(
        string="Dues", readonly=True, help="What the customer owes; zero when in credit."
    )
    credit = fields.Monetary(
        readonly=True, help="Paid into the customer account beyond the dues (a deposit) and not spent yet."
    )
    not_due = fields.Monetary(readonly=True)
    days_1_30 = fields.Monetary(string="1-30 Days", readonly=True)
    days_31_60 = fields.Monetary(string="31-60 Days", readonly=True)
    days_61_90 = fields.Monetary(string="61-90 Days", readonly=True)
    days_over_90 = fields.Monetary(string="Over 90 Days", readonly=True)
    oldest_due_date = fields.Date(readonly=True)

    @api.model
    def _snapshot(self, wizard):
        """Store the aged dues as of the wizard's date, in one statement."""
        self.env.flush_all()
        columns = (
            "company_id",
            "partner_id",
            "aging_date",
            "balance",
            "credit",
            *AGING_BUCKETS,
            "oldest_due_date",
        )
        column_sql = SQL(", ").join(SQL.identifier(column) for column in columns)
        with planner_settings(self.env.cr, **LARGE_REPORTS):
            self.env.execute_query(
                SQL(
                    """
                    INSERT INTO pos_customer_ledger_aging
                        (wizard_id, %(columns)s, create_uid, create_date, write_uid, write_date)
                    SELECT %(wizard)s, %(columns)s, %(uid)s, %(now)s, %(uid)s, %(now)s FROM (%(aging)s) aging
                    """,
                    columns=column_sql,
                    wizard=wizard.id,
                    uid=self.env.uid,
                    now=self.env.cr.now(),
                    aging=self._aging_sql(wizard.date),
                )
            )
        self.invalidate_model()

    @api.model
    def _open_items_sql(self, date, partner_ids=None):
        """The dues still open at ``date`` of every customer who owes or is owed:
        (stat_id, company_id, partner_id, balance, entry_id, due_date, amount,
        open_amount), with entry_id NULL when nothing is open (a credit).

        Payments and credits settle the oldest dues first, so what is open is
        the newest dues that add up to the balance. The balance at ``date`` is
        the customer's running total less what was posted since. Days (the
        end of ``date``, an entry's day) are each company's.
        """
        companies = self.env.companies
        # (company, end of ``date`` in UTC, time zone, currency rounding, payment terms
        # of a customer who has none of their own)
        zones = [
            (
                company.id,
                dates.day_start(company, date + timedelta(days=1)),
                dates.company_tz_name(company),
                company.currency_id.rounding,
                self._default_payment_term(company).id or None,
            )
            for company in companies
        ]

        def for_partners(column):
            return (
                SQL("AND %s = ANY(%s)", SQL.identifier(*column.split(".")), list(partner_ids))
                if partner_ids
                else SQL()
            )

        return SQL(
            """
            WITH zones (company_id, until, tz, rounding, term_id) AS (VALUES %(zones)s),
            since AS (
                SELECT entry.company_id, entry.partner_id, SUM(entry.amount_due) AS amount
                  FROM pos_customer_ledger_entry entry
                  JOIN zones ON zones.company_id = entry.company_id
                 -- the constant bound lets the date index find the few entries since
                 WHERE entry.date >= %(earliest)s AND entry.date >= zones.until %(entry_partners)s
                 GROUP BY entry.company_id, entry.partner_id
            ), balances AS (
                SELECT stat.id AS stat_id, stat.company_id, stat.partner_id,
                       stat.balance - COALESCE(since.amount, 0) AS balance
                  FROM pos_customer_ledger_partner_stat stat
                  LEFT JOIN since ON since.company_id = stat.company_id AND since.partner_id = stat.partner_id
                 WHERE stat.company_id = ANY(%(companies)s) %(stat_partners)s
            ), dues AS (
                SELECT entry.company_id, entry.partner_id, entry.id, entry.amount_due, balances.balance,
                       entry.kind, invoice.invoice_date_due, %(entry_day)s AS entry_day,
                       COALESCE(partner_term.id, zones.term_id) AS term_id,
                       COALESCE(SUM(entry.amount_due) OVER (
                           PARTITION BY entry.company_id, entry.partner_id
                           ORDER BY entry.date DESC, entry.id DESC
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS newer_dues
                  FROM pos_customer_ledger_entry entry
                  JOIN balances
                    ON balances.company_id = entry.company_id AND balances.partner_id = entry.partner_id
                  JOIN zones ON zones.company_id = entry.company_id
                  JOIN res_partner partner ON partner.id = entry.partner_id
                  LEFT JOIN account_payment_term partner_term
                    ON partner_term.id = (partner.property_payment_term_id ->> entry.company_id::text)::int
                  LEFT JOIN account_move invoice
                    ON invoice.id = entry.move_id AND invoice.move_type = 'out_invoice'
                       AND invoice.invoice_date_due IS NOT NULL
                 WHERE entry.amount_due > 0 AND entry.date < zones.until AND %(owes)s
            )
            SELECT balances.stat_id, balances.company_id, balances.partner_id, balances.balance,
                   dues.id AS entry_id,
                   -- computed for the open dues only
                   CASE WHEN dues.invoice_date_due IS NOT NULL THEN dues.invoice_date_due
                        WHEN dues.kind = 'sale' THEN %(term_due)s
                        ELSE dues.entry_day
                   END AS due_date,
                   dues.amount_due AS amount,
                   COALESCE(LEAST(dues.amount_due, balances.balance - dues.newer_dues), 0)
                       AS open_amount
              FROM balances
              LEFT JOIN dues
                ON dues.company_id = balances.company_id AND dues.partner_id = balances.partner_id
               AND dues.newer_dues < balances.balance
             WHERE balances.balance <> 0
            """,
            zones=SQL(", ").join(
                SQL("(%s, %s::timestamp, %s, %s::numeric, %s::int)", *zone) for zone in zones
            ),
            earliest=min(zone[1] for zone in zones),
            entry_day=dates.local_date_sql(SQL("entry.date"), SQL("zones.tz")),
            term_due=term_due_date_sql(SQL("dues.term_id"), SQL("dues.entry_day")),
            owes=owes_sql(SQL("balances.balance"), SQL("zones.rounding")),
            companies=companies.ids,
            entry_partners=for_partners("entry.partner_id"),
            stat_partners=for_partners("stat.partner_id"),
        )

    @api.model
    def _default_payment_term(self, company):
        """The payment terms of ``company``'s customers who have none of their own:
        the default of the customer field if one is set (ir.default), else the
        ledger's setting."""
        Partner = self.env["res.partner"].with_company(company)
        fallback = Partner._fields["property_payment_term_id"].get_company_dependent_fallback(Partner)
        return fallback or company.ledger_payment_term_id

    @api.model
    def _aging_sql(self, date, partner_ids=None):
        return SQL(
            """
            SELECT company_id, partner_id, %(date)s::date AS aging_date,
                   -- a negative balance is a credit (a deposit), not a negative due
                   GREATEST(balance, 0) AS balance, GREATEST(-balance, 0) AS credit,
                   COALESCE(SUM(open_amount) FILTER (WHERE due_date >= %(date)s), 0) AS not_due,
                   COALESCE(SUM(open_amount) FILTER (WHERE %(date)s - due_date BETWEEN 1 AND 30), 0)
                       AS days_1_30,
                   COALESCE(SUM(open_amount) FILTER (WHERE %(date)s - due_date BETWEEN 31 AND 60), 0)
                       AS days_31_60,
                   COALESCE(SUM(open_amount) FILTER (WHERE %(date)s - due_date BETWEEN 61 AND 90), 0)
                       AS days_61_90,
                   COALESCE(SUM(open_amount) FILTER (WHERE %(date)s - due_date > 90), 0)
                       AS days_over_90,
                   MIN(due_date) AS oldest_due_date
              FROM (%(items)s) items
             GROUP BY stat_id, company_id, partner_id, balance
            """,
            date=date,
            items=self._open_items_sql(date, partner_ids),
        )

    @api.model
    @ledger_right("audit")
    def get_aged_dues(self, date=None, partner_ids=None):
        """Aged dues as of ``date`` as a list of dicts, largest dues first, then
        largest credits: ``balance`` (what is due, the sum of the buckets) and
        ``credit`` (paid beyond the dues), never both."""
        date = fields.Date.to_date(date) if date else dates.company_today(self.env.company)
        self.env.flush_all()
        with planner_settings(self.env.cr, **LARGE_REPORTS):
            rows = self.env.execute_query_dict(
                SQL(
                    "SELECT * FROM (%s) aging ORDER BY balance DESC, credit DESC, partner_id",
                    self._aging_sql(date, partner_ids),
                )
            )
        for row in rows:
            row.pop("aging_date")
        return rows

    @api.model
    @ledger_right("audit")
    def aged_dues_xlsx(self, date=None):
        """Aged dues of every customer as of ``date``, as XLSX bytes."""
        wizard = self.env["pos.customer.ledger.aging.wizard"].create(
            {"date": fields.Date.to_date(date) or dates.company_today(self.env.company)}
        )
        return wizard._render_xlsx()
