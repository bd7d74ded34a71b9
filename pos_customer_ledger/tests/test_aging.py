import base64
import io
from datetime import timedelta

import openpyxl

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..tools import dates
from .common import LedgerTestCommon

BUCKETS = ("balance", "not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


@tagged("post_install", "-at_install")
class TestLedgerAging(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.ledger_payment_term_id = cls.env.ref("account.account_payment_term_30days")
        cls.today = fields.Date.context_today(cls.env.user)
        cls.Aging = cls.env["pos.customer.ledger.aging"]

    def setUp(self):
        super().setUp()
        # due 70 days ago, 15 days ago and in 20 days
        self.sync(self.customer, qty=10, payments=[(self.pay_later_pm, 107.0)], days_ago=100)
        self.sync(self.customer, qty=5, payments=[(self.pay_later_pm, 53.5)], days_ago=45)
        self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.4)], days_ago=10)
        # a credit settles the oldest dues first
        self.Entry.post_manual_entry("opening", self.customer, -37.0, self.today, "Deposit from the old till")
        self.Entry.post_manual_entry("opening", self.other_customer, -25.0, self.today, "Paid in advance")

    def _buckets(self, row):
        return tuple(round(float(row[name]), 2) for name in BUCKETS)

    def test_dues_by_age_oldest_settled_first(self):
        rows = {row["partner_id"]: row for row in self.Aging.get_aged_dues(self.today)}
        self.assertEqual(self._buckets(rows[self.customer.id]), (144.9, 21.4, 53.5, 0.0, 70.0, 0.0))
        self.assertEqual(rows[self.customer.id]["oldest_due_date"], self.today - timedelta(days=70))
        # paid in advance: nothing due, a credit
        self.assertEqual(self._buckets(rows[self.other_customer.id]), (0.0,) * 6)
        self.assertEqual(rows[self.other_customer.id]["credit"], 25.0)
        self.assertEqual(rows[self.customer.id]["credit"], 0.0)

    def test_as_of_an_earlier_date(self):
        rows = self.Aging.get_aged_dues(self.today - timedelta(days=50), partner_ids=self.customer.ids)
        self.assertEqual([self._buckets(row) for row in rows], [(107.0, 0.0, 107.0, 0.0, 0.0, 0.0)])

    def test_list_view_reads_the_same_figures(self):
        action = (
            self.env["pos.customer.ledger.aging.wizard"]
            .create({"date": self.today - timedelta(days=50)})
            .action_view()
        )
        domain = [*action["domain"], ("partner_id", "=", self.customer.id)]
        [row] = self.Aging.search_read(domain, list(BUCKETS))
        self.assertEqual(self._buckets(row), (107.0, 0.0, 107.0, 0.0, 0.0, 0.0))
        [total] = self.Aging.read_group(domain, ["days_1_30:sum"], [])
        self.assertEqual(total["days_1_30"], 107.0)

    def test_xlsx_export(self):
        wizard = self.env["pos.customer.ledger.aging.wizard"].create({"date": self.today})
        wizard.action_export_xlsx()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.download_file))).active
        rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
        self.assertEqual(rows[self.customer.display_name][2:8], (144.9, 21.4, 53.5, 0.0, 70.0, 0.0))
        total = rows.pop("Total")
        self.assertAlmostEqual(total[2], sum(row[2] for row in rows.values()))
        self.assertTrue(wizard.download_filename.endswith(".xlsx"))

    def test_cashiers_do_not_see_aged_dues(self):
        cashier = new_test_user(self.env, login="aging_cashier", groups="point_of_sale.group_pos_user")
        with self.assertRaises(AccessError):
            self.Aging.with_user(cashier).aged_dues_xlsx()
        with self.assertRaises(AccessError):
            self.env["pos.customer.ledger.aging.wizard"].with_user(cashier).create({})

    def test_xlsx_report_action(self):
        """The report action writes what the wizard's data says, as the API's file does."""
        report = self.env.ref("pos_customer_ledger.action_report_ledger_aging_xlsx")
        self.assertEqual((report.report_type, report.model), ("xlsx", "pos.customer.ledger.aging.wizard"))
        wizard = self.env["pos.customer.ledger.aging.wizard"].create({"date": self.today})
        content, _kind = self.env["ir.actions.report"]._render_xlsx(report.report_name, wizard.ids, None)

        def rows_of(content):
            sheet = openpyxl.load_workbook(io.BytesIO(content)).active
            return {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True)}

        rows = rows_of(content)
        self.assertEqual(rows[self.customer.display_name][2:8], (144.9, 21.4, 53.5, 0.0, 70.0, 0.0))
        self.assertEqual(rows[self.other_customer.display_name][8], 25.0)
        self.assertEqual(rows, rows_of(self.Aging.aged_dues_xlsx(self.today)))
        # the report itself refuses who may not see aged dues
        cashier = self.company_user("aging_report_cashier", "base.group_user,point_of_sale.group_pos_user")
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(cashier)._render_xlsx(
                report.report_name, wizard.ids, None
            )

    def test_overdue_counts_the_company_s_days(self):
        """A sale's day, so its due date, is the company's, whatever the time zone of the user."""
        buyer = self.env["res.partner"].create({"name": "Night Buyer"})
        entry = self.entries_of(self.sync(buyer, payments=[(self.pay_later_pm, 10.7)], days_ago=40))
        # a company far enough east or west that the sale is on another day than in UTC
        self.company.partner_id.tz = "Pacific/Kiritimati" if entry.date.hour >= 12 else "Etc/GMT+12"
        self.env.user.tz = "UTC"
        sale_day = dates.local_date(self.company, entry.date)
        self.assertNotEqual(sale_day, entry.date.date())
        due = sale_day + timedelta(days=30)
        [row] = self.Aging.get_aged_dues(due, buyer.ids)
        self.assertEqual((row["oldest_due_date"], row["not_due"], row["days_1_30"]), (due, 10.7, 0.0))
        [row] = self.Aging.get_aged_dues(due + timedelta(days=1), buyer.ids)
        self.assertEqual((row["not_due"], row["days_1_30"]), (0.0, 10.7))
        # the day ends at the company's midnight: a sale after it is not due yet as of that day
        [row] = self.Aging.get_aged_dues(sale_day, buyer.ids)
        self.assertEqual(row["balance"], 10.7)
        self.assertFalse(self.Aging.get_aged_dues(sale_day - timedelta(days=1), buyer.ids))
