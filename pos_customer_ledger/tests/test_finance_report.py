"""Issue 16: the shops' finance figures, from the till to the books."""

import io
from datetime import timedelta

import openpyxl

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from ..tools.dates import company_today, local_datetime, month_range
from .common import AUDITOR_GROUPS, CASHIER_GROUPS, MANAGER_GROUPS, LedgerTestCommon

MEASURES = [
    "revenue_untaxed:sum",
    "amount_tax:sum",
    "revenue_total:sum",
    "refund_amount:sum",
    "discount_amount:sum",
    "cogs:sum",
    "margin:sum",
    "margin_percent:avg",
    "order_count:sum",
    "customer_count:sum",
    "new_customer_count:sum",
    "average_basket:avg",
    "payment_amount:sum",
    "cash_in:sum",
    "cash_out:sum",
    "cash_difference:sum",
]


@tagged("post_install", "-at_install")
class TestFinanceReport(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.auditor = cls.company_user("finance_auditor", AUDITOR_GROUPS)
        cls.cashier = cls.company_user("finance_cashier", CASHIER_GROUPS)
        cls.drinks = cls.env["product.category"].create({"name": "Finance Drinks"})
        # 22.00 with 10% tax included: 20.00 + 2.00, costing 8.00
        cls.wine = cls.create_product(
            "Finance Wine", cls.drinks, 22.0, standard_price=8.0, tax_ids=cls.taxes["tax10"].ids
        )

    def figures(self, domain=(), groupby=()):
        Report = self.env["pos.finance.report"].with_user(self.auditor)
        return Report.read_group(
            [("session_id", "=", self.pos_session.id), *domain], MEASURES, list(groupby), lazy=False
        )

    def test_figures_agree_with_the_books(self):
        """A split tender, a refund, a cash out and a closing difference: after the session
        closes, revenue, tax and each payment method agree with the journal items to the cent."""
        split = self.sync(
            self.customer,
            lines=[(self.product, 2), (self.wine, 1)],
            payments=[(self.cash_pm1, 10.0), (self.bank_pm1, 33.40)],
        )
        self.assertEqual(split.amount_total, 43.40)
        single = self.sync(self.other_customer, payments=[(self.bank_pm1, 10.70)])
        self.sync_refund(single, self.bank_pm1)
        self.pos_session.try_cash_in_out("out", 5.0, "Change run", {"translatedType": "out"})
        self.close_session()
        self.assertEqual(self.pos_session.state, "closed")

        total = self.figures()[0]
        move_lines = self.pos_session.move_id.line_ids
        income = move_lines.filtered(lambda line: line.account_id.account_type == "income")
        self.assertAlmostEqual(total["revenue_untaxed"], -sum(income.mapped("balance")), places=2)
        self.assertAlmostEqual(total["revenue_untaxed"], 20.0 + 20.0 + 10.0 - 10.0, places=2)
        taxes = move_lines.filtered("tax_line_id")
        self.assertAlmostEqual(total["amount_tax"], -sum(taxes.mapped("balance")), places=2)
        self.assertAlmostEqual(total["amount_tax"], 2.0 + 1.40, places=2)
        self.assertAlmostEqual(total["revenue_total"], 43.40, places=2)
        self.assertAlmostEqual(total["refund_amount"], 10.70, places=2)
        self.assertAlmostEqual(total["cogs"], 8.0, places=2)
        self.assertAlmostEqual(total["margin"], 40.0 - 8.0, places=2)
        self.assertAlmostEqual(total["margin_percent"], 100 * 32.0 / 40.0, places=2)
        self.assertEqual(total["order_count"], 3)
        self.assertEqual(total["customer_count"], 2)
        self.assertAlmostEqual(total["average_basket"], 43.40 / 3, places=2)
        self.assertAlmostEqual(total["cash_out"], 5.0, places=2)
        # counted: the 10.00 taken; expected: 10.00 less the 5.00 taken out
        self.assertAlmostEqual(total["cash_difference"], 5.0, places=2)

        # the payment mix from the payments: the split tender in each of its methods
        mix = {
            group["payment_method_id"][0]: round(group["payment_amount"], 2)
            for group in self.figures([("payment_method_id", "!=", False)], ["payment_method_id"])
        }
        self.assertEqual(
            mix, {self.cash_pm1.id: 10.0, self.bank_pm1.id: 33.40}, "43.40 split; 10.70 paid and refunded"
        )
        for method in (self.cash_pm1, self.bank_pm1):
            booked = move_lines.filtered(
                lambda line, method=method: line.account_id == method.receivable_account_id
            )
            self.assertAlmostEqual(mix[method.id], sum(booked.mapped("balance")), places=2, msg=method.name)

        by_category = {
            group["categ_id"][0]: round(group["revenue_untaxed"], 2)
            for group in self.figures([("categ_id", "!=", False)], ["categ_id"])
        }
        self.assertEqual(by_category, {self.categ_basic.id: 20.0, self.drinks.id: 20.0})
        reasons = self.figures([("cash_reason", "!=", False)], ["cash_reason"])
        self.assertEqual([group["cash_reason"] for group in reasons], ["Change run"])

    def test_customer_accounts_segments_and_hours(self):
        """Sold on account, then 30.00 paid at the till against 21.40 of dues: 21.40
        settled, 8.60 deposited; the order of no products is no sale. The customer
        buys for the first time, in their segment, at the company's hour."""
        on_account = self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.40)])
        data = self.create_ui_order_data(
            [], customer=self.customer, payments=[(self.cash_pm1, 30.0), (self.pay_later_pm, -30.0)]
        )
        self.env["pos.order"].sync_from_ui([data])
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET rfm_segment = jsonb_build_object(%s, 'champions') WHERE id = %s",
                str(self.company.id),
                self.customer.id,
            )
        )
        self.env.invalidate_all()
        Report = self.env["pos.finance.report"].with_user(self.auditor)
        total = Report.read_group(
            [("session_id", "=", self.pos_session.id)],
            ["pay_later_amount:sum", "settlement_amount:sum", "deposit_amount:sum", "order_count:sum"]
            + ["new_customer_count:sum", "customer_count:sum"],
            [],
            lazy=False,
        )[0]
        self.assertAlmostEqual(total["pay_later_amount"], 21.40, places=2)
        self.assertAlmostEqual(total["settlement_amount"], 21.40, places=2)
        self.assertAlmostEqual(total["deposit_amount"], 8.60, places=2)
        self.assertEqual(total["order_count"], 1)
        self.assertEqual(total["customer_count"], 1)
        self.assertEqual(total["new_customer_count"], 1)
        segments = Report.read_group(
            [("session_id", "=", self.pos_session.id), ("categ_id", "!=", False)],
            ["revenue_untaxed:sum"],
            ["segment"],
        )
        self.assertEqual(
            [(group["segment"], group["revenue_untaxed"]) for group in segments], [("champions", 20.0)]
        )
        hour = local_datetime(self.company, on_account.date_order).hour
        hours = Report.read_group(
            [("session_id", "=", self.pos_session.id), ("order_count", "=", 1)], ["order_count:sum"], ["hour"]
        )
        self.assertEqual([group["hour"] for group in hours], [hour])

    def test_discounts_and_weekdays(self):
        """A 10% discount on two 10.00 lines gave 2.00 before tax; figures by weekday and cashier."""
        order = self.sync(self.customer, lines=[(self.product, 2, 10.0)])
        Report = self.env["pos.finance.report"].with_user(self.auditor)
        domain = [("session_id", "=", self.pos_session.id), ("categ_id", "!=", False)]
        (total,) = Report.read_group(domain, ["discount_amount:sum", "revenue_untaxed:sum"], [], lazy=False)
        self.assertAlmostEqual(total["discount_amount"], 2.0, places=2)
        self.assertAlmostEqual(total["revenue_untaxed"], 18.0, places=2)
        weekday = str(local_datetime(self.company, order.date_order).isoweekday())
        groups = Report.read_group(domain, ["revenue_untaxed:sum"], ["weekday"])
        self.assertEqual([group["weekday"] for group in groups], [weekday])
        # the cashier: the employee when Point of Sale HR records one, else the user
        employee = order.employee_id if "employee_id" in order._fields else None
        cashiers = Report.read_group(domain, ["revenue_untaxed:sum"], ["cashier"])
        self.assertEqual([group["cashier"] for group in cashiers], [(employee or order.user_id).name])

    def test_access(self):
        self.sync(self.customer)
        with self.assertRaises(AccessError):
            self.env["pos.finance.report"].with_user(self.cashier).search([])
        self.assertTrue(self.figures()[0]["order_count"])


