from collections import Counter
from contextlib import contextmanager
from unittest.mock import patch

from odoo.sql_db import Cursor
from odoo.tests import tagged
from odoo.tools import SQL

from .common import LedgerTestCommon

# what every statement reading the POS customer receivables contains
POS_RECEIVABLES_MARK = "origin ON origin.move_id = line.move_id"
# the tables of the ledger and of what posting updates
LEDGER_TABLES = ("pos_customer_ledger_", "pos_customer_preference")


@tagged("post_install", "-at_install")
class TestLedgerSyncQueries(LedgerTestCommon):
    """The ledger's hooks in an invoiced till sync read what the sync touched,
    never a table's whole history (an invoiced refund synced 4x slower)."""

    @contextmanager
    def _statements(self):
        statements = []
        execute = Cursor.execute

        def recording_execute(cr, query, params=None, log_exceptions=True):
            text = query.code if isinstance(query, SQL) else query
            statements.append(text.decode() if isinstance(text, bytes) else str(text))
            return execute(cr, query, params, log_exceptions)

        with patch.object(Cursor, "execute", recording_execute):
            yield statements

    def _sync_invoiced(self, lines, payments):
        data = self.create_ui_order_data(lines, customer=self.customer, payments=payments, is_invoiced=True)
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def test_invoiced_refund_reads_only_the_reconciled_items(self):
        order = self._sync_invoiced([(self.product, 1)], [(self.cash_pm1, 10.7)])
        line = order.lines
        with self._statements() as statements:
            refund = self._sync_invoiced(
                [{"product": self.product, "quantity": -1, "refunded_orderline_id": line.id}],
                [(self.cash_pm1, -10.7)],
            )
        reads = [statement for statement in statements if POS_RECEIVABLES_MARK in statement]
        # the credit note is reconciled with the refund's payment: the hook ran
        self.assertTrue(reads)
        for statement in reads:
            self.assertTrue("line.id = ANY(" in statement, "the POS receivables were read without a filter")

        # the ledger is whole: one entry per order, linked to its invoice, and no
        # payment entry for the POS's own reconciliations
        self.assertEqual(refund.state, "invoiced")
        entries = self.entries_of(order | refund)
        self.assertEqual(entries.mapped("kind"), ["refund", "sale"])
        for entry in entries:
            invoice = entry.pos_order_id.account_move
            self.assertEqual(entry.move_id, invoice)
            self.assertEqual(entry.receivable_line_id.move_id, invoice)
        self.assertFalse(self.Entry.search([("partner_id", "=", self.customer.id), ("kind", "=", "payment")]))
        self.assertEqual(self.Entry.reconcile_with_accounting(), [])

    def test_sync_posts_one_way(self):
        """A till sync reads the order once for its posting and reads nothing
        back: the order's values (with its payments), then in the ledger's
        tables the chain head and one statement for the entry, totals and
        habits (it skips an order posted before). The preferences are left to
        their scheduled action. Errors of action_pos_order_paid make the sync
        post again after it; that finds the order posted without a query."""
        first = self.sync(self.customer)  # first posting of the session and customer
        with self._statements() as statements:
            order = self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.4)])
        ledger = [statement for statement in statements if any(table in statement for table in LEDGER_TABLES)]
        self.assertEqual(len(ledger), 2, "\n\n".join(ledger))
        self.assertFalse([statement for statement in ledger if "pos_customer_preference" in statement])
        self.assertEqual(sum("FROM pos_payment payment" in statement for statement in statements), 1)
        stat = self.env["pos.customer.ledger.partner.stat"].search([("partner_id", "=", self.customer.id)])
        methods = Counter(str(payment.payment_method_id.id) for payment in (first | order).payment_ids)
        self.assertEqual(stat.payment_method_counts, dict(methods))
        self.assertEqual(stat.balance, 21.4)
        self.follow_preferences()
        self.assertEqual(
            self.env["pos.customer.preference"]
            .search([("partner_id", "=", self.customer.id), ("product_id", "=", self.product.id)])
            .qty,
            3,
        )
        self.assertEqual(self.entries_of(order).amount_due, 21.4)
