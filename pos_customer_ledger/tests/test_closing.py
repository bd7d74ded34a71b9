import base64
import io
from datetime import timedelta

import openpyxl
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestLedgerClosing(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Closing = cls.env["pos.customer.ledger.closing"]
        cls.this_month = fields.Date.context_today(cls.env.user).replace(day=1)
        cls.last_month = cls.this_month - relativedelta(months=1)

    def setUp(self):
        super().setUp()
        # two sales last month (one on account), one this month
        days_into_month = (fields.Date.context_today(self.env.user) - self.this_month).days
        self.old = self.sync(
            self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=days_into_month + 10
        )
        self.old_cash = self.sync(self.other_customer, qty=2, days_ago=days_into_month + 5)
        self.new = self.sync(self.customer, qty=3, payments=[(self.pay_later_pm, 32.1)])

    def _close(self, month=None):
        closing = self.Closing.create({"date_from": month or self.last_month})
        closing.action_close()
        return closing

    def test_closing_freezes_the_month(self):
        closing = self._close()
        entries = self.entries_of(self.old | self.old_cash)
        self.assertRecordValues(
            closing,
            [
                {
                    "state": "closed",
                    "opening_balance": 0.0,
                    "sale_total": 10.7,
                    "closing_balance": 10.7,
                    "entry_count": 2,
                    "first_sequence": min(entries.mapped("sequence_number")),
                    "last_sequence": 3,
                    "last_hash": self.entries_of(self.new).entry_hash,
                    "closed_by_id": self.env.uid,
                }
            ],
        )
        # the month's dues are still in an open session: booked at closing, they tie
        self.assertEqual(
            (closing.ledger_pos_dues, closing.gl_receivable, closing.difference), (10.7, 10.7, 0.0)
        )
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            closing.date_from = self.last_month - relativedelta(months=1)
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            closing.unlink()
        with self.assertRaisesRegex(UserError, "already closed"):
            self._close(self.last_month - relativedelta(months=1))

    def test_no_entry_is_dated_in_a_closed_month(self):
        self._close()
        in_closed_month = self.last_month + timedelta(days=3)
        with self.assertRaisesRegex(UserError, "closed ledger period"):
            self.Entry.post_manual_entry("opening", self.customer, 5.0, in_closed_month, "Late")
        # a till that syncs a sale of the closed month late: recorded at the start of the open month
        days_ago = (fields.Date.context_today(self.env.user) - in_closed_month).days
        late = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=days_ago)
        entry = self.entries_of(late)
        local = fields.Datetime.context_timestamp(self.env.user, entry.date)
        self.assertEqual((local.date(), local.hour, local.minute), (self.this_month, 0, 0))
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_difference_with_the_general_ledger_is_shown(self):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE pos_customer_ledger_entry SET amount_due = 11.7 WHERE pos_order_id = %s", [self.old.id]
        )
        self.env.invalidate_all()
        closing = self._close()
        self.assertEqual(
            (closing.ledger_pos_dues, closing.gl_receivable, closing.difference), (11.7, 10.7, 1.0)
        )

    def test_xlsx_adds_up(self):
        closing = self._close()
        closing.action_export_xlsx()
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", closing._name), ("res_id", "=", closing.id)]
        )
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas))).active
        values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
        parts = [
            "Opening balance",
            "Sales",
            "Refunds",
            "Payments",
            "Adjustments",
            "Opening balances carried over",
        ]
        self.assertAlmostEqual(sum(values[label] for label in parts), values["Closing balance"])
        self.assertEqual(values["Closing balance"], 10.7)
        self.assertEqual(values["Hash of the chain's last entry"], closing.last_hash)

    def test_the_current_month_cannot_be_closed(self):
        with self.assertRaisesRegex(UserError, "not over yet"):
            self._close(self.this_month)

    def test_only_managers_close(self):
        auditor = new_test_user(
            self.env,
            login="closing_auditor",
            groups="base.group_user,pos_customer_ledger.group_ledger_auditor",
        )
        with self.assertRaises(AccessError):
            self.Closing.with_user(auditor).create({"date_from": self.last_month})
        closing = self.Closing.create({"date_from": self.last_month})
        with self.assertRaises(AccessError):
            closing.with_user(auditor).action_close()

    @freeze_time("2026-03-15 10:00:00")
    def test_month_bounds(self):
        closing = self.Closing.new({"date_from": "2026-02-01"})
        self.assertEqual(closing.date_to, fields.Date.to_date("2026-02-28"))
        self.assertEqual(closing.name, "2026-02")
