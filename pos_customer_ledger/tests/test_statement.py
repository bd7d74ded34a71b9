import io
from datetime import timedelta

import openpyxl

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools.pdf import PdfFileReader

from ..tools.dates import company_today, day_start, local_datetime
from .common import LedgerTestCommon, pdf_text

CHINESE_CUSTOMER = "上海陆家嘴咖啡馆"


def activate_chinese(env):
    env["res.lang"]._activate_lang("zh_CN")
    env["ir.module.module"]._load_module_terms(["pos_customer_ledger"], ["zh_CN"], overwrite=True)


@tagged("post_install", "-at_install")
class TestLedgerStatement(LedgerTestCommon):
    def setUp(self):
        super().setUp()
        # the company's time zone decides, not the user's
        self.company.partner_id.tz = "Asia/Shanghai"
        self.env.user.tz = "America/Los_Angeles"
        self.today = company_today(self.company)
        self.before = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=10)
        self.during = self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.4)], days_ago=3)
        self.cash = self.sync(self.customer)
        self.other = self.sync(self.other_customer, qty=3, payments=[(self.pay_later_pm, 32.1)], days_ago=1)

    def _read_sections(self, content):
        """Rows under the header of each customer's sheet, by customer."""
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        sections = {}
        for sheet in book.worksheets:
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            self.assertEqual(rows[4][:2], ["Date", "Reference"])
            sections[rows[3][0]] = [row for row in rows[5:] if any(row)]
        return sections

    def test_statement_figures_for_several_customers(self):
        partners = self.customer | self.other_customer
        content = partners.ledger_statement_xlsx(self.today - timedelta(days=5), self.today)
        sections = self._read_sections(content)
        self.assertEqual(set(sections), {self.customer.display_name, self.other_customer.display_name})

        rows = sections[self.customer.display_name]
        by_label = {row[1]: row for row in rows}
        self.assertAlmostEqual(by_label["Opening balance"][8], 10.7)
        entry_rows = [row for row in rows if row[1] and row[1].startswith("LEDG/")]
        entries = self.entries_of(self.during | self.cash).sorted("date")
        self.assertEqual([row[1] for row in entry_rows], entries.mapped("name"))
        self.assertEqual([row[6] for row in entry_rows], [21.4, 10.7])
        self.assertEqual([row[7] for row in entry_rows], [21.4, 0.0])
        self.assertAlmostEqual(entry_rows[-1][8], 32.1)
        self.assertIsNone(by_label["Totals"][6], "sales and payments do not add up: no sum of amounts")
        self.assertAlmostEqual(by_label["Totals"][7], 21.4)
        self.assertAlmostEqual(by_label["Closing balance"][8], 32.1)
        self.assertAlmostEqual(by_label["Closing balance"][8], self.customer.ledger_balance)
        self.assertEqual(entry_rows[0][0], local_datetime(self.company, entries[0].date))

        other = {row[1]: row for row in sections[self.other_customer.display_name]}
        self.assertAlmostEqual(other["Opening balance"][8], 0.0)
        self.assertAlmostEqual(other["Closing balance"][8], 32.1)

    def test_statement_rejects_bad_periods(self):
        with self.assertRaisesRegex(UserError, "after"):
            self.customer.ledger_statement_xlsx(self.today, self.today - timedelta(days=1))
        with self.assertRaisesRegex(UserError, "start date"):
            self.customer.ledger_statement_xlsx(False, self.today)
        with self.assertRaisesRegex(UserError, "customer"):
            self.env["res.partner"].ledger_statement_xlsx(self.today, self.today)

    def test_wizard_from_ledger_list_downloads_the_same_statement(self):
        entries = self.entries_of(self.during | self.other)
        wizard = (
            self.env["pos.customer.ledger.statement.wizard"]
            .with_context(active_model="pos.customer.ledger.entry", active_ids=entries.ids)
            .create({"date_from": self.today - timedelta(days=5), "date_to": self.today})
        )
        self.assertEqual(wizard.partner_ids, self.customer | self.other_customer)
        action = wizard.action_export_xlsx()
        self.assertEqual((action["type"], action["report_type"]), ("ir.actions.report", "xlsx"))
        self.assertEqual(action["context"]["active_ids"], wizard.ids)
        sections = self._read_sections(self.render_report_action(action))
        closing = {row[1]: row for row in sections[self.customer.display_name]}["Closing balance"][8]
        self.assertAlmostEqual(closing, 32.1)

    def test_days_are_the_company_days(self):
        """A sale at 00:30 in the shop (Shanghai) is on that day's statement,
        whatever the time zone of the user who prints it."""
        night_owl = self.env["res.partner"].create({"name": "Night Owl"})
        day = self.today - timedelta(days=2)
        data = self.create_ui_order_data(
            [(self.product, 1)], customer=night_owl, payments=[(self.pay_later_pm, 10.7)]
        )
        data["date_order"] = fields.Datetime.to_string(day_start(self.company, day) + timedelta(minutes=30))
        self.env["pos.order"].sync_from_ui([data])
        [entry] = self.env["pos.customer.ledger.entry"].search([("partner_id", "=", night_owl.id)])

        rows = self._read_sections(night_owl.ledger_statement_xlsx(day, day))[night_owl.display_name]
        by_label = {row[1]: row for row in rows}
        self.assertAlmostEqual(by_label["Opening balance"][8], 0.0)
        self.assertEqual(by_label[entry.name][0], local_datetime(self.company, entry.date))
        self.assertEqual(by_label[entry.name][0].date(), day)
        self.assertEqual(by_label[entry.name][0].hour, 0)
        self.assertAlmostEqual(by_label["Closing balance"][8], 10.7)
        rows = self._read_sections(night_owl.ledger_statement_xlsx(day + timedelta(days=1), self.today))
        self.assertAlmostEqual(
            {row[1]: row for row in rows[night_owl.display_name]}["Opening balance"][8], 10.7
        )

        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "pos_customer_ledger.action_report_customer_statement",
                self.env["pos.customer.ledger.statement.wizard"]
                ._statement_of(night_owl, day, day, "activity")
                .ids,
            )[0]
            .decode()
        )
        self.assertIn(entry.name, html)
        self.assertIn("00:30", html)

    def test_wizard_from_customer_form(self):
        action = self.customer_contact.action_open_ledger_statement_wizard()
        wizard = self.env[action["res_model"]].with_context(**action["context"]).create({})
        self.assertEqual(wizard.partner_ids, self.customer)


