from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestLedgerPartnerMerge(LedgerTestCommon):
    """Odoo's own contact merge, as the administrator runs it from the contacts list."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.company_ids = [Command.link(cls.company.id)]

    def setUp(self):
        super().setUp()
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.sync(self.other_customer, qty=2)
        self.sync(self.customer_contact)  # posted on the customer's ledger

    def merge(self, partners, survivor):
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(self.admin)
            .with_context(allowed_company_ids=self.company.ids)
            .create({"partner_ids": [Command.set(partners.ids)], "dst_partner_id": survivor.id})
        )
        return wizard.action_merge()

    def snapshot(self):
        self.env.invalidate_all()
        entries = self.Entry.search([], order="company_id, sequence_number")
        return {
            "entries": entries.read(["partner_id", "entry_hash", "balance"], load=None),
            "stats": self.env["pos.customer.ledger.partner.stat"].search_read(
                [], ["partner_id", "company_id", "balance"], order="id", load=None
            ),
            "preferences": self.env["pos.customer.preference"].search_read(
                [], ["partner_id", "product_id", "qty"], order="id", load=None
            ),
            "orders": self.env["pos.order"].search_read([], ["partner_id"], order="id", load=None),
        }

    def assert_refused(self, partners, survivor, named):
        before = self.snapshot()
        with self.assertRaisesRegex(UserError, "cannot be merged") as caught:
            self.merge(partners, survivor)
        message = str(caught.exception)
        for partner in named:
            self.assertIn(partner.name, message)
        self.assertIn("archive", message)
        self.assertEqual(self.snapshot(), before, "a refused merge changes nothing")
        self.assertEqual(partners.exists(), partners)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_customers_with_ledger_history_are_not_merged(self):
        self.assert_refused(self.customer | self.other_customer, self.other_customer, self.customer)
        self.assert_refused(self.customer | self.other_customer, self.customer, self.other_customer)

    def test_contact_with_posted_orders_is_not_merged(self):
        duplicate = self.env["res.partner"].create({"name": "Buyer (duplicate)"})
        self.assert_refused(self.customer_contact | duplicate, duplicate, self.customer_contact)

    def test_history_in_another_company_counts(self):
        other_company = self.env["res.company"].create({"name": "Ledger merge: other shop"})
        abroad = self.env["res.partner"].create({"name": "Customer of the other shop"})
        self.Entry.with_company(other_company).post_manual_entry(
            "opening", abroad, 5.0, fields.Date.today(), "Carried over", company=other_company
        )
        self.assertFalse(
            self.Entry.search([("partner_id", "=", abroad.id), ("company_id", "=", self.company.id)])
        )
        duplicate = self.env["res.partner"].create({"name": "Customer of the other shop (2)"})
        self.assert_refused(abroad | duplicate, duplicate, abroad)

    def test_partners_without_ledger_history_merge_as_before(self):
        plain = self.env["res.partner"].create(
            [{"name": "Plain contact", "email": "plain@example.com"}, {"name": "Plain copy"}]
        )
        self.merge(plain, plain[0])
        self.assertFalse(plain[1].exists())
        self.assertEqual(plain[0].name, "Plain contact")
        # a duplicate without history may be merged into a customer who has some
        before = self.customer.ledger_balance
        duplicate = self.env["res.partner"].create({"name": "Customer typo", "phone": "555"})
        self.merge(self.customer | duplicate, self.customer)
        self.assertFalse(duplicate.exists())
        self.assertEqual(self.customer.ledger_balance, before)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])
