"""Issue 14, ledger and books: audit rules on the entries against their orders,
the chain, month closings and accounting, through the user's path."""

from dateutil.relativedelta import relativedelta

from odoo.tests import tagged
from odoo.tools import SQL
from odoo.tools.convert import convert_file

from . import test_closing
from .common import AuditTestCommon

POS_MANAGER_GROUPS = "base.group_user,point_of_sale.group_pos_manager"


@tagged("post_install", "-at_install")
class TestAuditBooks(AuditTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pos_manager = cls.company_user("books_pos_manager", POS_MANAGER_GROUPS)

    # a helper of test_closing.py (its class is not imported: its tests would run twice)
    rewrite_history = test_closing.TestLedgerClosing.rewrite_history

    def sql(self, query, *args):
        """What someone with database access does behind the ledger's back."""
        self.env.flush_all()
        self.env.cr.execute(SQL(query, *args))
        self.env.invalidate_all()

    def dismiss(self, flags):
        flags = flags.with_user(self.auditor)
        flags.review_note = "Explained by the shop manager."
        flags.action_dismiss()

    def test_shipped_rules_reach_every_company(self):
        codes = {"entry_mismatch", "chain_break", "closing_mismatch", "ledger_accounting_difference"}
        for company in self.company | self.env["res.company"].create({"name": "Books New Company"}):
            rules = self.Rule.search([("company_id", "=", company.id), ("code", "in", list(codes))])
            self.assertEqual(set(rules.mapped("code")), codes)
            self.assertTrue(all(rules.mapped("explanation")))
        # a company that had none of them gets them when the addon is upgraded
        company = self.env["res.company"].create({"name": "Books Older Company"})
        self.Rule.search([("company_id", "=", company.id), ("code", "in", list(codes))]).sudo().unlink()
        convert_file(self.env, "pos_customer_ledger", "data/audit_rule_books_data.xml", {}, mode="update")
        rules = self.Rule.search([("company_id", "=", company.id), ("code", "in", list(codes))])
        self.assertEqual(set(rules.mapped("code")), codes)

    # ------------------------------------------------------------ entry_mismatch

    def settle_at_till(self, customer, amount):
        """Dues settled at the till: an order without products."""
        data = self.create_ui_order_data(
            [], customer=customer, payments=[(self.cash_pm1, amount), (self.pay_later_pm, -amount)]
        )
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def test_entry_mismatch_quiet_on_clean_data(self):
        sale = self.sync(self.customer_contact)  # a contact: the entry is the company's
        on_account = self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.4)])
        self.sync_refund(sale, self.cash_pm1)
        settlement = self.settle_at_till(self.customer, 10.0)
        self.assertEqual(self.entries_of(settlement).kind, "payment")
        self.assertEqual(self.entries_of(sale).partner_id, self.customer)
        self.assertTrue(on_account)
        self.assertFalse(self.audit("entry_mismatch"))

    def test_entry_mismatch(self):
        reassigned = self.sync(self.customer)
        changed = self.sync(self.customer, qty=2)
        unlinked = self.sync(self.customer, qty=3)
        clean = self.sync(self.customer_contact)
        settlement = self.settle_at_till(self.customer, 5.0)
        entry = self.entries_of(unlinked)
        # the back office gives the sale to another customer; someone edits a total in SQL;
        # an entry loses its order
        reassigned.with_user(self.pos_manager).write({"partner_id": self.other_customer.id})
        self.sql("UPDATE pos_order SET amount_total = amount_total + 5 WHERE id = %s", changed.id)
        self.sql("UPDATE pos_customer_ledger_entry SET pos_order_id = NULL WHERE id = %s", entry.id)
        flags = self.audit("entry_mismatch")
        self.assertEqual(flags.entry_id, self.entries_of(reassigned | changed) | entry)
        self.assertNotIn(clean, flags.pos_order_id)
        self.assertNotIn(settlement, flags.pos_order_id)
        self.assertEqual(set(flags.mapped("severity")), {"critical"})
        by_entry = {flag.entry_id: flag for flag in flags}
        moved = by_entry[self.entries_of(reassigned)]
        self.assertEqual((moved.pos_order_id, moved.partner_id), (reassigned, self.customer))
        self.assertIn(f"its customer is now {self.other_customer.name}", moved.message)
        edited = by_entry[self.entries_of(changed)]
        self.assertIn("its total is now $\xa026.40, the entry's $\xa021.40", edited.message)
        self.assertNotIn("customer", edited.message)
        self.assertIn("no longer linked to it", by_entry[entry].message)
        self.assertFalse(by_entry[entry].pos_order_id)
        # found again: not flagged twice; dismissed: back only when the order changes again
        self.assertFalse(self.audit("entry_mismatch"))
        self.dismiss(edited)
        self.assertFalse(self.audit("entry_mismatch"))
        self.sql("UPDATE pos_order SET amount_total = amount_total + 1 WHERE id = %s", changed.id)
        [again] = self.audit("entry_mismatch")
        self.assertEqual((again.entry_id, again.finding_key), (edited.entry_id, edited.finding_key))
        self.assertIn("$\xa027.40", again.message)

    def test_entry_mismatch_in_a_foreign_currency_shop(self):
        """Entries hold the order's total in the company's currency, at the order's rate."""
        self.config = self.other_currency_config
        self.open_new_session()
        order = self.sync(self.customer, qty=3)
        entry = self.entries_of(order)
        self.assertEqual(order.currency_id, self.other_currency)
        self.assertNotEqual(order.amount_total, entry.amount_total)
        self.assertFalse(self.audit("entry_mismatch"))
        self.sql("UPDATE pos_order SET amount_total = amount_total + 1 WHERE id = %s", order.id)
        [flag] = self.audit("entry_mismatch")
        total = self.company.currency_id.format(entry.amount_total + 1 / order.currency_rate)
        self.assertIn(f"its total is now {total}", flag.message)

    # --------------------------------------------------------------- chain_break

    def test_chain_break_quiet_on_clean_data(self):
        sale = self.sync(self.customer)
        self.sync_refund(sale, self.cash_pm1)
        self.settle_at_till(self.customer, 5.0)
        self.assertFalse(self.audit("chain_break"))

    def test_chain_break(self):
        first, second, third = self.sync(self.customer), self.sync(self.customer), self.sync(self.customer)
        entries = self.entries_of(first | second | third).sorted("sequence_number")
        self.sql("UPDATE pos_customer_ledger_entry SET amount_due = 100 WHERE id = %s", entries[1].id)
        [flag] = self.audit("chain_break")
        self.assertEqual((flag.entry_id, flag.severity), (entries[1], "critical"))
        self.assertEqual(flag.pos_order_id, second)
        self.assertIn(f"Entry {entries[1].name}: changed content", flag.message)
        self.assertFalse(self.audit("chain_break"), "one flag per company while it is open")
        # dismissed, it stays so while the same entry is the first broken one
        self.dismiss(flag)
        self.assertFalse(self.audit("chain_break"))
        # an earlier entry breaks: new figures, a new flag for the company's chain
        self.sql(
            "UPDATE pos_customer_ledger_entry SET partner_id = %s WHERE id = %s",
            self.other_customer.id,
            entries[0].id,
        )
        [again] = self.audit("chain_break")
        self.assertEqual(again.entry_id, entries[0])
        self.assertEqual(again.finding_key, flag.finding_key)
        self.assertNotEqual(again.fingerprint, flag.fingerprint)

    def test_chain_break_finds_a_deleted_entry(self):
        first, second, third = self.sync(self.customer), self.sync(self.customer), self.sync(self.customer)
        self.drop_entries(second)
        [flag] = self.audit("chain_break")
        self.assertEqual(flag.entry_id, self.entries_of(third))
        self.assertIn(
            f"sequence number {self.entries_of(first).sequence_number + 1} is missing", flag.message
        )
        # the last entries deleted: the chain ends before its head
        self.drop_entries(third)
        self.dismiss(flag)
        [tail] = self.audit("chain_break")
        self.assertFalse(tail.entry_id)
        self.assertIn("the last entries are missing", tail.message)

    # ----------------------------------------------------------- closing_mismatch

    def close_last_month(self):
        """A sale on account in the middle of last month, and the month closed."""
        this_month = self.today.replace(day=1)
        last_month = this_month - relativedelta(months=1)
        sale = self.sync(
            self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=(self.today - last_month).days - 10
        )
        self.sync(self.customer)  # this month
        Closing = self.env["pos.customer.ledger.closing"].with_user(self.manager)
        closing = Closing.create({"date_from": last_month})
        closing.action_close()
        return sale, closing

    def test_closing_mismatch_quiet_on_clean_data(self):
        self.close_last_month()
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.assertFalse(self.audit("closing_mismatch"))

    def test_closing_mismatch(self):
        sale, closing = self.close_last_month()
        # a forger rewrites the month's sale and re-hashes the chain: it verifies, the closing does not
        self.rewrite_history(self.entries_of(sale), 1.0)
        self.assertFalse(self.audit("chain_break"))
        [flag] = self.audit("closing_mismatch")
        self.assertEqual(flag.severity, "critical")
        self.assertEqual(flag.finding_key, f"closing:{closing.id}")
        self.assertIn(
            f"Closing {closing.name} of {self.company.name} does not match the ledger", flag.message
        )
        self.assertIn("Customer-Account Sales $\xa010.70 at closing, $\xa01.00 in the entries", flag.message)
        self.assertFalse(self.audit("closing_mismatch"))
        # a month that starts after the audited period is not checked
        day_before = closing.date_from - relativedelta(days=1)
        Rule = self.Rule.with_user(self.auditor).with_context(allowed_company_ids=self.company.ids)
        Rule.run_audit(day_before, day_before, ["closing_mismatch"])
        run = self.env["pos.customer.ledger.audit.run"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        self.assertEqual((run.date_to, run.finding_count), (day_before, 0))

    # ----------------------------------------------- ledger_accounting_difference

    def test_ledger_accounting_difference_quiet_on_clean_data(self):
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.assertFalse(self.audit("ledger_accounting_difference"), "a session not booked yet")
        self.close_session()
        self.assertFalse(self.audit("ledger_accounting_difference"))

    def test_ledger_accounting_difference(self):
        order = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.sync(self.other_customer, payments=[(self.pay_later_pm, 10.7)])
        self.close_session()
        self.sql("UPDATE pos_customer_ledger_entry SET amount_due = 9.7 WHERE pos_order_id = %s", order.id)
        self.set_rule("ledger_accounting_difference", threshold_amount=1)
        self.assertFalse(self.audit("ledger_accounting_difference"), "1.00 apart is not beyond 1.00")
        self.set_rule("ledger_accounting_difference", threshold_amount=0.5)
        [flag] = self.audit("ledger_accounting_difference")
        self.assertEqual((flag.partner_id, flag.severity), (self.customer, "warning"))
        self.assertIn("$\xa09.70 in the customer ledger and $\xa010.70 in accounting", flag.message)
        self.assertIn("1.00 apart", flag.message)
        # the reconciliation with accounting finds the same difference
        [row] = self.Entry.with_user(self.auditor).reconcile_with_accounting(partner_ids=self.customer.ids)
        self.assertEqual(row["difference"], -1.0)
