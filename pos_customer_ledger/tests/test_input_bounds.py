from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import LedgerTestCommon

# 1e15 loses the cents of a 2-decimal currency, Odoo rounds 9999999999999.95 to
# ...96; 1e20 is stored as another number
BAD_AMOUNTS = (float("nan"), float("inf"), float("-inf"), 9999999999999.95, 1e15, -1e15, 1e20, "abc")
AMOUNT_REFUSAL = "is not an amount|is too large"
DATE_REFUSAL = "is not a date|is not a plausible date"


@tagged("post_install", "-at_install")
class TestLedgerInputBounds(LedgerTestCommon):
    """Every door an amount or a date enters the ledger by refuses what the
    ledger cannot hold exactly, with its own message, and writes nothing; the
    till's implausible dates are flagged, never posted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_adjustment_journal()
        cls.today = fields.Date.context_today(cls.env.user)
        cls.cash_journal = cls.cash_pm1.journal_id

    def setUp(self):
        super().setUp()
        # dues in the journals to settle, so that only the input can be the reason for a refusal
        self.sync(self.customer, qty=3, payments=[(self.pay_later_pm, 32.1)])
        self.close_session()
        self.open_new_session()

    def _written(self):
        chain = self.env["pos.customer.ledger.chain"].search([("company_id", "=", self.company.id)])
        return {
            "entries": self.Entry.search_count([]),
            "moves": self.env["account.move"].search_count([]),
            "payments": self.env["account.payment"].search_count([]),
            "orders": self.env["pos.order"].search_count([]),
            "pos payments": self.env["pos.payment"].search_count([]),
            "chain head": (chain.last_sequence, chain.last_hash),
        }

    def _adjustment_wizard(self, amount=25.0, date=None):
        return (
            self.env["pos.customer.ledger.adjustment.wizard"]
            .create(
                {
                    "kind": "adjustment",
                    "partner_id": self.customer.id,
                    "amount": amount,
                    "date": date or self.today,
                    "reason": "Input bounds",
                }
            )
            .action_post()
        )

    def _till_order(self, amount=None, date_order=None):
        data = self.create_ui_order_data([(self.product, 1)], customer=self.customer)
        if amount is not None:
            data.update(amount_total=amount, amount_paid=amount)
            data["payment_ids"][0][2]["amount"] = amount
        if date_order:
            data["date_order"] = date_order
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def _amount_doors(self):
        Entry = self.Entry
        return {
            "adjustment wizard": lambda amount: self._adjustment_wizard(amount=amount),
            "post_manual_entry adjustment": lambda amount: Entry.post_manual_entry(
                "adjustment", self.customer, amount, self.today, "Input bounds"
            ),
            "post_manual_entry opening": lambda amount: Entry.post_manual_entry(
                "opening", self.other_customer, amount, self.today, "Input bounds"
            ),
            "settle_dues": lambda amount: Entry.settle_dues(self.customer, amount, self.cash_journal),
            "till sync_from_ui": lambda amount: self._till_order(amount=amount),
        }

    def assertRefused(self, door, call, message):
        before = self._written()
        with self.assertRaisesRegex(UserError, message), self.env.cr.savepoint():
            call()
        self.env.invalidate_all()
        self.assertEqual(self._written(), before, f"{door} wrote something")

    def test_every_amount_door_refuses_what_the_ledger_cannot_hold(self):
        doors = self._amount_doors()
        for door, call in doors.items():
            for amount in BAD_AMOUNTS:
                with self.subTest(door=door, amount=amount):
                    self.assertRefused(door, lambda call=call, amount=amount: call(amount), AMOUNT_REFUSAL)
        # each door still takes a good amount, so the refusals are the input's
        for door, call in doors.items():
            with self.subTest(door=door, amount="good"):
                call(10.0)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_the_largest_exact_amount_posts_and_verifies(self):
        with self.assertRaisesRegex(UserError, "is too large"):
            self.Entry.post_manual_entry("opening", self.other_customer, 1e12, self.today, "Too large")
        entry = self.Entry.post_manual_entry(
            "opening", self.other_customer, 999999999999.99, self.today, "Largest opening"
        )
        self.assertEqual(entry.amount_due, 999999999999.99)
        self.assertEqual(entry.balance, 999999999999.99)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_manual_entries_and_settlements_refuse_implausible_dates(self):
        Entry = self.Entry
        doors = {
            "adjustment wizard": lambda date: self._adjustment_wizard(date=date),
            "post_manual_entry": lambda date: Entry.post_manual_entry(
                "adjustment", self.customer, 5.0, date, "Input bounds"
            ),
            "settle_dues": lambda date: Entry.settle_dues(self.customer, 5.0, self.cash_journal, date=date),
        }
        dates = (
            "9999-12-31",
            "1900-01-01",
            f"{fields.Date.to_string(self.today)} and some text",
            "not a date",
            self.today + timedelta(days=400),
        )
        for door, call in doors.items():
            for date in dates:
                with self.subTest(door=door, date=date):
                    self.assertRefused(door, lambda call=call, date=date: call(date), DATE_REFUSAL)
            with self.subTest(door=door, date="today"):
                call(fields.Date.to_string(self.today))

    def test_till_orders_with_implausible_dates_are_posted_at_sync_time_and_flagged(self):
        for till_date in ("1900-01-01 00:00:00", "9999-12-31 00:00:00"):
            with self.subTest(till_date=till_date):
                before = fields.Datetime.now() - timedelta(seconds=1)
                order = self._till_order(date_order=till_date)
                # Odoo keeps the order as the till sent it
                self.assertEqual(fields.Datetime.to_string(order.date_order), till_date)
                entry = self.entries_of(order)
                self.assertEqual(len(entry), 1)
                self.assertGreaterEqual(entry.date, before)
                self.assertLessEqual(entry.date, fields.Datetime.now() + timedelta(seconds=1))
                self.assertEqual(entry.note, f"Till date {till_date} is implausible; posted at sync time.")
        plain = self._till_order()
        self.assertFalse(self.entries_of(plain).note)
        self.assertEqual(self.entries_of(plain).date, plain.date_order)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])
