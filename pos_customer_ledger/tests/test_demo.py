from dateutil.relativedelta import relativedelta

from odoo.tests import TransactionCase, tagged

from ..tools import dates
from ..tools.posting_rules import is_pay_later

CHINESE_CUSTOMERS = (
    "demo_customer_green_cafe",
    "demo_customer_wang",
    "demo_customer_li",
    "demo_customer_chen",
)


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo database keeps the demo's promises: a Chinese shop's month."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        module = cls.env["ir.module.module"].search([("name", "=", "pos_customer_ledger")])
        if not module.demo:
            cls.skipTest(cls, "the database has no demo data")
        cls.company = cls.env.ref("base.main_company")
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company.ids))
        cls.chinese = cls.env["res.partner"].browse(
            [cls.env.ref(f"pos_customer_ledger.{xmlid}").id for xmlid in CHINESE_CUSTOMERS]
        )
        cls.english = cls.env.ref("pos_customer_ledger.demo_customer_miller")
        cls.Entry = cls.env["pos.customer.ledger.entry"]

    def test_chinese_customers_read_their_statement_in_chinese(self):
        self.assertEqual(set(self.chinese.mapped("lang")), {"zh_CN"})
        self.assertEqual(self.english.lang, "en_US")
        cafe = self.env.ref("pos_customer_ledger.demo_customer_green_cafe")
        today = dates.company_today(self.company)
        statement = self.env["pos.customer.ledger.statement.wizard"]._statement_of(
            cafe, today - relativedelta(months=1), today, "activity"
        )
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("pos_customer_ledger.action_report_customer_statement", statement.ids)[0]
            .decode()
        )
        self.assertIn(cafe.name, html)
        self.assertIn("客户对账单", html, "the café's statement is not in Chinese")
        self.assertNotIn("Customer Statement", html)

    def test_customers_have_payment_terms(self):
        terms = (self.chinese | self.english).mapped("property_payment_term_id")
        self.assertGreater(len(terms), 1, "customers pay on different terms")

    def test_dues_both_due_and_not_due(self):
        """On a recent customer-account sale's day, older dues are overdue and its own is
        not. Which of the last days shows it depends on the day the demo was loaded (on a
        month's first day the month-start settlements have just paid the old dues)."""
        sales = self.Entry.search(
            [("company_id", "=", self.company.id), ("kind", "=", "sale"), ("amount_due", ">", 0)],
            order="date desc",
        )
        days = sorted({dates.local_date(self.company, sale.date) for sale in sales}, reverse=True)[:10]
        overdue = ("days_1_30", "days_31_60", "days_61_90", "days_over_90")
        Aging = self.env["pos.customer.ledger.aging"]

        def both(day):
            rows = Aging.get_aged_dues(day)
            return any(row["not_due"] > 0 for row in rows) and any(
                row[bucket] > 0 for row in rows for bucket in overdue
            )

        self.assertTrue(days, "no customer-account sales")
        self.assertTrue(any(both(day) for day in days), "no day with dues both overdue and not due yet")

    def test_payments_and_a_deposit(self):
        payments = self.Entry.search(
            [("company_id", "=", self.company.id), ("kind", "=", "payment"), ("amount_due", "<", 0)]
        )
        self.assertGreater(len(payments.partner_id), 1, "several customers settle their dues")
        chen = self.env.ref("pos_customer_ledger.demo_customer_chen")
        first = self.Entry.search(
            [("partner_id", "=", chen.id), ("amount_due", "!=", 0)], order="date, id", limit=1
        )
        self.assertEqual(first.kind, "payment", "Ms Chen's account starts with a deposit")

    def test_promotion_has_orders(self):
        pricelist = self.env.ref("pos_customer_ledger.demo_pricelist_members_week")
        self.assertTrue(pricelist.item_ids.filtered(lambda item: item.percent_price > 0))
        orders = self.env["pos.order"].search([("pricelist_id", "=", pricelist.id)], order="date_order")
        self.assertTrue(orders.partner_id, "customers bought at the promotion")
        result = self.env["pos.customer.ledger.promotion"].get_promotion_effectiveness(
            pricelist,
            dates.local_date(self.company, orders[0].date_order),
            dates.local_date(self.company, orders[-1].date_order),
        )
        metric = next(metric for metric in result["metrics"] if metric["key"] == "orders")
        self.assertGreater(metric["promotion"], 0)
        self.assertGreater(metric["baseline"], 0)

    def test_last_month_is_closed_and_agrees_with_the_journals(self):
        month = dates.company_today(self.company).replace(day=1) - relativedelta(months=1)
        closing = self.env["pos.customer.ledger.closing"].search(
            [("company_id", "=", self.company.id), ("date_from", "=", month)]
        )
        self.assertEqual(closing.state, "closed")
        self.assertTrue(closing.last_hash)
        self.assertGreater(closing.sale_total, 0)
        self.assertEqual(closing.difference, 0)

    def test_chain_verifies(self):
        result = self.Entry.verify_chain(self.company)
        self.assertTrue(result["ok"], result["message"])

    def test_no_cash_refund_of_an_unpaid_customer_account_sale(self):
        refunds = self.env["pos.order"].search(
            [("company_id", "=", self.company.id), ("refunded_order_id", "!=", False)]
        )
        self.assertTrue(refunds, "the demo shows a refund")
        for refund in refunds:
            if refund.refunded_order_id.payment_ids.payment_method_id.filtered(is_pay_later):
                self.assertFalse(
                    refund.payment_ids.payment_method_id.filtered("is_cash_count"),
                    f"{refund.name} refunds a customer-account sale in cash",
                )

    def test_plausible_drawer(self):
        config = self.env.ref("point_of_sale.pos_config_bakery")
        sessions = self.env["pos.session"].search([("config_id", "=", config.id)])
        self.assertGreater(len(sessions), 4, "a session a week")
        for session in sessions:
            self.assertEqual(session.state, "closed")
            self.assertGreater(session.cash_register_balance_start, 0, "the drawer opens with a float")
            self.assertAlmostEqual(session.cash_register_difference, 0, msg="the drawer was counted right")
        cash = sessions.order_ids.payment_ids.filtered(
            lambda payment: payment.payment_method_id.is_cash_count
        )
        self.assertGreater(sum(cash.mapped("amount")), 0, "cash sales")

    def test_adjustments_configured(self):
        self.assertTrue(self.company.ledger_adjustment_journal_id)
        self.assertTrue(self.company.ledger_adjustment_account_id)
