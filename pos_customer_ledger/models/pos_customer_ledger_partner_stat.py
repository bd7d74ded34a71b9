from odoo import api, fields, models
from odoo.tools import SQL

VISIT_KINDS = ("sale", "refund")


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
    order_count = fields.Integer(string="Orders", readonly=True)
    total_spent = fields.Monetary(readonly=True, help="Sales net of refunds.")
    avg_basket = fields.Monetary(string="Average Basket", compute="_compute_avg_basket")
    first_date = fields.Datetime(string="First Visit", readonly=True)
    last_date = fields.Datetime(string="Last Visit", readonly=True, index=True)
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

    @api.model
    def _apply_entry_sql(self, vals):
        """SQL CTE body adding one entry to its customer's totals.

        Runs in the posting statement after the ``chain`` CTE, and only if the
        chain moved.
        """
        is_visit = vals["kind"] in VISIT_KINDS
        return SQL(
            """
            INSERT INTO pos_customer_ledger_partner_stat AS stat
                (partner_id, company_id, balance, order_count, total_spent, first_date, last_date)
            SELECT %(partner)s, chain.company_id, %(due)s, %(orders)s, %(spent)s,
                   %(visit)s::timestamp, %(visit)s::timestamp
              FROM chain
            ON CONFLICT (partner_id, company_id) DO UPDATE SET
                balance = stat.balance + EXCLUDED.balance,
                order_count = stat.order_count + EXCLUDED.order_count,
                total_spent = stat.total_spent + EXCLUDED.total_spent,
                first_date = LEAST(stat.first_date, EXCLUDED.first_date),
                last_date = GREATEST(stat.last_date, EXCLUDED.last_date)
            """,
            partner=vals["partner_id"],
            due=vals.get("amount_due") or 0.0,
            orders=1 if vals["kind"] == "sale" else 0,
            spent=(vals.get("amount_total") or 0.0) if is_visit else 0.0,
            visit=vals["date"] if is_visit else None,
        )

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
