import psycopg2

from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.pos_customer_ledger.tools.entry_hash import HASHED_FIELDS

from .common import CASHIER_GROUPS, LedgerTestCommon

# pg_constraint's action codes: a = NO ACTION, r = RESTRICT
KEEPS_THE_ROW = ("a", "r")


@tagged("post_install", "-at_install")
class TestLedgerCascades(LedgerTestCommon):
    def test_no_foreign_key_cascades_into_a_hashed_column(self):
        """Every foreign key of the entry table, as PostgreSQL enforces it: none
        may delete an entry, and none on a hashed column may change it (SET
        NULL, SET DEFAULT, ON UPDATE CASCADE), whatever field is added later."""
        keys = self.env.execute_query(
            SQL(
                """
                SELECT con.conname, att.attname, con.confdeltype, con.confupdtype
                  FROM pg_constraint con
                  JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = ANY(con.conkey)
                 WHERE con.conrelid = 'pos_customer_ledger_entry'::regclass AND con.contype = 'f'
                """
            )
        )
        columns = {column for _name, column, _delete, _update in keys}
        hashed_links = {name for name in HASHED_FIELDS if self.Entry._fields[name].type == "many2one"}
        self.assertTrue(hashed_links, "the sweep reads the hashed links")
        self.assertLessEqual(hashed_links, columns, "every hashed link is a foreign key")
        for name, column, on_delete, on_update in keys:
            self.assertNotEqual(on_delete, "c", f"{name}: a deletion elsewhere would delete entries")
            if column in HASHED_FIELDS:
                self.assertIn(on_delete, KEEPS_THE_ROW, f"{name}: ON DELETE changes hashed {column}")
                self.assertIn(on_update, KEEPS_THE_ROW, f"{name}: ON UPDATE changes hashed {column}")

    def test_deleting_a_cashier_who_posted_is_refused(self):
        cashier = self.company_user("cascade_cashier", CASHIER_GROUPS)
        data = self.create_ui_order_data([(self.product, 1)], customer=self.customer)
        data["user_id"] = cashier.id
        result = self.env["pos.order"].sync_from_ui([data])
        order = self.env["pos.order"].browse(result["pos.order"][0]["id"])
        entry = self.entries_of(order)
        self.assertEqual(entry.user_id, cashier)

        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.ForeignKeyViolation) as caught:
            cashier.unlink()
        self.assertEqual(caught.exception.diag.constraint_name, "pos_customer_ledger_entry_user_id_fkey")
        self.env.invalidate_all()
        self.assertTrue(cashier.exists())
        self.assertEqual(entry.user_id, cashier)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])
        # what Odoo offers instead keeps the ledger as it was
        cashier.action_archive()
        self.assertEqual(entry.user_id, cashier)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])
