from unittest import SkipTest

from odoo import fields
from odoo.modules import get_manifest, get_modules
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.base.models.ir_actions_report import IrActionsReport

CUSTOMER = "Statement Tour Customer"


@tagged("post_install", "-at_install")
class TestStatementPrintPdf(HttpCase):
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
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() in ("install", "broken"):
            self.skipTest("wkhtmltopdf is not usable: the browser would show the HTML report")
        rendered = []
        render = IrActionsReport._render_qweb_pdf

        def record(report, report_ref, res_ids=None, data=None):
            content, report_type = render(report, report_ref, res_ids=res_ids, data=data)
            rendered.append((report_ref, res_ids, content))
            return content, report_type

        self.patch(IrActionsReport, "_render_qweb_pdf", record)
        self.start_tour(
            f"/odoo/res.partner/{self.customer.id}",
            "pos_customer_ledger_statement_print_pdf",
            login=self.auditor.login,
        )
        [wizard] = self.env["pos.customer.ledger.statement.wizard"].search(
            [("create_uid", "=", self.auditor.id)]
        )
        self.assertEqual(wizard.partner_ids, self.customer)
        # what the browser downloaded: the statement of the wizard, in HTML as
        # Odoo renders PDFs under tests (test_statement.py checks the real PDF)
        [(report_ref, res_ids, content)] = rendered
        self.assertEqual((report_ref, res_ids), ("pos_customer_ledger.customer_statement", wizard.ids))
        self.assertIn(CUSTOMER, content.decode())
