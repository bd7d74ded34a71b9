import base64
import io
from datetime import timedelta

import openpyxl

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import LedgerTestCommon

REFUSED = "refuses payments beyond the dues"


@tagged("post_install", "-at_install")
class TestLedgerDeposits(LedgerTestCommon):
    """Money paid into the customer account beyond the dues: a deposit (stored
    value, 会员储值) that leaves the customer in credit, as Odoo allows; refused
    only when the company says so."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.penny = cls.create_product("Ledger Penny", cls.categ_basic, 0.01)
        cls.free = cls.create_product("Ledger Free Gift", cls.categ_basic, 0.0)
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.today = fields.Date.context_today(cls.env.user)

    def deposit_data(self, amount, lines=(), customer=None, method=None):
        """An order paying ``amount`` into the customer account, the rest of its
        total (its lines) in cash."""
        total = self.create_ui_order_data(list(lines))["amount_total"]
        return self.create_ui_order_data(
            list(lines),
            customer=customer or self.customer,
            payments=[(method or self.cash_pm1, total + amount), (self.pay_later_pm, -amount)],
        )

    def sync_data(self, data):
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def owe(self, qty=3):
        """A pay-later sale of qty * 10.70."""
        return self.sync(self.customer, qty=qty, payments=[(self.pay_later_pm, 10.7 * qty)])

    def assertRefused(self, data, message=REFUSED):
        counts = (self.env["pos.order"].search_count([]), self.Entry.search_count([]))
        with self.assertRaisesRegex(UserError, message), self.env.cr.savepoint():
            self.env["pos.order"].sync_from_ui([data])
        self.assertEqual((self.env["pos.order"].search_count([]), self.Entry.search_count([])), counts)

    def assertAgree(self):
        self.assertEqual(self.Entry.reconcile_with_accounting(), [])

    # ------------------------------------------------------------------ till

    def test_deposit_at_the_till_leaves_a_credit(self):
        order = self.sync_data(self.deposit_data(100.0))
        self.assertRecordValues(
            self.entries_of(order),
            [{"kind": "payment", "amount_total": 0.0, "amount_due": -100.0, "balance": -100.0}],
        )
        self.assertEqual((self.customer.ledger_balance, self.customer.ledger_credit), (-100.0, 100.0))
        self.assertEqual(self.customer_contact.get_ledger_dues_for_pos(self.config.id), -100.0)
        self.assertEqual(self.customer.ledger_pos_card(self.config.id)["balance"], -100.0)
        self.assertAgree()
        self.close_session()
        credit = self.entries_of(order).receivable_line_id
        self.assertEqual((credit.balance, credit.amount_residual), (-100.0, -100.0))
        self.assertAgree()

        # aged dues: nothing due, a credit
        [aged] = self.env["pos.customer.ledger.aging"].get_aged_dues(self.today, self.customer.ids)
        self.assertEqual(
            [aged[name] for name in ("balance", "credit", "not_due", "days_1_30", "days_over_90")],
            [0.0, 100.0, 0.0, 0.0, 0.0],
        )
        wizard = self.env["pos.customer.ledger.aging.wizard"].create({"date": self.today})
        action = wizard.action_view()
        [row] = self.env["pos.customer.ledger.aging"].search_read(
            [*action["domain"], ("partner_id", "=", self.customer.id)], ["balance", "credit", "not_due"]
        )
        self.assertEqual((row["balance"], row["credit"], row["not_due"]), (0.0, 100.0, 0.0))
        wizard.action_export_xlsx()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.download_file))).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[3][8], "Credit")
        [customer_row] = [row for row in rows if row[0] == self.customer.display_name]
        self.assertEqual(customer_row[2:9], (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 100.0))

        # activity statement: the balance reads as a credit, not a negative due
        sheet = openpyxl.load_workbook(
            io.BytesIO(self.customer.ledger_statement_xlsx(self.today, self.today))
        ).active
        [closing] = [row for row in sheet.iter_rows() if row[1].value == "Closing balance"]
        self.assertEqual(closing[8].value, -100.0)
        self.assertTrue(closing[8].number_format.endswith('0.00 "Credit"'), closing[8].number_format)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "pos_customer_ledger.action_report_customer_statement",
                self.env["pos.customer.ledger.statement.wizard"]
                ._statement_of(self.customer, self.today, self.today, "activity")
                .ids,
            )[0]
            .decode()
        )
        # the deposit's balance and the closing balance; the opening balance is zero
        self.assertEqual(html.count('class="o_ledger_credit"'), 2)

        # outstanding statement: nothing due, and the credit
        statement = self.env["pos.customer.ledger.statement.wizard"]._statement_of(
            self.customer, self.today, self.today, "outstanding"
        )
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("pos_customer_ledger.action_report_customer_statement", statement.ids)[0]
            .decode()
        )
        self.assertIn("o_ledger_statement_credit", html)
        self.assertIn("100.00", html)
        statement_wizard = self.env["pos.customer.ledger.statement.wizard"].create(
            {"partner_ids": self.customer.ids, "statement_type": "outstanding", "date_to": self.today}
        )
        content = self.render_report_action(statement_wizard.action_export_xlsx())
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        labels = {row[1]: row for row in sheet.iter_rows(values_only=True) if row[1]}
        self.assertEqual((labels["Total due"][7], labels["Credit"][7]), (0.0, 100.0))

    def test_dues_then_deposit_in_one_settlement(self):
        self.owe()
        order = self.sync_data(self.deposit_data(50.0, method=self.bank_pm1))
        self.assertRecordValues(self.entries_of(order), [{"amount_due": -50.0, "balance": -17.9}])
        self.close_session()
        self.assertAgree()
        self.assertAlmostEqual(self.customer.ledger_credit, 17.9)

    def test_credit_is_spent_through_the_customer_account(self):
        self.sync_data(self.deposit_data(50.0))
        sale = self.owe()
        self.assertRecordValues(
            self.entries_of(sale), [{"kind": "sale", "amount_due": 32.1, "balance": -17.9}]
        )
        self.owe(qty=2)
        self.assertAlmostEqual(self.customer.ledger_balance, 3.5)
        self.assertEqual(self.customer.ledger_credit, 0.0)
        self.assertAgree()
        self.close_session()
        self.assertAgree()
        [aged] = self.env["pos.customer.ledger.aging"].get_aged_dues(self.today, self.customer.ids)
        self.assertEqual((aged["balance"], aged["credit"]), (3.5, 0.0))
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_refuse_setting_refuses_every_order_paying_beyond_the_dues(self):
        self.company.ledger_refuse_overpayment = True
        self.assertRefused(self.deposit_data(100.0))
        self.owe()
        self.assertRefused(self.deposit_data(32.11))
        # products do not open the door: a penny or a free line, paid into the account
        self.assertRefused(self.deposit_data(100.0, lines=[(self.penny, 1)]))
        self.assertRefused(self.deposit_data(100.0, lines=[(self.free, 1)]))
        # a refund to the customer account beyond the dues is the same
        cash_sale = self.sync(self.customer, qty=4)
        self.assertRefused(
            self.create_ui_order_data(
                [{"product": self.product, "quantity": -4, "refunded_orderline_id": cash_sale.lines.id}],
                customer=self.customer,
                payments=[(self.pay_later_pm, -42.8)],
            )
        )
        self.assertAlmostEqual(self.customer.ledger_balance, 32.1)

        # up to the dues, with or without products
        with_penny = self.sync_data(self.deposit_data(12.1, lines=[(self.penny, 1)]))
        self.assertRecordValues(self.entries_of(with_penny), [{"amount_due": -12.1, "balance": 20.0}])
        self.sync_data(self.deposit_data(20.0))
        self.assertAlmostEqual(self.customer.ledger_balance, 0.0)
        self.assertRefused(self.deposit_data(0.01, lines=[(self.free, 1)]))

        # off again (the default): the same orders are deposits
        self.company.ledger_refuse_overpayment = False
        order = self.sync_data(self.deposit_data(100.0, lines=[(self.penny, 1)]))
        self.assertRecordValues(self.entries_of(order), [{"amount_due": -100.0, "balance": -100.0}])

    # ---------------------------------------------------------- back office

    def _receivable_of(self, entries):
        return entries.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def test_settle_dues_beyond_the_dues_is_a_deposit(self):
        sale = self.owe(qty=1)
        self.close_session()
        payments = self.env["account.payment"].search_count([])
        entries = self.Entry.settle_dues(self.customer, 25.0, self.bank_journal)
        self.assertEqual(self.env["account.payment"].search_count([]), payments + 1)
        payment_move = entries.move_id
        self.assertRecordValues(
            entries,
            [
                {
                    "kind": "payment",
                    "amount_total": 25.0,
                    "amount_due": -25.0,
                    "balance": -14.3,
                    "source_key": f"deposit:{payment_move.id}",
                }
            ],
        )
        self.assertTrue(self.entries_of(sale).receivable_line_id.reconciled, "the dues are settled first")
        self.assertEqual(self._receivable_of(entries).amount_residual, -14.3)
        self.assertAlmostEqual(self.customer.ledger_credit, 14.3)
        self.assertAgree()

        # posted once: a retry posts nothing
        count = self.Entry.search_count([])
        self.assertFalse(self.Entry._post_deposits(payment_move))
        self.assertEqual(self.Entry.search_count([]), count)

        # the credit is spent at the till; matching the payment with that sale in
        # Accounting is bookkeeping: the ledger does not count it twice
        self.open_new_session()
        later = self.owe(qty=2)
        self.assertAlmostEqual(self.customer.ledger_balance, 7.1)
        self.close_session()
        self.assertAgree()
        (self._receivable_of(entries) | self.entries_of(later).receivable_line_id).reconcile()
        self.assertEqual(self.Entry.search_count([]), count + 1)
        self.assertAlmostEqual(self.customer.ledger_balance, 7.1)
        self.assertAgree()

        # the rest of the dues
        self.Entry.settle_dues(self.customer, 7.1, self.bank_journal)
        self.assertEqual(self.customer.ledger_balance, 0.0)
        self.assertAgree()
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_settle_dues_without_any_dues(self):
        entries = self.Entry.settle_dues(self.customer, 30.0, self.bank_journal)
        self.assertRecordValues(entries, [{"amount_due": -30.0, "balance": -30.0}])
        self.assertAgree()
        # a customer-account sale, booked at closing, uses the credit
        self.owe()
        self.close_session()
        self.assertAlmostEqual(self.customer.ledger_balance, 2.1)
        self.assertAgree()

    def test_settle_dues_refused_beyond_the_dues_when_set(self):
        self.company.ledger_refuse_overpayment = True
        self.owe(qty=1)
        self.close_session()
        before = (self.Entry.search_count([]), self.env["account.payment"].search_count([]))
        with self.assertRaisesRegex(UserError, REFUSED):
            self.Entry.settle_dues(self.customer, 10.71, self.bank_journal)
        with self.assertRaisesRegex(UserError, REFUSED):
            self.Entry.settle_dues(self.other_customer, 1.0, self.bank_journal)
        self.assertEqual((self.Entry.search_count([]), self.env["account.payment"].search_count([])), before)
        entries = self.Entry.settle_dues(self.customer, 10.7, self.bank_journal)
        self.assertEqual(entries.mapped("amount_due"), [-10.7])
        self.assertEqual(self.customer.ledger_balance, 0.0)

    def test_settle_dues_from_a_foreign_currency_journal_converts(self):
        eur = self.other_currency
        self.env["res.currency.rate"].create(
            {"currency_id": eur.id, "name": self.today - timedelta(days=3), "rate": 0.25}
        )
        journal = self.env["account.journal"].create(
            {"name": "Bank EUR", "type": "bank", "code": "LBEUR", "currency_id": eur.id}
        )
        self.owe()
        self.close_session()
        # 5 EUR at the rate of three days ago (4 USD each) is 20.00, within the 32.10 due
        entries = self.Entry.settle_dues(self.customer, 5.0, journal, date=self.today - timedelta(days=3))
        self.assertEqual(entries.mapped("amount_due"), [-20.0])
        self.assertFalse(entries.source_key.startswith("deposit:"))
        self.assertAlmostEqual(self.customer.ledger_balance, 12.1)
        self.assertAgree()
        # 10 EUR today (2 USD each) is 20.00: 12.10 of dues, 7.90 of credit
        entries = self.Entry.settle_dues(self.customer, 10.0, journal)
        self.assertRecordValues(entries, [{"amount_due": -20.0, "balance": -7.9}])
        self.assertAlmostEqual(self.customer.ledger_credit, 7.9)
        self.assertAgree()

        self.company.ledger_refuse_overpayment = True
        with self.assertRaisesRegex(UserError, REFUSED):
            self.Entry.settle_dues(self.other_customer, 0.01, journal)
        self.open_new_session()
        self.owe(qty=1)  # not booked yet: the ledger's balance counts it
        with self.assertRaisesRegex(UserError, REFUSED):
            self.Entry.settle_dues(self.customer, 1.5, journal)  # 3.00 > 2.80
        self.Entry.settle_dues(self.customer, 1.4, journal)
        self.assertAlmostEqual(self.customer.ledger_balance, 0.0)