@tagged("post_install", "-at_install")
class TestLedgerStatementKinds(LedgerTestCommon):
    """Outstanding statements, PDF, languages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.ledger_payment_term_id = cls.payment_term(5)
        cls.report_ref = "pos_customer_ledger.action_report_customer_statement"

    def setUp(self):
        super().setUp()
        self.today = fields.Date.context_today(self.env.user)
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=10)
        self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.4)], days_ago=3)
        self.sync(self.customer)
        self.sync(self.other_customer, qty=3, payments=[(self.pay_later_pm, 32.1)], days_ago=1)
        self.partners = self.customer | self.other_customer

    def _statement(self, statement_type, partners=None):
        return self.env["pos.customer.ledger.statement.wizard"].create(
            {
                "partner_ids": (partners or self.partners).ids,
                "statement_type": statement_type,
                "date_from": self.today - timedelta(days=30),
                "date_to": self.today,
            }
        )

    def test_outstanding_statement_xlsx(self):
        wizard = self.env["pos.customer.ledger.statement.wizard"].create(
            {"partner_ids": self.partners.ids, "statement_type": "outstanding", "date_to": self.today}
        )
        content = self.render_report_action(wizard.action_export_xlsx())
        book = openpyxl.load_workbook(io.BytesIO(content))
        sheet = book[self.customer.display_name[:31]]
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0][0], "Outstanding Statement")
        self.assertEqual(rows[3][0], self.customer.display_name)
        self.assertEqual(rows[4][:2], ("Date", "Reference"))
        self.assertEqual(sheet.freeze_panes, "A6")
        lines = [row for row in rows if isinstance(row[1], str) and row[1].startswith("LEDG/")]
        # the cash sale owes nothing; the older sale is 5 days overdue
        self.assertEqual([(row[5], row[7]) for row in lines], [(5, 10.7), (0, 21.4)])
        totals = next(row for row in rows if row[1] == "Totals")
        self.assertAlmostEqual(totals[7], 32.1)
        aging = next(row for row in rows if row[1] == "Aging")
        self.assertEqual(aging[3:8], (21.4, 10.7, 0.0, 0.0, 0.0))
        total = next(row for row in rows if row[1] == "Total due")
        self.assertEqual(total[7], 32.1)
        other = list(book[self.other_customer.display_name[:31]].iter_rows(values_only=True))
        self.assertEqual(next(row for row in other if row[1] == "Total due")[7], 32.1)

    def test_xlsx_statement_has_a_sheet_per_customer(self):
        """Sheet names are unique, at most 31 characters, without the characters
        Excel refuses, whatever the customers are called."""
        long_name = "Shanghai Lujiazui Café & Bakery [Head Office]: Accounts/Payable?"
        named = self.env["res.partner"].create([{"name": long_name}, {"name": long_name}, {"name": "'*'"}])
        for partner in named:
            self.sync(partner, payments=[(self.pay_later_pm, 10.7)])
        partners = self.partners | named
        content = partners.ledger_statement_xlsx(self.today - timedelta(days=30), self.today)
        book = openpyxl.load_workbook(io.BytesIO(content))
        self.assertEqual(len(book.worksheets), 5)
        names = book.sheetnames
        self.assertEqual(len({name.casefold() for name in names}), 5)
        for name in names:
            self.assertLessEqual(len(name), 31)
            self.assertFalse(set(name) & set("[]:*?/\\"), name)
        customers = []
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            self.assertEqual(sheet.freeze_panes, "A6", "the column titles stay in view")
            self.assertEqual(rows[4][0], "Date")
            customers.append((rows[3][0], next(row for row in rows if row[1] == "Closing balance")[8]))
        self.assertEqual(
            sorted(name for name, _closing in customers), sorted(partners.mapped("display_name"))
        )
        self.assertIn((self.customer.display_name, 32.1), customers)
        cafe = [name for name in names if name.startswith("Shanghai Lujiazui Café & Ba")]
        self.assertEqual(len(cafe), 2, names)

    def test_statements_in_each_customer_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["pos_customer_ledger"], ["zh_CN"], overwrite=True)
        self.other_customer.lang = "zh_CN"
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            self.report_ref, self._statement("activity").ids
        )
        html = html.decode()
        pages = html.count('class="page o_ledger_statement"')
        self.assertEqual(pages, 2, "one document per customer, in one file")
        english, chinese = (
            html.split(self.other_customer.name, 1)[0],
            html.split(self.other_customer.name, 1)[1],
        )
        self.assertIn("Customer Statement", english)
        self.assertIn("客户对账单", html)
        self.assertIn(self.company.name, html)
        self.assertIn("32.10", chinese)
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            self.report_ref, self._statement("outstanding", self.customer).ids
        )
        self.assertIn("Outstanding Statement", html.decode())
        self.assertIn("10.70", html.decode())

    def test_pdf_statement(self):
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() == "install":
            self.skipTest("wkhtmltopdf is not installed: the PDF statement cannot be rendered")
        content = self.partners.with_context(force_report_rendering=True).ledger_statement_pdf(
            self.today - timedelta(days=30), self.today, "outstanding"
        )
        self.assertTrue(content.startswith(b"%PDF"))
        text = " ".join(
            " ".join(page.extract_text().split()) for page in PdfFileReader(io.BytesIO(content)).pages
        )
        self.assertIn(self.customer.name, text)
        self.assertIn(self.other_customer.name, text)

    def test_chinese_pdf_statement(self):
        """A Chinese customer's statement keeps its Chinese (the fonts the setup
        installs), its dates in Chinese without seconds, and stays small."""
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() in ("install", "broken"):
            self.skipTest("wkhtmltopdf is not usable: the PDF statement cannot be rendered")
        activate_chinese(self.env)
        chinese = self.env["res.partner"].create({"name": CHINESE_CUSTOMER, "lang": "zh_CN"})
        self.sync(chinese, qty=2, payments=[(self.pay_later_pm, 21.4)], days_ago=2)
        partners = chinese | self.customer
        statements = partners.with_context(force_report_rendering=True)
        if HttpCase.http_port():
            # wkhtmltopdf reads the layout's style sheets from the running server
            self.env["ir.config_parameter"].sudo().set_param("report.url", HttpCase.base_url())
        content = statements.ledger_statement_pdf(self.today - timedelta(days=30), self.today)
        # the layout's web fonts, drawn as outlines, made it 1.2-1.8 MB for two pages
        self.assertLess(len(content), 300_000)
        text = pdf_text(self, content)
        self.assertIn(CHINESE_CUSTOMER, text, "no CJK font for wkhtmltopdf? (Debian: fonts-noto-cjk)")
        self.assertIn("客户对账单", text)
        self.assertIn("Customer Statement", text, "the other customer's statement is in English")
        day = self.today - timedelta(days=2)
        self.assertIn(f"{day.year}年{day.month:02d}月{day.day:02d}日", text)
        self.assertNotIn("秒", text, "times without seconds")
        self.assertIn("Totals", text)
        self.assertIn("21.40", text)

        content = statements.ledger_statement_pdf(self.today, self.today, "outstanding")
        text = pdf_text(self, content)
        self.assertIn(CHINESE_CUSTOMER, text)
        self.assertIn("未结清对账单", text)
        self.assertIn(f"{self.today.year}年{self.today.month:02d}月{self.today.day:02d}日", text)

    def test_pdf_from_the_wizard_is_a_report_action(self):
        self.company.external_report_layout_id = self.env.ref("web.external_layout_standard")
        wizard = self.env["pos.customer.ledger.statement.wizard"].create(
            {"partner_ids": self.partners.ids, "statement_type": "outstanding", "date_to": self.today}
        )
        action = wizard.action_print_pdf()
        self.assertEqual(action["report_name"], "pos_customer_ledger.customer_statement")
        # the wizard is the document: its id is all the client puts in the report's URL
        self.assertEqual(action["context"]["active_ids"], wizard.ids)
        self.assertFalse(action["data"])

    def test_outstanding_statement_from_the_customers_print_menu(self):
        """Needs no period: what the customer owes as of the company's today."""
        report = self.env.ref("pos_customer_ledger.action_report_partner_outstanding_statement")
        self.assertEqual(report.binding_model_id.model, "res.partner")
        html = self.env["ir.actions.report"]._render_qweb_html(report.id, self.customer.ids)[0].decode()
        self.assertIn("Outstanding Statement", html)
        self.assertIn(self.customer.name, html)
        self.assertIn("10.70", html)
        self.assertIn("21.40", html)

    def test_only_its_author_prints_a_statement(self):
        statement = self._statement("activity")
        auditor = self.company_user(
            "statement_second_auditor", "base.group_user,pos_customer_ledger.group_ledger_auditor"
        )
        Report = self.env["ir.actions.report"].with_user(auditor)
        with self.assertRaises(AccessError):
            Report._render_qweb_html(self.report_ref, statement.ids)
        with self.assertRaises(AccessError):
            Report._render_xlsx(
                "pos_customer_ledger.action_report_customer_statement_xlsx", statement.ids, None
            )
        cashier = self.company_user("statement_cashier", "base.group_user,point_of_sale.group_pos_user")
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(cashier)._render_qweb_html(
                "pos_customer_ledger.action_report_partner_outstanding_statement", self.customer.ids
            )