@tagged("post_install", "-at_install")
class TestFinanceTarget(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.company_user("target_manager", MANAGER_GROUPS)
        cls.auditor = cls.company_user("target_auditor", AUDITOR_GROUPS)
        cls.cashier = cls.company_user("target_cashier", CASHIER_GROUPS)
        cls.Target = cls.env["pos.finance.target"].with_user(cls.manager)

    def test_target_against_the_month_and_its_weekdays(self):
        """Eight weeks of 10.00 a day and 30.00 on Saturdays: the month-end forecast adds to
        the month so far each remaining day at its weekday's usual revenue, not a straight line."""
        for days_ago in range(1, 57):
            day = fields.Datetime.now() - timedelta(days=days_ago)
            saturday = local_datetime(self.company, day).isoweekday() == 6
            self.sync(self.customer, qty=3 if saturday else 1, days_ago=days_ago)
        # today's sale: the month has a customer even on its first day
        self.sync(self.customer)
        today = company_today(self.company)
        target = self.Target.create({"month": today, "revenue_target": 1000.0, "customer_target": 2})
        self.assertEqual(target.month, today.replace(day=1), "a month is set by any of its days")
        first, last = month_range(today)
        so_far = sum(
            30.0 if (first + timedelta(days=n)).isoweekday() == 6 else 10.0
            for n in range((today - first).days)
        )
        self.assertAlmostEqual(target.revenue_actual, so_far + 10.0, places=2)
        self.assertAlmostEqual(target.revenue_achieved, (so_far + 10.0) / 10, places=1)
        self.assertEqual(target.customer_actual, 1)
        self.assertEqual(target.customer_achieved, 50.0)
        remaining = sum(
            30.0 if (today + timedelta(days=n)).isoweekday() == 6 else 10.0
            for n in range((last - today).days + 1)
        )
        self.assertAlmostEqual(target.revenue_forecast, so_far + remaining, places=2)
        # a shop's own target reads the shop's figures only
        other_shop = self.Target.create({"month": today, "config_id": self.config.id, "revenue_target": 10.0})
        self.assertAlmostEqual(other_shop.revenue_actual, so_far + 10.0, places=2)

    def test_bad_targets_are_refused(self):
        today = company_today(self.company)
        self.Target.create({"month": today, "revenue_target": 100.0})
        for values in ({"month": today, "revenue_target": -1.0}, {"month": today.replace(day=1)}):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                self.Target.create(values)
        self.assertEqual(self.Target.search_count([]), 1, "nothing half-written")
        with self.assertRaises(AccessError):
            self.Target.with_user(self.auditor).create({"month": today.replace(month=1)})
        with self.assertRaises(AccessError):
            self.env["pos.finance.target"].with_user(self.cashier).search([])

    def test_targets_xlsx(self):
        """Print > Targets (XLSX): target, actual, achieved and forecast; a shop's name stays text."""
        self.sync(self.customer, days_ago=1)
        self.config.name = '=HYPERLINK("http://x.test", "Shop")'
        today = company_today(self.company)
        target = self.Target.create({"month": today, "config_id": self.config.id, "revenue_target": 40.0})
        report = self.env.ref("pos_customer_ledger.action_report_finance_target_xlsx")
        self.assertEqual(report.binding_model_id.model, "pos.finance.target")
        content, kind = (
            self.env["ir.actions.report"]
            .with_user(self.auditor)
            ._render_xlsx(report.report_name, target.ids, None)
        )
        self.assertEqual(kind, "xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        header = [cell.value for cell in sheet[1]]
        row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
        self.assertEqual(row["Shop"], '=HYPERLINK("http://x.test", "Shop")')
        self.assertEqual(sheet["C2"].data_type, "s")
        self.assertEqual(row["Month"], today.strftime("%Y-%m"))
        self.assertEqual(row["Revenue Target"], 40.0)
        self.assertAlmostEqual(row["Revenue"], target.revenue_actual, places=2)
        self.assertAlmostEqual(row["Revenue Achieved"], target.revenue_achieved / 100, places=3)
        self.assertAlmostEqual(row["Revenue Forecast"], target.revenue_forecast, places=2)
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(self.cashier)._render_xlsx(
                report.report_name, target.ids, None
            )


@tagged("post_install", "-at_install")
class TestFinanceDashboard(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.auditor = cls.company_user("dashboard_auditor", AUDITOR_GROUPS)
        cls.cashier = cls.company_user("dashboard_cashier", CASHIER_GROUPS)

    def test_morning_figures(self):
        """Today against the same weekday last week, the month against its target, best sellers,
        dues and customers, as the shop owner's screen asks for them."""
        self.sync(self.customer, qty=3)
        self.sync(self.other_customer, qty=1, days_ago=7)
        self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.40)])
        today = company_today(self.company)
        self.env["pos.finance.target"].create({"month": today, "revenue_target": 100.0})
        Dashboard = self.env["pos.finance.dashboard"].with_user(self.auditor)
        data = Dashboard.get_dashboard_data()
        self.assertAlmostEqual(data["today"]["revenue"], 50.0, places=2)
        self.assertEqual(data["today"]["orders"], 2)
        self.assertEqual(data["today"]["customers"], 1)
        self.assertAlmostEqual(data["today"]["basket"], (32.10 + 21.40) / 2, places=2)
        self.assertAlmostEqual(data["last_week"]["revenue"], 10.0, places=2)
        self.assertEqual(data["last_week"]["customers"], 1)
        self.assertEqual(data["month"]["target"], 100.0)
        self.assertAlmostEqual(data["month"]["achieved"], data["month"]["revenue"], places=1)
        self.assertEqual(data["top_products"][0]["id"], self.product.id)
        self.assertEqual(data["top_categories"][0]["id"], self.categ_basic.id)
        self.assertEqual(len(data["margin_trend"]), 30)
        week_ago = {day["date"]: day["revenue"] for day in data["margin_trend"]}[
            str(today - timedelta(days=7))
        ]
        self.assertAlmostEqual(week_ago, 10.0, places=2)
        self.assertAlmostEqual(data["dues"]["total"], 21.40, places=2)
        self.assertEqual(data["dues"]["customers"], 1)
        self.assertIn(self.config.id, [shop["id"] for shop in data["shops"]])
        shop = Dashboard.get_dashboard_data(self.config.id)
        self.assertAlmostEqual(shop["today"]["revenue"], 50.0, places=2)

    def test_access_and_bad_shop(self):
        with self.assertRaises(AccessError):
            self.env["pos.finance.dashboard"].with_user(self.cashier).get_dashboard_data()
        other_company = self.env["res.company"].create({"name": "Dashboard Other Company"})
        other_shop = (
            self.env["pos.config"]
            .with_company(other_company)
            .create(
                {
                    "name": "Other Shop",
                    "company_id": other_company.id,
                    "payment_method_ids": [Command.clear()],
                }
            )
        )
        with self.assertRaises(UserError):
            self.env["pos.finance.dashboard"].with_user(self.auditor).get_dashboard_data(other_shop.id)
