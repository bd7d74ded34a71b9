"""Time a full audit run of all rules over a large history, next to the bare SQL
that only reads the same rows.

Copies the database bench_backfill.py leaves (N orders posted to the ledger),
spreads its orders over several cashiers and closed sessions, adds refunds
(a few per hundred orders, some of them blind), discounts, costs and a few
anomalies of each kind in SQL, posts the refunds, then times in one run:

- each rule's query alone (``_audit_<code>``), with its number of findings;
- ``run_audit`` over the whole period (all active rules, flags written), with
  the peak memory growth of this process;
- a bare ``SELECT`` that reads the orders, lines and payments of the period once.

    ./dev.sh bench bench/bench_backfill.py --orders 1000000 --customers 100000
    ./dev.sh bench bench/bench_audit.py
"""

import resource
import time

from common import bench_parser, copy_backfill, parse_args

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import SQL

CASHIERS = 8
SESSIONS = 60


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def shape_history(env):
    """Cashiers, sessions, refunds, discounts and costs over the generated orders."""
    company = env.ref("base.main_company")
    config = env.ref("point_of_sale.pos_config_main")
    group = env.ref("point_of_sale.group_pos_user")
    cashiers = env["res.users"].create(
        [
            {"name": f"Bench Cashier {i}", "login": f"bench_cashier_{i}", "groups_id": [(4, group.id)]}
            for i in range(CASHIERS)
        ]
    )
    session = env["pos.session"].search([("config_id", "=", config.id)], order="id desc", limit=1)
    # closed sessions of the past: the ORM refuses a second open session of the shop
    env.cr.execute(
        SQL(
            "INSERT INTO pos_session (name, config_id, user_id, state, sequence_number, login_number) "
            "SELECT name || '/' || n, config_id, user_id, 'closed', 1, 0 "
            "FROM pos_session, generate_series(1, %s) n WHERE id = %s RETURNING id",
            SESSIONS,
            session.id,
        )
    )
    sessions = env["pos.session"].browse([session_id for (session_id,) in env.cr.fetchall()])
    cash = config.payment_method_ids.filtered("is_cash_count")[:1]
    card = config.payment_method_ids.filtered(lambda m: m.journal_id.type == "bank")[:1] or cash
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            -- the orders in date order across the sessions
            WITH ranked AS (
                SELECT id, ntile(%(sessions)s) OVER (ORDER BY date_order, id) AS slot FROM pos_order
                 WHERE name LIKE %(generated)s
            )
            UPDATE pos_order o
               SET session_id = (%(session_ids)s::int[])[ranked.slot],
                   user_id = (%(cashier_ids)s::int[])[1 + mod(o.id, %(cashiers)s)]
              FROM ranked WHERE ranked.id = o.id;
            UPDATE pos_payment p SET session_id = o.session_id,
                   payment_method_id = CASE WHEN p.payment_method_id = %(cash)s AND mod(o.id, 3) = 0
                                            THEN %(card)s ELSE p.payment_method_id END
              FROM pos_order o WHERE o.id = p.pos_order_id AND o.name LIKE %(generated)s;
            -- discounts: one line in twenty, one in five thousand beyond the cap
            UPDATE pos_order_line l
               SET discount = CASE WHEN mod(l.order_id, 5000) = 0 THEN 60 ELSE 10 END
             WHERE mod(l.order_id, 20) = 0;
            -- costs: known for every line, above the price for one in five thousand
            UPDATE pos_order_line l
               SET is_total_cost_computed = TRUE,
                   total_cost = CASE WHEN mod(l.order_id, 5000) = 7 THEN l.price_subtotal * 1.5
                                     ELSE l.price_subtotal * 0.6 END;

            -- refunds: one order in a hundred is refunded an hour later; one in ten of those blind
            CREATE TEMP TABLE bench_refund AS
            WITH inserted AS (
                INSERT INTO pos_order (name, company_id, session_id, partner_id, user_id, state, date_order,
                                       amount_tax, amount_total, amount_paid, amount_return, uuid)
                SELECT 'Refund/' || o.id, o.company_id, o.session_id, o.partner_id, o.user_id, 'done',
                       o.date_order + INTERVAL '1 hour', -o.amount_tax, -o.amount_total, -o.amount_total, 0,
                       'refund-' || o.id
                  FROM pos_order o WHERE o.name LIKE %(generated)s AND mod(o.id, 100) = 1
                RETURNING id, amount_total, substr(name, 8)::int AS origin_id
            ) SELECT * FROM inserted;
            INSERT INTO pos_order_line (product_id, order_id, name, qty, price_unit, price_subtotal,
                                        price_subtotal_incl, full_product_name, refunded_orderline_id)
            SELECT l.product_id, r.id, 'Refund line', -l.qty, l.price_unit, -l.price_subtotal,
                   -l.price_subtotal_incl, l.full_product_name,
                   CASE WHEN mod(o.id, 1000) = 1 THEN NULL ELSE l.id END
              FROM bench_refund r
              JOIN pos_order o ON o.id = r.origin_id
              JOIN pos_order_line l ON l.order_id = o.id;
            INSERT INTO pos_payment (pos_order_id, payment_method_id, amount, payment_date, session_id)
            SELECT r.id, %(cash)s, r.amount_total, now(), o.session_id
              FROM bench_refund r JOIN pos_order o ON o.id = r.id;
            -- each session closed after its last order; one in twenty counted 50 over
            UPDATE pos_session s
               SET state = 'closed', start_at = span.first, stop_at = span.last + INTERVAL '1 hour',
                   cash_register_balance_start = 0, cash_register_balance_end_real = cash.amount,
                   cash_real_transaction = 0
              FROM (SELECT session_id, MIN(date_order) AS first, MAX(date_order) AS last
                      FROM pos_order GROUP BY session_id) span,
                   LATERAL (SELECT COALESCE(SUM(amount), 0)
                                   + CASE WHEN mod(span.session_id, 20) = 0 THEN 50 ELSE 0 END AS amount
                              FROM pos_payment WHERE session_id = span.session_id
                               AND payment_method_id = %(cash)s) cash
             WHERE s.id = span.session_id AND s.id = ANY(%(session_ids)s::int[]);
            ANALYZE pos_order; ANALYZE pos_order_line; ANALYZE pos_payment; ANALYZE pos_session;
            """,
            generated="Backfill/%",
            sessions=SESSIONS,
            session_ids=sessions.ids,
            cashier_ids=cashiers.ids,
            cashiers=CASHIERS,
            cash=cash.id,
            card=card.id,
        )
    )
    env.invalidate_all()
    posted = env["pos.customer.ledger.entry"].backfill()
    print(f"shaped: {CASHIERS} cashiers, {SESSIONS} sessions; posted {posted} refunds")
    return company


def bare_read(env, start, end):
    """Read the period's orders with their lines and payments once: the floor of any rule."""
    env.cr.execute(
        SQL(
            """
            SELECT COUNT(*), SUM(lines.amount), SUM(payments.amount)
              FROM pos_order o
              JOIN LATERAL (SELECT SUM(l.price_subtotal_incl * (1 - l.discount / 100)) AS amount
                              FROM pos_order_line l WHERE l.order_id = o.id) lines ON TRUE
              JOIN LATERAL (SELECT SUM(p.amount) AS amount
                              FROM pos_payment p WHERE p.pos_order_id = o.id) payments ON TRUE
             WHERE o.company_id = %s AND o.date_order >= %s AND o.date_order < %s
            """,
            env.company.id,
            start,
            end,
        )
    )
    return env.cr.fetchone()[0]


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--reuse", action="store_true", help="reuse the shaped database of the last run")
    args = parse_args(parser)
    name = f"{args.db_prefix}audit"
    if not args.reuse:
        copy_backfill(args, name)
    registry = Registry(name)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        if not args.reuse:
            began = time.perf_counter()
            company = shape_history(env)
            cr.commit()
            print(f"shaping took {time.perf_counter() - began:.1f} s")
        company = env.ref("base.main_company")
        env = env(context={"allowed_company_ids": company.ids})
        Rule = env["pos.customer.ledger.audit.rule"].with_company(company)
        cr.execute("SELECT MIN(date_order)::date, MAX(date_order)::date, COUNT(*) FROM pos_order")
        date_from, date_to, orders = cr.fetchone()
        rules = Rule.search([("company_id", "=", company.id)])
        start, end = rules[:1]._period(date_from, date_to)
        print(f"{orders} orders from {date_from} to {date_to}; {len(rules)} active rules")

        began = time.perf_counter()
        read = bare_read(env, start, end)
        bare_s = time.perf_counter() - began
        print(f"bare read of {read} orders with their lines and payments: {bare_s:.1f} s")

        for rule in rules:
            began = time.perf_counter()
            findings = rule._findings(date_from, date_to)
            print(f"  {rule.code:<32} {time.perf_counter() - began:6.2f} s  {len(findings):6d} findings")
        env.invalidate_all()

        rss_before = max_rss_mb()
        began = time.perf_counter()
        _runs, flags = Rule._run_audit(date_from, date_to)
        run_s = time.perf_counter() - began
        cr.rollback()  # the next run starts from the same flags
        print(
            f"run_audit, all rules over {orders} orders: {run_s:.1f} s, {len(flags)} flags, "
            f"peak memory growth {max_rss_mb() - rss_before:.0f} MB (target < 60 s, flat memory); "
            f"{run_s / bare_s:.1f}x the bare read"
        )


if __name__ == "__main__":
    main()
