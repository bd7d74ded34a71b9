from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestLedgerAccounting(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.receivable = cls.customer.property_account_receivable_id

    def _pay(self, amount, lines):
        """A customer payment registered in Accounting, reconciled with ``lines``."""
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": amount,
                "journal_id": self.bank_journal.id,
            }
        )
        payment.action_post()
        (
            payment.move_id.line_ids.filtered(lambda line: line.account_id == self.receivable) | lines
        ).reconcile()
        return payment

    def _payments(self):
        return self.Entry.search([("partner_id", "=", self.customer.id), ("kind", "=", "payment")])

    def assertAgree(self):
        self.assertEqual(self.Entry.reconcile_with_accounting(), [])

    def test_dues_follow_the_journals_from_sale_to_unreconcile(self):
        order = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        sale = self.entries_of(order)
        self.assertEqual(sale.amount_due, 10.7)
        self.assertAgree()

        self.close_session()
        line = sale.receivable_line_id
        self.assertEqual(
            (line.move_id, line.partner_id, line.balance), (self.pos_session.move_id, self.customer, 10.7)
        )
        self.assertAgree()

        first = self._pay(4.0, line)
        [partial] = self._payments()
        self.assertRecordValues(
            partial,
            [
                {
                    "amount_due": -4.0,
                    "amount_total": 4.0,
                    "balance": 6.7,
                    "session_id": self.pos_session.id,
                    "move_id": first.move_id.id,
                    "receivable_line_id": line.id,
                }
            ],
        )
        self.assertAlmostEqual(self.customer.ledger_balance, 6.7)
        self.assertAgree()

        self._pay(6.7, line)
        self.assertTrue(line.reconciled)
        self.assertAlmostEqual(self.customer.ledger_balance, 0.0)
        self.assertAgree()

        before = self.Entry.search_count([])
        first.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(self.Entry.search_count([]), before + 1, "a reversing entry, nothing deleted")
        reversal = self._payments().sorted("sequence_number")[-1]
        self.assertRecordValues(reversal, [{"amount_due": 4.0, "balance": 4.0}])
        self.assertIn(partial.name, reversal.note)
        self.assertAlmostEqual(self.customer.ledger_balance, 4.0)
        self.assertAgree()
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_refund_to_account(self):
        order = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        refund = self.sync_refund(order, self.pay_later_pm)
        self.assertEqual(self.entries_of(refund).amount_due, -10.7)
        self.assertAlmostEqual(self.customer.ledger_balance, 0.0)
        self.assertAgree()
        self.close_session()
        self.assertEqual(self.entries_of(refund).receivable_line_id.balance, -10.7)
        self.assertAgree()

    def test_invoiced_order_paid_against_its_invoice(self):
        order = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], is_invoiced=True)
        sale = self.entries_of(order)
        invoice = order.account_move
        self.assertEqual(sale.move_id, invoice)
        self.assertEqual(sale.receivable_line_id.move_id, invoice)
        self.assertAgree()

        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 5.0, "journal_id": self.bank_journal.id})._create_payments()
        [payment] = self._payments()
        self.assertEqual((payment.amount_due, payment.receivable_line_id), (-5.0, sale.receivable_line_id))
        self.assertAlmostEqual(self.customer.ledger_balance, 5.7)
        self.assertAgree()
        self.close_session()
        self.assertAgree()

    def test_cash_sales_settle_nothing(self):
        self.sync(self.customer, payments=[(self.cash_pm1, 10.7)], is_invoiced=True)
        self.sync(self.customer, payments=[(self.bank_pm1, 10.7)])
        self.close_session()
        self.assertFalse(self._payments(), "the POS's own reconciliations are not payments")
        self.assertAgree()

    def test_difference_made_with_sql_is_reported(self):
        order = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.close_session()
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE pos_customer_ledger_entry SET amount_due = 9.7 WHERE pos_order_id = %s", order.id)
        )
        self.env.invalidate_all()
        self.assertEqual(
            self.Entry.reconcile_with_accounting(partner_ids=self.customer.ids),
            [
                {
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                    "session_id": self.pos_session.id,
                    "ledger_amount": 9.7,
                    "accounting_amount": 10.7,
                    "difference": -1.0,
                }
            ],
        )
        self.assertEqual(self.Entry.reconcile_with_accounting(partner_ids=self.other_customer.ids), [])

    def test_settle_dues_posts_payment_and_accounting(self):
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.4)])
        self.close_session()
        cash_journal = self.cash_pm1.journal_id
        entries = self.Entry.settle_dues(self.customer, 15.0, cash_journal)
        self.assertEqual(entries.mapped("amount_due"), [-10.7, -4.3], "oldest dues first")
        self.assertAlmostEqual(self.customer.ledger_balance, 17.1)
        self.assertEqual(entries.move_id.journal_id, cash_journal)
        self.assertAgree()

    def test_settle_dues_refuses_bad_input_and_writes_nothing(self):
        # beyond the dues only when the company refuses deposits (test_deposits.py)
        self.company.ledger_refuse_overpayment = True
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.close_session()
        before = (self.Entry.search_count([]), self.env["account.payment"].search_count([]))
        cases = {
            "must be positive": (0.0, self.bank_journal),
            "owes": (20.0, self.bank_journal),
            "cash or bank journal": (5.0, self.company_data["default_journal_sale"]),
        }
        for message, (amount, journal) in cases.items():
            with self.subTest(message), self.assertRaisesRegex(UserError, message):
                self.Entry.settle_dues(self.customer, amount, journal)
        self.assertEqual((self.Entry.search_count([]), self.env["account.payment"].search_count([])), before)

    def test_settlement_posting_is_idempotent(self):
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.close_session()
        line = self.entries_of(self.pos_session.order_ids).receivable_line_id
        self._pay(10.7, line)
        partials = line.matched_credit_ids
        self.assertEqual(len(self._payments()), 1)
        self.assertFalse(self.Entry._post_settlements(partials))
        self.assertFalse(self.Entry._post_settlement_reversals([]))
        self.assertEqual(len(self._payments()), 1)

    def test_adjustment_receivable_is_part_of_the_dues(self):
        self.company.write(
            {
                "ledger_adjustment_journal_id": self.company_data["default_journal_misc"].id,
                "ledger_adjustment_account_id": self.company_data["default_account_revenue"].id,
            }
        )
        adjustment = self.Entry.post_manual_entry(
            "adjustment", self.customer, 8.0, "2026-01-15", "Delivery charge"
        )
        self.assertAgree()
        line = adjustment.move_id.line_ids.filtered(lambda item: item.account_id == self.receivable)
        self._pay(8.0, line)
        self.assertAlmostEqual(self.customer.ledger_balance, 0.0)
        self.assertAgree()
