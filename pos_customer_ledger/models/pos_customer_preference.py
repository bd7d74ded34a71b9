from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_unique_index

PREFERENCE_KINDS = ("sale", "refund")
# the preferences' name among the ledger's followers (pos.customer.ledger.progress)
FOLLOWER = "preferences"
# entries followed per run of the scheduled action; it runs again at once while some are left
FOLLOW_BATCH = 20000
# products and categories are ranked apart; ties fall to the lower id of the product or category
RANK_SQL = SQL(
    "row_number() OVER (PARTITION BY partner_id, company_id, product_id IS NULL "
    "ORDER BY qty DESC, amount DESC, COALESCE(product_id, categ_id))"
)
AMOUNT_RANK_SQL = SQL(
    "row_number() OVER (PARTITION BY partner_id, company_id, product_id IS NULL "
    "ORDER BY amount DESC, qty DESC, COALESCE(product_id, categ_id))"
)


class PosCustomerPreference(models.Model):
    """What a customer buys: one row per customer, company and product, and per
    customer, company and product category, from the lines of their ledgered
    POS orders (refunds count negative).

    Follow the ledger within minutes (``_follow_ledger``, a scheduled
    action), and are rebuilt nightly by ``res.partner.ledger_recompute_profiles``.
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
        # one index for products and categories, so that one upsert serves both
        create_unique_index(
            self.env.cr,
            "pos_customer_preference_uniq",
            self._table,
            ["partner_id", "company_id", "COALESCE(product_id, 0)", "COALESCE(categ_id, 0)"],
        )
        return res

    @api.model
    def _lines_sql(self, entry_filter):
        """Per customer, company and product: quantity, amount and last date of
        the lines of ledgered orders matching ``entry_filter`` (on ``entry``),
        with the product's category. The category is joined after grouping,
        on one row per customer and product rather than on every line. Sums
        run in float8, which PostgreSQL adds far faster than numeric, and are
        rounded back to 6 decimals, more than any currency or unit uses."""
        return SQL(
            """
            SELECT per_product.partner_id, per_product.company_id, per_product.product_id,
                   ROUND(per_product.qty::numeric, 6) AS qty, ROUND(per_product.amount::numeric, 6) AS amount,
                   per_product.last_date, template.categ_id
              FROM (SELECT entry.partner_id, entry.company_id, line.product_id,
                           SUM(line.qty::float8) AS qty, SUM(line.price_subtotal_incl::float8) AS amount,
                           MAX(entry.date) AS last_date
                      FROM pos_customer_ledger_entry entry
                      JOIN pos_order_line line ON line.order_id = entry.pos_order_id
                     WHERE entry.kind = ANY(%s) AND %s
                     GROUP BY entry.partner_id, entry.company_id, line.product_id) per_product
              JOIN product_product product ON product.id = per_product.product_id
              JOIN product_template template ON template.id = product.product_tmpl_id
            """,
            list(PREFERENCE_KINDS),
            entry_filter,
        )

    @api.model
    def _cron_follow_ledger(self):
        done, left = self._follow_ledger(FOLLOW_BATCH)
        self.env["ir.cron"]._notify_progress(done=done, remaining=left)

    @api.model
    def _follow_ledger(self, limit=None):
        """Bring the preferences up to the ledger: rebuild those of the
        customers with sales or refunds posted since the last run, company by
        company, following at most ``limit`` entries. Returns (entries
        followed, entries left).

        Postings leave preferences alone, which keeps the till's sync lean;
        the scheduled action catches up every few minutes, and each run
        rebuilds the customers it touches from their whole ledger, so a run
        that fails leaves nothing half applied.
        """
        Progress = self.env["pos.customer.ledger.progress"].sudo()
        self.env["pos.customer.ledger.entry"].flush_model()
        done = left = 0
        for company_id, followed, head in Progress._behind(FOLLOWER):
            until = head if limit is None else min(head, followed + max(limit - done, 0))
            if until > followed:
                partner_ids = [
                    partner_id
                    for (partner_id,) in self.env.execute_query(
                        SQL(
                            """
                            SELECT DISTINCT partner_id FROM pos_customer_ledger_entry
                             WHERE company_id = %s AND sequence_number > %s AND sequence_number <= %s
                               AND kind = ANY(%s)
                            """,
                            company_id,
                            followed,
                            until,
                            list(PREFERENCE_KINDS),
                        )
                    )
                ]
                if partner_ids:
                    self._recompute(partner_ids)
                Progress._advance(FOLLOWER, company_id, until)
                done += until - followed
            left += head - until
        return done, left

    @api.model
    def _recompute(self, partner_ids=None):
        """Rebuild the preferences from the ledger in one statement that writes
        only what differs: a nightly run after a day of postings touches few rows."""
        self.env["pos.customer.ledger.entry"].flush_model()
        self.flush_model()
        pref_filter = SQL("pref.partner_id = ANY(%s)", list(partner_ids)) if partner_ids else SQL("TRUE")
        entry_filter = SQL("entry.partner_id = ANY(%s)", list(partner_ids)) if partner_ids else SQL("TRUE")
        self.env.execute_query(
            SQL(
                """
                WITH lines AS (%(lines)s),
                totals AS (
                    SELECT partner_id, company_id, product_id, NULL::int AS categ_id, qty, amount, last_date
                      FROM lines
                    UNION ALL
                    SELECT partner_id, company_id, NULL, categ_id, SUM(qty), SUM(amount), MAX(last_date)
                      FROM lines WHERE categ_id IS NOT NULL GROUP BY partner_id, company_id, categ_id
                ), fresh AS (
                    SELECT *, %(rank)s AS rank, %(amount_rank)s AS amount_rank FROM totals
                ), diff AS MATERIALIZED (
                    -- one pass pairs the rebuilt rows with the stored ones; only differences remain
                    SELECT pref.id AS pref_id, fresh.*
                      FROM fresh
                      FULL JOIN (SELECT * FROM pos_customer_preference pref WHERE %(pref_filter)s) pref
                        ON pref.partner_id = fresh.partner_id AND pref.company_id = fresh.company_id
                       AND COALESCE(pref.product_id, 0) = COALESCE(fresh.product_id, 0)
                       AND COALESCE(pref.categ_id, 0) = COALESCE(fresh.categ_id, 0)
                     WHERE pref.id IS NULL OR fresh.partner_id IS NULL
                        OR (pref.qty, pref.amount, pref.last_date, pref.rank, pref.amount_rank)
                           IS DISTINCT FROM
                           (fresh.qty, fresh.amount, fresh.last_date, fresh.rank, fresh.amount_rank)
                ), updated AS (
                    UPDATE pos_customer_preference pref
                       SET qty = diff.qty, amount = diff.amount, last_date = diff.last_date,
                           rank = diff.rank, amount_rank = diff.amount_rank
                      FROM diff
                     WHERE pref.id = diff.pref_id AND diff.partner_id IS NOT NULL
                ), deleted AS (
                    DELETE FROM pos_customer_preference pref
                     USING diff
                     WHERE pref.id = diff.pref_id AND diff.partner_id IS NULL
                )
                INSERT INTO pos_customer_preference
                    (partner_id, company_id, product_id, categ_id, qty, amount, last_date, rank, amount_rank)
                SELECT partner_id, company_id, product_id, categ_id, qty, amount, last_date, rank, amount_rank
                  FROM diff
                 WHERE pref_id IS NULL
                """,
                lines=self._lines_sql(entry_filter),
                rank=RANK_SQL,
                amount_rank=AMOUNT_RANK_SQL,
                pref_filter=pref_filter,
            )
        )
        self.invalidate_model()
