"""Issue 14: the statistical audit rules, on orders and cash moves the till syncs."""

from odoo.tests import Form, tagged

from ..tools.statistics import chi_square, chi_square_p_value
from .common import CASHIER_GROUPS, AuditTestCommon

STATISTICS_CODES = {
    "cashier_outlier_discount",
    "cashier_outlier_void",
    "cashier_outlier_ticket",
    "refund_under_threshold",
    "discount_under_cap",
    "refund_last_digit",
    "cash_out_last_digit",
}


@tagged("post_install", "-at_install")
class TestAuditStatistics(AuditTestCommon):
    # ---------------------------------------------------------------- helpers

    def tills(self, count):
        return [self.company_user(f"audit_stat_{i}", CASHIER_GROUPS) for i in range(count)]

    def cash_out(self, amount, reason="supplies"):
        extras = {"formattedAmount": self.currency.format(amount), "translatedType": "out"}
        self.pos_session.try_cash_in_out("out", amount, reason, extras)

    def refunded_sales(self, cashier, quantities, refunder=None):
        """Sales of ``quantities`` units by ``cashier``, each refunded at once by ``refunder`` (or them)."""
        for qty in quantities:
            self.sync_as(refunder or cashier, refund_of=self.sync_as(cashier, lines=[(self.product, qty)]))

    # ----------------------------------------------------------------- basics

    def test_rules_reach_every_company(self):
        company = self.env["res.company"].create({"name": "Audit Statistics Company"})
        for rule_company in (self.company, company):
            rules = self.Rule.search(
                [("company_id", "=", rule_company.id), ("code", "in", list(STATISTICS_CODES))]
            )
            self.assertEqual(set(rules.mapped("code")), STATISTICS_CODES)
            self.assertTrue(all(rules.mapped("explanation")))

    def test_managers_set_the_thresholds_on_the_form(self):
        """Every threshold a rule reads is on its form (the customer and books rules' too)."""
        for code, values in {
            "cashier_outlier_discount": {"threshold_count": 30, "threshold_score": 4},
            "cashier_outlier_void": {"threshold_count": 30, "threshold_score": 4, "threshold_seconds": 120},
            "cashier_outlier_ticket": {"threshold_count": 30, "threshold_score": 4},
            "refund_under_threshold": {"threshold_amount": 50, "threshold_count": 4, "threshold_score": 2},
            "discount_under_cap": {"threshold_percent": 15, "threshold_count": 4, "threshold_score": 2},
            "refund_last_digit": {"threshold_count": 80, "threshold_percent": 0.5},
            "cash_out_last_digit": {"threshold_count": 40, "threshold_percent": 0.5},
            "unsettled_pay_later": {"threshold_days": 45},
            "refund_soon_after_sale": {"threshold_seconds": 120},
            "manual_price": {"threshold_percent": 25},
            "receipt_numbering": {"threshold_count": 2},
            "ledger_accounting_difference": {"threshold_amount": 5},
        }.items():
            rule = self.rule(code).with_user(self.manager)
            with Form(rule) as form:
                for name, value in values.items():
                    setattr(form, name, value)
            self.assertRecordValues(rule, [values])

    def test_chi_square_p_values(self):
        """The p-values the digit tests use agree with the chi-square tables."""
        tables = ((16.919, 9, 0.05), (21.666, 9, 0.01), (20.090, 8, 0.01), (3.841, 1, 0.05))
        for statistic, dof, p_value in tables:
            self.assertAlmostEqual(chi_square_p_value(statistic, dof), p_value, places=4)
        self.assertEqual(chi_square_p_value(0, 9), 1.0)
        self.assertAlmostEqual(chi_square([5, 5], [0.5, 0.5]), 0.0)

    # ------------------------------------------------------ outlying cashiers

    def test_cashier_outlier_discount(self):
        self.set_rule("cashier_outlier_discount", threshold_count=2, threshold_score=3.0)
        suspect, *others = self.tills(4)
        for _i in range(4):
            self.sync_as(suspect, lines=[(self.product, 1, 50.0)])
            for other in others:
                self.sync_as(other)
        flags = self.audit("cashier_outlier_discount")
        self.assertEqual(flags.user_id, suspect)
        self.assertEqual(flags.config_id, self.config)
        self.assertIn("50.0% of the list price", flags.message)
        self.assertIn("median of 0.0%", flags.message)

    def test_cashier_outlier_discount_quiet(self):
        self.set_rule("cashier_outlier_discount", threshold_count=2, threshold_score=3.0)
        for i, cashier in enumerate(self.tills(4)):
            for _j in range(3):
                self.sync_as(cashier, lines=[(self.product, 1, 10.0 if i < 2 else 0.0)])
        self.assertFalse(self.audit("cashier_outlier_discount"), "two of four cashiers discount alike")

    def test_cashier_outlier_void(self):
        self.set_rule("cashier_outlier_void", threshold_count=2, threshold_score=3.0, threshold_seconds=300)
        suspect, *others = self.tills(4)
        self.refunded_sales(suspect, [1, 1])
        for other in others:
            for _i in range(4):
                self.sync_as(other)
        flags = self.audit("cashier_outlier_void")
        self.assertEqual(flags.user_id, suspect)
        self.assertIn("within 300 seconds 2 times in 4 orders (50.0%)", flags.message)
        self.set_rule("cashier_outlier_void", threshold_seconds=0)
        self.assertFalse(self.audit("cashier_outlier_void"), "0 seconds turns the rule off")

    def test_cashier_outlier_void_quiet_on_refunds_by_others(self):
        """A refund of another cashier's sale is no post-void, however soon."""
        self.set_rule("cashier_outlier_void", threshold_count=2, threshold_score=3.0, threshold_seconds=300)
        seller, refunder, *others = self.tills(4)
        self.refunded_sales(seller, [1, 1], refunder=refunder)
        for other in others:
            for _i in range(4):
                self.sync_as(other)
        self.assertFalse(self.audit("cashier_outlier_void"))

    def test_cashier_outlier_ticket(self):
        """Both ways: a cashier whose sales are far smaller than the others' shows too."""
        self.set_rule("cashier_outlier_ticket", threshold_count=2, threshold_score=3.0)
        suspect, *others = self.tills(4)
        for _i in range(3):
            self.sync_as(suspect, lines=[(self.product, 1)])
            for other in others:
                self.sync_as(other, lines=[(self.product, 5)])
        flags = self.audit("cashier_outlier_ticket")
        self.assertEqual(flags.user_id, suspect)
        money = self.company.currency_id.format
        self.assertIn(f"average sale of {money(10.7)} over 3 sales", flags.message)
        self.assertIn(f"median of {money(53.5)}", flags.message)
        self.assertIn("z-score of -3.2", flags.message)

    def test_cashier_outlier_ticket_quiet(self):
        self.set_rule("cashier_outlier_ticket", threshold_count=2, threshold_score=3.0)
        for i, cashier in enumerate(self.tills(4)):
            for _j in range(3):
                self.sync_as(cashier, lines=[(self.product, 4 + i % 2)])
        self.assertFalse(self.audit("cashier_outlier_ticket"))

    # ----------------------------------------- amounts under an approval threshold

    def test_refund_under_threshold(self):
        self.set_rule("refund_under_threshold", threshold_amount=100, threshold_count=3, threshold_score=3)
        suspect, honest = self.tills(2)
        self.refunded_sales(suspect, [9, 9, 9])  # 96.30 each, under 100
        self.refunded_sales(honest, [9, 9, 9, 8, 8])  # 85.60: as many in the tenth below
        flags = self.audit("refund_under_threshold")
        self.assertEqual(flags.user_id, suspect)
        money = self.company.currency_id.format
        self.assertIn("3 of 3 refunds", flags.message)
        self.assertIn(f"between {money(90)} and the approval threshold of {money(100)}", flags.message)
        self.set_rule("refund_under_threshold", threshold_amount=0)
        self.assertFalse(self.audit("refund_under_threshold"), "no threshold: the rule is off")

    def test_refund_under_threshold_quiet(self):
        self.set_rule("refund_under_threshold", threshold_amount=100, threshold_count=3, threshold_score=3)
        cashier = self.tills(1)[0]
        self.refunded_sales(cashier, [9, 9, 10, 10, 10])  # two under, three (107.00) above
        self.assertFalse(self.audit("refund_under_threshold"))

    def test_discount_under_cap(self):
        self.set_rule("discount_under_cap", threshold_percent=30, threshold_count=3, threshold_score=3)
        suspect, honest = self.tills(2)
        for _i in range(3):
            self.sync_as(suspect, lines=[(self.product, 1, 29.0)])
            self.sync_as(honest, lines=[(self.product, 1, 20.0)])
        flags = self.audit("discount_under_cap")
        self.assertEqual(flags.user_id, suspect)
        self.assertIn("3 of 3 line discounts", flags.message)
        self.assertIn("between 27% and the approval threshold of 30%", flags.message)

    def test_discount_under_cap_quiet(self):
        self.set_rule("discount_under_cap", threshold_percent=30, threshold_count=3, threshold_score=3)
        cashier = self.tills(1)[0]
        for discount in (29, 28, 28, 25, 24):
            self.sync_as(cashier, lines=[(self.product, 1, discount)])
        self.assertFalse(self.audit("discount_under_cap"), "three under the cap, two in the tenth below")

    # ------------------------------------------------------------ digit tests

    def test_refund_last_digit(self):
        """Refunds that all end alike, against the shop's sales that end in many digits."""
        self.set_rule("refund_last_digit", threshold_count=10, threshold_percent=1)
        suspect, shop = self.tills(2)
        for _i in range(3):
            for qty in range(1, 11):  # 10.70, 21.40 ... 107.00
                self.sync_as(shop, lines=[(self.product, qty)])
        self.refunded_sales(suspect, [1] * 10)  # 10.70: unit digit 0
        flags = self.audit("refund_last_digit")
        self.assertEqual(flags.user_id, suspect)
        self.assertIn("100% of the 10 refunds", flags.message)
        self.assertIn("unit digit 0", flags.message)

    def test_refund_last_digit_quiet(self):
        """Refunds of sales that end like the shop's sales."""
        self.set_rule("refund_last_digit", threshold_count=10, threshold_percent=1)
        cashier = self.tills(1)[0]
        self.refunded_sales(cashier, range(1, 11))
        self.assertFalse(self.audit("refund_last_digit"))

    def test_cash_out_last_digit(self):
        self.set_rule("cash_out_last_digit", threshold_count=10, threshold_percent=1)
        for _i in range(10):
            self.cash_out(15)
        self.cash_out(50, "bank")  # round: not a digit to test
        flags = self.audit("cash_out_last_digit")
        self.assertEqual(flags.config_id, self.config)
        self.assertIn("100% of the 10 cash outs", flags.message)
        self.assertIn("unit digit 5", flags.message)

    def test_cash_out_last_digit_quiet(self):
        self.set_rule("cash_out_last_digit", threshold_count=9, threshold_percent=1)
        for amount in (11, 12.5, 13, 14.2, 15, 16, 17.8, 18, 19):
            self.cash_out(amount)
        self.cash_out(100, "bank")
        self.assertFalse(self.audit("cash_out_last_digit"))
