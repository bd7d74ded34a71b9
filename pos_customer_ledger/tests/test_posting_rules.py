from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..tools.posting_rules import owes, owes_domain, owes_sql
from .common import LedgerTestCommon

# what the ledger holds of a customer who has just paid all but rounding residues
RESIDUE, HALF_CENT = 0.004, 0.005


@tagged("post_install", "-at_install")
class TestLedgerOwesRule(LedgerTestCommon):
    """ "When a customer owes" is one rule (tools/posting_rules.owes): a balance
    positive beyond half the currency's rounding. Its Python, SQL and domain
    forms agree, and the aged dues, the statements and the statement mail all
    decide by it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"ledger_statement_mail": True, "ledger_statement_min_amount": 0.0})
        cls.customer.email = "owes@example.com"
        cls.today = fields.Date.context_today(cls.env.user)
        cls.Stat = cls.env["pos.customer.ledger.partner.stat"]

    def setUp(self):
        super().setUp()
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.stat = self.Stat.search(
            [("partner_id", "=", self.customer.id), ("company_id", "=", self.company.id)]
        )

    def _set_balance(self, amount):
        """A balance that postings never leave (they round), as an older
        database or a float sum may hold it."""
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                "UPDATE pos_customer_ledger_partner_stat SET balance = %s WHERE id = %s", amount, self.stat.id
            )
        )
        self.env.invalidate_all()

    def test_forms_agree(self):
        currency = self.company.currency_id
        self.assertEqual(currency.rounding, 0.01)
        for amount, expected in (
            (-0.01, False),
            (0.0, False),
            (RESIDUE, False),
            (HALF_CENT, True),
            (0.01, True),
        ):
            with self.subTest(amount=amount):
                self._set_balance(amount)
                self.assertEqual(owes(currency, amount), expected)
                [(in_sql,)] = self.env.execute_query(
                    SQL(
                        "SELECT %s",
                        owes_sql(SQL("%s::numeric", amount), SQL("%s::numeric", currency.rounding)),
                    )
                )
                self.assertEqual(in_sql, expected)
                found = self.Stat.search([("id", "=", self.stat.id), *owes_domain(currency)])
                self.assertEqual(bool(found), expected)
                # the customer balances' field and their "With Dues" filter
                self.assertEqual(self.stat.owes, expected)
                for operator, value in (("=", True), ("!=", False), ("=", False)):
                    found = self.Stat.search([("id", "=", self.stat.id), ("owes", operator, value)])
                    self.assertEqual(bool(found), expected == (value == (operator == "=")))

    def test_aged_dues_and_outstanding_statement_ignore_a_residue(self):
        Aging = self.env["pos.customer.ledger.aging"]
        self._set_balance(RESIDUE)
        [row] = Aging.get_aged_dues(self.today, partner_ids=self.customer.ids)
        self.assertEqual(float(row["not_due"]), 0.0)
        self.assertFalse(row["oldest_due_date"])
        statement = self.env["pos.customer.ledger.statement.wizard"]._statement_of(
            self.customer, self.today, self.today, "outstanding"
        )
        [customer_statement] = statement._get_statement_data()["statements"]
        self.assertFalse(customer_statement["lines"])

        self._set_balance(HALF_CENT)
        [row] = Aging.get_aged_dues(self.today, partner_ids=self.customer.ids)
        self.assertAlmostEqual(float(row["not_due"]), HALF_CENT)
        [customer_statement] = statement._get_statement_data()["statements"]
        self.assertEqual(len(customer_statement["lines"]), 1)

    def test_statement_mail_skips_a_residue(self):
        self._set_balance(RESIDUE)
        self.assertEqual(self.env["res.partner"]._cron_send_ledger_statements(), 0)
        self._set_balance(HALF_CENT)
        self.assertEqual(self.env["res.partner"]._cron_send_ledger_statements(), 1)
