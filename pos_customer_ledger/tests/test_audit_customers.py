"""Issue 14: the audit rules on customers, their accounts and the till's receipts."""

from odoo import fields
from odoo.tests import tagged

from .common import CASHIER_GROUPS, AuditTestCommon

CODES = {
    "unsettled_pay_later",
    "over_credit_limit",
    "duplicate_customers",
    "refund_soon_after_sale",
    "manual_price",
    "receipt_numbering",
}


@tagged("post_install", "-at_install")
class TestAuditCustomers(AuditTestCommon):
    def test_rules_reach_every_company(self):
        self.assertLessEqual(
            CODES, set(self.Rule.search([("company_id", "=", self.company.id)]).mapped("code"))
        )
        company = self.env["res.company"].create({"name": "Audit Customers New Company"})
        rules = self.Rule.search([("company_id", "=", company.id), ("code", "in", list(CODES))])
        self.assertEqual(set(rules.mapped("code")), CODES)
        self.assertTrue(all(rules.mapped("explanation")))
        # an existing company that lacks them (a database upgraded from before them) gets them
        rules.sudo().unlink()
        self.Rule._create_company_rules()
        self.assertEqual(
            set(
                self.Rule.search([("company_id", "=", company.id), ("code", "in", list(CODES))]).mapped(
                    "code"
                )
            ),
            CODES,
        )

    # ------------------------------------------------------- pay-later sales

    def pay_later(self, customer, qty=1, days_ago=0):
        return self.sync(customer, qty=qty, payments=[(self.pay_later_pm, 10.7 * qty)], days_ago=days_ago)

    def test_unsettled_pay_later(self):
        # the company's 30 days: due 10 days ago
        self.set_rule("unsettled_pay_later", threshold_days=5)
        old = self.pay_later(self.customer, days_ago=40)
        self.pay_later(self.customer)  # not due yet
        flags = self.audit("unsettled_pay_later")
        self.assertEqual(flags.pos_order_id, old)
        self.assertEqual(flags.entry_id.pos_order_id, old)
        self.assertEqual(flags.partner_id, self.customer)
        self.assertIn("10.70", flags.message)
        self.assertIn("10 days overdue", flags.message)
        self.assertFalse(self.audit("unsettled_pay_later"), "one open flag per sale")

    def test_unsettled_pay_later_quiet(self):
        self.set_rule("unsettled_pay_later", threshold_days=5)
        self.sync(self.customer, days_ago=40)  # paid in cash
        self.pay_later(self.customer, days_ago=32)  # 2 days overdue
        settled = self.pay_later(self.other_customer, days_ago=40)
        self.env["pos.customer.ledger.entry"].post_manual_entry(
            "opening", self.other_customer, -10.7, self.today, "Paid at the office"
        )
        self.assertFalse(self.audit("unsettled_pay_later"))
        # more days than the threshold: the unpaid one only
        self.set_rule("unsettled_pay_later", threshold_days=1)
        flags = self.audit("unsettled_pay_later")
        self.assertEqual(flags.partner_id, self.customer)
        self.assertNotEqual(flags.pos_order_id, settled)

    def test_unsettled_pay_later_partly_settled(self):
        """Credits settle the oldest dues first: the old sale stays partly open behind a newer one."""
        self.set_rule("unsettled_pay_later", threshold_days=5)
        old = self.pay_later(self.customer, qty=2, days_ago=40)  # 21.40, 10 days overdue
        self.pay_later(self.customer)  # 10.70 today
        Entry = self.env["pos.customer.ledger.entry"]
        Entry.post_manual_entry("opening", self.customer, -10.7, self.today, "Paid at the office")
        flags = self.audit("unsettled_pay_later")
        self.assertEqual(flags.pos_order_id, old)
        self.assertIn("still owes", flags.message)
        self.assertIn("10.70 of the pay-later sale", flags.message)
        Entry.post_manual_entry("opening", self.customer, -10.7, self.today, "Paid the rest")
        self.assertFalse(self.audit("unsettled_pay_later"), "what is left open is today's sale, not due yet")

    # ---------------------------------------------------------- credit limit

    def test_over_credit_limit(self):
        self.company.account_use_credit_limit = True
        self.customer.with_company(self.company).credit_limit = 15.0
        self.pay_later(self.customer)  # owes 10.70
        self.pay_later(self.other_customer, qty=3)  # no limit
        self.assertFalse(self.audit("over_credit_limit"))
        over = self.pay_later(self.customer)  # owes 21.40
        flags = self.audit("over_credit_limit")
        self.assertEqual(flags.pos_order_id, over)
        self.assertEqual(flags.partner_id, self.customer)
        self.assertIn("21.40", flags.message)
        self.assertIn("15.00", flags.message)

    def test_over_credit_limit_company_default(self):
        self.company.account_use_credit_limit = True
        self.env["ir.default"].set("res.partner", "credit_limit", 20.0, company_id=self.company.id)
        self.pay_later(self.other_customer)
        self.assertFalse(self.audit("over_credit_limit"))
        over = self.pay_later(self.other_customer, qty=2)
        self.assertEqual(self.audit("over_credit_limit").pos_order_id, over)

    def test_over_credit_limit_off_unless_the_company_uses_limits(self):
        self.assertFalse(self.company.account_use_credit_limit)
        self.customer.with_company(self.company).credit_limit = 15.0
        self.pay_later(self.customer, qty=3)
        self.assertFalse(self.audit("over_credit_limit"), "Odoo's credit limits are off")

    # -------------------------------------------------- duplicate customers

    def test_duplicate_customers(self):
        self.customer.write({"phone": "+86 138 0013 8000", "email": "Wang.Li@example.com"})
        twin = self.env["res.partner"].create(
            {"name": "Customer One Again", "phone": "138-0013-8000", "email": "wang.li@example.com"}
        )
        self.sync(self.customer)
        [flag] = self.audit("duplicate_customers")
        self.assertEqual(flag.partner_id, self.customer)
        self.assertEqual(flag.severity, "info")
        self.assertIn(twin.name, flag.message)
        self.assertIn("e-mail", flag.message, "phone and e-mail in common: one finding")
        self.assertNotIn("example.com", flag.finding_key)
        self.assertFalse(self.audit("duplicate_customers"), "the same group again: no new flag")
        # dismissed, it stays dismissed until someone else joins the group
        flag.with_user(self.auditor).review_note = "Two shops of one customer."
        flag.with_user(self.auditor).action_dismiss()
        self.assertFalse(self.audit("duplicate_customers"))
        third = self.env["res.partner"].create({"name": "Third Copy", "mobile": "+8613800138000"})
        [again] = self.audit("duplicate_customers")
        self.assertIn(third.name, again.message)
        self.assertIn("phone number", again.message)

    def test_duplicate_customers_quiet(self):
        self.customer.write({"phone": "+86 138 0013 8000", "email": "wang.li@example.com"})
        # a contact of the customer shares its number; another customer has another one
        self.customer_contact.write({"phone": "138 0013 8000", "email": "wang.li@example.com"})
        self.other_customer.write({"phone": "+86 139 0013 8000"})
        # two strangers to this company's ledger share a number
        self.env["res.partner"].create([{"name": "Stranger A", "phone": "555 0100 999"}] * 2)
        # short numbers are no identity
        self.env["res.partner"].create({"name": "Short", "phone": "00-12"})
        self.other_customer.phone = "0012"
        self.sync(self.customer)
        self.sync(self.other_customer)
        self.assertFalse(self.audit("duplicate_customers"))

    # ------------------------------------------------- refunds by the seller

    def test_refund_soon_after_sale(self):
        self.set_rule("refund_soon_after_sale", threshold_seconds=300)
        cashier = self.company_user("audit_seller", CASHIER_GROUPS)
        refund = self.sync_as(cashier, refund_of=self.sync_as(cashier))
        flags = self.audit("refund_soon_after_sale")
        self.assertEqual(flags.pos_order_id, refund)
        self.assertEqual(flags.user_id, cashier)
        self.assertIn("10.70", flags.message)
        # 0 turns it off
        self.set_rule("refund_soon_after_sale", threshold_seconds=0)
        self.assertFalse(
            self.Rule.browse(self.rule("refund_soon_after_sale").id)._findings(self.today, self.today)
        )

    def test_refund_soon_after_sale_quiet(self):
        self.set_rule("refund_soon_after_sale", threshold_seconds=300)
        seller, other = (self.company_user(login, CASHIER_GROUPS) for login in ("audit_a", "audit_b"))
        self.sync_as(other, refund_of=self.sync_as(seller))  # another cashier
        self.sync_refund(self.sync(self.customer, days_ago=1), self.cash_pm1)  # a day later
        self.assertFalse(self.audit("refund_soon_after_sale"))

    # ------------------------------------------------------- manual prices

    def sync_priced(self, price, price_type="manual"):
        """A sale of one product (10.00 + 7%) at ``price`` before taxes, as the till sends it."""
        data = self.create_ui_order_data([(self.product, 1)], customer=self.customer)
        line = data["lines"][0][2]
        total = round(price * 1.07, 2)
        line.update(price_unit=price, price_subtotal=price, price_subtotal_incl=total, price_type=price_type)
        payment = data["payment_ids"][0][2]
        payment["amount"] = total
        data.update(amount_total=total, amount_paid=total, amount_tax=total - price)
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def test_manual_price(self):
        self.set_rule("manual_price", threshold_percent=20)
        order = self.sync_priced(7.0)
        self.assertEqual(order.lines.price_type, "manual")
        flags = self.audit("manual_price")
        self.assertEqual(flags.pos_order_id, order)
        self.assertIn("30.0%", flags.message)
        self.assertIn("3.00", flags.message)

    def test_manual_price_quiet(self):
        self.set_rule("manual_price", threshold_percent=20)
        self.sync_priced(9.0)  # 10% lower by hand
        self.sync_priced(12.0)  # higher
        self.sync_priced(5.0, price_type="original")  # a pricelist's price
        self.sync(self.customer)
        self.assertFalse(self.audit("manual_price"))

    def test_manual_price_not_on_tips(self):
        self.set_rule("manual_price", threshold_percent=20)
        self.config.tip_product_id = self.product
        self.sync_priced(2.0)  # a tip of 2.00
        self.assertFalse(self.audit("manual_price"))

    # --------------------------------------------------- receipt numbering

    def sync_numbered(self, number, login=1, session=None):
        """An order of the till with the receipt ``number`` (as the till numbers them in a session)."""
        session = session or self.pos_session
        reference = f"{session.id:05d}-{login:03d}-{number:04d}"
        data = self.create_ui_order_data([(self.product, 1)], customer=self.customer)
        data.update(name=f"Order {reference}", sequence_number=number, session_id=session.id)
        if session.state == "closed":
            # rung up while its session was open
            data["date_order"] = fields.Datetime.to_string(session.start_at)
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def test_receipt_numbering(self):
        session = self.pos_session
        for number in (1, 2, 5, 6, 8):
            self.sync_numbered(number)
        self.sync_numbered(6)  # the same receipt twice
        self.sync_numbered(1, login=2)  # a second till of the session numbers from 1
        self.assertFalse(self.audit("receipt_numbering"), "an open session is still numbering")
        self.close_session()
        flags = self.audit("receipt_numbering")
        self.assertEqual(flags.session_id, session)
        self.assertIn("3 receipt number(s) missing (3-4, 7)", flags.message)
        self.assertIn(f"{session.id:05d}-001-0006", flags.message)
        # a few gaps allowed
        self.set_rule("receipt_numbering", threshold_count=3)
        rule = self.Rule.browse(self.rule("receipt_numbering").id)
        self.assertEqual(len(rule._findings(self.today, self.today)), 1, "still the duplicate")

    def test_receipt_numbering_quiet(self):
        for number in (1, 2, 3):
            self.sync_numbered(number)
        self.sync_numbered(1, login=2)
        self.sync_numbered(2, login=2)
        self.close_session()
        self.assertFalse(self.audit("receipt_numbering"))

    def test_receipt_numbering_late_sync(self):
        """A till that syncs an order after its session closed: Odoo puts it in the next session."""
        first = self.pos_session
        self.sync_numbered(1)
        self.sync_numbered(3)
        self.close_session()
        self.open_new_session()
        late = self.sync_numbered(2, session=first)
        self.assertEqual(late.session_id, self.pos_session)
        self.sync_numbered(1)
        self.sync_numbered(2)
        self.close_session()
        self.assertFalse(self.audit("receipt_numbering"), "the late order fills its own session's gap")

    def test_receipt_numbering_gaps_under_the_threshold(self):
        self.set_rule("receipt_numbering", threshold_count=1)
        for number in (1, 3):
            self.sync_numbered(number)
        self.close_session()
        self.assertFalse(self.audit("receipt_numbering"))

    def test_customer_rules_quiet_together(self):
        """Everyday trade (cash and pay-later sales, a refund the next day) raises nothing."""
        self.pay_later(self.customer)
        sale = self.sync(self.other_customer, days_ago=1)
        self.sync_refund(sale, self.cash_pm1)
        self.assertFalse(self.audit(*sorted(CODES - {"receipt_numbering"})))
