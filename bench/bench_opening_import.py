"""Time importing opening balances from a large XLSX file.

Copies the database of bench_pos_sync.py that has the addon, generates N
customers with an internal reference directly in SQL (or reuses those of the
last run), writes an N-row XLSX file (customer, amount, date, reason), then
times in one run:

- reading the file, validating its rows and posting the entries, each phase
  on its own (the postings rolled back);
- the whole import as a user runs it: the wizard queues the file, the
  scheduled action imports it, committed;
- ``verify_chain`` over the company's chain afterwards.

    ./dev.sh bench bench/bench_opening_import.py --rows 100000
"""

import base64
import io
import os
import time
from datetime import date, timedelta

import xlsxwriter
from common import bench_parser, copy_database, ensure_databases, parse_args, psql, run_odoo

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import SQL

REF_PREFIX = "OPEN-"


def generate_customers(env, first, last):
    env.cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, ref, active, type, autopost_bills, company_id)
            SELECT 'Opening Customer ' || n, %(prefix)s || lpad(n::text, 7, '0'), TRUE, 'contact', 'ask', NULL
              FROM generate_series(%(first)s, %(last)s) n;
            UPDATE res_partner SET commercial_partner_id = id
             WHERE ref LIKE %(pattern)s AND commercial_partner_id IS NULL;
            ANALYZE res_partner;
            """,
            prefix=REF_PREFIX,
            pattern=f"{REF_PREFIX}%",
            first=first,
            last=last,
        )
    )


def write_xlsx(rows):
    """An XLSX file as Excel writes it: references as text, amounts as numbers, dates as dates."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True})
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["customer", "amount", "date", "reason"])
    first_day = date(2026, 1, 1)
    for n in range(1, rows + 1):
        sheet.write_string(n, 0, f"{REF_PREFIX}{n:07d}")
        sheet.write_number(n, 1, round((n % 997) * 1.37 - 300, 2) or 1)
        sheet.write_datetime(n, 2, first_day + timedelta(days=n % 28), date_format)
        sheet.write_string(n, 3, f"Balance of the old till, card {n}")
    workbook.close()
    return buffer.getvalue()


def timed(function, *args):
    """The result, and the wall-clock seconds of this process."""
    began = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - began


def backend_cpu(cr):
    """CPU seconds used so far by the PostgreSQL process serving ``cr``, when the
    server runs on this machine; else 0."""
    cr.execute("SELECT pg_backend_pid()")
    try:
        with open(f"/proc/{cr.fetchone()[0]}/stat") as stat:
            user, system = stat.read().rsplit(")", 1)[1].split()[11:13]
    except OSError:
        return 0.0
    return (int(user) + int(system)) / os.sysconf("SC_CLK_TCK")


def cpu_timed(cr, function, *args):
    """The result, the wall-clock seconds, and the CPU seconds of this process
    and of its PostgreSQL server process: on a busy machine the wall clock
    mostly measures waiting for a core."""
    began, began_cpu, began_db = time.perf_counter(), time.process_time(), backend_cpu(cr)
    result = function(*args)
    wall, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    return result, wall, cpu, backend_cpu(cr) - began_db


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--reuse", action="store_true", help="reuse the customers of the last run")
    args = parse_args(parser)
    ensure_databases(args)
    db = args.db.opening_import
    if args.reuse:
        run_odoo(args.config, db, "-u", "pos_customer_ledger")
    else:
        copy_database(args.db.ledger, db)
    registry = Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        present = int(psql(db, f"select count(*) from res_partner where ref like '{REF_PREFIX}%'") or 0)
        if present < args.rows:
            _, generated_s = timed(generate_customers, env, present + 1, args.rows)
            cr.commit()
            print(f"generated {args.rows - present} customers in {generated_s:.1f} s")
        # every run starts from a ledger without these openings
        cr.execute(SQL("SELECT COUNT(*) FROM pos_customer_ledger_entry WHERE kind = 'opening'"))
        if cr.fetchone()[0]:
            raise SystemExit(f"{db} already holds opening balances: run without --reuse")
        cr.execute("DELETE FROM pos_customer_ledger_import")  # left by an interrupted run

        content, write_s = timed(write_xlsx, args.rows)
        print(f"wrote a {args.rows}-row XLSX file of {len(content) / 1024 / 1024:.1f} MB in {write_s:.1f} s")

        admin = env.ref("base.user_admin")
        company = env.ref("base.main_company")
        user_env = env(user=admin.id, context={"allowed_company_ids": company.ids})
        wizard = user_env["pos.customer.ledger.opening.import.wizard"].create(
            {"file": base64.b64encode(content), "filename": "openings.xlsx", "company_id": company.id}
        )

        # the phases one by one, rolled back
        cr.execute("SAVEPOINT phases")
        imported = user_env["pos.customer.ledger.import"].create(
            {"name": "openings.xlsx", "company_id": company.id, "file": wizard.file, "date": wizard.date,
             "reason": wizard.reason}
        )  # fmt: skip
        rows, *read = cpu_timed(cr, imported._read_rows)
        (vals_list, errors, _lines), *validate = cpu_timed(cr, imported._validate_rows, rows)
        entries, *post = cpu_timed(cr, user_env["pos.customer.ledger.entry"]._post_bulk, vals_list)
        cr.execute("ROLLBACK TO SAVEPOINT phases")
        env.invalidate_all()
        for label, (wall, cpu, db_cpu) in (
            (f"read {len(rows)} rows", read),
            (f"validated them ({len(errors)} errors)", validate),
            (f"posted {len(entries)} entries", post),
            ("  read + validate + post", [sum(phase) for phase in zip(read, validate, post, strict=True)]),
        ):
            print(f"{label}: {wall:.1f} s; CPU {cpu:.1f} s in Python + {db_cpu:.1f} s in PostgreSQL")
        print("  target: < 30 s for 100,000 rows")

        # the whole path: the wizard queues, the scheduled action imports
        began = time.perf_counter()
        action = wizard.action_import()
        cr.commit()
        queue_s = time.perf_counter() - began
        began = time.perf_counter()
        for _run in range(2):  # as the scheduler runs it: marks the import running, then imports it
            env["pos.customer.ledger.import"]._cron_import()
            cr.commit()
        cron_s = time.perf_counter() - began
        imported = env["pos.customer.ledger.import"].browse(action.get("res_id"))
        print(
            f"wizard: {queue_s:.1f} s to queue ({action['res_model']}); scheduled action: {cron_s:.1f} s, "
            f"state {imported.state}, {imported.entry_count} entries"
        )

        env.invalidate_all()
        result, verify_s = timed(env["pos.customer.ledger.entry"].verify_chain, company)
        print(f"verify_chain: {result['checked']} entries in {verify_s:.1f} s, ok={result['ok']}")


if __name__ == "__main__":
    main()
