"""PostgreSQL planner settings for one block of statements.

The settings are transaction-local (``set_config(..., true)``) and always put
back when the block ends, also when it raises: a failed report must not leave
the rest of the transaction planned differently.
"""

from contextlib import contextmanager

from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo.tools import SQL

# PostgreSQL's JIT compiles each big one-off query (a backfill chunk, the
# closing anchors) for about a second, longer than running it.
NO_JIT = {"jit": "off"}
# Reports over every customer: no JIT, no nested loops (the planner cannot know
# that most journal items of a POS database are customer receivables, and probes
# indexes hundreds of thousands of times where one hash join does), sorts in memory.
LARGE_REPORTS = {"jit": "off", "enable_nestloop": "off", "work_mem": "64MB"}
# The nightly profile rebuild: as large reports, with more memory for its sorts.
PROFILE_REBUILD = {"jit": "off", "enable_nestloop": "off", "work_mem": "256MB"}


@contextmanager
def planner_settings(cr, **settings):
    """Apply ``settings`` (name=value) to the statements run in the block, then
    restore the values they had before."""
    names = list(settings)
    cr.execute(SQL("SELECT %s", SQL(", ").join(SQL("current_setting(%s)", name) for name in names)))
    previous = dict(zip(names, cr.fetchone(), strict=True))
    _set(cr, settings)
    try:
        yield
    finally:
        # An aborted transaction accepts no statement; rolling it back (or back
        # to a savepoint taken inside the block) restores the settings anyway.
        if cr._cnx.info.transaction_status != TRANSACTION_STATUS_INERROR:
            _set(cr, previous)


def _set(cr, settings):
    cr.execute(
        SQL(
            "SELECT %s",
            SQL(", ").join(SQL("set_config(%s, %s, true)", name, value) for name, value in settings.items()),
        )
    )
