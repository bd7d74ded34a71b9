from datetime import date, timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..tools.payment_terms import term_due_date_sql
from .common import LedgerTestCommon

BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


@tagged("post_install", "-at_install")
class TestDueDates(LedgerTestCommon):
    """Pay-later sales fall due by Odoo's payment terms: the customer's, else
    the company's ledger default (30 days unless set otherwise)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env.user)
        cls.Aging = cls.env["pos.customer.ledger.aging"]
        cls.immediate = cls.env.ref("account.account_payment_term_immediate")
        cls.auditor = cls.company_user(
            "due_auditor", "base.group_user,pos_customer_ledger.group_ledger_auditor"
        )

    def _row(self, partner, day):
        [row] = self.Aging.with_user(self.auditor).get_aged_dues(day, partner.ids)
        return {name: float(row[name]) for name in BUCKETS}, row["oldest_due_date"]

    def test_a_sale_today_is_not_due_with_the_default_30_days(self):
        self.assertEqual(
            self.company.ledger_payment_term_id, self.env.ref("account.account_payment_term_30days")
        )
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        due = self.today + timedelta(days=30)
        self.assertEqual(
            self._row(self.customer, self.today), ({**dict.fromkeys(BUCKETS, 0.0), "not_due": 10.7}, due)
        )
        self.assertEqual(self._row(self.customer, due)[0]["not_due"], 10.7)
        self.assertEqual(self._row(self.customer, due + timedelta(days=1))[0]["days_1_30"], 10.7)

    def test_the_customer_s_own_terms_win(self):
        self.customer.with_company(self.company).property_payment_term_id = self.immediate
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        self.sync(self.other_customer, payments=[(self.pay_later_pm, 10.7)])
        # immediate: due on the day of the sale, overdue the day after
        self.assertEqual(self._row(self.customer, self.today)[0]["not_due"], 10.7)
        tomorrow = self.today + timedelta(days=1)
        self.assertEqual(
            self._row(self.customer, tomorrow),
            ({**dict.fromkeys(BUCKETS, 0.0), "days_1_30": 10.7}, self.today),
        )
        # the other customer has none: the company's 30 days
        self.assertEqual(self._row(self.other_customer, tomorrow)[0]["not_due"], 10.7)

    def test_the_company_default_is_a_ledger_setting(self):
        end_of_next_month = self.env.ref("account.account_payment_term_end_following_month")
        settings = self.env["res.config.settings"].create({"ledger_payment_term_id": end_of_next_month.id})
        settings.execute()
        self.assertEqual(self.company.ledger_payment_term_id, end_of_next_month)
        order = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=3)
        sale_day = fields.Datetime.context_timestamp(self.env.user, self.entries_of(order).date).date()
        # what an invoice of that day with these terms would say
        terms = end_of_next_month._compute_terms(
            sale_day, self.company.currency_id, self.company, 0.0, 0.0, 1, 10.7, 10.7
        )
        due = max(line["date"] for line in terms["line_ids"])
        self.assertEqual(self._row(self.customer, self.today)[1], due)
        # the outstanding statement dates the dues alike
        statement = self.env["pos.customer.ledger.statement.wizard"].create(
            {
                "partner_ids": self.customer.ids,
                "statement_type": "outstanding",
                "date_from": self.today.replace(day=1),
                "date_to": self.today,
            }
        )
        [line] = statement._get_statement_data()["statements"][0]["lines"]
        self.assertEqual((line["due_date"], line["days_overdue"]), (due, 0))
        # no terms at all: due on the day of the sale
        self.company.ledger_payment_term_id = False
        self.assertEqual(
            self._row(self.customer, self.today),
            ({**dict.fromkeys(BUCKETS, 0.0), "days_1_30": 10.7}, sale_day),
        )

    def test_aging_totals_still_equal_the_balances(self):
        self.customer.with_company(self.company).property_payment_term_id = self.immediate
        self.sync(self.customer, qty=10, payments=[(self.pay_later_pm, 107.0)], days_ago=100)
        self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.4)], days_ago=10)
        self.sync(self.other_customer, qty=5, payments=[(self.pay_later_pm, 53.5)], days_ago=45)
        self.sync(self.other_customer, payments=[(self.pay_later_pm, 10.7)])
        self.Entry.post_manual_entry("opening", self.other_customer, -20.0, self.today, "Deposit")
        rows = self.Aging.get_aged_dues(self.today)
        for row in rows:
            self.assertAlmostEqual(sum(float(row[name]) for name in BUCKETS), float(row["balance"]))
        stats = self.env["pos.customer.ledger.partner.stat"].search([("company_id", "=", self.company.id)])
        self.assertAlmostEqual(
            sum(float(row["balance"]) - float(row["credit"]) for row in rows), sum(stats.mapped("balance"))
        )
        by_partner = {row["partner_id"]: row for row in rows}
        # immediate: 107 over 90 days, 21.4 within 30; the 30 days: 53.5 overdue 15 days, 10.7 not due
        self.assertEqual(float(by_partner[self.customer.id]["days_over_90"]), 107.0)
        self.assertEqual(float(by_partner[self.customer.id]["days_1_30"]), 21.4)
        # the deposit settles the oldest dues first
        self.assertEqual(
            (
                float(by_partner[self.other_customer.id]["days_1_30"]),
                float(by_partner[self.other_customer.id]["not_due"]),
            ),
            (33.5, 10.7),
        )

    def test_due_dates_are_odoo_s_for_every_kind_of_terms(self):
        """term_due_date_sql gives what account.payment.term._compute_terms gives
        (the latest date of its lines, as an invoice's due date)."""
        terms = [
            self.env.ref("account.account_payment_term_immediate"),
            self.env.ref("account.account_payment_term_30days"),
            self.env.ref("account.account_payment_term_end_following_month"),
            self.env.ref("account.account_payment_term_30_days_end_month_the_10"),
            self.env.ref("account.account_payment_term_advance_60days"),
            self.payment_term(10, delay_type="days_after_end_of_month"),
            self.payment_term(0, delay_type="days_end_of_month_on_the", days_next_month="10"),
            self.payment_term(20, delay_type="days_end_of_month_on_the", days_next_month="31"),
            self.payment_term(5, delay_type="days_end_of_month_on_the", days_next_month="0"),
        ]
        days = [date(2024, 1, 20) + timedelta(days=offset) for offset in range(50)]
        days += [date(2026, 12, 15) + timedelta(days=offset) for offset in range(25)]
        expected = {
            (term.id, day): max(
                line["date"]
                for line in term._compute_terms(
                    day, self.company.currency_id, self.company, 0.0, 0.0, 1, 100.0, 100.0
                )["line_ids"]
            )
            for term in terms
            for day in days
        }
        rows = self.env.execute_query(
            SQL(
                "SELECT term_id, day, %s FROM (VALUES %s) AS cases (term_id, day)",
                term_due_date_sql(SQL("cases.term_id"), SQL("cases.day")),
                SQL(", ").join(SQL("(%s, %s::date)", term_id, day) for term_id, day in expected),
            )
        )
        self.assertEqual({(term_id, day): due for term_id, day, due in rows}, expected)
        # no terms: the day itself
        [(due,)] = self.env.execute_query(
            SQL("SELECT %s", term_due_date_sql(SQL("NULL::int"), SQL("%s::date", days[0])))
        )
        self.assertEqual(due, days[0])
