"""Time the finance pivot grouped by month on about 1,000,000 POS order lines,
next to the same grouping on Odoo's own POS analysis (``report.pos.order``) and
the bare SQL aggregate of the lines, from the same run; and the time the shop
dashboard takes to compute its figures on the same database.

Copies the database bench_pos_sync.py leaves with the addon installed and adds
two years of daily sales as bench_forecast.py generates them (its products,
orders and regular customers). Each grouping runs once to warm the caches,
then the best of three runs is printed.

    ./dev.sh bench bench/bench_pos_sync.py      # once: the databases it copies
    ./dev.sh bench bench/bench_finance.py [--products 13000] [--reuse]
"""

import time

from bench_forecast import sales_database
from common import bench_parser, parse_args

from odoo.tools import SQL

# the measures the finance pivot shows by default
FINANCE_MEASURES = [
    "revenue_untaxed:sum",
    "amount_tax:sum",
    "revenue_total:sum",
    "cogs:sum",
    "margin:sum",
    "margin_percent:avg",
    "order_count:sum",
    "customer_count:sum",
    "average_basket:avg",
]
# the measures of Odoo's POS analysis pivot
POS_MEASURES = ["price_total:sum", "price_subtotal_excl:sum", "margin:sum", "product_qty:sum", "__count"]


def best_of(call, runs=3):
    call()
    timings = []
    for _run in range(runs):
        began = time.perf_counter()
        result = call()
        timings.append(time.perf_counter() - began)
    return min(timings), result


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--products", type=int, default=13000)
    parser.add_argument("--reuse", action="store_true", help="reuse the database of the last run")
    args = parse_args(parser)
    with sales_database(args, f"{args.db_prefix}finance") as (env, _company, _company_today):
        cr = env.cr
        cr.execute("SELECT COUNT(*) FROM pos_order_line")
        print(f"{cr.fetchone()[0]} POS order lines in the database")

        finance_s, groups = best_of(
            lambda: env["pos.finance.report"]._read_group([], ["date:month"], FINANCE_MEASURES)
        )
        pos_s, _pos_groups = best_of(
            lambda: env["report.pos.order"]._read_group([], ["date:month"], POS_MEASURES)
        )
        bare_s, _bare = best_of(
            lambda: env.execute_query(
                SQL(
                    """
                    SELECT date_trunc('month', o.date_order), SUM(l.price_subtotal),
                           SUM(l.price_subtotal_incl), SUM(l.total_cost), COUNT(DISTINCT o.id)
                      FROM pos_order_line l JOIN pos_order o ON o.id = l.order_id
                     WHERE o.state IN ('paid', 'done', 'invoiced')
                     GROUP BY 1
                    """
                )
            )
        )
        dashboard_s, _data = best_of(env["pos.finance.dashboard"].get_dashboard_data)
        print(f"finance pivot by month ({len(groups)} months): {finance_s:.2f} s (target < 2 s)")
        print(f"report.pos.order by month: {pos_s:.2f} s")
        print(f"bare SQL aggregate of the lines: {bare_s:.2f} s")
        print(f"the shop dashboard's figures: {dashboard_s:.2f} s (target: the screen opens in < 2 s)")


if __name__ == "__main__":
    main()
