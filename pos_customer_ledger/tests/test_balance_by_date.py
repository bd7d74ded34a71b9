import base64
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestBalanceByDate(LedgerTestCommon):
    """What a user reads in date order (the entry list, the customer's Ledger
    tab) agrees with the statement once back-dated entries exist; the balance
    in posting order stays, as the audit trail."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_adjustment_journal()
        cls.customer.ref = "C-001"
        cls.today = fields.Date.context_today(cls.env.user)
        cls.manager = cls.company_user(
            "balance_manager", "point_of_sale.group_pos_manager,base.group_partner_manager"
        )
        cls.cashier = cls.company_user("balance_cashier", "base.group_user,point_of_sale.group_pos_user")

    def _import_opening(self, amount, day):
        wizard = (
            self.env["pos.customer.ledger.opening.import.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "file": base64.b64encode(f"customer,amount,date\nC-001,{amount},{day}\n".encode()),
                    "filename": "balances.csv",
                }
            )
        )
        return self.Entry.search(wizard.action_import()["domain"])

    def _statement_balances(self, date_from, date_to):
        """{entry name: running balance} and the opening balance of the customer's statement."""
        wizard = self.env["pos.customer.ledger.statement.wizard"].create(
            {"partner_ids": self.customer.ids, "date_from": date_from, "date_to": date_to}
        )
        [statement] = wizard._get_statement_data()["statements"]
        return {line["name"]: line["balance"] for line in statement["lines"]}, statement["opening"]

    def _post_back_dated_history(self):
        """Sales at the till, then what arrives late: an opening balance dated
        before them, an adjustment between them, a till that syncs late."""
        sales = self.sync(self.customer, qty=5, payments=[(self.pay_later_pm, 53.5)], days_ago=20)
        sales |= self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.4)], days_ago=2)
        sales |= self.sync(self.customer, payments=[(self.cash_pm1, 5.0), (self.pay_later_pm, 5.7)])
        opening = self._import_opening(-80, self.today - timedelta(days=40))
        action = (
            self.env["pos.customer.ledger.adjustment.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "partner_id": self.customer.id,
                    "amount": 4.3,
                    "date": self.today - timedelta(days=10),
                    "reason": "Broken cup",
                }
            )
            .action_post()
        )
        adjustment = self.Entry.browse(action["res_id"])
        late = self.entries_of(self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=5))
        return self.entries_of(sales), opening, adjustment, late

    def test_date_order_balance_agrees_with_the_statement(self):
        sales, opening, adjustment, late = self._post_back_dated_history()
        entries = self.Entry.with_user(self.cashier).search(
            [("partner_id", "=", self.customer.id)], order="date, sequence_number"
        )
        self.assertEqual(len(entries), 6)
        # posting order: the opening came after the sales, so its balance counts them
        self.assertEqual(opening.balance, round(53.5 + 21.4 + 5.7 - 80, 2))
        statement, start = self._statement_balances(self.today - timedelta(days=60), self.today)
        self.assertEqual(start, 0.0)
        self.assertEqual(
            [entry.balance_by_date for entry in entries], [round(statement[e.name], 2) for e in entries]
        )
        self.assertEqual(entries.mapped("balance_by_date"), [-80.0, -26.5, -22.2, -11.5, 9.9, 15.6])
        # the last entry in date order owes what the customer owes
        self.assertAlmostEqual(entries[-1].balance_by_date, self.customer.ledger_balance)
        # a statement starting after the opening: its opening balance and lines agree too
        statement, start = self._statement_balances(self.today - timedelta(days=15), self.today)
        self.assertAlmostEqual(start, -26.5)
        later = entries.filtered(lambda entry: entry.name in statement)
        self.assertEqual(len(later), 4)
        self.assertEqual(later.mapped("balance_by_date"), [round(statement[e.name], 2) for e in later])

        # back-dated: dated before an entry of the customer posted earlier
        backdated = opening | adjustment | late
        self.assertEqual(entries.filtered("is_backdated"), backdated)
        Entry = self.Entry.with_user(self.cashier)
        self.assertEqual(Entry.search([("is_backdated", "=", True)]), backdated)
        self.assertEqual(
            Entry.search([("partner_id", "=", self.customer.id), ("is_backdated", "!=", True)]), sales
        )
        with self.assertRaises(UserError):
            Entry.search([("is_backdated", ">", 0)])
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_list_and_ledger_tab_read_the_date_order(self):
        self._post_back_dated_history()
        Entry = self.Entry.with_user(self.cashier)
        action = self.env.ref("pos_customer_ledger.action_pos_customer_ledger_entry")
        self.assertEqual(action.res_model, Entry._name)
        # the list sorts by date by default and may sort on the balance in date order
        arch = Entry.get_view(action.view_id.id, "list")["arch"]
        self.assertIn('default_order="date desc, sequence_number desc"', arch)
        self.assertIn('name="balance_by_date"', arch)
        self.assertTrue(Entry.fields_get(["balance_by_date"])["balance_by_date"]["sortable"])
        self.assertEqual(Entry.fields_get(["balance"])["balance"]["string"], "Balance (posting order)")
        domain = [("partner_id", "=", self.customer.id)]
        rows = Entry.web_search_read(
            domain,
            {"balance_by_date": {}, "balance": {}, "is_backdated": {}},
            order="date desc, sequence_number desc",
        )["records"]
        by_balance = Entry.search(domain, order="balance_by_date desc, id")
        self.assertEqual(
            by_balance.mapped("balance_by_date"),
            sorted((row["balance_by_date"] for row in rows), reverse=True),
        )
        self.assertEqual(rows[0]["balance_by_date"], self.customer.ledger_balance)

        # the customer's Ledger tab: the same figures, in date order
        arch = self.env["res.partner"].get_view(self.env.ref("base.view_partner_form").id, "form")["arch"]
        tab = arch[arch.index('name="ledger_entry_ids"') :]
        self.assertIn('default_order="date desc, sequence_number desc"', tab)
        self.assertLess(tab.index('name="balance_by_date"'), tab.index('name="balance"'))
        [partner] = self.customer.with_user(self.cashier).web_read(
            {
                "ledger_entry_ids": {
                    "fields": {"balance_by_date": {}, "is_backdated": {}},
                    "order": "date desc, sequence_number desc",
                }
            }
        )
        self.assertEqual(
            [
                (line["id"], line["balance_by_date"], line["is_backdated"])
                for line in partner["ledger_entry_ids"]
            ],
            [(row["id"], row["balance_by_date"], row["is_backdated"]) for row in rows],
        )

    def test_posting_after_a_back_dated_entry_reads_fresh_balances(self):
        """Balances in date order are never stale: a back-dated posting changes those of later entries."""
        [sale] = self.entries_of(self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)]))
        self.assertEqual((sale.balance_by_date, sale.is_backdated), (10.7, False))
        self._import_opening(100, self.today - timedelta(days=3))
        self.assertEqual((sale.balance, sale.balance_by_date), (10.7, 110.7))
