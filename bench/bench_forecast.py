"""Time the nightly demand forecast and replenishment run over two years of POS
sales of 20,000 products, next to the bare SQL that reads the same history.

Copies the database bench_pos_sync.py leaves with the addon installed, adds the
products (a share with smooth weekly-seasonal sales, the rest intermittent)
and one line per product and day it sold, about 1,000,000 lines in orders of
the main point of sale; a share of the intermittent products is also bought
by regular customers, each coming back every 7 to 21 days for the same
quantity. Then it times in one run:

- the history read alone (the run's own SQL, ``_read_history``);
- ``compute_forecasts`` (read, classify, forecast, backtest, stock figures, rows
  written), with the peak memory growth of this process;

and prints the backtest: the average MASE per class and method, with and
without the customers' rhythm, next to the seasonal naive's.

    ./dev.sh bench bench/bench_pos_sync.py      # once: the databases it copies
    ./dev.sh bench bench/bench_forecast.py [--products 20000] [--reuse]
"""

import resource
import time
from contextlib import contextmanager
from datetime import timedelta

from common import bench_parser, copy_database, ensure_databases, parse_args, run_odoo

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import SQL

DAYS = 730
ORDERS_PER_DAY = 50
SMOOTH_SHARE = 0.05  # of the products: sold every day, with a weekly pattern
INTERMITTENT_RATE = 0.05  # the others: the chance of a sale on a day
REGULAR_SHARE = 0.05  # of the products: also bought by regulars
REGULARS_PER_PRODUCT = 3


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate_sales(env, products, company_today):
    """``products`` new products and their daily sales over the last DAYS days."""
    regular_products = int(products * REGULAR_SHARE)
    regulars = env["res.partner"].create(
        [{"name": f"Forecast Regular {n}"} for n in range(regular_products * REGULARS_PER_PRODUCT)]
    )
    config = env.ref("point_of_sale.pos_config_main")
    session = env["pos.session"].search([("config_id", "=", config.id)], order="id desc", limit=1)
    template = env["product.product"].search([("available_in_pos", "=", True)], order="id", limit=1)
    first_day = company_today(env.company) - timedelta(days=DAYS)
    env.cr.execute(
        SQL(
            """
            SELECT setseed(0.42);
            CREATE TEMP TABLE bench_product AS
            WITH templates AS (
                INSERT INTO product_template (name, type, categ_id, uom_id, uom_po_id, service_tracking,
                                              tracking, sale_ok, purchase_ok, active, available_in_pos,
                                              list_price)
                SELECT jsonb_build_object('en_US', 'Forecast Bench ' || n), 'consu', t.categ_id, t.uom_id,
                       t.uom_po_id, 'no', 'none', TRUE, TRUE, TRUE, TRUE, 10
                  FROM generate_series(1, %(products)s) n, product_template t
                 WHERE t.id = %(template)s
                RETURNING id
            ), variants AS (
                INSERT INTO product_product (product_tmpl_id, active)
                SELECT id, TRUE FROM templates
                RETURNING id
            )
            SELECT id, row_number() OVER (ORDER BY id) AS n, 1 + random() * 20 AS level FROM variants;

            CREATE TEMP TABLE bench_sale AS
            SELECT p.id AS product_id, d AS day,
                   CASE WHEN p.n <= %(smooth)s
                        THEN GREATEST(0, ROUND(p.level * (0.6 + 0.8 * random())
                                               * (ARRAY[1.0, 0.8, 0.8, 0.9, 1.1, 1.6, 1.8])[1 + mod(d, 7)]))
                        WHEN random() < %(rate)s THEN 1 + FLOOR(random() * 3)
                        ELSE 0
                   END AS qty
              FROM bench_product p, generate_series(0, %(days)s - 1) d;
            DELETE FROM bench_sale WHERE qty = 0;

            CREATE TEMP TABLE bench_order AS
            WITH inserted AS (
                INSERT INTO pos_order (name, company_id, session_id, user_id, state, date_order, amount_tax,
                                       amount_total, amount_paid, amount_return, uuid)
                SELECT 'Forecast/' || d || '/' || k, %(company)s, %(session)s, 2, 'done',
                       %(first_day)s::timestamp + d * INTERVAL '1 day' + INTERVAL '12 hours', 0, 0, 0, 0,
                       'forecast-' || d || '-' || k
                  FROM generate_series(0, %(days)s - 1) d, generate_series(0, %(per_day)s - 1) k
                RETURNING id, name
            )
            SELECT id, split_part(name, '/', 2)::int AS day, split_part(name, '/', 3)::int AS k
              FROM inserted;

            INSERT INTO pos_order_line (product_id, order_id, name, qty, price_unit, price_subtotal,
                                        price_subtotal_incl, full_product_name)
            SELECT s.product_id, o.id, 'Forecast line', s.qty, 10, 10 * s.qty, 10 * s.qty, 'Product'
              FROM bench_sale s
              JOIN bench_order o ON o.day = s.day AND o.k = mod(s.product_id, %(per_day)s);

            -- the regulars: each buys one of the products after the smooth ones, every 7 to 21 days
            CREATE TEMP TABLE bench_regular AS
            SELECT r.partner_id, p.id AS product_id, r.interval, FLOOR(random() * r.interval)::int AS phase,
                   1 + FLOOR(random() * 6) AS qty
              FROM (SELECT partner_id, row_number() OVER (ORDER BY partner_id) - 1 AS n,
                           7 + FLOOR(random() * 15)::int AS interval
                      FROM unnest(%(regulars)s::int[]) partner_id) r
              JOIN bench_product p ON p.n = %(smooth)s + 1 + r.n / %(per_product)s;
            CREATE TEMP TABLE bench_visit AS
            WITH inserted AS (
                INSERT INTO pos_order (name, company_id, session_id, user_id, state, date_order, partner_id,
                                       amount_tax, amount_total, amount_paid, amount_return, uuid)
                SELECT 'Regular/' || d || '/' || r.partner_id, %(company)s, %(session)s, 2, 'done',
                       %(first_day)s::timestamp + d * INTERVAL '1 day' + INTERVAL '15 hours', r.partner_id,
                       0, 0, 0, 0, 'regular-' || d || '-' || r.partner_id
                  FROM bench_regular r, generate_series(0, %(days)s - 1) d
                 WHERE mod(d - r.phase + %(days)s, r.interval) = 0
                RETURNING id, partner_id
            )
            SELECT id, partner_id FROM inserted;
            INSERT INTO pos_order_line (product_id, order_id, name, qty, price_unit, price_subtotal,
                                        price_subtotal_incl, full_product_name)
            SELECT r.product_id, v.id, 'Forecast line', r.qty, 10, 10 * r.qty, 10 * r.qty, 'Product'
              FROM bench_visit v JOIN bench_regular r ON r.partner_id = v.partner_id;
            ANALYZE pos_order; ANALYZE pos_order_line; ANALYZE product_product; ANALYZE product_template;
            """,
            products=products,
            template=template.product_tmpl_id.id,
            smooth=int(products * SMOOTH_SHARE),
            rate=INTERMITTENT_RATE,
            days=DAYS,
            company=env.company.id,
            session=session.id,
            first_day=first_day,
            per_day=ORDERS_PER_DAY,
            regulars=regulars.ids,
            per_product=REGULARS_PER_PRODUCT,
        )
    )
    env.cr.execute("SELECT (SELECT COUNT(*) FROM bench_sale), (SELECT COUNT(*) FROM bench_visit)")
    return sum(env.cr.fetchone())


