from odoo import Command
from odoo.tests import tagged

from odoo.addons.pos_customer_ledger.tests.common import LedgerTestCommon

EMAIL = "zhang.weiming@example.com"


@tagged("post_install", "-at_install")
class TestAnonymizeMailing(LedgerTestCommon):
    def test_anonymising_removes_the_person_from_email_marketing(self):
        manager = self.company_user(
            "anon_mailing_manager",
            "base.group_user,base.group_partner_manager,pos_customer_ledger.group_ledger_manager",
        )
        self.customer.email = EMAIL
        self.sync(self.customer)
        mailing_list = self.env["mailing.list"].create({"name": "Anon test: loyal customers"})
        # the person as a mailing contact (the address as they typed it) and someone else
        person, other = self.env["mailing.contact"].create(
            [
                {"name": "Zhang W.", "email": EMAIL.upper(), "list_ids": [Command.link(mailing_list.id)]},
                {"name": "Li Na", "email": "li.na@example.com", "list_ids": [Command.link(mailing_list.id)]},
            ]
        )
        subscription = self.env["mailing.subscription"].search([("contact_id", "=", person.id)])
        self.assertTrue(subscription)
        mailing = self.env["mailing.mailing"].create(
            {"subject": "Spring offers", "contact_list_ids": [Command.link(mailing_list.id)]}
        )
        Trace = self.env["mailing.trace"]
        traces = Trace.create(
            [
                {
                    "mass_mailing_id": mailing.id,
                    "model": "mailing.contact",
                    "res_id": person.id,
                    "email": EMAIL,
                },
                {"mass_mailing_id": mailing.id, "model": "res.partner", "res_id": self.customer.id},
                {
                    "mass_mailing_id": mailing.id,
                    "model": "mailing.contact",
                    "res_id": other.id,
                    "email": "li.na@example.com",
                },
            ]
        )
        traces[1].failure_reason = f"550 {EMAIL}: no such user"
        link = self.env["link.tracker"].create({"url": "https://shop.example.com/offers"})
        click = self.env["link.tracker.click"].create(
            {"link_id": link.id, "mailing_trace_id": traces[0].id, "ip": "203.0.113.7"}
        )

        self.customer.with_user(manager).action_ledger_anonymize()

        self.assertFalse(person.exists(), "the person's mailing contact is deleted")
        self.assertFalse(subscription.exists(), "and their list subscriptions")
        self.assertTrue(other.exists())
        self.assertEqual(mailing_list.contact_ids, other)
        # the mailing's statistics keep their counts, not the person's address
        self.assertEqual(traces.exists(), traces)
        self.assertFalse(traces[0].email or traces[1].failure_reason)
        self.assertEqual(traces[2].email, "li.na@example.com")
        self.assertFalse(click.ip)
        self.assertFalse(Trace.search([("email", "ilike", EMAIL)]))
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])
