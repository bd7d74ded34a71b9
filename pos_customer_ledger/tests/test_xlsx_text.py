import base64
import io
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import tagged

from ..tools.xlsx import TEXT_AS_TEXT
from .common import LedgerTestCommon

ADDONS = [
    Path(__file__).resolve().parents[1],
    Path(__file__).resolve().parents[2] / "pos_customer_ledger_mass_mailing",
    Path(__file__).resolve().parents[2] / "pos_customer_ledger_mis_builder",
]
WRITER = Path("pos_customer_ledger/tools/xlsx.py")
CREATES_WORKBOOK = re.compile(r"\bWorkbook\s*\(|^\s*(import|from)\s+xlsxwriter\b", re.MULTILINE)

# text a user can type into a name that a spreadsheet would run or follow
CUSTOMER = '=HYPERLINK("http://attacker.example","Click")'
REFERENCE = "=1+1"
COMPANY = "=2+2 Shop"
CASHIER = "@SUM(1)"
TILL = "-2+3"
EMAIL = "+cmd|' /C calc'!A0"
CITY = "http://attacker.example/x"
PROMOTION = '=HYPERLINK("http://attacker.example","Sale")'


@tagged("post_install", "-at_install")
class TestLedgerXlsxText(LedgerTestCommon):
    """Every XLSX the ledger writes holds user text as text: never a formula or
    a link, whatever a customer, company, cashier or till is called."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"name": COMPANY, "ledger_payment_term_id": cls.payment_term(5).id})
        cls.customer.write(
            {
                "name": CUSTOMER,
                "ref": REFERENCE,
                "email": EMAIL,
                "city": CITY,
                "phone": TILL,
                "mobile": CASHIER,
            }
        )
        cls.env.user.name = CASHIER
        cls.config.name = TILL
        cls.config.pricelist_id.name = PROMOTION
        cls.today = fields.Date.context_today(cls.env.user)
        cls.this_month = cls.today.replace(day=1)
        cls.last_month = cls.this_month - relativedelta(months=1)

    def setUp(self):
        super().setUp()
        days_into_month = (self.today - self.this_month).days
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=days_into_month + 10)
        self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.4)])

    def test_only_the_xlsx_tool_creates_workbooks(self):
        creators = []
        for addon in ADDONS:
            for path in addon.rglob("*.py"):
                # tests build the files users import; they export nothing
                if "tests" in path.relative_to(addon).parts:
                    continue
                if CREATES_WORKBOOK.search(path.read_text(encoding="utf-8")):
                    creators.append(str(path.relative_to(addon.parent)))
        self.assertEqual(creators, [str(WRITER)], "create workbooks with tools.xlsx.new_workbook")

    def test_xlsx_reports_never_read_text_as_formulas(self):
        """Reports written through OCA's report_xlsx take their workbook options
        (text stays text) from the ledger's XLSX report base."""
        registry = self.env.registry
        base = "report.pos_customer_ledger.abstract_xlsx"
        reports = [
            name
            for name, model in registry.items()
            if name != base
            and issubclass(model, registry["report.report_xlsx.abstract"])
            and model._original_module in {addon.name for addon in ADDONS}
        ]
        self.assertTrue(reports)
        for name in reports:
            with self.subTest(report=name):
                self.assertTrue(issubclass(registry[name], registry[base]))
                self.assertLessEqual(TEXT_AS_TEXT.items(), self.env[name].get_workbook_options().items())

    def test_long_reports_keep_one_row_in_memory(self):
        """Aged dues and promotions run to thousands of rows, written in order."""
        for name in ("report.pos_customer_ledger.aging_xlsx", "report.pos_customer_ledger.promotion_xlsx"):
            with self.subTest(report=name):
                self.assertIs(self.env[name].get_workbook_options().get("constant_memory"), True)
        # the other reports keep xlsxwriter's default
        options = self.env["report.pos_customer_ledger.customer_statement_xlsx"].get_workbook_options()
        self.assertNotIn("constant_memory", options)

    def _download(self, wizard_model, values):
        wizard = self.env[wizard_model].create(values)
        action = wizard.action_export_xlsx()
        if action["type"] == "ir.actions.report":
            return self.render_report_action(action)
        return base64.b64decode(wizard.download_file)

    def _closing_xlsx(self):
        closing = self.env["pos.customer.ledger.closing"].create({"date_from": self.last_month})
        closing.action_close()
        return closing.export_xlsx()

    def _exports(self):
        period = {"date_from": self.today - timedelta(days=60), "date_to": self.today}
        statement = "pos.customer.ledger.statement.wizard"
        return {
            "activity statement": (
                lambda: self._download(statement, {"partner_ids": self.customer.ids, **period}),
                (CUSTOMER, COMPANY, CASHIER, TILL),
            ),
            "outstanding statement": (
                lambda: self._download(
                    statement, {"partner_ids": self.customer.ids, "statement_type": "outstanding", **period}
                ),
                (CUSTOMER, COMPANY),
            ),
            "aged dues": (
                lambda: self._download("pos.customer.ledger.aging.wizard", {"date": self.today}),
                (CUSTOMER, REFERENCE, COMPANY),
            ),
            "segment contact list": (
                self.customer.ledger_segment_xlsx,
                (CUSTOMER, REFERENCE, EMAIL, CITY, TILL, CASHIER),
            ),
            "promotion effectiveness": (
                lambda: self._download(
                    "pos.customer.ledger.promotion.wizard",
                    {"promotion_ref": f"product.pricelist,{self.config.pricelist_id.id}", **period},
                ),
                (PROMOTION, COMPANY),
            ),
            "month closing": (self._closing_xlsx, (COMPANY, CASHIER)),
        }

    def test_every_export_writes_user_text_as_text(self):
        for export, (build, texts) in self._exports().items():
            with self.subTest(export=export):
                book = openpyxl.load_workbook(io.BytesIO(build()))
                written = []
                for sheet in book.worksheets:
                    for row in sheet.iter_rows():
                        for cell in row:
                            self.assertNotEqual(
                                cell.data_type, "f", f"{export}: {cell.coordinate} holds a formula"
                            )
                            self.assertIsNone(cell.hyperlink, f"{export}: {cell.coordinate} holds a link")
                            if isinstance(cell.value, str):
                                written.append(cell.value)
                for text in texts:
                    self.assertTrue(
                        any(text in value for value in written), f"{export}: {text!r} is not written as is"
                    )
