from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MockEmail

from ..tools.dates import company_today
from .common import LedgerTestCommon
from .test_statement import CHINESE_CUSTOMER, activate_chinese, pdf_text


@tagged("post_install", "-at_install")
class TestStatementMail(LedgerTestCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "ledger_statement_mail": True,
                "ledger_statement_min_amount": 10.0,
                "ledger_statement_interval": "weekly",
                "email": "shop@example.com",
            }
        )
        cls.customer.email = "customer1@example.com"
        cls.other_customer.email = "other@example.com"
        cls.no_email = cls.env["res.partner"].create({"name": "No Email"})

    def setUp(self):
        super().setUp()
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        # below the minimum
        self.sync(self.other_customer, qty=1, payments=[(self.pay_later_pm, 5.0), (self.cash_pm1, 5.7)])
        self.sync(self.no_email, payments=[(self.pay_later_pm, 10.7)])

    def _statement_mails(self):
        return self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "in", self._partners().ids)]
        )

    def _partners(self):
        return self.customer | self.other_customer | self.no_email

    def _send(self, context=None, **kwargs):
        self.env.flush_all()
        # Odoo's runner sends the mails at once and would delete them
        with self.mock_mail_gateway():
            partners = self.env["res.partner"].with_context(**(context or {}))
            return partners._cron_send_ledger_statements(**kwargs)

    def test_customers_with_dues_get_their_statement_once_per_interval(self):
        self.assertEqual(self._send(), 1)
        [mail] = self._statement_mails()
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn(self.company.name, mail.subject)
        [attachment] = mail.attachment_ids
        self.assertIn(self.customer.name, attachment.name)
        self.assertTrue(attachment.raw)
        stat = self.env["pos.customer.ledger.partner.stat"].search(
            [("partner_id", "=", self.customer.id), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(stat.statement_sent_date, company_today(self.company))

        self.assertEqual(self._send(), 0, "not again within the week")
        with freeze_time(fields.Datetime.now() + timedelta(days=8)):
            self.assertEqual(self._send(), 1)
        self.assertEqual(len(self._statement_mails()), 2)

    def test_opt_in_per_company(self):
        self.company.ledger_statement_mail = False
        self.assertEqual(self._send(), 0)
        self.assertFalse(self._statement_mails())

    def test_batches(self):
        self.sync(self.other_customer, payments=[(self.pay_later_pm, 10.7)])
        self.assertEqual(self._send(batch_size=1), 1)
        self.assertEqual(self._send(batch_size=1), 1)
        self.assertEqual(self._send(batch_size=1), 0)

    def test_statement_in_the_customers_language(self):
        """A Chinese customer gets the mail and its PDF in Chinese, the PDF
        with its Chinese characters."""
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() in ("install", "broken"):
            self.skipTest("wkhtmltopdf is not usable: the PDF statement cannot be rendered")
        activate_chinese(self.env)
        self.customer.write({"name": CHINESE_CUSTOMER, "lang": "zh_CN"})
        self.assertEqual(self._send(context={"force_report_rendering": True}), 1)
        [mail] = self._statement_mails()
        self.assertIn("您的对账单", mail.subject)
        [attachment] = mail.attachment_ids
        self.assertEqual(attachment.mimetype, "application/pdf")
        text = pdf_text(self, attachment.raw)
        self.assertIn(CHINESE_CUSTOMER, text)
        self.assertIn("未结清对账单", text)
        self.assertIn("10.70", text)
