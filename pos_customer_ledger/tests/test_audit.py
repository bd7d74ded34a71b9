"""Issue 14: audit rules, flags and their review, through the user's path."""

import io
from datetime import timedelta

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from ..tools.money import money_formatter
from .common import CASHIER_GROUPS, AuditTestCommon


@tagged("post_install", "-at_install")
class TestAudit(AuditTestCommon):
    # ------------------------------------------------------------ the rules

    def test_shipped_rules_per_company(self):
        """Every company has the six rules, a new company too, with their explanation."""
        codes = {
            "missing_ledger_entry",
            "refund_without_origin",
            "discount_above_cap",
            "below_cost",
            "cash_difference",
            "cashier_outlier",
            "zero_total_order",
            "refund_other_cashier_or_day",
            "large_sale_without_customer",
            "duplicate_sale",
            "refund_above_sold",
            "refund_cash_for_card_sale",
            "customer_many_refunds",
        }
        rules = self.Rule.search([("company_id", "=", self.company.id)])
        self.assertLessEqual(codes, set(rules.mapped("code")))
        company = self.env["res.company"].create({"name": "Audit New Company"})
        rules = self.Rule.search([("company_id", "=", company.id)])
        self.assertLessEqual(codes, set(rules.mapped("code")))
        self.assertTrue(all(rules.mapped("explanation")))

    def test_amounts_in_messages_as_the_currency_writes_them(self):
        """Messages format amounts without looking the language up each time, to the same text."""
        self.env["res.lang"]._activate_lang("fr_FR")
        amounts = (0.0, -0.0, 5, -5.005, 1234.5, -1234567.891, 0.125)
        for lang in ("en_US", "fr_FR"):
            env = self.env(context={"lang": lang})
            for currency in (self.company.currency_id, env.ref("base.EUR"), env.ref("base.JPY")):
                money = money_formatter(env, currency)
                for amount in amounts:
                    self.assertEqual(money(amount), currency.with_env(env).format(amount), (lang, amount))
        rule = self.rule("discount_above_cap")
        self.assertEqual(rule._money(1234.5), rule.currency_id.format(1234.5))

    def test_missing_ledger_entry(self):
        clean = self.sync(self.customer)
        self.assertFalse(
            self.audit("missing_ledger_entry"), "every paid order with a customer is in the ledger"
        )
        lost = self.sync(self.customer)
        self.sync(False)  # no customer: nothing to post
        self.drop_entries(lost)
        flags = self.audit("missing_ledger_entry")
        self.assertEqual(flags.pos_order_id, lost)
        self.assertNotIn(clean, flags.pos_order_id)
        self.assertEqual(flags.partner_id, self.customer)
        self.assertEqual(flags.severity, "critical")
        self.assertEqual(flags.session_id, self.pos_session)
        self.assertEqual(flags.config_id, self.config)
        self.assertIn(lost.name, flags.message)

    def test_refund_without_origin(self):
        sale = self.sync(self.customer)
        self.sync_refund(sale, self.cash_pm1)
        self.assertFalse(
            self.audit("refund_without_origin"), "a refund through the Refund button has its origin"
        )
        blind = self.sync(self.customer, qty=-1, payments=[(self.cash_pm1, -10.7)])
        flags = self.audit("refund_without_origin")
        self.assertEqual(flags.pos_order_id, blind)
        self.assertIn("10.70", flags.message)

    def test_discount_above_cap(self):
        self.set_rule("discount_above_cap", threshold_percent=30)
        self.sync(self.customer, lines=[(self.product, 1, 30.0)])
        self.assertFalse(self.audit("discount_above_cap"), "a discount at the cap is allowed")
        order = self.sync(self.customer, lines=[(self.product, 1, 50.0), (self.product, 1, 20.0)])
        flags = self.audit("discount_above_cap")
        self.assertEqual(flags.pos_order_id, order)
        self.assertIn("50%", flags.message)
        self.assertIn("5.00", flags.message)  # 50% of 10.00 before taxes

    def test_below_cost(self):
        self.product.standard_price = 8.0
        self.sync(self.customer, lines=[(self.product, 1, 10.0)])  # 9.00 for a cost of 8.00
        self.assertFalse(self.audit("below_cost"))
        order = self.sync(self.customer, lines=[(self.product, 2, 50.0)])  # 10.00 for a cost of 16.00
        flags = self.audit("below_cost")
        self.assertEqual(flags.pos_order_id, order)
        self.assertIn("6.00", flags.message)

    def test_cash_difference_quiet_when_counted_right(self):
        self.sync(self.customer)
        self.close_session()
        self.assertFalse(self.audit("cash_difference"))

    def test_cash_difference(self):
        self.set_rule("cash_difference", threshold_amount=5)
        self.sync(self.customer, qty=10)  # 107.00 in cash
        session = self.pos_session
        session.post_closing_cash_details(80.0)
        session.close_session_from_ui()
        self.assertEqual(session.state, "closed")
        flags = self.audit("cash_difference")
        self.assertEqual(flags.session_id, session)
        self.assertIn("80.00", flags.message)
        self.assertIn("107.00", flags.message)
        self.assertIn("27.00", flags.message)
        # within the threshold: quiet
        self.set_rule("cash_difference", threshold_amount=30)
        self.assertFalse(
            self.env["pos.customer.ledger.audit.rule"]
            .browse(self.rule("cash_difference").id)
            ._findings(self.today, self.today)
        )

    def cashiers(self, refunds):
        """Cashiers of the shop with four orders each, ``refunds[i]`` of them refunds."""
        cashiers = [self.company_user(f"audit_till_{i}", CASHIER_GROUPS) for i in range(len(refunds))]
        for cashier, count in zip(cashiers, refunds, strict=True):
            sales = [self.sync_as(cashier) for _i in range(4 - count)]
            for sale in sales[:count]:
                self.sync_as(cashier, refund_of=sale)
        return cashiers

    def test_cashier_outlier(self):
        self.set_rule("cashier_outlier", threshold_count=2, threshold_score=3.0)
        suspect, *_others = self.cashiers([2, 0, 0, 0])
        flags = self.audit("cashier_outlier")
        self.assertEqual(flags.user_id, suspect)
        self.assertEqual(flags.config_id, self.config)
        self.assertIn("2 of 4 orders (50.0%)", flags.message)

    def test_cashier_figures(self):
        """Audit > Cashier Figures: per cashier, shop and day, what the statistical rules compare."""
        suspect, other, *_rest = self.cashiers([2, 0, 0, 0])
        self.sync_as(other, lines=[(self.product, 1, 50.0)])
        Figure = self.env["pos.customer.ledger.cashier.figure"].with_user(self.auditor)
        domain = [("date", "=", self.today), ("config_id", "=", self.config.id)]
        figures = {
            user: (orders, refunds, discounts)
            for user, orders, refunds, discounts in Figure._read_group(
                domain, ["user_id"], ["order_count:sum", "refund_count:sum", "discount_count:sum"]
            )
        }
        self.assertEqual(figures[suspect], (4, 2, 0))
        self.assertEqual(figures[other], (5, 0, 1))
        refunded = Figure.search([*domain, ("user_id", "=", suspect.id)])
        self.assertEqual(refunded.cashier, suspect.name)
        self.assertGreater(refunded.refund_amount, 0)
        with self.assertRaises(AccessError):
            self.env["pos.customer.ledger.cashier.figure"].with_user(self.cashier).search([])

    def test_cashier_outlier_quiet_on_usual_refunds(self):
        self.set_rule("cashier_outlier", threshold_count=2, threshold_score=3.0)
        self.cashiers([1, 1, 0, 0])
        self.assertFalse(self.audit("cashier_outlier"))

    def test_cashier_outlier_needs_enough_orders(self):
        self.set_rule("cashier_outlier", threshold_count=5, threshold_score=3.0)
        self.cashiers([2, 0, 0, 0])
        self.assertFalse(self.audit("cashier_outlier"), "four orders each are too few to compare")

    def test_zero_total_order(self):
        self.sync(self.customer, lines=[(self.product, 1, 50.0)])
        self.assertFalse(self.audit("zero_total_order"))
        free = self.sync(self.customer, lines=[(self.product, 2, 100.0)])
        flags = self.audit("zero_total_order")
        self.assertEqual(flags.pos_order_id, free)
        self.assertIn("20.00", flags.message)
        self.assertIn("100%", flags.message)

    def test_refund_other_cashier_or_day(self):
        sale = self.sync(self.customer)
        self.sync_refund(sale, self.cash_pm1)
        self.assertFalse(self.audit("refund_other_cashier_or_day"), "same cashier, same day")
        seller, refunder = self.company_user("audit_seller", CASHIER_GROUPS), self.cashier
        other_cashier = self.sync_as(refunder, refund_of=self.sync_as(seller))
        old_sale = self.sync(self.customer, days_ago=2)
        other_day = self.sync_refund(old_sale, self.cash_pm1)
        flags = self.audit("refund_other_cashier_or_day")
        self.assertEqual(flags.pos_order_id, other_cashier | other_day)
        by_order = {flag.pos_order_id: flag.message for flag in flags}
        self.assertIn("by another cashier", by_order[other_cashier])
        self.assertIn("on another day", by_order[other_day])
        self.assertIn(old_sale.name, by_order[other_day])

    def test_large_sale_without_customer(self):
        self.set_rule("large_sale_without_customer", threshold_amount=50)
        self.sync(self.customer, qty=10)
        self.sync(False, qty=1)
        self.assertFalse(self.audit("large_sale_without_customer"))
        anonymous = self.sync(False, qty=10)
        flags = self.audit("large_sale_without_customer")
        self.assertEqual(flags.pos_order_id, anonymous)
        self.assertIn("107.00", flags.message)

    def test_duplicate_sale(self):
        self.set_rule("duplicate_sale", threshold_seconds=120)
        self.sync(self.customer, qty=1)
        self.sync(self.customer, qty=2)
        self.sync(self.customer_contact.commercial_partner_id.copy(), qty=1)
        self.assertFalse(self.audit("duplicate_sale"))
        again = self.sync(self.customer, qty=2)
        flags = self.audit("duplicate_sale")
        self.assertEqual(flags.pos_order_id, again, "the second of the two, once")
        self.assertIn("21.40", flags.message)

    def test_refund_above_sold(self):
        sale = self.sync(self.customer, qty=2)
        self.sync_refund(sale, self.cash_pm1)
        self.assertFalse(self.audit("refund_above_sold"), "a refund of what was sold")
        small = self.sync(self.customer, qty=1)
        line = small.lines
        data = self.create_ui_order_data(
            [{"product": line.product_id, "quantity": -3, "refunded_orderline_id": line.id}],
            customer=self.customer,
        )
        result = self.env["pos.order"].sync_from_ui([data])
        refund = self.env["pos.order"].browse(result["pos.order"][0]["id"])
        flags = self.audit("refund_above_sold")
        self.assertEqual(flags.pos_order_id, refund)
        self.assertEqual(flags.finding_key, f"line:{line.id}")
        self.assertIn("3 refunded", flags.message)
        self.assertIn("1 sold", flags.message)

    def test_refund_cash_for_card_sale(self):
        by_card = self.sync(self.customer, payments=[(self.bank_pm1, 10.7)])
        self.sync_refund(by_card, self.bank_pm1)
        in_cash = self.sync(self.customer)
        self.sync_refund(in_cash, self.cash_pm1)
        self.assertFalse(self.audit("refund_cash_for_card_sale"), "refunds go back the way the money came")
        card_sale = self.sync(self.customer, payments=[(self.bank_pm1, 10.7)])
        cash_refund = self.sync_refund(card_sale, self.cash_pm1)
        flags = self.audit("refund_cash_for_card_sale")
        self.assertEqual(flags.pos_order_id, cash_refund)
        self.assertIn(card_sale.name, flags.message)
        self.assertIn("10.70", flags.message)

    def test_customer_many_refunds(self):
        self.set_rule("customer_many_refunds", threshold_count=2)
        self.sync_refund(self.sync(self.customer), self.cash_pm1)
        self.sync_refund(self.sync(self.other_customer), self.cash_pm1)
        self.assertFalse(self.audit("customer_many_refunds"), "one refund each")
        self.sync_refund(self.sync(self.customer), self.cash_pm1)
        flags = self.audit("customer_many_refunds")
        self.assertEqual(flags.partner_id, self.customer)
        self.assertIn("2 refunds", flags.message)

    # ---------------------------------------------------- runs and de-dup

    def test_run_records_and_dedup(self):
        self.set_rule("chain_break", active=False)  # the dropped entry breaks the chain too
        self.set_rule("discount_above_cap", threshold_percent=30)
        order = self.sync(self.customer, lines=[(self.product, 1, 50.0), (self.product, 1, 20.0)])
        self.drop_entries(order)
        flags = self.audit()
        self.assertEqual(set(flags.rule_id.mapped("code")), {"missing_ledger_entry", "discount_above_cap"})
        run = flags.run_id
        self.assertEqual(len(run), 1)
        self.assertEqual((run.date_from, run.date_to), (self.today, self.today))
        self.assertEqual(run.company_id, self.company)
        self.assertEqual(run.rule_ids, self.Rule.search([("company_id", "=", self.company.id)]))
        self.assertEqual((run.flag_count, run.critical_count, run.warning_count), (2, 1, 1))
        counts = {line.rule_id.code: (line.finding_count, line.flag_count) for line in run.line_ids}
        self.assertEqual(counts["discount_above_cap"], (1, 1))
        self.assertEqual(counts["below_cost"], (0, 0))
        self.assertGreaterEqual(run.duration, 0)

        # again: found, not flagged twice
        self.assertFalse(self.audit())
        second = self.env["pos.customer.ledger.audit.run"].search([], limit=1)
        self.assertEqual((second.finding_count, second.flag_count), (2, 0))

        # dismissed: stays dismissed while its figures are the same
        discount = flags.filtered(lambda flag: flag.rule_id.code == "discount_above_cap")
        discount.with_user(self.auditor).review_note = "Damaged item, approved by the shop manager."
        discount.with_user(self.auditor).action_dismiss()
        self.assertFalse(self.audit("discount_above_cap"))
        # the cap is lowered: the second line is now above it, the figures change
        self.set_rule("discount_above_cap", threshold_percent=10)
        [again] = self.audit("discount_above_cap")
        self.assertEqual((again.pos_order_id, again.state), (order, "open"))
        self.assertEqual(again.finding_key, discount.finding_key)
        self.assertNotEqual(again.fingerprint, discount.fingerprint)

    def test_bad_input_writes_nothing(self):
        Run = self.env["pos.customer.ledger.audit.run"]
        before = Run.search_count([])
        with self.assertRaisesRegex(UserError, "comes before"):
            self.Rule.with_user(self.auditor).run_audit(self.today, self.today.replace(year=2000))
        with self.assertRaisesRegex(UserError, "no_such_rule"):
            self.audit("discount_above_cap", "no_such_rule")
        with self.assertRaisesRegex(UserError, "first and the last day"):
            self.Rule.with_user(self.auditor).run_audit("not a date", self.today)
        self.assertEqual(Run.search_count([]), before)

    def test_inactive_rule_does_not_run(self):
        self.set_rule("refund_without_origin", active=False)
        self.sync(self.customer, qty=-1, payments=[(self.cash_pm1, -10.7)])
        self.assertFalse(self.audit())

    # ------------------------------------------------------------- review

    def blind_refund_flag(self):
        self.sync(self.customer, qty=-1, payments=[(self.cash_pm1, -10.7)])
        return self.audit("refund_without_origin").with_user(self.auditor)

    def test_review_needs_a_note_and_is_kept(self):
        # the test classes disable tracking; the review history is the point here
        flag = self.blind_refund_flag().with_context(tracking_disable=False, mail_notrack=False)
        # the run's request ends (Odoo tracks no record in the transaction that created it)
        self.env.flush_all()
        self.env.cr.precommit.run()
        with self.assertRaisesRegex(UserError, "review note"):
            flag.action_confirm()
        self.assertEqual(flag.state, "open")
        with Form(flag) as form:
            form.review_note = "Refunded without receipt, cashier warned."
        flag.action_confirm()
        self.assertEqual(flag.state, "confirmed")
        self.assertEqual(flag.reviewer_id, self.auditor)
        self.assertTrue(flag.review_date)
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = flag.sudo().message_ids.tracking_value_ids.mapped("field_id.name")
        self.assertIn("state", tracked)
        self.assertIn("review_note", tracked)
        with self.assertRaisesRegex(UserError, "already reviewed"):
            flag.action_dismiss()
        with self.assertRaises(UserError):
            flag.review_note = "changed my mind"

    def test_flags_xlsx_for_the_working_papers(self):
        """Print > Audit Flags (XLSX): the selected flags with their review, user text as text."""
        report = self.env.ref("pos_customer_ledger.action_report_ledger_flag_xlsx")
        self.assertEqual(report.binding_model_id.model, "pos.customer.ledger.flag")
        self.customer.name = '=HYPERLINK("http://x.test", "Ana")'
        flag = self.blind_refund_flag()
        with Form(flag) as form:
            form.review_note = "=1+1 cashier warned"
        flag.action_dismiss()
        content, kind = (
            self.env["ir.actions.report"]
            .with_user(self.auditor)
            ._render_xlsx(report.report_name, flag.ids, None)
        )
        self.assertEqual(kind, "xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        header = [cell.value for cell in sheet[1]]
        row = dict(zip(header, (cell.value for cell in sheet[2]), strict=True))
        self.assertEqual(sheet.max_row, 2)
        self.assertEqual(row["Flag"], flag.id)
        self.assertEqual(row["Rule"], flag.rule_id.name)
        self.assertEqual(row["Status"], "Dismissed")
        self.assertEqual(row["Order"], flag.pos_order_id.name)
        self.assertEqual(row["Customer"], self.customer.display_name)
        self.assertEqual(row["Review Note"], "=1+1 cashier warned")
        self.assertEqual(row["Reviewer"], self.auditor.name)
        self.assertEqual(row["Finding"], flag.message)
        for cell in sheet[2]:
            self.assertNotEqual(cell.data_type, "f", "user text must never become a formula")
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(self.cashier)._render_xlsx(
                report.report_name, flag.ids, None
            )

    def test_flags_are_never_deleted_nor_rewritten(self):
        flag = self.blind_refund_flag()
        with self.assertRaisesRegex(UserError, "never deleted"):
            flag.sudo().unlink()
        with self.assertRaises(UserError):
            flag.message = "nothing to see"
        with self.assertRaises(UserError):
            flag.state = "dismissed"
        with self.assertRaises(UserError):
            self.Flag.with_user(self.auditor).create(
                {
                    "rule_id": flag.rule_id.id,
                    "severity": "info",
                    "company_id": self.company.id,
                    "finding_key": "x",
                }
            )

    # ------------------------------------------------------------- access

    def test_who_sees_and_does_what(self):
        flag = self.blind_refund_flag()
        # cashiers, plain users and portal users see nothing and run nothing
        internal = self.company_user("audit_internal", "base.group_user")
        portal = self.company_user("audit_portal", "base.group_portal")
        models = (
            "pos.customer.ledger.flag",
            "pos.customer.ledger.audit.rule",
            "pos.customer.ledger.audit.run",
        )
        for user in (self.cashier, internal, portal):
            for model in models:
                with self.assertRaises(AccessError, msg=f"{user.login} {model}"):
                    self.env[model].with_user(user).search([])
            with self.assertRaises(AccessError, msg=user.login):
                flag.with_user(user).read(["message"])
        with self.assertRaises(AccessError):
            self.audit(user=self.cashier)
        with self.assertRaises(AccessError):
            flag.with_user(self.cashier).action_dismiss()
        # auditors run and review, but do not configure
        self.assertEqual(self.Flag.with_user(self.auditor).search([("id", "=", flag.id)]), flag)
        with self.assertRaises(AccessError):
            self.rule("discount_above_cap").with_user(self.auditor).threshold_percent = 90
        # managers configure; the code stays
        rule = self.rule("discount_above_cap").with_user(self.manager)
        rule.threshold_percent = 15
        with self.assertRaisesRegex(UserError, "code"):
            rule.code = "below_cost"
        with self.assertRaises(AccessError):
            rule.unlink()

    def test_other_company_sees_no_flag(self):
        flag = self.blind_refund_flag()
        other = self.env["res.company"].create({"name": "Audit Other Company"})
        auditor = self.env["res.users"].create(
            {
                "name": "Other Auditor",
                "login": "audit_other_auditor",
                "company_id": other.id,
                "company_ids": [Command.set(other.ids)],
                "groups_id": [Command.link(self.env.ref("pos_customer_ledger.group_ledger_auditor").id)],
            }
        )
        self.assertFalse(self.Flag.with_user(auditor).search([("id", "=", flag.id)]))
        self.assertFalse(
            self.env["pos.customer.ledger.audit.run"].with_user(auditor).search([("id", "=", flag.run_id.id)])
        )
        self.assertEqual(self.Rule.with_user(auditor).search([]).company_id, other)
        with self.assertRaises(AccessError):
            flag.with_user(auditor).read(["message"])
        # nor the figures of this company's cashiers, nor its flags as a workbook
        Figure = self.env["pos.customer.ledger.cashier.figure"]
        self.assertTrue(Figure.with_user(self.auditor).search([("company_id", "=", self.company.id)]))
        self.assertFalse(Figure.with_user(auditor).search([]))
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(auditor)._render_xlsx(
                "pos_customer_ledger.flag_xlsx", flag.ids, None
            )

    def test_auditor_views(self):
        """The auditor's views of flags and runs open; the flag form reviews through its buttons."""
        for model, view_types in {
            "pos.customer.ledger.flag": ["list", "form", "kanban", "pivot", "graph", "search"],
            "pos.customer.ledger.audit.run": ["list", "form"],
            "pos.customer.ledger.audit.run.wizard": ["form"],
        }.items():
            views = self.env[model].with_user(self.auditor).get_views([(False, kind) for kind in view_types])
            self.assertEqual(set(views["views"]), set(view_types), model)
        form = self.env["pos.customer.ledger.flag"].with_user(self.auditor).get_views([(False, "form")])
        arch = form["views"]["form"]["arch"]
        self.assertIn('name="action_confirm"', arch)
        self.assertIn('name="action_dismiss"', arch)

    # ------------------------------------------------- wizard and the cron

    def test_run_wizard(self):
        self.sync(self.customer, qty=-1, payments=[(self.cash_pm1, -10.7)])
        Wizard = self.env["pos.customer.ledger.audit.run.wizard"].with_user(self.auditor)
        Wizard = Wizard.with_company(self.company).with_context(allowed_company_ids=self.company.ids)
        with Form(Wizard) as form:
            form.date_from = self.today
            form.date_to = self.today
            form.rule_ids.add(self.rule("refund_without_origin"))
        action = form.record.action_run()
        run = self.env["pos.customer.ledger.audit.run"].browse(action["res_id"])
        self.assertEqual(run.rule_ids.mapped("code"), ["refund_without_origin"])
        self.assertEqual(run.flag_ids.rule_id.code, "refund_without_origin")
        self.assertEqual(run.user_id, self.auditor)

    def test_daily_cron_audits_yesterday_and_calls_the_auditors(self):
        self.set_rule("chain_break", active=False)  # the dropped entries break the chain too
        yesterday = self.sync(self.customer, days_ago=1)
        today = self.sync(self.customer)
        self.drop_entries(yesterday | today)
        self.env.ref("pos_customer_ledger.ir_cron_run_audit_daily").method_direct_trigger()
        # (the back-dated orders of the test also land in a later session: other rules' flags)
        flags = self.Flag.search([("company_id", "=", self.company.id), ("severity", "=", "critical")])
        self.assertEqual(flags.pos_order_id, yesterday, "the previous day only")
        self.assertEqual(flags.run_id.trigger, "cron")
        self.assertEqual(flags.severity, "critical")
        activities = flags.activity_ids
        self.assertIn(self.auditor, activities.user_id)
        self.assertIn(self.manager, activities.user_id, "managers audit too")
        self.assertNotIn(self.cashier, activities.user_id)
        self.assertEqual(len(activities), len(activities.user_id), "one to-do per auditor and flag")
        # a warning flag calls nobody
        self.sync(self.customer, qty=-1, payments=[(self.cash_pm1, -10.7)], days_ago=1)
        self.env.ref("pos_customer_ledger.ir_cron_run_audit_daily").method_direct_trigger()
        warning = self.Flag.search([("company_id", "=", self.company.id), ("severity", "=", "warning")])
        self.assertTrue(warning)
        self.assertFalse(warning.activity_ids)

    def test_weekly_cron_audits_the_last_90_days(self):
        self.set_rule("chain_break", active=False)  # the dropped entry breaks the chain too
        old = self.sync(self.customer, days_ago=30)
        self.drop_entries(old)
        self.env.ref("pos_customer_ledger.ir_cron_run_audit_daily").method_direct_trigger()
        self.assertFalse(self.Flag.search([("company_id", "=", self.company.id)]))
        self.env.ref("pos_customer_ledger.ir_cron_run_audit_weekly").method_direct_trigger()
        flags = self.Flag.search([("company_id", "=", self.company.id)])
        self.assertEqual(flags.pos_order_id, old)
        self.assertEqual(flags.run_id.date_to - flags.run_id.date_from, timedelta(days=89))