@contextmanager
def sales_database(args, name):
    """(env, company, company_today) on ``name``: a copy of the ledger database
    with two years of generated sales of ``args.products`` products, or the
    last run's with ``args.reuse`` (its addon updated to this checkout)."""
    if not args.reuse:
        ensure_databases(args)
        copy_database(args.db.ledger, name)
    else:
        run_odoo(args.config, name, "-u", "pos_customer_ledger")
    registry = Registry(name)
    # the addon's modules are importable once the registry has loaded it
    from odoo.addons.pos_customer_ledger.tools.dates import company_today  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": company.ids})
        if not args.reuse:
            began = time.perf_counter()
            lines = generate_sales(env, args.products, company_today)
            cr.commit()
            took = time.perf_counter() - began
            print(f"generated {lines} order lines of {args.products} products in {took:.1f} s")
        yield env, company, company_today


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument("--reuse", action="store_true", help="reuse the database of the last run")
    args = parse_args(parser)
    with sales_database(args, f"{args.db_prefix}forecast") as (env, company, company_today):
        cr = env.cr
        Forecast = env["pos.demand.forecast"].with_company(company)
        today = company_today(company)

        # the forecasting library's import is the process's, not the run's
        from statsforecast.models import CrostonSBA  # noqa: F401, PLC0415

        rss_before = max_rss_mb()
        began = time.perf_counter()
        rows = Forecast.compute_forecasts()
        run_s = time.perf_counter() - began
        run_mb = max_rss_mb() - rss_before
        methods = dict(Forecast._read_group([("id", "in", rows.ids)], ["method"], ["__count"]))
        accuracy = Forecast._read_group(
            [("id", "in", rows.ids), ("mase", ">", 0)],
            ["demand_class", "method"],
            ["__count", "mase:avg", "method_mase:avg", "baseline_mase:avg", "regular_qty:sum"],
        )
        used = dict(Forecast._read_group([("id", "in", rows.ids)], ["rhythm_used"], ["__count"]))
        cr.commit()

        began = time.perf_counter()
        history = Forecast._read_history(company, today - timedelta(days=730), today, None)
        bare_s = time.perf_counter() - began
        print(f"bare read of the history: {len(history)} product-warehouse series in {bare_s:.1f} s")
        print(
            f"compute_forecasts: {len(rows)} rows in {run_s:.1f} s, peak memory growth {run_mb:.0f} MB "
            f"(target < 120 s, bounded memory); {run_s / bare_s:.1f}x the bare read; methods {methods}"
        )
        print(f"customers' rhythm used in {used.get(True, 0)} rows of {len(rows)}")
        print("backtest, average MASE: class / method / series / forecast / method alone / seasonal naive")
        for demand_class, method, count, mase, method_mase, baseline, _regular in accuracy:
            print(f"  {demand_class} / {method} / {count} / {mase:.3f} / {method_mase:.3f} / {baseline:.3f}")


if __name__ == "__main__":
    main()
