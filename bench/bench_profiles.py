"""Time the nightly rebuild of customer profiles on a large ledger.

Copies the database that bench_backfill.py leaves (run it first with
--orders 1000000 --customers 100000) and reshapes its generated history to look
like a shop's: the last sale yesterday, so that most of it falls in the RFM
window; each customer buying a few favourite products among the POS products;
every other order with a second line. Then it times
``res.partner.ledger_recompute_profiles()``: preferences, visit habits and RFM
segments of every customer, and, in the same run, the bare SQL aggregates over
the same rows: the same groupings (order lines per customer and product and
category, sales per customer and day and hour, payments per customer and
method, recency/frequency/monetary facts per customer), without the ranking,
the JSON counters or the writes.

    ./dev.sh bench bench/bench_profiles.py [--runs 3]
"""

import time

from common import bench_parser, copy_backfill, parse_args, psql

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import SQL

# The groupings the rebuild needs, without ranking, JSON or writes: lines per
# customer and product and per customer and category, sales per customer and
# day and per customer and hour, payments per customer and method, and the
# recency, frequency and monetary facts per customer.
BARE_SQL = SQL(
    """
    WITH lines AS (
        SELECT entry.partner_id, line.product_id, template.categ_id, line.qty, line.price_subtotal_incl,
               entry.date
          FROM pos_customer_ledger_entry entry
          JOIN pos_order_line line ON line.order_id = entry.pos_order_id
          JOIN product_product product ON product.id = line.product_id
          JOIN product_template template ON template.id = product.product_tmpl_id
         WHERE entry.kind IN ('sale', 'refund')
    )
    SELECT (SELECT COUNT(*) FROM (SELECT partner_id, product_id, SUM(qty), SUM(price_subtotal_incl), MAX(date)
                                    FROM lines GROUP BY 1, 2) per_product),
           (SELECT COUNT(*) FROM (SELECT partner_id, categ_id, SUM(qty), SUM(price_subtotal_incl), MAX(date)
                                    FROM lines GROUP BY 1, 2) per_category),
           (SELECT COUNT(*) FROM (SELECT partner_id, date::date, COUNT(*) FROM pos_customer_ledger_entry
                                   WHERE kind = 'sale' GROUP BY 1, 2) per_day),
           (SELECT COUNT(*) FROM (SELECT partner_id, extract(hour FROM date), COUNT(*)
                                    FROM pos_customer_ledger_entry
                                   WHERE kind = 'sale' GROUP BY 1, 2) per_hour),
           (SELECT COUNT(*) FROM (SELECT entry.partner_id, payment.payment_method_id, COUNT(*)
                                    FROM pos_customer_ledger_entry entry
                                    JOIN pos_payment payment ON payment.pos_order_id = entry.pos_order_id
                                   WHERE entry.kind = 'sale' GROUP BY 1, 2) per_method),
           (SELECT COUNT(*) FROM (SELECT partner_id, MAX(date), COUNT(*), SUM(amount_total)
                                    FROM pos_customer_ledger_entry WHERE kind IN ('sale', 'refund')
                                   GROUP BY 1) per_customer)
    """
)


# The copy's ledger is rewritten in place, which the addon forbids through the
# ORM: the hash chain of the copy is not what is measured here.
RESHAPE_SQL = """
SET session_replication_role = replica;
CREATE TEMP TABLE bench_order AS
    SELECT id, partner_id FROM pos_order WHERE name LIKE 'Backfill/%';
CREATE TEMP TABLE bench_product AS
    SELECT array_agg(product.id ORDER BY product.id) AS ids
      FROM product_product product
      JOIN product_template template ON template.id = product.product_tmpl_id
     WHERE template.available_in_pos AND product.active;
UPDATE pos_order o
   SET date_order = o.date_order + (SELECT current_date - 1 - MAX(date_order)::date
                                      FROM pos_order WHERE name LIKE 'Backfill/%') * INTERVAL '1 day'
  FROM bench_order WHERE bench_order.id = o.id;
UPDATE pos_customer_ledger_entry entry SET date = o.date_order
  FROM bench_order JOIN pos_order o ON o.id = bench_order.id
 WHERE entry.pos_order_id = bench_order.id;
UPDATE pos_order_line line
   SET product_id = bench_product.ids[1 + (bench_order.partner_id * 7 + bench_order.id % 3)
                                      % cardinality(bench_product.ids)]
  FROM bench_order, bench_product WHERE line.order_id = bench_order.id;
INSERT INTO pos_order_line (product_id, order_id, name, qty, price_unit, price_subtotal,
                            price_subtotal_incl, full_product_name)
SELECT bench_product.ids[1 + (bench_order.partner_id * 7 + 3 + bench_order.id % 5)
                         % cardinality(bench_product.ids)],
       bench_order.id, 'Backfill line', 2, 2.5, 5, 5, 'Product'
  FROM bench_order, bench_product WHERE bench_order.id % 2 = 0;
"""


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parse_args(parser)
    copy_backfill(args, args.db.profiles)
    from odoo.addons.pos_customer_ledger.tools.planner import (  # noqa: PLC0415 - needs the addons path
        PROFILE_REBUILD,
        planner_settings,
    )

    began = time.perf_counter()
    psql(args.db.profiles, RESHAPE_SQL, check=True)
    psql(args.db.profiles, "VACUUM ANALYZE", check=True)
    print(f"history reshaped in {time.perf_counter() - began:.0f} s")
    registry = Registry(args.db.profiles)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        # the customers' totals follow the moved dates
        env["pos.customer.ledger.partner.stat"]._recompute_from_entries()
        cr.commit()
        [(entries, lines, customers)] = env.execute_query(
            SQL(
                """
                SELECT (SELECT COUNT(*) FROM pos_customer_ledger_entry),
                       (SELECT COUNT(*) FROM pos_order_line),
                       (SELECT COUNT(*) FROM pos_customer_ledger_partner_stat)
                """
            )
        )
        print(f"{entries:,} ledger entries, {lines:,} order lines, {customers:,} customers")
        rebuild, bare = [], []
        for _run in range(args.runs):
            began = time.perf_counter()
            env["res.partner"].ledger_recompute_profiles()
            cr.commit()
            rebuild.append(time.perf_counter() - began)
            began = time.perf_counter()
            with planner_settings(cr, **PROFILE_REBUILD):
                env.execute_query(BARE_SQL)
            bare.append(time.perf_counter() - began)
            print(f"run {_run + 1}: rebuild {rebuild[-1]:.2f} s, bare aggregates {bare[-1]:.2f} s")
        [(preferences, segmented, moves)] = env.execute_query(
            SQL(
                """
                SELECT (SELECT COUNT(*) FROM pos_customer_preference),
                       (SELECT COUNT(*) FROM res_partner WHERE rfm_segment IS NOT NULL),
                       (SELECT COUNT(*) FROM pos_customer_segment_history)
                """
            )
        )
        print(
            f"{preferences:,} preference rows, {segmented:,} customers with a segment, "
            f"{moves:,} segment moves"
        )
        print(
            f"rebuild: best {min(rebuild):.2f} s, worst {max(rebuild):.2f} s; "
            f"bare aggregates: best {min(bare):.2f} s; ratio (best/best) {min(rebuild) / min(bare):.1f}x"
        )
        print("targets: under 10 s, within 3x of the bare aggregates")


if __name__ == "__main__":
    main()
