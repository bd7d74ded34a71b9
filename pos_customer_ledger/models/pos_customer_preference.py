from odoo import api, fields, models
from odoo.tools import SQL, index_exists

PREFERENCE_KINDS = ("sale", "refund")


class PosCustomerPreference(models.Model):
    """What a customer buys: one row per customer, company and product, and per
    customer, company and product category, from the lines of their ledgered
    POS orders (refunds count negative).

    Kept up to date by every posting, and rebuilt nightly by
    ``res.partner.ledger_recompute_profiles``.
    """

    _name = "pos.customer.preference"
    _description = "Customer Preference"
    _order = "partner_id, categ_id desc, rank, id"
    _log_access = False
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id")
    product_id = fields.Many2one("product.product", readonly=True, ondelete="cascade")
    categ_id = fields.Many2one(
        "product.category", string="Product Category", readonly=True, ondelete="cascade"
    )
    qty = fields.Float(string="Quantity", readonly=True, digits="Product Unit of Measure")
    amount = fields.Monetary(readonly=True, help="Spent on it, taxes included.")
    last_date = fields.Datetime(string="Last Purchase", readonly=True)
    rank = fields.Integer(
        readonly=True,
        aggregator=None,
        help="1 is what the customer buys most of (products and categories apart).",
    )
    amount_rank = fields.Integer(
        string="Rank by Amount", readonly=True, aggregator=None, help="1 is what the customer spends most on."
    )

    _sql_constraints = [
        (
            "product_or_category",
            "check ((product_id IS NULL) <> (categ_id IS NULL))",
            "A preference is either a product or a product category.",
        ),
    ]

    def _auto_init(self):
        res = super()._auto_init()
        cr = self.env.cr
        for name, column in (
            ("pos_customer_preference_product_uniq", "product_id"),
            ("pos_customer_preference_categ_uniq", "categ_id"),
        ):
            if not index_exists(cr, name):
                cr.execute(
                    SQL(
                        "CREATE UNIQUE INDEX %s ON pos_customer_preference (partner_id, company_id, %s) "
                        "WHERE %s IS NOT NULL",
                        SQL.identifier(name),
                        SQL.identifier(column),
                        SQL.identifier(column),
                    )
                )
        return res

    @api.model
    def _lines_sql(self, entry_filter):
        """Per customer, company and product: quantity, amount and last date of
        the lines of ledgered orders matching ``entry_filter`` (on ``entry``)."""
        return SQL(
            """
            SELECT entry.partner_id, entry.company_id, line.product_id, template.categ_id,
                   SUM(line.qty) AS qty, SUM(line.price_subtotal_incl) AS amount, MAX(entry.date) AS last_date
              FROM pos_customer_ledger_entry entry
              JOIN pos_order_line line ON line.order_id = entry.pos_order_id
              JOIN product_product product ON product.id = line.product_id
              JOIN product_template template ON template.id = product.product_tmpl_id
             WHERE entry.kind = ANY(%s) AND %s
             GROUP BY entry.partner_id, entry.company_id, line.product_id, template.categ_id
            """,
            list(PREFERENCE_KINDS),
            entry_filter,
        )

    @api.model
    def _apply_entries(self, entries):
        """Add the lines of newly posted orders to their customers' preferences."""
        # ids only: this runs in every till sync, and the entries were just written in SQL
        if not entries:
            return
        self.env["pos.order.line"].flush_model(["order_id", "product_id", "qty", "price_subtotal_incl"])
        self.env.execute_query(
            SQL(
                """
                WITH lines AS (%(lines)s),
                products AS (
                    INSERT INTO pos_customer_preference AS pref
                        (partner_id, company_id, product_id, qty, amount, last_date)
                    SELECT partner_id, company_id, product_id, qty, amount, last_date FROM lines
                    ON CONFLICT (partner_id, company_id, product_id) WHERE product_id IS NOT NULL
                    DO UPDATE SET
                        qty = pref.qty + EXCLUDED.qty,
                        amount = pref.amount + EXCLUDED.amount,
                        last_date = GREATEST(pref.last_date, EXCLUDED.last_date)
                )
                INSERT INTO pos_customer_preference AS pref
                    (partner_id, company_id, categ_id, qty, amount, last_date)
                SELECT partner_id, company_id, categ_id, SUM(qty), SUM(amount), MAX(last_date)
                  FROM lines WHERE categ_id IS NOT NULL
                 GROUP BY partner_id, company_id, categ_id
                ON CONFLICT (partner_id, company_id, categ_id) WHERE categ_id IS NOT NULL DO UPDATE SET
                    qty = pref.qty + EXCLUDED.qty,
                    amount = pref.amount + EXCLUDED.amount,
                    last_date = GREATEST(pref.last_date, EXCLUDED.last_date)
                """,
                lines=self._lines_sql(SQL("entry.id = ANY(%s)", entries.ids)),
            )
        )
        self._rank(
            SQL(
                "partner_id IN (SELECT partner_id FROM pos_customer_ledger_entry WHERE id = ANY(%s))",
                entries.ids,
            )
        )

    @api.model
    def _recompute(self, partner_ids=None):
        """Rebuild the preferences from the ledger in a few set-based statements."""
        self.env["pos.customer.ledger.entry"].flush_model()
        pref_filter = SQL("partner_id = ANY(%s)", list(partner_ids)) if partner_ids else SQL("TRUE")
        entry_filter = SQL("entry.partner_id = ANY(%s)", list(partner_ids)) if partner_ids else SQL("TRUE")
        self.env.execute_query(SQL("DELETE FROM pos_customer_preference WHERE %s", pref_filter))
        self.env.execute_query(
            SQL(
                """
                WITH lines AS (%(lines)s)
                INSERT INTO pos_customer_preference
                    (partner_id, company_id, product_id, categ_id, qty, amount, last_date)
                SELECT partner_id, company_id, product_id, NULL, SUM(qty), SUM(amount), MAX(last_date)
                  FROM lines GROUP BY partner_id, company_id, product_id
                UNION ALL
                SELECT partner_id, company_id, NULL, categ_id, SUM(qty), SUM(amount), MAX(last_date)
                  FROM lines WHERE categ_id IS NOT NULL GROUP BY partner_id, company_id, categ_id
                """,
                lines=self._lines_sql(entry_filter),
            )
        )
        self._rank(pref_filter)

    @api.model
    def _rank(self, pref_filter):
        self.env.execute_query(
            SQL(
                """
                UPDATE pos_customer_preference pref SET rank = ranked.rank, amount_rank = ranked.amount_rank
                  FROM (
                    SELECT id,
                           row_number() OVER (PARTITION BY partner_id, company_id, product_id IS NULL
                                              ORDER BY qty DESC, amount DESC, id) AS rank,
                           row_number() OVER (PARTITION BY partner_id, company_id, product_id IS NULL
                                              ORDER BY amount DESC, qty DESC, id) AS amount_rank
                      FROM pos_customer_preference WHERE %s
                  ) ranked
                 WHERE pref.id = ranked.id
                   AND (pref.rank IS DISTINCT FROM ranked.rank
                        OR pref.amount_rank IS DISTINCT FROM ranked.amount_rank)
                """,
                pref_filter,
            )
        )
        self.invalidate_model()
