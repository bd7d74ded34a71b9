"""Time the accountant's reports on a large ledger.

Copies the database that bench_backfill.py leaves (run it first with
--orders 1000000 --customers 100000), books the customer-account part of its
orders on the customers' receivable in one session journal entry, settles a
fifth of those items by half with bank payments, then times:

- ``pos.customer.ledger.entry.reconcile_with_accounting()`` for the company;
- aged dues for every customer (``pos.customer.ledger.aging.get_aged_dues``),
  and the Aged Dues list (snapshot, first page, count);
- the bare SQL aggregate of the ledger's dues per customer and session.

    ./dev.sh bench bench/bench_accounting.py
"""

import time

from common import bench_parser, copy_backfill, parse_args

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import SQL


def book_receivables(env):
    """The session's journal entry in SQL: a receivable item per customer-account
    payment, and bank payments settling a fifth of them by half."""
    company = env.ref("base.main_company")
    session = env["pos.session"].search(
        [("config_id", "=", env.ref("point_of_sale.pos_config_main").id)], limit=1
    )
    journal = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "general")], limit=1
    )
    bank = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
    partner = env["res.partner"].search([("name", "=like", "Backfill Customer %")], limit=1)
    receivable = partner.with_company(company).property_account_receivable_id
    env.cr.execute(
        SQL(
            """
            WITH session_move AS (
                INSERT INTO account_move
                    (journal_id, currency_id, company_id, state, move_type, auto_post, date, name)
                VALUES (%(journal)s, %(currency)s, %(company)s, 'posted', 'entry', 'no', CURRENT_DATE - 1,
                        'BENCH/SESSION')
                RETURNING id
            ), bank_move AS (
                INSERT INTO account_move
                    (journal_id, currency_id, company_id, state, move_type, auto_post, date, name)
                VALUES (%(bank)s, %(currency)s, %(company)s, 'posted', 'entry', 'no', CURRENT_DATE - 1,
                        'BENCH/BANK')
                RETURNING id
            ), booked AS (
                UPDATE pos_session SET move_id = (SELECT id FROM session_move) WHERE id = %(session)s
            )
            INSERT INTO account_move_line (move_id, currency_id, display_type, account_id, partner_id,
                                           company_id, journal_id, date, parent_state, balance, debit, credit,
                                           amount_currency, amount_residual, amount_residual_currency, name)
            SELECT (SELECT id FROM session_move), %(currency)s, 'product', %(receivable)s, o.partner_id,
                   %(company)s, %(journal)s, CURRENT_DATE - 1, 'posted', p.amount, p.amount, 0, p.amount,
                   p.amount, p.amount, 'bench ' || p.id
              FROM pos_payment p
              JOIN pos_order o ON o.id = p.pos_order_id
              JOIN pos_payment_method m ON m.id = p.payment_method_id
             WHERE o.session_id = %(session)s AND m.journal_id IS NULL
            """,
            journal=journal.id,
            bank=bank.id,
            currency=company.currency_id.id,
            company=company.id,
            session=session.id,
            receivable=receivable.id,
        )
    )
    env.cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_settled AS
            SELECT line.id AS debit_id, line.partner_id, round(line.balance / 2, 2) AS amount
              FROM account_move_line line
              JOIN account_move move ON move.id = line.move_id AND move.name = 'BENCH/SESSION'
             WHERE mod(line.id, 5) = 0;
            CREATE TEMP TABLE bench_credit AS
            WITH inserted AS (
                INSERT INTO account_move_line (move_id, currency_id, display_type, account_id, partner_id,
                                               company_id, journal_id, date, parent_state, balance, debit,
                                               credit, amount_currency, amount_residual,
                                               amount_residual_currency, name)
                SELECT (SELECT id FROM account_move WHERE name = 'BENCH/BANK'), %(currency)s, 'product',
                       %(receivable)s, partner_id, %(company)s, %(bank)s, CURRENT_DATE - 1, 'posted', -amount,
                       0, amount, -amount, 0, 0, 'bench payment ' || debit_id
                  FROM bench_settled
                RETURNING id, name
            ) SELECT id, substr(name, 15)::int AS debit_id FROM inserted;
            INSERT INTO account_partial_reconcile
                (debit_move_id, credit_move_id, amount, debit_amount_currency, credit_amount_currency,
                 company_id, max_date, debit_currency_id, credit_currency_id)
            SELECT s.debit_id, c.id, s.amount, s.amount, s.amount, %(company)s, CURRENT_DATE - 1,
                   %(currency)s, %(currency)s
              FROM bench_settled s JOIN bench_credit c ON c.debit_id = s.debit_id;
            UPDATE account_move_line line SET amount_residual = line.balance - s.amount
              FROM bench_settled s WHERE s.debit_id = line.id;
            ANALYZE account_move_line; ANALYZE account_partial_reconcile; ANALYZE pos_customer_ledger_entry;
            """,
            currency=company.currency_id.id,
            company=company.id,
            bank=bank.id,
            receivable=receivable.id,
        )
    )
    return session


def timed(label, func, runs=3):
    times, result = [], None
    for _run in range(runs):
        began = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - began)
    print(f"{label}: best {min(times):.2f} s, worst {max(times):.2f} s over {runs} runs")
    return result


def main():
    args = parse_args(bench_parser(__doc__))
    copy_backfill(args, args.db.accounting)
    registry = Registry(args.db.accounting)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        Entry = env["pos.customer.ledger.entry"]
        began = time.perf_counter()
        book_receivables(env)
        cr.commit()
        print(
            f"booked the session's receivables and settlements in SQL in {time.perf_counter() - began:.1f} s"
        )
        [(entries, customers, lines, partials)] = env.execute_query(
            SQL(
                """
                SELECT (SELECT COUNT(*) FROM pos_customer_ledger_entry),
                       (SELECT COUNT(*) FROM pos_customer_ledger_partner_stat),
                       (SELECT COUNT(*) FROM account_move_line),
                       (SELECT COUNT(*) FROM account_partial_reconcile)
                """
            )
        )
        print(
            f"{entries:,} ledger entries, {customers:,} customers, {lines:,} journal items, "
            f"{partials:,} partials"
        )

        differences = timed("reconcile_with_accounting (whole company)", Entry.reconcile_with_accounting)
        print(f"  {len(differences)} differences (settlements made in SQL post no ledger payment entries)")
        aging = timed("aged dues, every customer", env["pos.customer.ledger.aging"].get_aged_dues)
        print(f"  {len(aging):,} customers with dues")

        def aging_list():
            wizard = env["pos.customer.ledger.aging.wizard"].create({})
            domain = wizard.action_view()["domain"]
            Aging = env["pos.customer.ledger.aging"]
            return Aging.search_fetch(domain, ["partner_id", "balance"], limit=80), Aging.search_count(domain)

        timed("Aged Dues list: snapshot, first page and count", aging_list)

        def bare():
            return env.execute_query(
                SQL(
                    "SELECT partner_id, session_id, SUM(amount_due) FROM pos_customer_ledger_entry "
                    "GROUP BY partner_id, session_id"
                )
            )

        timed("bare SQL: the ledger's dues per customer and session", bare)
        print("targets: reconcile_with_accounting and aged dues each under 5 s")


if __name__ == "__main__":
    main()
