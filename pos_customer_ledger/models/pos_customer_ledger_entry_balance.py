from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Per customer and company: the running balance in date order (as statements
# read it) and whether the entry is dated before one posted earlier.
DATE_ORDER_SQL = """
    SUM(entry.amount_due) OVER (
        PARTITION BY entry.partner_id, entry.company_id ORDER BY entry.date, entry.sequence_number
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS balance_by_date,
    COALESCE(entry.date < MAX(entry.date) OVER (
        PARTITION BY entry.partner_id, entry.company_id ORDER BY entry.sequence_number
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), FALSE) AS is_backdated
"""


class PosCustomerLedgerEntry(models.Model):
    """The balance in date order, the one statements show, beside ``balance``,
    the balance in posting order hashed with the entry (the audit trail). They
    differ once an entry is dated before entries the customer had already:
    an opening balance, a till that synced late, an adjustment."""

    _inherit = "pos.customer.ledger.entry"

    balance_by_date = fields.Monetary(
        string="Balance",
        compute="_compute_balance_by_date",
        aggregator=None,
        help="What the customer owes after this entry, their entries taken in date order: "
        "the running balance of their statement.",
    )
    is_backdated = fields.Boolean(
        string="Back-dated",
        compute="_compute_balance_by_date",
        search="_search_is_backdated",
        help="Dated before an entry of the same customer that was posted earlier (an opening "
        "balance, a late till sync, an adjustment): the balance in date order and the balance "
        "in posting order differ from here on.",
    )

    def _compute_balance_by_date(self):
        # one pass over the entries of the customers being read
        ids = [entry_id for entry_id in self.ids if isinstance(entry_id, int)]
        rows = {}
        if ids:
            self.flush_model(["partner_id", "company_id", "date", "sequence_number", "amount_due"])
            rows = {
                entry_id: (balance, backdated)
                for entry_id, balance, backdated in self.env.execute_query(
                    SQL(
                        """
                        WITH customers AS (
                            SELECT DISTINCT partner_id, company_id
                              FROM pos_customer_ledger_entry WHERE id = ANY(%(ids)s)
                        ), running AS (
                            SELECT entry.id, %(date_order)s
                              FROM pos_customer_ledger_entry entry
                              JOIN customers USING (partner_id, company_id)
                        )
                        SELECT id, balance_by_date, is_backdated FROM running WHERE id = ANY(%(ids)s)
                        """,
                        ids=ids,
                        date_order=SQL(DATE_ORDER_SQL),
                    )
                )
            }
        for entry in self:
            balance, backdated = rows.get(entry.id, (0.0, False))
            entry.balance_by_date = entry.currency_id.round(float(balance or 0.0))
            entry.is_backdated = backdated

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        # lists sort on the balance in date order: the customer's dues up to the entry
        if fname == "balance_by_date":
            return SQL(
                """(SELECT COALESCE(SUM(earlier.amount_due), 0)
                      FROM pos_customer_ledger_entry earlier
                     WHERE earlier.partner_id = %(partner)s AND earlier.company_id = %(company)s
                       AND (earlier.date, earlier.sequence_number) <= (%(date)s, %(sequence)s))""",
                partner=SQL.identifier(alias, "partner_id"),
                company=SQL.identifier(alias, "company_id"),
                date=SQL.identifier(alias, "date"),
                sequence=SQL.identifier(alias, "sequence_number"),
            )
        return super()._field_to_sql(alias, fname, query, flush)

    def _search_is_backdated(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Back-dated entries are searched with = True or = False."))
        backdated = SQL(
            "(SELECT id FROM (SELECT entry.id, %s FROM pos_customer_ledger_entry entry) entries "
            "WHERE is_backdated)",
            SQL(DATE_ORDER_SQL),
        )
        return [("id", "in" if (operator == "=") == value else "not in", backdated)]

    @api.model
    def _invalidate_after_posting(self):
        # a back-dated posting changes the balance in date order of later entries
        res = super()._invalidate_after_posting()
        self.invalidate_model(["balance_by_date", "is_backdated"], flush=False)
        return res
