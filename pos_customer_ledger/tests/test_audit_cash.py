"""Issue 14: the cash and receipt audit rules, through the till's and the closing's path."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import Form, tagged

from .common import AuditTestCommon

CASH_CODES = {
    "opening_differs_from_closing",
    "cash_move_unexplained",
    "session_open_long",
    "rescue_session_order",
    "large_change",
    "receipt_reprint",
}


@tagged("post_install", "-at_install")
class TestAuditCash(AuditTestCommon):
    # ---------------------------------------------------------------- helpers

    def cash_move(self, kind, amount, reason, session=None):
        """Cash in or out of the session, as the till's Cash In/Out popup sends it."""
        extras = {"formattedAmount": self.currency.format(amount), "translatedType": kind}
        (session or self.pos_session).try_cash_in_out(kind, amount, reason, extras)

    def close_counting(self, counted):
        self.pos_session.post_closing_cash_details(counted)
        self.pos_session.close_session_from_ui()
        self.assertEqual(self.pos_session.state, "closed")
        return self.pos_session

    def sync_paid_with(self, qty, tendered):
        """A sale of ``qty`` units paid with ``tendered`` in cash, the till giving back the change."""
        data = self.create_ui_order_data([(self.product, qty)], payments=[(self.cash_pm1, tendered)])
        data["amount_return"] = tendered - data["amount_total"]
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    # ------------------------------------------------------------- the rules

    def test_rules_reach_every_company(self):
        rules = self.Rule.search([("company_id", "=", self.company.id), ("code", "in", list(CASH_CODES))])
        self.assertEqual(set(rules.mapped("code")), CASH_CODES)
        company = self.env["res.company"].create({"name": "Audit Cash Company"})
        rules = self.Rule.search([("company_id", "=", company.id), ("code", "in", list(CASH_CODES))])
        self.assertEqual(set(rules.mapped("code")), CASH_CODES)
        self.assertTrue(all(rules.mapped("explanation")))

    def test_managers_set_the_thresholds_on_the_form(self):
        for code, values in {
            "opening_differs_from_closing": {"threshold_amount": 2},
            "cash_move_unexplained": {"threshold_amount": 300},
            "session_open_long": {"threshold_days": 2},
            "rescue_session_order": {"threshold_seconds": 600},
            "large_change": {"threshold_amount": 150, "threshold_percent": 400},
            "receipt_reprint": {"threshold_count": 2},
        }.items():
            rule = self.rule(code).with_user(self.manager)
            with Form(rule) as form:
                for name, value in values.items():
                    setattr(form, name, value)
            self.assertRecordValues(rule, [values])

    def test_opening_differs_from_closing_quiet(self):
        self.sync(self.customer, qty=10)  # 107.00 in cash
        self.close_counting(107.0)
        self.open_new_session(opening_cash=107.0)
        self.assertFalse(self.audit("opening_differs_from_closing"), "the drawer opens as it closed")

    def test_opening_differs_from_closing(self):
        self.sync(self.customer, qty=10)
        first = self.close_counting(107.0)
        second = self.open_new_session(opening_cash=57.0)
        flags = self.audit("opening_differs_from_closing")
        self.assertEqual(flags.session_id, second)
        self.assertEqual(flags.config_id, self.config)
        self.assertIn(first.name, flags.message)
        self.assertIn("57.00", flags.message)
        self.assertIn("107.00", flags.message)
        self.assertIn(self.company.currency_id.format(-50), flags.message)
        # within the threshold: quiet
        self.set_rule("opening_differs_from_closing", threshold_amount=50)
        self.assertFalse(self.rule("opening_differs_from_closing")._findings(self.today, self.today))

    def test_cash_move_unexplained_quiet(self):
        self.set_rule("cash_move_unexplained", threshold_amount=200)
        self.sync(self.customer, qty=10)
        self.cash_move("in", 12.5, "change fund")
        self.cash_move("out", 7.25, "window cleaner")
        # the counting difference (10.00 short) and the cash sales are statement lines of the session
        # too, not cash moves
        self.close_counting(102.25)  # 107.00 + 12.50 - 7.25 expected
        lines = self.pos_session.statement_line_ids
        self.assertEqual(lines.filtered(lambda line: "closing" in line.payment_ref).amount, -10.0)
        self.assertFalse(self.audit("cash_move_unexplained"))

    def test_cash_move_unexplained(self):
        self.set_rule("cash_move_unexplained", threshold_amount=200)
        self.sync(self.customer, qty=10)
        self.cash_move("out", 50, "bank - deposit")
        self.cash_move("out", 7.5, " ")
        self.cash_move("in", 250.5, "float")
        self.cash_move("out", 300, "")
        self.cash_move("in", 12.5, "change fund")
        flags = self.audit("cash_move_unexplained")
        self.assertEqual(len(flags), 4)
        self.assertEqual(flags.session_id, self.pos_session)
        money, session = self.company.currency_id.format, self.pos_session.name
        self.assertEqual(
            sorted(flags.mapped("message")),
            sorted(
                [
                    f"{money(50)} of cash taken out of session {session} (reason: bank - deposit): "
                    f"a round amount (a multiple of {money(10)}).",
                    f"{money(7.5)} of cash taken out of session {session} (reason: -): no reason given.",
                    f"{money(250.5)} of cash put into session {session} (reason: float): above {money(200)}.",
                    f"{money(300)} of cash taken out of session {session} (reason: -): "
                    f"no reason given, above {money(200)}, a round amount (a multiple of {money(10)}).",
                ]
            ),
        )
        # the amount limit off: a large move with a reason is fine
        self.set_rule("cash_move_unexplained", threshold_amount=0)
        rows = self.rule("cash_move_unexplained")._findings(self.today, self.today)
        self.assertEqual(len(rows), 3)

    def test_session_open_long_quiet(self):
        self.sync(self.customer)
        self.assertFalse(self.audit("session_open_long"), "open since this morning")
        self.close_session()
        self.assertFalse(self.audit("session_open_long"), "closed the same day")

    def test_session_open_long(self):
        self.close_session()
        with freeze_time(fields.Datetime.now() - timedelta(days=3)):
            session = self.open_new_session()
            self.sync(self.customer)
        flags = self.audit("session_open_long")
        self.assertEqual(flags.session_id, session)
        self.assertIn("open for 3.0 days and is not closed yet", flags.message)
        # dismissed while open, then closed after three days: a new finding
        flags.with_user(self.auditor).review_note = "Shop closed for the weekend."
        flags.with_user(self.auditor).action_dismiss()
        self.assertFalse(self.audit("session_open_long"))
        self.close_session()
        [closed] = self.audit("session_open_long")
        self.assertEqual(closed.session_id, session)
        self.assertIn("before it was closed", closed.message)
        self.set_rule("session_open_long", threshold_days=3)
        self.assertFalse(self.audit("session_open_long"), "three days allowed")

    def test_rescue_session_order_quiet(self):
        # a till whose clock runs a minute behind the server
        data = self.create_ui_order_data([(self.product, 1)], customer=self.customer)
        data["date_order"] = fields.Datetime.to_string(self.pos_session.start_at - timedelta(seconds=60))
        self.env["pos.order"].sync_from_ui([data])
        self.sync(self.customer)
        self.assertFalse(self.audit("rescue_session_order"))

    def test_rescue_session_order(self):
        """An order synced after its session closed lands in the next session, or in a rescue session."""
        self.sync(self.customer)
        closed = self.pos_session
        self.close_session()
        with freeze_time(fields.Datetime.now() + timedelta(minutes=30)):
            current = self.open_new_session()
        data = self.create_ui_order_data([(self.product, 1)], customer=self.customer)
        data["session_id"] = closed.id
        data["date_order"] = fields.Datetime.to_string(closed.stop_at - timedelta(minutes=1))
        result = self.env["pos.order"].sync_from_ui([data])
        late = self.env["pos.order"].browse(result["pos.order"][0]["id"])
        self.assertEqual(late.session_id, current, "Odoo moves it into the open session")
        # a rescue session (an older version's, or a recovery script's) takes the orders of a lost session
        rescue = self.env["pos.session"].create(
            {"config_id": self.config.id, "rescue": True, "name": f"(RESCUE FOR {closed.name})"}
        )
        data = self.create_ui_order_data([(self.product, 2)], customer=self.customer)
        data["session_id"] = rescue.id
        result = self.env["pos.order"].sync_from_ui([data])
        rescued = self.env["pos.order"].browse(result["pos.order"][0]["id"])
        self.assertEqual(rescued.session_id, rescue)
        flags = self.audit("rescue_session_order")
        self.assertEqual(flags.pos_order_id, late | rescued)
        by_order = {flag.pos_order_id: flag.message for flag in flags}
        self.assertIn(f"landed in session {current.name}", by_order[late])
        self.assertIn(f"landed in the rescue session (RESCUE FOR {closed.name})", by_order[rescued])
        self.assertIn("21.40", by_order[rescued])

    def test_large_change_quiet(self):
        self.sync_paid_with(1, 20.0)  # 9.30 back on 10.70
        self.sync(self.customer, qty=10)  # exact cash
        self.assertFalse(self.audit("large_change"))

    def test_large_change(self):
        self.set_rule("large_change", threshold_amount=100, threshold_percent=100)
        above_total = self.sync_paid_with(1, 50.0)  # 39.30 back on 10.70
        above_amount = self.sync_paid_with(20, 350.0)  # 136.00 back on 214.00
        self.assertEqual(above_total.payment_ids.filtered("is_change").amount, -39.3)
        flags = self.audit("large_change")
        self.assertEqual(flags.pos_order_id, above_total | above_amount)
        by_order = {flag.pos_order_id: flag.message for flag in flags}
        money = self.company.currency_id.format
        self.assertIn(f"gave {money(39.3)} of change (367% of the total)", by_order[above_total])
        self.assertIn(f"gave {money(136)} of change (64% of the total)", by_order[above_amount])
        # both limits off
        self.set_rule("large_change", threshold_amount=0, threshold_percent=0)
        self.assertFalse(self.rule("large_change")._findings(self.today, self.today))

    def test_receipt_reprint(self):
        order = self.sync(self.customer)
        # the till writes the count of receipts it printed
        order.with_user(self.cashier).write({"nb_print": 1})
        self.assertFalse(self.audit("receipt_reprint"), "the receipt printed once")
        order.with_user(self.cashier).write({"nb_print": 3})
        flags = self.audit("receipt_reprint")
        self.assertEqual(flags.pos_order_id, order)
        self.assertIn("printed 3 times", flags.message)
        self.set_rule("receipt_reprint", threshold_count=3)
        self.assertFalse(self.rule("receipt_reprint")._findings(self.today, self.today))
