"""Time the finance pivot grouped by month on about 1,000,000 POS order lines,
next to the same grouping on Odoo's own POS analysis (``report.pos.order``) and
the bare SQL aggregate of the lines, from the same run; and the time the shop
dashboard takes to compute its figures on the same database.

Copies the database bench_pos_sync.py leaves with the addon installed and adds
two years of daily sales as bench_forecast.py generates them (its products,
orders and regular customers), in one closed session per day, each order paid
in cash or by card. The sessions are summed as the closing sums them
(``pos.finance.fact``; the time is printed), and the pivot is timed again with
today's session open and read live. Each grouping runs once to warm the caches,
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


def split_into_daily_sessions(env):
    """Move the generated orders into one closed session per day and pay each
    one in full, in cash or, one order in three, by card."""
    config = env.ref("point_of_sale.pos_config_main")
    methods = config.payment_method_ids
    cash = methods.filtered("is_cash_count")[:1]
    card = (methods - cash).filtered(lambda method: method.journal_id.type == "bank")[:1]
    env.cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_session AS
            WITH days AS (
                SELECT DISTINCT date_order::date AS day FROM pos_order
                 WHERE name LIKE %(forecast)s OR name LIKE %(regular)s
            ), inserted AS (
                INSERT INTO pos_session (name, config_id, user_id, state, start_at, stop_at)
                SELECT 'Finance Bench/' || day, %(config)s, 2, 'closed', day + INTERVAL '8 hours',
                       day + INTERVAL '22 hours'
                  FROM days
                RETURNING id, start_at::date AS day
            )
            SELECT * FROM inserted;
            UPDATE pos_order o SET session_id = s.id
              FROM bench_session s
             WHERE (o.name LIKE %(forecast)s OR o.name LIKE %(regular)s)
               AND s.day = o.date_order::date;
            UPDATE pos_order o SET amount_total = t.total, amount_paid = t.total
              FROM (SELECT order_id, SUM(price_subtotal_incl) AS total
                      FROM pos_order_line GROUP BY order_id) t
             WHERE t.order_id = o.id AND o.session_id IN (SELECT id FROM bench_session);
            INSERT INTO pos_payment (pos_order_id, session_id, payment_method_id, amount, payment_date)
            SELECT o.id, o.session_id, CASE WHEN mod(o.id, 3) = 0 THEN %(card)s ELSE %(cash)s END,
                   o.amount_total, o.date_order
              FROM pos_order o WHERE o.session_id IN (SELECT id FROM bench_session);
            ANALYZE pos_session; ANALYZE pos_order; ANALYZE pos_payment;
            """,
            config=config.id,
            cash=cash.id,
            card=card.id or cash.id,
            forecast="Forecast/%",
            regular="Regular/%",
        )
    )


def summarize_sessions(env):
    """Sum every closed session as the cron does, batch after batch; returns the seconds it took."""
    Fact = env["pos.finance.fact"]
    Session = env["pos.session"]
    Fact._unsummarize(Session.search([]))
    env.cr.commit()
    began = time.perf_counter()
    while Fact._summarize(
        Session.search([("state", "=", "closed"), ("finance_summarized", "!=", True)], limit=200)
    ):
        env.cr.commit()
    return time.perf_counter() - began


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--products", type=int, default=13000)
    parser.add_argument("--reuse", action="store_true", help="reuse the database of the last run")
    args = parse_args(parser)
    with sales_database(args, f"{args.db_prefix}finance") as (env, _company, _company_today):
        cr = env.cr
        if not env["pos.session"].search_count([("name", "like", "Finance Bench/")]):
            split_into_daily_sessions(env)
            cr.commit()
        summary_s = summarize_sessions(env)
        cr.execute("SELECT COUNT(*) FROM pos_order_line")
        lines = cr.fetchone()[0]
        cr.execute("SELECT COUNT(*) FROM pos_finance_fact")
        rows = cr.fetchone()[0]
        cr.execute("SELECT COUNT(*) FROM pos_session WHERE state = 'closed'")
        print(f"{lines} POS order lines in {cr.fetchone()[0]} closed sessions")
        print(f"summing the sessions: {summary_s:.1f} s, {rows} summary rows")

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

        # today's session open: its figures read live, next to the summaries
        Fact = env["pos.finance.fact"]
        today = env["pos.session"].search([("name", "like", "Finance Bench/")], order="id desc", limit=1)
        Fact._unsummarize(today)
        today.write({"state": "opened"})
        open_s, _groups = best_of(
            lambda: env["pos.finance.report"]._read_group([], ["date:month"], FINANCE_MEASURES)
        )
        # every session read live, as without the summaries
        Fact._unsummarize(env["pos.session"].search([]))
        cr.execute("ANALYZE pos_session")  # as autovacuum would, once that many rows changed
        live_s, _groups = best_of(
            lambda: env["pos.finance.report"]._read_group([], ["date:month"], FINANCE_MEASURES), runs=1
        )
        cr.rollback()
        print(f"finance pivot by month ({len(groups)} months): {finance_s:.2f} s (target < 2 s)")
        print(f"  the same with today's session open, read live: {open_s:.2f} s")
        print(f"  the same with no session summed, all read live: {live_s:.2f} s")
        print(f"report.pos.order by month: {pos_s:.2f} s")
        print(f"bare SQL aggregate of the lines: {bare_s:.2f} s")
        print(f"the shop dashboard's figures: {dashboard_s:.2f} s (target: the screen opens in < 2 s)")


if __name__ == "__main__":
    main()
