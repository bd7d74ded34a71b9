from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.pos_customer_ledger.tests.common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestSegmentMailingList(LedgerTestCommon):
    def sync_at(self, customer, date_order):
        data = self.create_ui_order_data(
            [(self.product, 1)], customer=customer, payments=[(self.cash_pm1, 10.70)]
        )
        data["date_order"] = fields.Datetime.to_string(date_order)
        self.env["pos.order"].sync_from_ui([data])

    def test_segment_becomes_a_mailing_list(self):
        loyal_buyers = self.env["res.partner"].create(
            [
                {"name": "Ann", "email": "ann@example.com"},
                {"name": "Bob", "email": "BOB@example.com"},
                {"name": "Cy"},
            ]
        )
        # Bob already is an Email Marketing contact, who opted out of a list
        bob_contact = self.env["mailing.contact"].create({"name": "Bob", "email": "bob@example.com"})
        # the same sale at the same moment: equal scores, all of them the lowest
        long_ago = fields.Datetime.now().replace(microsecond=0) - timedelta(days=300)
        for customer in loyal_buyers:
            self.sync_at(customer, long_ago)
        self.env.ref("pos_customer_ledger.ir_cron_recompute_profiles").method_direct_trigger()
        self.assertEqual(set(loyal_buyers.mapped("rfm_segment")), {"hibernating"})

        wizard = self.env["pos.customer.segment.export.wizard"].create({"segment": "hibernating"})
        action = wizard.action_create_mailing_list()
        mailing_list = self.env["mailing.list"].browse(action["res_id"])
        self.assertIn("Hibernating", mailing_list.name)
        self.assertEqual(
            sorted(mailing_list.contact_ids.mapped("email")), ["ann@example.com", "bob@example.com"]
        )
        self.assertIn(bob_contact, mailing_list.contact_ids)

        with self.assertRaises(UserError):
            self.env["pos.customer.segment.export.wizard"].create(
                {"segment": "champions"}
            ).action_create_mailing_list()
