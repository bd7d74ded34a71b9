"""Time building the ledger from existing POS orders, and verifying its chain.

Copies the database of bench_pos_sync.py that has the addon, generates N
historic paid orders (one line each, half of them on the customer account)
for M customers directly in SQL, then times in one run:

- ``pos.customer.ledger.entry.backfill()`` over those N orders;
- a bare ``INSERT ... SELECT`` of as many rows into the ledger table (rolled back);
- ``verify_chain`` over the company's whole chain, with the peak memory growth.

    ./dev.sh bench bench/bench_backfill.py --orders 100000 --customers 20000
"""

import resource
import time

from common import bench_parser, copy_database, ensure_databases, parse_args

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import SQL


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate_history(env, orders, customers):
    company = env.ref("base.main_company")
    pos_config = env.ref("point_of_sale.pos_config_main")
    session = env["pos.session"].search([("config_id", "=", pos_config.id)], order="id desc", limit=1)
    methods = pos_config.payment_method_ids
    cash = methods.filtered("is_cash_count")[:1]
    pay_later = methods.filtered(lambda m: m.type == "pay_later")[:1]
    product = env["product.product"].search([("available_in_pos", "=", True)], order="id", limit=1)
    env.cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_partner AS
            WITH inserted AS (
                INSERT INTO res_partner (name, active, type, autopost_bills, company_id)
                SELECT 'Backfill Customer ' || n, TRUE, 'contact', 'ask', NULL
                  FROM generate_series(1, %(customers)s) n
                RETURNING id
            ) SELECT id FROM inserted;
            UPDATE res_partner SET commercial_partner_id = id WHERE id IN (SELECT id FROM bench_partner);

            CREATE TEMP TABLE bench_order AS
            WITH inserted AS (
                INSERT INTO pos_order (name, company_id, session_id, partner_id, user_id, state, date_order,
                                       amount_tax, amount_total, amount_paid, amount_return, uuid)
                SELECT 'Backfill/' || n, %(company)s, %(session)s, first.id + mod(n, %(customers)s),
                       2, 'done', TIMESTAMP '2020-01-01' + n * INTERVAL '37 seconds',
                       round((10 + mod(n, 90)) * 0.09, 2), 10 + mod(n, 90), 10 + mod(n, 90), 0,
                       'backfill-' || n
                  FROM generate_series(1, %(orders)s) n, (SELECT MIN(id) AS id FROM bench_partner) first
                RETURNING id, amount_total
            ) SELECT * FROM inserted;

            INSERT INTO pos_order_line (product_id, order_id, name, qty, price_unit, price_subtotal,
                                        price_subtotal_incl, full_product_name)
            SELECT %(product)s, id, 'Backfill line', 1, amount_total, amount_total, amount_total, 'Product'
              FROM bench_order;

            INSERT INTO pos_payment (pos_order_id, payment_method_id, amount, payment_date)
            SELECT id, CASE WHEN mod(id, 2) = 0 THEN %(pay_later)s ELSE %(cash)s END, amount_total, now()
              FROM bench_order;
            ANALYZE pos_order; ANALYZE pos_order_line; ANALYZE pos_payment; ANALYZE res_partner;
            """,
            customers=customers,
            orders=orders,
            company=company.id,
            session=session.id,
            product=product.id,
            pay_later=pay_later.id,
            cash=cash.id,
        )
    )


def bare_insert(env, orders):
    """As many rows, read with the same joins, put into the ledger table by one
    INSERT ... SELECT; rolled back. The floor any backfill has to pay."""
    env.cr.execute("SAVEPOINT bare_insert")
    env.cr.execute(
        SQL(
            """
            INSERT INTO pos_customer_ledger_entry
                (name, sequence_number, company_id, partner_id, date, kind, pos_order_id, session_id,
                 config_id, user_id, amount_untaxed, amount_tax, amount_total, amount_due, balance,
                 previous_hash, entry_hash, hash_version, create_uid, create_date, write_uid, write_date)
            SELECT 'LEDG/' || o.id, 100000000 + o.id, o.company_id, p.commercial_partner_id, o.date_order,
                   'sale', o.id, o.session_id, s.config_id, o.user_id, o.amount_total - o.amount_tax,
                   o.amount_tax, o.amount_total, COALESCE(d.amount, 0), 0, md5(o.name), md5(o.uuid), 1,
                   1, now(), 1, now()
              FROM pos_order o
              JOIN res_partner p ON p.id = o.partner_id
              JOIN pos_session s ON s.id = o.session_id
              LEFT JOIN (SELECT pos_order_id, SUM(amount) AS amount FROM pos_payment GROUP BY 1) d
                ON d.pos_order_id = o.id
             WHERE o.state IN ('paid', 'done', 'invoiced')
               AND NOT EXISTS (SELECT 1 FROM pos_customer_ledger_entry e WHERE e.pos_order_id = o.id)
             ORDER BY o.date_order, o.id
             LIMIT %s
            """,
            orders,
        )
    )
    env.cr.execute("ROLLBACK TO SAVEPOINT bare_insert")


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--orders", type=int, default=100000)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the generated orders of the last run that left them unposted",
    )
    args = parse_args(parser)
    ensure_databases(args)
    if not args.reuse:
        copy_database(args.db.ledger, args.db.backfill)
    registry = Registry(args.db.backfill)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        if not args.reuse:
            began = time.perf_counter()
            generate_history(env, args.orders, args.customers)
            cr.commit()
            generated_s = time.perf_counter() - began
            print(f"generated {args.orders} orders for {args.customers} customers in {generated_s:.1f} s")

        Entry = env["pos.customer.ledger.entry"]
        pending = Entry._backfill_pending_count()
        began = time.perf_counter()
        bare_insert(env, pending)
        bare_s = time.perf_counter() - began
        cr.commit()

        began = time.perf_counter()
        created = Entry.backfill()
        cr.commit()
        backfill_s = time.perf_counter() - began

        rate = created / backfill_s
        print(f"backfill: {created} of {pending} pending orders in {backfill_s:.1f} s = {rate:,.0f} orders/s")
        print("  target: >= 10,000 orders/s")
        print(f"bare INSERT ... SELECT of {pending} rows: {bare_s:.1f} s = {pending / bare_s:,.0f} rows/s")
        print(f"ratio backfill / bare insert: {backfill_s / bare_s:.1f}x")

        env.invalidate_all()
        rss_before = max_rss_mb()
        began = time.perf_counter()
        result = Entry.verify_chain(company)
        verify_s = time.perf_counter() - began
        print(
            f"verify_chain: {result['checked']} entries in {verify_s:.1f} s, ok={result['ok']} "
            f"(target < 20 s for 1,000,000); peak memory growth {max_rss_mb() - rss_before:.0f} MB"
        )
        print(f"second backfill call created {Entry.backfill()} entries")


if __name__ == "__main__":
    main()
