import io
import json
from unittest import SkipTest

import openpyxl

from odoo import fields
from odoo.modules import get_manifest, get_modules
from odoo.tests import HttpCase, new_test_user, tagged

from .common import BrowserDownloadsMixin

CUSTOMER = "Print Tour Customer"
PROMOTION = "Print Tour Promotion"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUDITOR_GROUPS = "base.group_user,base.group_partner_manager,pos_customer_ledger.group_ledger_auditor"


@tagged("post_install", "-at_install")
class TestPrintButtons(BrowserDownloadsMixin, HttpCase):
    """Every back-office button and Print menu entry that downloads a file,
    clicked in a browser; the test reads back the file the server sent."""

    @classmethod
    def setUpClass(cls):
        if not cls.http_port():
            raise SkipTest("Browser tours need Odoo's HTTP server: run pytest with --odoo-http")
        # the addons' manifests, read before the browser's parallel requests do
        for module in get_modules():
            get_manifest(module)
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.auditor = new_test_user(
            cls.env, login="print_tour_auditor", groups=AUDITOR_GROUPS, company_id=cls.company.id
        )
        cls.customer = cls.env["res.partner"].create({"name": CUSTOMER})
        cls.env["pos.customer.ledger.entry"].post_manual_entry(
            "opening", cls.customer, 123.45, fields.Date.today(), "Opening balance", company=cls.company
        )
        Closing = cls.env["pos.customer.ledger.closing"].with_company(cls.company)
        # last month, unless the demo data closed it already
        cls.closing = Closing.search(
            [
                ("company_id", "=", cls.company.id),
                ("date_from", "=", Closing._fields["date_from"].default(Closing)),
            ]
        )
        if not cls.closing:
            cls.closing = Closing.create({})
        if cls.closing.state != "closed":
            cls.closing.action_close()

    def setUp(self):
        super().setUp()
        self.capture_downloads()

    def xlsx_rows(self, body):
        self.assertTrue(body.startswith(b"PK"), body[:200])
        workbook = openpyxl.load_workbook(io.BytesIO(body))
        return [row for sheet in workbook for row in sheet.iter_rows(values_only=True)]

    def row_of(self, rows, first_cell):
        [row] = [row for row in rows if row and row[0] == first_cell]
        return row

    def tour(self, url, name):
        self.start_tour(url, name, login=self.auditor.login)

    def test_statement_export_xlsx(self):
        self.tour(f"/odoo/res.partner/{self.customer.id}", "pos_customer_ledger_statement_export_xlsx")
        body = self.download("customer_statement_", XLSX)
        workbook = openpyxl.load_workbook(io.BytesIO(body))
        self.assertEqual(workbook.sheetnames, [CUSTOMER])
        cells = [cell for row in workbook.active.iter_rows(values_only=True) for cell in row]
        self.assertIn(CUSTOMER, cells)
        self.assertIn(123.45, cells)

    def test_outstanding_statement_print_menu(self):
        self.render_real_pdfs()
        self.tour(f"/odoo/res.partner/{self.customer.id}", "pos_customer_ledger_outstanding_statement_print")
        text = self.pdf_text(self.download(f"Statement - {CUSTOMER}.pdf", "application/pdf"))
        self.assertIn("Outstanding Statement", text)
        self.assertIn(CUSTOMER, text)
        self.assertIn("123.45", text)

    def test_month_closing_downloads(self):
        """The form's Export XLSX, and both entries of its Print menu."""
        self.render_real_pdfs()
        closing = self.closing
        self.tour(
            f"/odoo/action-pos_customer_ledger.action_pos_customer_ledger_closing/{closing.id}",
            "pos_customer_ledger_closing_downloads",
        )
        for name in (f"ledger_closing_{closing.name}.xlsx", f"Ledger closing {closing.name}.xlsx"):
            with self.subTest(file=name):
                rows = self.xlsx_rows(self.download(name, XLSX))
                self.assertEqual(self.row_of(rows, "Closing balance")[1], closing.closing_balance)
                self.assertEqual(self.row_of(rows, "Hash of the chain's last entry")[1], closing.last_hash)
        text = self.pdf_text(self.download(f"Ledger closing {closing.name}.pdf", "application/pdf"))
        self.assertIn(closing.name, text)
        self.assertIn(closing.last_hash, text.replace(" ", ""))

    def test_month_closings_export_anchors(self):
        self.tour(
            "/odoo/action-pos_customer_ledger.action_pos_customer_ledger_closing",
            "pos_customer_ledger_closing_list_anchors",
        )
        anchors = json.loads(self.download("ledger_anchors_", "application/json"))
        self.assertIn(self.closing.last_hash, json.dumps(anchors))

    def test_integrity_check_print_and_anchors(self):
        """Verify, Export Anchors, Print (the check in the browser) and its PDF."""
        self.render_real_pdfs()
        self.tour(
            "/odoo/action-pos_customer_ledger.action_ledger_verify_wizard", "pos_customer_ledger_verify_print"
        )
        anchors = json.loads(self.download("ledger_anchors_", "application/json"))
        self.assertIn(self.closing.last_hash, json.dumps(anchors))
        head = self.env["pos.customer.ledger.chain"].search([("company_id", "=", self.company.id)])
        text = self.pdf_text(self.download("Ledger integrity check.pdf", "application/pdf")).replace(" ", "")
        self.assertIn(head.last_hash, text)
        self.assertIn(str(head.last_sequence), text)
        self.assertIn(self.closing.last_hash, text)

    def test_aged_dues_export_xlsx(self):
        self.tour(
            "/odoo/action-pos_customer_ledger.action_ledger_aging_wizard",
            "pos_customer_ledger_aging_export_xlsx",
        )
        rows = self.xlsx_rows(self.download("aged_dues_", XLSX))
        self.assertEqual(self.row_of(rows, CUSTOMER)[2], 123.45)

    def test_segment_export_xlsx(self):
        self.customer.with_company(self.company).rfm_segment = "champions"
        self.tour(
            "/odoo/action-pos_customer_ledger.action_ledger_segment_export_wizard",
            "pos_customer_ledger_segment_export_xlsx",
        )
        rows = self.xlsx_rows(self.download("customers_champions.xlsx", XLSX))
        self.assertIn(CUSTOMER, [row[0] for row in rows])

    def test_promotion_export_xlsx(self):
        pricelist = self.env["product.pricelist"].create({"name": PROMOTION, "company_id": self.company.id})
        self.tour(
            "/odoo/action-pos_customer_ledger.action_ledger_promotion_wizard",
            "pos_customer_ledger_promotion_export_xlsx",
        )
        rows = self.xlsx_rows(self.download("promotion_effectiveness_", XLSX))
        self.assertEqual(rows[0][0], f"Promotion Effectiveness: {pricelist.display_name}")
