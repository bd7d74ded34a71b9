from unittest import SkipTest

from odoo import fields
from odoo.modules import get_manifest, get_modules
from odoo.tests import HttpCase, new_test_user, tagged

from .common import BrowserDownloadsMixin

CUSTOMER = "Statement Tour Customer"


@tagged("post_install", "-at_install")
class TestStatementPrintPdf(BrowserDownloadsMixin, HttpCase):
    """Print PDF in the Customer Statement wizard, in a browser."""

    @classmethod
    def setUpClass(cls):
        if not cls.http_port():
            raise SkipTest("Browser tours need Odoo's HTTP server: run pytest with --odoo-http")
        # the addons' manifests, read before the browser's parallel requests do
        for module in get_modules():
            get_manifest(module)
        super().setUpClass()
        cls.auditor = new_test_user(
            cls.env,
            login="statement_tour_auditor",
            groups="base.group_user,base.group_partner_manager,pos_customer_ledger.group_ledger_auditor",
        )
        cls.customer = cls.env["res.partner"].create({"name": CUSTOMER})
        # the Ledger tab shows for customers with ledger history
        cls.env["pos.customer.ledger.entry"].post_manual_entry(
            "opening", cls.customer, 10.0, fields.Date.today(), "Opening balance"
        )

    def test_print_pdf_from_the_customer_form(self):
        self.capture_downloads()
        self.render_real_pdfs()
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}",
            "pos_customer_ledger_statement_print_pdf",
            login=self.auditor.login,
        )
        [wizard] = self.env["pos.customer.ledger.statement.wizard"].search(
            [("create_uid", "=", self.auditor.id)]
        )
        self.assertEqual(wizard.partner_ids, self.customer)
        # what the browser downloaded: the statement of the wizard
        text = self.pdf_text(
            self.download(f"customer_statement_{wizard.date_from}_{wizard.date_to}.pdf", "application/pdf")
        )
        self.assertIn("Customer Statement", text)
        self.assertIn(CUSTOMER, text)
