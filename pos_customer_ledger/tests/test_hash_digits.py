from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.pos_customer_ledger.models.pos_order import PosOrder

from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestLedgerHashDigits(LedgerTestCommon):
    """The hash reads nothing that can change after posting: the decimals its
    amounts are written with are frozen on each entry."""

    def setUp(self):
        super().setUp()
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.Entry.post_manual_entry("opening", self.customer, -0.05, fields.Date.today(), "Carried over")
        self.currency = self.company.currency_id

    def _entries(self):
        return self.Entry.search([("company_id", "=", self.company.id)], order="sequence_number")

    def test_more_currency_decimals_keep_posted_entries_intact(self):
        self.assertEqual(self.currency.decimal_places, 2)
        self.assertEqual(set(self._entries().mapped("hash_digits")), {2})
        # accounting allows more decimals (never fewer) once entries exist
        self.currency.write({"rounding": 0.001})
        self.assertEqual(self.currency.decimal_places, 3)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

        self.Entry.post_manual_entry("opening", self.customer, 0.125, fields.Date.today(), "Fine rounding")
        entries = self._entries()
        self.assertEqual(entries.mapped("hash_digits"), [2, 2, 3])
        self.assertAlmostEqual(entries[-1].amount_due, 0.125)
        result = self.Entry.verify_chain(self.company)
        self.assertTrue(result["ok"], result["message"])
        self.assertEqual(result["checked"], 3)

    def test_changed_hash_digits_are_changed_content(self):
        entry = self._entries()[0]
        self.env.flush_all()
        self.env.execute_query(
            SQL("UPDATE pos_customer_ledger_entry SET hash_digits = 3 WHERE id = %s", entry.id)
        )
        result = self.Entry.verify_chain(self.company)
        self.assertFalse(result["ok"])
        self.assertEqual(result["first_broken_id"], entry.id)
        self.assertIn("changed content", result["message"])

    def test_backfill_freezes_the_digits_too(self):
        with patch.object(PosOrder, "_ledger_post", lambda self: None):
            self.sync(self.other_customer)  # paid before the ledger existed
        self.currency.write({"rounding": 0.001})
        self.assertEqual(self.Entry.backfill(), 1)
        self.assertEqual(self._entries().mapped("hash_digits"), [2, 2, 3])
        result = self.Entry.verify_chain(self.company)
        self.assertTrue(result["ok"], result["message"])
