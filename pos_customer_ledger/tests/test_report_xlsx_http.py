import io
import json

import openpyxl

from odoo import http
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import CASHIER_GROUPS, company_user

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@tagged("post_install", "-at_install")
class TestLedgerReportXlsxHttp(HttpCase):
    """XLSX reports and exports, as the browser downloads them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.ref("base.main_company")
        cls.auditor = company_user(
            cls.env, "xlsx_http_auditor", "base.group_user,pos_customer_ledger.group_ledger_auditor", company
        )
        cls.cashier = company_user(cls.env, "xlsx_http_cashier", CASHIER_GROUPS, company)
        Closing = cls.env["pos.customer.ledger.closing"].with_company(company)
        # last month, unless the demo data closed it already
        cls.closing = Closing.search(
            [
                ("company_id", "=", company.id),
                ("date_from", "=", Closing._fields["date_from"].default(Closing)),
            ]
        )
        if not cls.closing:
            cls.closing = Closing.create({})
            cls.closing.action_close()

    def download(self, user):
        """POST /report/download as the Print menu does for an XLSX report action."""
        self.authenticate(user.login, user.login)
        url = f"/report/xlsx/pos_customer_ledger.closing_xlsx/{self.closing.id}"
        with mute_logger("odoo.addons.report_xlsx.controllers.main", "odoo.http"):
            return self.url_open(
                "/report/download",
                data={
                    "data": json.dumps([url, "xlsx"]),
                    "context": "{}",
                    "csrf_token": http.Request.csrf_token(self),
                },
            )

    def test_auditor_downloads_the_closing(self):
        response = self.download(self.auditor)
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"Ledger%20closing%20{self.closing.name}.xlsx", response.headers["Content-Disposition"])
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
        self.assertEqual(values["Closing balance"], self.closing.closing_balance)
        self.assertEqual(values["Hash of the chain's last entry"], self.closing.last_hash)

    def test_cashier_is_refused(self):
        response = self.download(self.cashier)
        self.assertFalse(response.content.startswith(b"PK"))
        self.assertIn(b"AccessError", response.content)

    def test_xlsx_files_are_served_as_xlsx(self):
        """Report actions (report_xlsx) and the wizards' downloads (/web/content):
        the XLSX content type, and no failed zip checks in the log."""
        response = self.download(self.auditor)
        self.assertEqual(response.headers["Content-Type"], XLSX_MIMETYPE)
        wizard = self.env["pos.customer.ledger.aging.wizard"].with_user(self.auditor).create({})
        action = wizard.action_export_xlsx()
        self.authenticate(self.auditor.login, self.auditor.login)
        with self.assertNoLogs("odoo.tools.mimetypes", "WARNING"):
            response = self.url_open(action["url"])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], XLSX_MIMETYPE)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertIn(".xlsx", response.headers["Content-Disposition"])
        openpyxl.load_workbook(io.BytesIO(response.content))
