import base64
import io

import openpyxl

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..tools.dates import company_today
from .common import CASHIER_GROUPS, LedgerTestCommon

# a 1x1 PNG: the customer's photo
PHOTO = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
)
NAME, EMAIL, PHONE = "Zhang Weiming", "zhang.weiming@example.com", "+86 138 0013 8000"
BANK_ACCOUNT = "6222020200112233445"


@tagged("post_install", "-at_install")
class TestLedgerAnonymize(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.company_user(
            "anon_manager",
            "base.group_user,base.group_partner_manager,pos_customer_ledger.group_ledger_manager",
            name="Ledger Manager Li",
        )
        cls.ledger_user = cls.company_user("anon_cashier", f"{CASHIER_GROUPS},base.group_partner_manager")
        cls.clerk = cls.company_user("anon_clerk", "base.group_user,base.group_partner_manager")
        cls.tag = cls.env["pos.customer.preference.tag"].create({"name": "Anon test: no nuts"})

    def setUp(self):
        super().setUp()
        # as in the web client, the chatter tracks changes (the test environment turns that off)
        self.customer.with_context(tracking_disable=False, mail_notrack=False).write(
            {
                "name": NAME,
                "email": EMAIL,
                "phone": PHONE,
                "mobile": "13900139000",
                "street": "88 Nanjing Road",
                "street2": "Flat 12",
                "zip": "200001",
                "city": "Shanghai",
                "country_id": self.env.ref("base.cn").id,
                "website": "https://zhang.example.com",
                "comment": "<p>Met at the spring fair</p>",
                "function": "Teacher",
                "ref": "CUST-ZW",
                "vat": "110101199001011234",
                "image_1920": PHOTO,
                "ledger_preference_note": "Allergic to nuts, size M",
                "ledger_preference_tag_ids": [Command.set(self.tag.ids)],
                "bank_ids": [Command.create({"acc_number": BANK_ACCOUNT})],
            }
        )
        self.customer_contact.write({"email": "wife.of.zhang@example.com", "phone": "13700137000"})
        self.customer.message_post(body=f"{NAME} asked for an invoice at {EMAIL}")
        # pay-later dues, a cash sale, an invoice and a sale to the contact
        self.due_order = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.cash_order = self.sync(self.customer)
        self.invoiced_order = self.sync(self.customer, is_invoiced=True)
        self.contact_order = self.sync(self.customer_contact, qty=2, payments=[(self.pay_later_pm, 21.4)])
        self.invoiced_order.account_move.message_post(
            body=f"Invoice sent to {NAME} ({EMAIL})", partner_ids=self.customer.ids
        )
        self._flush_tracking()

    def _ledger_snapshot(self):
        entries = self.Entry.search([("partner_id", "=", self.customer.id)], order="sequence_number")
        return {
            "ids": entries.ids,
            "hashes": entries.mapped("entry_hash"),
            "amount_total": sum(entries.mapped("amount_total")),
            "amount_due": sum(entries.mapped("amount_due")),
            "balances": entries.mapped("balance"),
            "ledger_balance": self.customer.ledger_balance,
            "order_count": self.customer.ledger_order_count,
        }

    def _flush_tracking(self):
        """Chatter tracking is written when the transaction commits."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _pseudonym(self):
        return f"Anonymised customer {self.customer.id:05d}"

    def test_manager_anonymises_customer_and_keeps_the_ledger(self):
        before = self._ledger_snapshot()
        self.assertEqual(len(before["ids"]), 4)
        self.assertAlmostEqual(before["ledger_balance"], 32.1)
        self.assertEqual(self.due_order.email, EMAIL, "the order copies the customer's email")
        move = self.invoiced_order.account_move
        self.assertEqual(move.invoice_partner_display_name, NAME)
        old_trackings = self.env["mail.tracking.value"].search([("old_value_char", "=", EMAIL)])
        tracked = self.customer.with_context(tracking_disable=False, mail_notrack=False)
        tracked.write({"email": "zhang.new@example.com"})
        self._flush_tracking()
        tracked.write({"email": EMAIL})
        self._flush_tracking()
        self.assertTrue(
            self.env["mail.tracking.value"].search([("old_value_char", "=", EMAIL)]) - old_trackings,
            "the chatter tracks the old email before anonymisation",
        )
        bank = self.customer.bank_ids
        photo = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                ("res_field", "=", "image_1920"),
            ]
        )
        self.assertTrue(photo)

        self.customer.with_user(self.manager).action_ledger_anonymize()
        self._flush_tracking()
        self.env.invalidate_all()

        customer, contact = self.customer, self.customer_contact.with_context(active_test=False)
        pseudonym = self._pseudonym()
        self.assertEqual(customer.name, pseudonym)
        self.assertEqual(customer.display_name, pseudonym)
        for field in (
            "email", "phone", "mobile", "street", "street2", "zip", "city", "country_id", "website",
            "comment", "function", "ref", "vat", "image_1920", "ledger_preference_note",
            "ledger_preference_tag_ids", "bank_ids",
        ):  # fmt: skip
            self.assertFalse(customer[field], f"{field} is personal data")
        self.assertTrue(customer.active)
        self.assertTrue(customer.ledger_anonymized)
        self.assertTrue(customer.ledger_anonymized_date)
        self.assertFalse(bank.active)
        self.assertEqual(bank.acc_number, f"Anonymised account {bank.id}")
        self.assertFalse(bank.message_ids)
        self.assertFalse(photo.exists())
        self.assertFalse(contact.active, "the contacts are archived")
        self.assertEqual(contact.name, f"Anonymised contact {contact.id:05d}")
        self.assertFalse(contact.email or contact.phone)
        self.assertTrue(contact.ledger_anonymized)

        # copies elsewhere
        orders = self.due_order | self.cash_order | self.invoiced_order | self.contact_order
        self.assertFalse(any(orders.mapped("email")) or any(orders.mapped("mobile")))
        self.assertEqual(move.invoice_partner_display_name, pseudonym)
        invoice_message = move.message_ids.filtered(lambda m: "Invoice sent to" in str(m.body))
        self.assertEqual(str(invoice_message.body), f"<p>Invoice sent to {pseudonym} ({pseudonym})</p>")
        Tracking = self.env["mail.tracking.value"]
        for secret in (NAME, EMAIL, PHONE, BANK_ACCOUNT):
            self.assertFalse(
                Tracking.search(
                    ["|", ("old_value_char", "ilike", secret), ("new_value_char", "ilike", secret)]
                )
            )
            self.assertFalse(
                self.env["mail.message"].search(
                    ["|", ("body", "ilike", secret), ("subject", "ilike", secret)]
                )
            )

        # the chatter keeps one note, saying who and when, and nothing personal
        note = self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", customer.id)])
        self.assertEqual(len(note), 1)
        self.assertEqual(note.author_id, self.manager.partner_id)
        self.assertIn("Ledger Manager Li", str(note.body))
        self.assertIn(customer.ledger_anonymized_date.strftime("%Y-%m-%d %H:%M"), str(note.body))
        self.assertFalse(note.tracking_value_ids)
        self.assertFalse(customer.message_follower_ids)

        # the ledger is untouched and still verifies
        self.assertEqual(self._ledger_snapshot(), before)
        self.assertTrue(self.Entry.verify_chain()["ok"])

        # the statement names the pseudonym only
        content = customer.with_user(self.manager).ledger_statement_xlsx("2000-01-01", "2100-12-31")
        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        cells = [str(value) for row in sheet.iter_rows(values_only=True) for value in row if value]
        self.assertIn(pseudonym, cells)
        self.assertFalse([cell for cell in cells if NAME in cell or EMAIL in cell])
        self.assertIn(self.entries_of(self.due_order).name, cells)

    def test_anonymising_a_contact_anonymises_its_customer(self):
        self.customer_contact.with_user(self.manager).action_ledger_anonymize()
        self.assertEqual(self.customer.name, self._pseudonym())
        self.assertFalse(self.customer_contact.active)

    def test_second_call_changes_nothing(self):
        self.customer.with_user(self.manager).action_ledger_anonymize()
        self.env.flush_all()
        date = self.customer.ledger_anonymized_date
        messages = self.customer.message_ids
        self.customer.with_user(self.manager).action_ledger_anonymize()
        self.assertEqual(self.customer.ledger_anonymized_date, date)
        self.assertEqual(self.customer.message_ids, messages)
        self.assertEqual(self.customer.name, self._pseudonym())

    def test_only_ledger_managers_may_anonymise(self):
        for user in (self.ledger_user, self.clerk):
            with self.assertRaises(AccessError):
                self.customer.with_user(user).action_ledger_anonymize()
        self.assertEqual(self.customer.name, NAME)
        self.assertEqual(self.customer.email, EMAIL)

    def test_users_and_companies_are_refused(self):
        employee = new_test_user(self.env, login="anon_employee", groups="base.group_user")
        with self.assertRaisesRegex(UserError, "anon_employee"):
            employee.partner_id.with_user(self.manager).action_ledger_anonymize()
        with self.assertRaisesRegex(UserError, self.company.name):
            self.company.partner_id.with_user(self.manager).action_ledger_anonymize()
        # a contact with a login refuses the whole customer, before anything is written
        portal = new_test_user(self.env, login="anon_portal", groups="base.group_portal")
        portal.partner_id.parent_id = self.customer
        with self.assertRaisesRegex(UserError, "anon_portal"):
            self.customer.with_user(self.manager).action_ledger_anonymize()
        self.assertEqual(self.customer.name, NAME)
        self.assertEqual(self.customer.email, EMAIL)
        self.assertTrue(self.customer.bank_ids)
        self.assertFalse(self.customer.ledger_anonymized)

    def test_pseudonym_in_the_managers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["pos_customer_ledger"], ["zh_CN"], overwrite=True)
        # the web client sends the user's language in the context
        self.customer.with_user(self.manager).with_context(lang="zh_CN").action_ledger_anonymize()
        self.assertEqual(self.customer.name, f"匿名客户 {self.customer.id:05d}")

    def test_the_right_to_edit_the_contacts_is_required(self):
        # a ledger manager who may not edit contacts
        reader = self.company_user("anon_reader", "base.group_user,pos_customer_ledger.group_ledger_manager")
        with self.assertRaises(AccessError):
            self.customer.with_user(reader).action_ledger_anonymize()
        self.assertEqual(self.customer.name, NAME)
        self.assertEqual(self.customer_contact.email, "wife.of.zhang@example.com")

    def test_only_customers_of_the_ledger(self):
        stranger = self.env["res.partner"].create({"name": "Walk-in Wang", "email": "wang@example.com"})
        with self.assertRaisesRegex(UserError, "Walk-in Wang.*no customer ledger history"):
            stranger.with_user(self.manager).action_ledger_anonymize()
        self.assertEqual(stranger.name, "Walk-in Wang")
        self.assertFalse(stranger.ledger_anonymized)

    def test_customers_of_another_company_are_refused(self):
        other_company = self.env["res.company"].create({"name": "Anon test: other shop"})
        self.Entry.post_manual_entry(
            "opening", self.customer, 3.0, fields.Date.today(), "Carried over", company=other_company
        )
        with self.assertRaisesRegex(UserError, "used by a company you are not working in"):
            self.customer.with_user(self.manager).action_ledger_anonymize()
        # a manager of both, working in one of them only, is refused too
        self.manager.company_ids = [Command.link(other_company.id)]
        with self.assertRaisesRegex(UserError, "used by a company you are not working in"):
            self.customer.with_user(self.manager).with_context(
                allowed_company_ids=self.company.ids
            ).action_ledger_anonymize()
        self.assertEqual(self.customer.name, NAME)
        self.customer.with_user(self.manager).with_context(
            allowed_company_ids=(self.company | other_company).ids
        ).action_ledger_anonymize()
        self.assertEqual(self.customer.name, self._pseudonym())
        self.assertTrue(self.Entry.verify_chain(self.company | other_company)["ok"])

    def test_blacklisted_address_is_removed(self):
        self.env["mail.blacklist"]._add(EMAIL.upper())
        kept = self.env["mail.blacklist"]._add("someone.else@example.com")
        self.customer.with_user(self.manager).action_ledger_anonymize()
        blacklist = self.env["mail.blacklist"].with_context(active_test=False)
        self.assertFalse(blacklist.search([("email", "=", EMAIL)]))
        self.assertTrue(kept.exists())

    def test_audit_flags_lose_the_identity(self):
        """A flag's finding names the customer, their phone or e-mail: anonymising rewrites it."""
        self.env["res.partner"].create({"name": "Zhang W. (duplicate)", "phone": "138 0013 8000"})
        Rule = self.env["pos.customer.ledger.audit.rule"].with_company(self.company)
        Rule = Rule.with_context(allowed_company_ids=self.company.ids)
        today = company_today(self.company)
        flag = Rule.run_audit(today, today, ["duplicate_customers"])
        self.assertEqual(len(flag), 1)
        self.assertIn(PHONE, flag.message)
        self.assertIn(NAME, flag.message)
        flag.write({"review_note": f"Asked {NAME} on {PHONE}"})
        fingerprint = flag.fingerprint

        self.customer.with_user(self.manager).action_ledger_anonymize()
        self.env.invalidate_all()

        for text in (flag.message, flag.review_note):
            self.assertNotIn(PHONE, text)
            self.assertNotIn(NAME, text)
            self.assertIn(self._pseudonym(), text)
        self.assertIn("Zhang W. (duplicate)", flag.message, "the other customer keeps their name")
        self.assertEqual(flag.fingerprint, fingerprint)
