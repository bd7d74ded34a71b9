"""What the benchmark scripts share: their command line, the Odoo configuration
and the databases they create, all named with one prefix (``--db-prefix``) so
that runs from different checkouts do not use each other's databases."""

import argparse
import re
import subprocess
import sys

import odoo
from odoo import api
from odoo.modules.registry import Registry
from odoo.tools import config

DEFAULT_DB_PREFIX = "bench_"


class BenchDatabases:
    """The benchmarks' database names for one prefix."""

    def __init__(self, prefix):
        self.base = f"{prefix}sync_base"  # point_of_sale and demo data
        self.ledger = f"{prefix}sync_ledger"  # the same with pos_customer_ledger
        self.backfill = f"{prefix}backfill"  # a copy of ledger with generated history
        self.accounting = f"{prefix}accounting"  # a copy of backfill with booked receivables
        self.profiles = f"{prefix}profiles"  # a copy of backfill for the profile rebuild
        self.opening_import = f"{prefix}opening_import"  # a copy of ledger with many customers


def db_prefix(value):
    if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
        raise argparse.ArgumentTypeError(
            f"{value!r}: a database name prefix is lower-case letters, digits and underscores"
        )
    return value


def bench_parser(doc):
    """The arguments every benchmark takes; add the script's own, then call parse_args."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    parser.add_argument(
        "--db-prefix",
        type=db_prefix,
        default=DEFAULT_DB_PREFIX,
        help="prefix of the databases the benchmark creates and uses (default: %(default)s)",
    )
    return parser


def parse_args(parser):
    """Parse the command line and load the Odoo configuration; ``args.db`` holds
    the database names."""
    args = parser.parse_args()
    config.parse_config(["-c", args.config, "--log-level=warn"])
    args.db = BenchDatabases(args.db_prefix)
    return args


def psql(db, query, check=False):
    return subprocess.run(
        ["psql", "-X", "-Atq", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", query],
        capture_output=True,
        text=True,
        check=check,
    ).stdout.strip()


def run_odoo(conf, db, *options):
    """Run odoo-bin on ``db`` until its modules are installed or updated."""
    command = [sys.executable, f"{config['root_path']}/../odoo-bin", "-c", conf, "--stop-after-init"]
    subprocess.run([*command, "-d", db, *options], check=True)


def copy_database(template, name):
    """(Re)create ``name`` as a copy of ``template``."""
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-T", template, name], check=True)


def copy_backfill(args, name):
    """(Re)create ``name`` as a copy of the large ledger bench_backfill.py leaves,
    with the addon updated to this checkout's code."""
    if psql(args.db.backfill, "select count(*) from pos_customer_ledger_entry") in ("", "0"):
        sys.exit(
            f"{args.db.backfill} has no ledger: run bench/bench_backfill.py --orders 1000000 "
            "--customers 100000 first"
        )
    copy_database(args.db.backfill, name)
    run_odoo(args.config, name, "-u", "pos_customer_ledger")


def ensure_databases(args):
    """The two databases of bench_pos_sync.py, with and without the addon;
    created once, the addon updated on later runs."""
    installed = "select state from ir_module_module where name = '%s'"
    if psql(args.db.base, installed % "point_of_sale") != "installed":
        subprocess.run(["dropdb", "--if-exists", args.db.base], check=True)
        run_odoo(args.config, args.db.base, "-i", "point_of_sale")
    if psql(args.db.ledger, installed % "pos_customer_ledger") != "installed":
        copy_database(args.db.base, args.db.ledger)
        run_odoo(args.config, args.db.ledger, "-i", "pos_customer_ledger")
    else:  # a database left by older code
        run_odoo(args.config, args.db.ledger, "-u", "pos_customer_ledger")


class MainTill:
    """The main point of sale of one database's demo data, with an open
    session, as its admin: what a benchmark's till syncs orders into.
    Subclasses configure the point of sale before its session opens
    (_configure) and add their own data (_set_up)."""

    def __init__(self, dbname):
        self.registry = Registry(dbname)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            env = env(user=env.ref("base.user_admin"))
            pos_config = env.ref("point_of_sale.pos_config_main")
            if not pos_config.current_session_id:
                self._configure(env, pos_config)
                pos_config.open_ui()
                pos_config.current_session_id.set_opening_control(0, None)
            self.uid = env.uid
            self.session_id = pos_config.current_session_id.id
            self.pricelist_id = pos_config.pricelist_id.id
            self.cash_id = pos_config.payment_method_ids.filtered("is_cash_count")[:1].id
            self._set_up(env, pos_config)

    def _configure(self, env, pos_config):
        """Set up ``pos_config`` before its session opens."""

    def _set_up(self, env, pos_config):
        """Create or find the benchmark's own data."""
