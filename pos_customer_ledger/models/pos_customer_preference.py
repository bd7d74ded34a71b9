from collections import defaultdict
from itertools import chain

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_unique_index

PREFERENCE_KINDS = ("sale", "refund")
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
    def _apply_postings(self, postings):
        """Add the lines of newly posted orders to their customers' preferences
        and re-rank them: this runs in every till sync.

        ``postings`` are the posted values of the orders' entries, with their
        lines as (product, category, quantity, amount) read once by the order
        (pos.order._prepare_ledger_postings). Two plain statements (read the
        customers' rows, upsert what changed) with the merge and the ranking
        done here: PostgreSQL spent longer planning one statement doing it all
        than running it, and Odoo's connection pool discards cached plans
        between transactions. Safe because the posting holds the company's
        chain lock until the transaction ends.
        """
        increments = defaultdict(lambda: [0.0, 0.0, None])
        for posting in postings:
            if posting["kind"] not in PREFERENCE_KINDS or not posting.get("pos_order_id"):
                continue
            partner, company, date = posting["partner_id"], posting["company_id"], posting["date"]
            for product, categ, qty, amount in posting.get("lines") or ():
                for key in ((partner, company, product, None), (partner, company, None, categ)):
                    if key[2] or key[3]:
                        increment = increments[key]
                        increment[0] += qty
                        increment[1] += amount
                        increment[2] = max(increment[2] or date, date)
        if not increments:
            return
        customers = sorted({key[:2] for key in increments})
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, company_id, product_id, categ_id, qty, amount, rank, amount_rank
                  FROM pos_customer_preference
                 WHERE (partner_id, company_id) IN (VALUES %s)
                """,
                SQL(", ".join(["(%s, %s)"] * len(customers)), *chain.from_iterable(customers)),
            )
        )
        totals = {tuple(row[:4]): [row[4], row[5]] for row in rows}
        old_ranks = {tuple(row[:4]): (row[6], row[7]) for row in rows}
        for key, (qty, amount, _date) in increments.items():
            total = totals.setdefault(key, [0.0, 0.0])
            total[0] += qty
            total[1] += amount
        partitions = defaultdict(list)
        for key, (qty, amount) in totals.items():
            partner, company, product, categ = key
            partitions[(partner, company, product is None)].append((key, qty, amount, product or categ))
        ranks = {}
        for members in partitions.values():
            by_qty = sorted(members, key=lambda m: (-m[1], -m[2], m[3]))
            by_amount = sorted(members, key=lambda m: (-m[2], -m[1], m[3]))
            amount_rank = {m[0]: position for position, m in enumerate(by_amount, 1)}
            for position, member in enumerate(by_qty, 1):
                ranks[member[0]] = (position, amount_rank[member[0]])
        changed = [key for key in totals if key in increments or old_ranks.get(key) != ranks[key]]
        self.env.execute_query(
            SQL(
                """
                INSERT INTO pos_customer_preference AS pref
                    (partner_id, company_id, product_id, categ_id, qty, amount, last_date, rank, amount_rank)
                VALUES %s
                ON CONFLICT (partner_id, company_id, COALESCE(product_id, 0), COALESCE(categ_id, 0))
                DO UPDATE SET
                    qty = pref.qty + EXCLUDED.qty,
                    amount = pref.amount + EXCLUDED.amount,
                    last_date = GREATEST(pref.last_date, EXCLUDED.last_date),
                    rank = EXCLUDED.rank,
                    amount_rank = EXCLUDED.amount_rank
                """,
                SQL(
                    ", ".join(["(%s, %s, %s, %s, %s, %s, %s::timestamp, %s, %s)"] * len(changed)),
                    *chain.from_iterable(
                        (*key, *(increments[key] if key in increments else (0.0, 0.0, None)), *ranks[key])
                        for key in changed
                    ),
                ),
            )
        )
        self.invalidate_model()

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
