from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CASHIER_GROUPS, LedgerTestCommon


@tagged("post_install", "-at_install")
class TestLedgerSecurity(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company()["company"]
        cls.cashier = cls.company_user("ledger_cashier", CASHIER_GROUPS)
        cls.auditor = cls.company_user(
            "ledger_auditor", "base.group_user,pos_customer_ledger.group_ledger_auditor"
        )

    def _post_in_other_company(self):
        return self.Entry._post(
            [
                {
                    "company_id": self.other_company.id,
                    "partner_id": self.customer.id,
                    "date": "2026-01-05 10:00:00",
                    "kind": "sale",
                    "amount_total": 99.0,
                    "amount_due": 99.0,
                }
            ]
        )

    def test_cashier_reads_but_cannot_write_unlink_or_create(self):
        entry = self.entries_of(self.sync(self.customer)).with_user(self.cashier)
        self.assertTrue(self.cashier.has_group("pos_customer_ledger.group_ledger_user"))
        self.assertEqual(entry.read(["amount_total"])[0]["amount_total"], 10.7)
        with self.assertRaises(AccessError):
            entry.write({"amount_total": 0.0})
        with self.assertRaises(AccessError):
            entry.unlink()
        with self.assertRaises(AccessError):
            self.Entry.with_user(self.cashier).create({"name": "forged"})

    def test_other_company_entries_are_invisible(self):
        own = self.entries_of(self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)]))
        foreign = self._post_in_other_company()
        visible = self.Entry.with_user(self.cashier).search([("partner_id", "=", self.customer.id)])
        self.assertEqual(visible, own)
        with self.assertRaises(AccessError):
            foreign.with_user(self.cashier).read(["amount_total"])
        # the customer's balance counts only the user's companies
        self.assertAlmostEqual(self.customer.with_user(self.cashier).ledger_balance, 10.7)
        stats = self.env["pos.customer.ledger.partner.stat"].with_user(self.cashier).search([])
        self.assertNotIn(self.other_company, stats.company_id)

    def test_foreign_company_sequence_is_independent(self):
        own = self.entries_of(self.sync(self.customer))
        foreign = self._post_in_other_company()
        self.assertEqual(foreign.sequence_number, 1)
        self.assertGreaterEqual(own.sequence_number, 1)

    def test_statement_export_needs_auditor(self):
        self.sync(self.customer)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.cashier).ledger_statement_xlsx("2026-01-01", "2026-12-31")
        content = self.customer.with_user(self.auditor).ledger_statement_xlsx("2000-01-01", "2100-12-31")
        self.assertTrue(content.startswith(b"PK"))

    def test_administrator_is_ledger_manager(self):
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("pos_customer_ledger.group_ledger_manager"))
        self.assertTrue(admin.has_group("pos_customer_ledger.group_ledger_auditor"))
