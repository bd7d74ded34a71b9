from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.pos_customer_ledger.tools.dates import local_date, local_noon

from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestLedgerAdjustment(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_adjustment_journal()
        cls.today = fields.Date.context_today(cls.env.user)

    def _wizard(self, **values):
        defaults = {
            "kind": "adjustment",
            "partner_id": self.customer.id,
            "amount": 50.0,
            "date": self.today,
            "reason": "Goodwill for a broken chair",
        }
        return self.env["pos.customer.ledger.adjustment.wizard"].create({**defaults, **values})

    def _counts(self):
        return (
            self.Entry.search_count([("company_id", "=", self.company.id)]),
            self.env["account.move"].search_count(
                [("journal_id", "=", self.company_data["default_journal_misc"].id)]
            ),
        )

    def test_adjustment_posts_entry_and_journal_entry(self):
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        action = self._wizard(amount=-4.2).action_post()
        entry = self.Entry.browse(action["res_id"])
        self.assertRecordValues(
            entry,
            [
                {
                    "kind": "adjustment",
                    "partner_id": self.customer.id,
                    "amount_due": -4.2,
                    "balance": 6.5,
                    "note": "Goodwill for a broken chair",
                    "user_id": self.env.uid,
                }
            ],
        )
        self.assertEqual(fields.Datetime.context_timestamp(self.env.user, entry.date).date(), self.today)
        move = entry.move_id
        self.assertEqual(move.state, "posted")
        receivable = move.line_ids.filtered(
            lambda line: line.account_id == self.customer.property_account_receivable_id
        )
        self.assertEqual(
            (receivable.debit, receivable.credit, receivable.partner_id), (0.0, 4.2, self.customer)
        )
        counterpart = move.line_ids - receivable
        self.assertEqual(
            (counterpart.account_id, counterpart.debit), (self.company_data["default_account_expense"], 4.2)
        )
        self.assertAlmostEqual(self.customer.ledger_balance, 6.5)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_an_adjustment_is_reversed_by_another_entry(self):
        first = self.Entry.browse(self._wizard(amount=50.0).action_post()["res_id"])
        self.Entry.browse(self._wizard(amount=-50.0, reason="Reverses " + first.name).action_post()["res_id"])
        self.assertAlmostEqual(self.customer.ledger_balance, 0.0)
        with self.assertRaises(UserError):
            first.unlink()

    def test_opening_balance_has_no_journal_entry(self):
        entry = self.Entry.browse(
            self._wizard(kind="opening", amount=120.0, reason="Balance from the old till").action_post()[
                "res_id"
            ]
        )
        self.assertRecordValues(entry, [{"kind": "opening", "amount_due": 120.0, "balance": 120.0}])
        self.assertFalse(entry.move_id)

    def test_bad_input_is_refused_and_writes_nothing(self):
        other_company_customer = self.env["res.partner"].create(
            {"name": "Elsewhere", "company_id": self.setup_other_company()["company"].id}
        )
        foreign_currency = self.env["res.currency"].search(
            [("id", "!=", self.company.currency_id.id), ("active", "in", (True, False))], limit=1
        )
        before = self._counts()
        cases = {
            "A reason is required": {"reason": "   "},
            "cannot be zero": {"amount": 0.0},
            "belongs to another company": {"partner_id": other_company_customer.id},
            "must be in": {"currency_id": foreign_currency.id},
        }
        for message, values in cases.items():
            with self.subTest(message), self.assertRaisesRegex(UserError, message):
                self._wizard(**values).action_post()
        self.company.fiscalyear_lock_date = self.today - timedelta(days=1)
        with self.assertRaisesRegex(UserError, "locked accounting period"):
            self._wizard(date=self.today - timedelta(days=5)).action_post()
        self.company.ledger_adjustment_account_id = False
        with self.assertRaisesRegex(UserError, "counterpart account"):
            self._wizard().action_post()
        with self.assertRaises(UserError) as every_problem:
            self._wizard(amount=0.0, reason="").action_post()
        self.assertIn("A reason is required", str(every_problem.exception))
        self.assertIn("cannot be zero", str(every_problem.exception))
        self.assertEqual(self._counts(), before)

    def test_missing_configuration_is_said_when_the_wizard_opens(self):
        """The banner shows on opening, before anything is filled in; an opening
        balance needs no journal; posting still refuses."""
        self.company.ledger_adjustment_journal_id = False
        manager = self.company_user(
            "adjust_unconfigured_manager", "base.group_user,pos_customer_ledger.group_ledger_manager"
        )
        action = self.env.ref("pos_customer_ledger.action_ledger_adjustment_wizard")
        form = Form(self.env[action.res_model].with_user(manager))
        self.assertIn("has no ledger adjustment journal or counterpart account", form.missing_configuration)
        self.assertIn("Settings > Customer Ledger > Ledger adjustments", form.missing_configuration)
        arch = form._view["tree"]
        banner = arch.xpath("//div[hasclass('alert-warning')]")[0]
        self.assertEqual(banner.get("invisible"), "not missing_configuration")
        self.assertTrue(banner.xpath(".//field[@name='missing_configuration']"))
        form.kind = "opening"
        self.assertFalse(form.missing_configuration)
        form.kind = "adjustment"
        form.partner_id = self.customer
        form.amount = 5.0
        form.reason = "Goodwill"
        wizard = form.save()
        with self.assertRaisesRegex(UserError, "Settings > Customer Ledger"):
            wizard.action_post()
        self.set_adjustment_journal()
        self.assertFalse(self._wizard().missing_configuration)

    def test_only_managers_adjust(self):
        cashier = new_test_user(
            self.env, login="adjust_cashier", groups="base.group_user,point_of_sale.group_pos_user"
        )
        with self.assertRaises(AccessError):
            self.Entry.with_user(cashier).post_manual_entry("adjustment", self.customer, 5.0, self.today, "x")

    def test_adjustment_is_dated_on_the_company_s_day_whoever_enters_it(self):
        """Noon of the chosen day in the company's time zone: a manager far
        west of the shop still books it on the shop's day."""
        self.company.partner_id.tz = "Pacific/Auckland"
        self.env.user.tz = "America/Los_Angeles"
        day = self.today - timedelta(days=3)
        entry = self.Entry.browse(self._wizard(date=day).action_post()["res_id"])
        self.assertEqual(entry.date, local_noon(self.company, day))
        self.assertEqual(local_date(self.company, entry.date), day)
