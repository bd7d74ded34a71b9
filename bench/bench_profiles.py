"""Time the nightly rebuild of customer profiles on a large ledger.

Copies the database that bench_backfill.py leaves (run it first with
--orders 1000000 --customers 100000), then times
``res.partner.ledger_recompute_profiles()``: preferences, visit habits and RFM
segments of every customer, and, in the same run, the bare SQL aggregates over
the same rows (the order lines per customer and product, and the sales per
customer) that any rebuild has to read.

    ./dev.sh bench bench/bench_profiles.py [--runs 3]
"""

import argparse
import subprocess
import sys
import time

from bench_backfill import BENCH_DB
from bench_pos_sync import psql

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import SQL, config

PROFILES_DB = "bench_profiles"

BARE_SQL = SQL(
    """
    SELECT COUNT(*) FROM (
        SELECT entry.partner_id, line.product_id, SUM(line.qty), SUM(line.price_subtotal_incl), MAX(entry.date)
          FROM pos_customer_ledger_entry entry
          JOIN pos_order_line line ON line.order_id = entry.pos_order_id
         WHERE entry.kind IN ('sale', 'refund')
         GROUP BY entry.partner_id, line.product_id
    ) per_product
    UNION ALL
    SELECT COUNT(*) FROM (
        SELECT partner_id, MAX(date), COUNT(*), SUM(amount_total)
          FROM pos_customer_ledger_entry WHERE kind IN ('sale', 'refund')
         GROUP BY partner_id
    ) per_customer
    """
)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config.parse_config(["-c", args.config, "--log-level=warn"])
    if psql(BENCH_DB, "select count(*) from pos_customer_ledger_entry") in ("", "0"):
        sys.exit(
            f"{BENCH_DB} has no ledger: run bench/bench_backfill.py --orders 1000000 --customers 100000 first"
        )
    subprocess.run(["dropdb", "--if-exists", PROFILES_DB], check=True)
    subprocess.run(["createdb", "-T", BENCH_DB, PROFILES_DB], check=True)
    odoo_bin = [sys.executable, f"{config['root_path']}/../odoo-bin", "-c", args.config, "--stop-after-init"]
    subprocess.run([*odoo_bin, "-d", PROFILES_DB, "-u", "pos_customer_ledger"], check=True)
    registry = Registry(PROFILES_DB)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
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
        print(f"{preferences:,} preference rows, {segmented:,} customers with a segment, {moves:,} segment moves")
        print(
            f"rebuild: best {min(rebuild):.2f} s, worst {max(rebuild):.2f} s; "
            f"bare aggregates: best {min(bare):.2f} s; ratio (best/best) {min(rebuild) / min(bare):.1f}x"
        )
        print("targets: under 10 s, within 3x of the bare aggregates")


if __name__ == "__main__":
    main()
