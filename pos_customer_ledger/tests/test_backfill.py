from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.pos_customer_ledger.models.pos_customer_ledger_entry import PosCustomerLedgerEntry
from odoo.addons.pos_customer_ledger.models.pos_order import PosOrder

from .common import LedgerTestCommon

LEDGER_FIELDS = [
    "sequence_number",
    "name",
    "pos_order_id",
    "partner_id",
    "kind",
    "refunded_order_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_due",
    "balance",
    "previous_hash",
    "entry_hash",
]


class Interrupted(Exception):
    pass


@tagged("post_install", "-at_install")
class TestLedgerBackfill(LedgerTestCommon):
    """A shop with history from before the addon: orders paid without ledger entries."""

    def setUp(self):
        super().setUp()
        with patch.object(PosOrder, "_ledger_post", lambda self: None):
            first = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=9)
            self.sync(self.other_customer, qty=2, days_ago=8)
            self.sync(self.customer_contact, qty=3, payments=[(self.pay_later_pm, 32.1)], days_ago=7)
            self.sync(False, days_ago=6)  # no customer: no entry
            self.sync(self.other_customer, payments=[(self.pay_later_pm, 10.7)], days_ago=5)
            self.sync_refund(first, self.pay_later_pm)
            self.sync(self.customer, qty=2, days_ago=3, is_invoiced=True)
        self.history = self.env["pos.order"].search(
            [("session_id", "=", self.pos_session.id), ("partner_id", "!=", False)]
        )

    def _ledger(self):
        entries = self.Entry.search([("company_id", "=", self.company.id)], order="sequence_number")
        return [{k: v for k, v in row.items() if k != "id"} for row in entries.read(LEDGER_FIELDS, load=None)]

    def _stats(self):
        stats = self.env["pos.customer.ledger.partner.stat"].search_read(
            [("company_id", "=", self.company.id)],
            ["partner_id", "balance", "order_count", "total_spent", "first_date", "last_date"],
            order="partner_id",
            load=None,
        )
        return [{k: v for k, v in row.items() if k != "id"} for row in stats]

    def test_backfill_posts_history_oldest_first(self):
        self.assertEqual(self.Entry._backfill_pending_count(), 6)
        self.assertEqual(self.Entry.backfill(), 6)
        self.assertEqual(self.Entry.backfill(), 0)
        entries = self.Entry.search([("pos_order_id", "in", self.history.ids)], order="sequence_number")
        self.assertEqual(entries.pos_order_id, self.history)
        self.assertEqual(entries.mapped("date"), sorted(entries.mapped("date")))
        self.assertEqual(entries.mapped("sequence_number"), [1, 2, 3, 4, 5, 6])
        customer_entries = entries.filtered(lambda e: e.partner_id == self.customer)
        # the refund is synced today, after the invoiced sale of three days ago
        self.assertEqual(customer_entries.mapped("kind"), ["sale", "sale", "sale", "refund"])
        self.assertEqual(customer_entries.mapped("balance"), [10.7, 42.8, 42.8, 32.1])
        invoiced = customer_entries[2]
        self.assertEqual(invoiced.move_id, invoiced.pos_order_id.account_move)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])
        self.assertAlmostEqual(self.customer.ledger_balance, 32.1)
        self.assertEqual(self.customer.ledger_order_count, 3)

    def test_backfill_matches_live_posting(self):
        """The same orders posted live or backfilled give the same ledger."""
        self.Entry.backfill()
        backfilled = self._ledger()
        stats = self._stats()
        self.env.cr.execute("SAVEPOINT live")
        self.env.cr.execute(
            "DELETE FROM pos_customer_ledger_entry; DELETE FROM pos_customer_ledger_partner_stat; "
            "DELETE FROM pos_customer_ledger_chain"
        )
        self.env.invalidate_all()
        for order in self.history.sorted(lambda o: (o.date_order, o.id)):
            order._ledger_post()
        self.assertEqual(self._ledger(), backfilled)
        self.assertEqual(self._stats(), stats)
        self.env.cr.execute("ROLLBACK TO SAVEPOINT live")

    def test_interrupted_backfill_resumes_to_the_same_ledger(self):
        self.env.cr.execute("SAVEPOINT uninterrupted")
        self.Entry.backfill()
        expected, expected_stats = self._ledger(), self._stats()
        self.env.cr.execute("ROLLBACK TO SAVEPOINT uninterrupted")
        self.env.invalidate_all()

        self.assertEqual(self.Entry.backfill(limit=2), 2)  # one committed batch
        original = PosCustomerLedgerEntry._compute_entry_hash
        calls = []

        def crash_after_two(entry_model, *args, **kwargs):
            calls.append(1)
            if len(calls) > 2:
                raise Interrupted
            return original(entry_model, *args, **kwargs)

        with (
            patch.object(PosCustomerLedgerEntry, "_compute_entry_hash", crash_after_two),
            self.assertRaises(Interrupted),
            self.env.cr.savepoint(),
        ):
            self.Entry.backfill()
        self.env.invalidate_all()
        self.assertEqual(len(self._ledger()), 2)
        self.assertEqual(self.Entry.backfill(), 4)
        self.assertEqual(self._ledger(), expected)
        self.assertEqual(self._stats(), expected_stats)

    def test_small_chunks_give_the_same_ledger(self):
        """Chunks are read, hashed and written in overlap; the result does not depend on their size."""
        self.env.cr.execute("SAVEPOINT one_chunk")
        self.Entry.backfill()
        expected = self._ledger()
        self.env.cr.execute("ROLLBACK TO SAVEPOINT one_chunk")
        self.env.invalidate_all()
        with patch(
            "odoo.addons.pos_customer_ledger.models.pos_customer_ledger_entry_backfill.BACKFILL_CHUNK", 2
        ):
            self.assertEqual(self.Entry.backfill(), 6)
        self.assertEqual(self._ledger(), expected)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_live_postings_after_backfill_continue_the_chain(self):
        self.Entry.backfill()
        order = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        entry = self.entries_of(order)
        self.assertEqual(entry.sequence_number, 7)
        self.assertAlmostEqual(entry.balance, 42.8)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_scheduled_action_reports_progress(self):
        progress = self.env["ir.cron.progress"].create(
            {
                "cron_id": self.env.ref("pos_customer_ledger.ir_cron_backfill_ledger").id,
                "remaining": 0,
                "done": 0,
            }
        )
        with patch(
            "odoo.addons.pos_customer_ledger.models.pos_customer_ledger_entry_backfill.BACKFILL_CRON_BATCH", 4
        ):
            self.Entry.with_context(ir_cron_progress_id=progress.id)._cron_backfill()
        self.assertEqual((progress.done, progress.remaining), (4, 2))
        self.assertEqual(self.Entry._backfill_pending_count(), 2)

    def test_wizard_builds_the_ledger(self):
        wizard = self.env["pos.customer.ledger.backfill.wizard"].create({})
        self.assertEqual(wizard.pending_count, 6)
        wizard.action_backfill()
        self.assertEqual((wizard.created_count, wizard.pending_count), (6, 0))

    def test_only_managers_backfill(self):
        auditor = new_test_user(
            self.env,
            login="backfill_auditor",
            groups="base.group_user,pos_customer_ledger.group_ledger_auditor",
        )
        with self.assertRaises(AccessError):
            self.Entry.with_user(auditor).backfill()
