from contextlib import suppress

import psycopg2

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.pos_customer_ledger.tools.planner import planner_settings


class ReportFailed(Exception):
    pass


@tagged("post_install", "-at_install")
class TestPlannerSettings(TransactionCase):
    """Planner settings hold inside their block only, whatever happens in it.
    No assertRaises here: its savepoint would restore the settings by itself."""

    def setting(self, name="work_mem"):
        return self.env.execute_query(SQL("SELECT current_setting(%s)", name))[0][0]

    def test_settings_hold_inside_the_block_only(self):
        before = self.setting(), self.setting("enable_nestloop")
        with planner_settings(self.env.cr, work_mem="77MB", enable_nestloop="off"):
            self.assertEqual((self.setting(), self.setting("enable_nestloop")), ("77MB", "off"))
        self.assertEqual((self.setting(), self.setting("enable_nestloop")), before)

    def test_an_error_in_the_block_restores_the_settings(self):
        before = self.setting()
        with suppress(ReportFailed), planner_settings(self.env.cr, work_mem="77MB"):
            raise ReportFailed
        self.assertEqual(self.setting(), before)

    @mute_logger("odoo.sql_db")
    def test_a_database_error_in_the_block_is_raised_as_it_is(self):
        """An aborted statement is raised itself, not hidden behind the restore
        failing on the aborted transaction; rolling back restores the settings."""
        before = self.setting()
        raised = None
        try:
            with self.env.cr.savepoint(), planner_settings(self.env.cr, work_mem="77MB"):
                self.env.cr.execute("SELECT 1 / 0")
        except psycopg2.Error as error:
            raised = error
        self.assertIsInstance(raised, psycopg2.errors.DivisionByZero)
        self.assertEqual(self.setting(), before)
        # a database error caught inside the block leaves it in force until the block ends
        with planner_settings(self.env.cr, work_mem="77MB"):
            with suppress(psycopg2.errors.DivisionByZero), self.env.cr.savepoint():
                self.env.cr.execute("SELECT 1 / 0")
            self.assertEqual(self.setting(), "77MB")
        self.assertEqual(self.setting(), before)
