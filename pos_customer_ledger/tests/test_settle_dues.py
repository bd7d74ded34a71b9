from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.pos_customer_ledger.models.pos_order import PosOrder

from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestLedgerSettleDues(LedgerTestCommon):
    """Dues settled at the till: an order without products, paid in cash or by
    card and by a negative payment on the customer account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # books every customer's dues on one receivable: it cannot settle a customer's dues
        cls.combined_pay_later = cls.env["pos.payment.method"].create({"name": "Combined Pay Later"})
        cls.config.payment_method_ids |= cls.combined_pay_later

    def settle_data(self, customer, amount, method=None, customer_account=None):
        return self.create_ui_order_data(
            [],
            customer=customer,
            payments=[(method or self.cash_pm1, amount), (customer_account or self.pay_later_pm, -amount)],
        )

    def settle(self, customer, amount, method=None):
        result = self.env["pos.order"].sync_from_ui([self.settle_data(customer, amount, method)])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def owe(self, qty=3, days_ago=5):
        """A pay-later sale of qty * 10.70."""
        return self.sync(
            self.customer, qty=qty, payments=[(self.pay_later_pm, 10.7 * qty)], days_ago=days_ago
        )

    def assertRefused(self, data, message):
        orders, entries = self.env["pos.order"].search_count([]), self.Entry.search_count([])
        with self.assertRaisesRegex(UserError, message), self.env.cr.savepoint():
            self.env["pos.order"].sync_from_ui([data])
        self.assertEqual(self.env["pos.order"].search_count([]), orders)
        self.assertEqual(self.Entry.search_count([]), entries)

    def test_settlement_posts_one_payment_entry_once(self):
        self.owe()
        self.follow_preferences()
        Preference = self.env["pos.customer.preference"]
        preferences = Preference.search([("partner_id", "=", self.customer.id)]).read(["qty", "amount"])
        data = self.settle_data(self.customer_contact, 20.0)
        result = self.env["pos.order"].sync_from_ui([data])
        order = self.env["pos.order"].browse(result["pos.order"][0]["id"])
        self.assertEqual((order.state, order.amount_total, order.lines), ("paid", 0.0, order.lines.browse()))
        entry = self.entries_of(order)
        self.assertRecordValues(
            entry,
            [
                {
                    "kind": "payment",
                    "partner_id": self.customer.id,
                    "amount_total": 0.0,
                    "amount_tax": 0.0,
                    "amount_due": -20.0,
                    "balance": 12.1,
                }
            ],
        )
        self.assertAlmostEqual(self.customer.ledger_balance, 12.1)
        self.assertTrue(preferences)
        self.follow_preferences()
        self.assertEqual(
            Preference.search([("partner_id", "=", self.customer.id)]).read(["qty", "amount"]),
            preferences,
            "a settlement changes nothing in the customer's preferences",
        )

        entries = self.Entry.search_count([])
        retried = self.env["pos.order"].sync_from_ui([data])
        self.assertEqual(retried["pos.order"][0]["id"], order.id)
        self.assertEqual(self.Entry.search_count([]), entries, "a retried sync posts nothing more")

    def test_refused_settlements_write_nothing(self):
        # beyond the dues only when the company refuses deposits (test_deposits.py)
        self.company.ledger_refuse_overpayment = True
        self.owe()
        self.assertRefused(self.settle_data(self.customer, 32.2), "owes")
        self.assertRefused(self.settle_data(self.other_customer, 5.0), "owes")
        self.assertRefused(self.settle_data(self.customer, 0.0), "must be positive")
        self.assertRefused(self.settle_data(self.customer, -5.0), "must be positive")
        self.assertRefused(self.settle_data(False, 5.0), "Select the customer")
        invoiced = self.settle_data(self.customer, 5.0)
        invoiced["to_invoice"] = True
        self.assertRefused(invoiced, "cannot be invoiced")
        combined = self.settle_data(self.customer, 5.0, customer_account=self.combined_pay_later)
        self.assertRefused(combined, "identifies")
        self.assertAlmostEqual(self.customer.ledger_balance, 32.1)

    def test_settling_all_dues_is_allowed_and_no_more(self):
        self.company.ledger_refuse_overpayment = True
        self.owe()
        self.settle(self.customer, 12.1, self.bank_pm1)
        self.settle(self.customer, 20.0)
        self.assertAlmostEqual(self.customer.ledger_balance, 0.0)
        self.assertRefused(self.settle_data(self.customer, 0.01), "owes")

    def test_partial_cash_settlement_at_closing(self):
        sale = self.owe(days_ago=40)
        self.close_session()
        sale_line = self.entries_of(sale).receivable_line_id
        self.assertEqual(sale_line.amount_residual, 32.1)

        self.open_new_session()
        self.sync(self.other_customer)  # an ordinary cash sale in the same session: 10.70
        settlement = self.settle(self.customer, 20.0)
        self.assertAlmostEqual(self.pos_session.cash_register_balance_end, 30.7)
        self.assertEqual(self.Entry.reconcile_with_accounting(), [])
        entries = self.Entry.search_count([])
        self.close_session()
        self.assertEqual(self.pos_session.state, "closed")
        self.assertEqual(self.Entry.search_count([]), entries, "closing reconciles without new entries")

        credit = self.entries_of(settlement).receivable_line_id
        self.assertRecordValues(
            credit,
            [{"move_id": self.pos_session.move_id.id, "partner_id": self.customer.id, "balance": -20.0}],
        )
        self.assertTrue(credit.reconciled)
        self.assertAlmostEqual(sale_line.amount_residual, 12.1)
        self.assertEqual(self.Entry.reconcile_with_accounting(), [])
        self.assertAlmostEqual(self.customer.ledger_balance, 12.1)
        today = fields.Date.context_today(self.env.user)
        [aged] = self.env["pos.customer.ledger.aging"].get_aged_dues(today, partner_ids=self.customer.ids)
        self.assertAlmostEqual(aged["balance"], 12.1)
        # sold 40 days ago on the default 30 days: due 10 days ago
        self.assertEqual((aged["not_due"], aged["days_1_30"], aged["days_31_60"]), (0.0, 12.1, 0.0))

    def test_card_settlement_oldest_dues_first(self):
        old = self.owe(qty=1, days_ago=20)
        recent = self.owe(qty=2, days_ago=2)
        settlement = self.settle(self.customer, 21.4, self.bank_pm1)
        self.close_session()
        old_line, recent_line = (
            self.entries_of(old).receivable_line_id,
            self.entries_of(recent).receivable_line_id,
        )
        self.assertTrue(old_line.reconciled)
        self.assertAlmostEqual(recent_line.amount_residual, 10.7)
        self.assertTrue(self.entries_of(settlement).receivable_line_id.reconciled)
        self.assertEqual(self.Entry.reconcile_with_accounting(), [])
        self.assertAlmostEqual(self.customer.ledger_balance, 10.7)

    def test_ordinary_pay_later_sale_and_refund_unaffected(self):
        sale = self.owe()
        refund = self.sync_refund(sale, self.pay_later_pm)
        self.assertEqual(self.entries_of(sale | refund).mapped("kind"), ["refund", "sale"])
        self.assertAlmostEqual(self.customer.ledger_balance, 0.0)
        self.close_session()
        self.assertEqual(self.Entry.reconcile_with_accounting(), [])

    def test_backfill_agrees_with_the_till(self):
        sale = self.owe()
        with patch.object(PosOrder, "_ledger_post", lambda self: None):
            settlement = self.settle(self.customer, 20.0)
        [expected] = settlement._prepare_ledger_postings()
        self.assertEqual(self.Entry.backfill(), 1)
        self.assertRecordValues(
            self.entries_of(settlement),
            [{"kind": "payment", "amount_total": 0.0, "amount_due": expected["amount_due"], "balance": 12.1}],
        )
        self.assertEqual(expected["kind"], "payment")
        self.assertEqual(self.entries_of(sale).kind, "sale")

    def test_cashier_reads_the_dues_on_demand(self):
        self.owe()
        cashier = new_test_user(
            self.env, login="settle_cashier", groups="base.group_user,point_of_sale.group_pos_user"
        )
        Partner = self.env["res.partner"].with_user(cashier)
        self.assertAlmostEqual(
            Partner.browse(self.customer_contact.id).get_ledger_dues_for_pos(self.config.id), 32.1
        )
        self.assertEqual(Partner.browse(self.other_customer.id).get_ledger_dues_for_pos(self.config.id), 0.0)
        stranger = new_test_user(self.env, login="settle_stranger", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(stranger).browse(self.customer.id).get_ledger_dues_for_pos(
                self.config.id
            )

    def test_a_payment_shows_the_amount_paid_and_the_balance_left(self):
        """Not the order's total of 0: the entry, the card, the lists and the
        statement show the 20.00 paid and the 12.10 left."""
        self.owe()
        order = self.settle(self.customer_contact, 20.0)
        entry = self.entries_of(order)
        self.assertRecordValues(
            entry, [{"amount_total": 0.0, "amount": 20.0, "amount_due": -20.0, "balance": 12.1}]
        )
        sale = self.Entry.search([("partner_id", "=", self.customer.id), ("kind", "=", "sale")])
        self.assertRecordValues(sale, [{"amount": 32.1, "amount_due": 32.1}])

        card = self.customer_contact.ledger_pos_card(self.config.id)
        self.assertAlmostEqual(card["balance"], 12.1)
        self.assertEqual(
            [(visit["kind"], visit["amount"]) for visit in card["last_visits"]],
            [("payment", 20.0), ("sale", 32.1)],
        )

        Entry = self.env["pos.customer.ledger.entry"]
        list_arch = Entry.get_view(view_type="list")["arch"]
        self.assertIn('name="amount"', list_arch)
        form_arch = Entry.get_view(view_type="form")["arch"]
        self.assertIn('<field name="amount" string="Paid"', form_arch)
        self.assertIn('name="amount"', self.env["res.partner"].get_view(view_type="form")["arch"])

        today = fields.Date.context_today(self.customer)
        statement = self.env["pos.customer.ledger.statement.wizard"]._statement_of(
            self.customer, today - timedelta(days=10), today, "activity"
        )
        lines = statement._get_statement_data()["statements"][0]["lines"]
        self.assertEqual(
            [(line["kind"], line["total"], line["dues"], round(line["balance"], 2)) for line in lines],
            [("sale", 32.1, 32.1, 32.1), ("payment", 20.0, -20.0, 12.1)],
        )
