import base64
import io
from datetime import timedelta

import openpyxl

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..tools import dates
from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestLedgerPromotion(LedgerTestCommon):
    """Promotion: the 20% off pricelist from 9 to 5 days ago. Comparison by
    default: 14 to 10 days ago. The product sells 10.00 untaxed (8.00 with the
    promotion) and costs 6.00."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Promotion = cls.env["pos.customer.ledger.promotion"]
        cls.today = fields.Date.context_today(cls.env.user)
        cls.promo_product = cls.create_product(
            "Promoted Product", cls.categ_basic, 10.0, standard_price=6.0, tax_ids=cls.taxes["tax7"].ids
        )
        cls.promo_pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Spring Sale",
                "currency_id": cls.company.currency_id.id,
                "item_ids": [
                    fields.Command.create(
                        {"applied_on": "3_global", "compute_price": "percentage", "percent_price": 20.0}
                    )
                ],
            }
        )
        names = ("New A", "New B", "Regular C", "Walk-in D", "Old E", "Baseline F")
        cls.cust_a, cls.cust_b, cls.cust_c, cls.cust_d, cls.cust_e, cls.cust_f = cls.env[
            "res.partner"
        ].create([{"name": name} for name in names])
        cls.promotion = f"product.pricelist,{cls.promo_pricelist.id}"
        cls.date_from = cls.today - timedelta(days=9)
        cls.date_to = cls.today - timedelta(days=5)

    def setUp(self):
        super().setUp()
        promo = self.promo_pricelist

        def sale(customer, qty, days_ago, pricelist=None):
            self.sync(customer, lines=[(self.promo_product, qty)], days_ago=days_ago, pricelist=pricelist)

        # promotion orders: 16 + 8 + 24 + 8 untaxed, margins 4 + 2 + 6 + 2
        sale(self.cust_a, 2, 7, promo)  # A's first order: new, comes back 4 days later
        sale(self.cust_b, 1, 6, promo)  # B's first order: new, never comes back
        sale(self.cust_c, 3, 7, promo)  # C bought before: not new
        sale(False, 1, 8, promo)  # anonymous
        # not promotion orders
        sale(self.cust_a, 1, 3)
        sale(self.cust_c, 1, 25)
        sale(self.cust_d, 1, 7)  # during the promotion, without its pricelist
        sale(self.cust_e, 1, 30, promo)  # the pricelist, before the promotion
        # comparison orders, any pricelist: 20 + 10 + 8 untaxed, margins 8 + 4 + 2
        sale(self.cust_f, 2, 12)  # F's first order: new in the comparison period
        sale(False, 1, 11)
        sale(self.cust_e, 1, 12, promo)

    def _metrics(self, data):
        return {m["key"]: (m["promotion"], m["baseline"], m["uplift"]) for m in data["metrics"]}

    def test_pricelist_against_the_days_just_before(self):
        data = self.Promotion.get_promotion_effectiveness(self.promotion, self.date_from, self.date_to)
        self.assertEqual(
            (data["baseline_date_from"], data["baseline_date_to"], data["days"], data["baseline_days"]),
            (self.today - timedelta(days=14), self.today - timedelta(days=10), 5, 5),
        )
        self.assertEqual(
            self._metrics(data),
            {
                "revenue": (56.0, 38.0, 47.37),
                "orders": (4, 3, 33.33),
                "basket": (14.0, 12.67, 10.53),
                "margin": (14.0, 14.0, 0.0),
                "customers": (3, 2, 50.0),
                "new_customers": (2, 1, 100.0),
                "repeat_rate": (50.0, 0.0, None),
            },
        )

    def test_periods_of_different_lengths_compare_per_day(self):
        data = self.Promotion.get_promotion_effectiveness(
            self.promotion,
            self.date_from,
            self.date_to,
            self.today - timedelta(days=24),
            self.today - timedelta(days=10),
        )
        self.assertEqual(data["baseline_days"], 15)
        self.assertEqual(
            self._metrics(data),
            {
                "revenue": (56.0, 38.0, 342.11),
                "orders": (4, 3, 300.0),
                "basket": (14.0, 12.67, 10.53),
                "margin": (14.0, 14.0, 200.0),
                "customers": (3, 2, 350.0),
                "new_customers": (2, 1, 500.0),
                "repeat_rate": (50.0, 0.0, None),
            },
        )

    def test_split_by_customer_segment(self):
        field = self.env["res.partner"]._fields["rfm_segment"]
        first, second = [key for key, _label in field._description_selection(self.env)][:2]
        (self.cust_a | self.cust_b).rfm_segment = first
        (self.cust_c | self.cust_f).rfm_segment = second
        data = self.Promotion.get_promotion_effectiveness(self.promotion, self.date_from, self.date_to)
        rows = {
            row["segment"] if row["has_customer"] else "anonymous": (
                row["promotion_orders"],
                row["promotion_revenue"],
                row["promotion_customers"],
                row["new_customers"],
                row["baseline_orders"],
                row["baseline_revenue"],
                row["revenue_uplift"],
            )
            for row in data["segments"]
        }
        self.assertEqual(
            rows,
            {
                first: (2, 24.0, 2, 2, 0, 0.0, None),
                second: (1, 24.0, 1, 0, 1, 20.0, 20.0),
                False: (0, 0.0, 0, 0, 1, 8.0, -100.0),
                "anonymous": (1, 8.0, 0, 0, 1, 10.0, -20.0),
            },
        )

    def test_wizard_shows_and_exports_the_report(self):
        wizard = self.env["pos.customer.ledger.promotion.wizard"].create(
            {"promotion_ref": self.promotion, "date_from": self.date_from, "date_to": self.date_to}
        )
        self.assertEqual(
            (wizard.baseline_date_from, wizard.baseline_date_to),
            (self.today - timedelta(days=14), self.today - timedelta(days=10)),
        )
        action = wizard.action_compute()
        self.assertEqual((action["res_model"], action["res_id"]), (wizard._name, wizard.id))
        screen = {
            line.key: (line.promotion_value, line.baseline_value, line.uplift if line.has_uplift else None)
            for line in wizard.metric_ids
        }
        self.assertEqual(screen["revenue"], (56.0, 38.0, 47.37))
        self.assertEqual(screen["repeat_rate"], (50.0, 0.0, None))
        self.assertEqual(sum(wizard.segment_ids.mapped("promotion_revenue")), 56.0)
        self.assertEqual(sum(wizard.segment_ids.mapped("baseline_orders")), 3)
        self.assertIn("all the company's POS orders of the comparison period", wizard.notes)

        action = wizard.action_export_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(wizard.download_filename.endswith(".xlsx"))
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.download_file))).active
        rows = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}
        self.assertEqual(rows["Revenue (untaxed, all orders)"][:4], (56.0, 38.0, 47.37, "Per day"))
        self.assertEqual(rows["Average basket (untaxed, all orders)"][:4], (14.0, 12.67, 10.53, "As is"))
        self.assertEqual(
            rows["Repeat rate of new customers within 30 days, in percent"][:3], (50.0, 0.0, None)
        )
        self.assertEqual(rows["No customer (anonymous orders)"][:7], (1, 8.0, 0, 0, 1, 10.0, -20.0))
        self.assertIn(
            f"Comparison: {self.today - timedelta(days=14)} to {self.today - timedelta(days=10)} (5 days)",
            rows,
        )

    def test_nothing_to_measure_says_what_to_enable(self):
        """Without a promotion defined, the wizard says what to enable on opening;
        a promotion nobody used gives notes saying why, not an empty sheet."""
        Wizard = self.env["pos.customer.ledger.promotion.wizard"]
        self.assertFalse(Wizard.create({}).setup_hints, "a pricelist with prices of its own is a promotion")
        self.env["product.pricelist.item"].search([]).unlink()
        arch = Wizard.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('<div class="alert alert-info" role="alert" invisible="not setup_hints">', arch)
        hints = Wizard.create({}).setup_hints
        self.assertIn("No promotion is defined yet", hints)
        self.assertIn("pricelist with its promotional prices", hints)
        if not Wizard.env["pos.customer.ledger.promotion"]._loyalty_available():
            self.assertIn("Promotions, Coupons, Gift Card & Loyalty Program", hints)
        unused = self.env["product.pricelist"].create({"name": "Unused promotion"})
        wizard = Wizard.create(
            {
                "promotion_ref": f"product.pricelist,{unused.id}",
                "date_from": self.date_from,
                "date_to": self.date_to,
            }
        )
        wizard.action_compute()
        self.assertIn("No POS order of the company used Unused promotion", wizard.notes)
        self.assertIn("No promotion is defined yet", wizard.notes)
        wizard.action_export_xlsx()
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.download_file))).active
        texts = [row[0] for row in sheet.iter_rows(values_only=True) if row[0]]
        self.assertTrue(
            any(text.startswith("No POS order of the company used Unused promotion") for text in texts)
        )
        # with its orders, no such note
        wizard.promotion_ref = self.promotion
        wizard.action_compute()
        self.assertNotIn("No POS order", wizard.notes)

    def test_bad_input_is_refused(self):
        Promotion = self.Promotion
        cases = [
            ((False, self.date_from, self.date_to), "Choose the promotion"),
            ((self.promotion, False, self.date_to), "first and last day of the promotion"),
            ((self.promotion, self.date_to, self.date_from), "ends before it starts"),
            ((self.promotion, self.date_from, self.date_to, self.date_from, self.date_to), "overlap"),
            (
                (f"product.pricelist,{self.promo_pricelist.id + 100000}", self.date_from, self.date_to),
                "no longer",
            ),
            (("res.partner,1", self.date_from, self.date_to), "is neither"),
        ]
        for args, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(UserError, message):
                Promotion.get_promotion_effectiveness(*args)
        baseline_backwards = (self.today - timedelta(days=12), self.today - timedelta(days=20))
        with self.assertRaisesRegex(UserError, "comparison period ends before it starts"):
            Promotion.get_promotion_effectiveness(
                self.promotion, self.date_from, self.date_to, *baseline_backwards
            )
        wizard = self.env["pos.customer.ledger.promotion.wizard"].create({"date_from": self.date_from})
        with self.assertRaisesRegex(UserError, "Choose the promotion"):
            wizard.action_compute()
        wizard.promotion_ref = self.promotion
        with self.assertRaisesRegex(UserError, "first and last day of the promotion"):
            wizard.action_export_xlsx()
        self.assertFalse(wizard.metric_ids or wizard.download_file)

    def test_errors_are_translated(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["pos_customer_ledger"], ["zh_CN"], overwrite=True)
        Promotion = self.Promotion.with_context(lang="zh_CN")
        with self.assertRaisesRegex(UserError, "促销结束日期早于开始日期"):
            Promotion.get_promotion_effectiveness(self.promotion, self.date_to, self.date_from)

    def test_other_users_are_refused(self):
        cashier = new_test_user(self.env, login="promo_cashier", groups="point_of_sale.group_pos_user")
        clerk = new_test_user(self.env, login="promo_clerk", groups="base.group_user")
        for user in (cashier, clerk):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.env["pos.customer.ledger.promotion.wizard"].with_user(user).create({})
                with self.assertRaises(AccessError):
                    self.Promotion.with_user(user).get_promotion_effectiveness(
                        self.promotion, self.date_from, self.date_to
                    )
        auditor = new_test_user(
            self.env, login="promo_auditor", groups="base.group_user,pos_customer_ledger.group_ledger_auditor"
        )
        data = self.Promotion.with_user(auditor).get_promotion_effectiveness(
            self.promotion, self.date_from, self.date_to
        )
        self.assertEqual(self._metrics(data)["revenue"], (56.0, 38.0, 47.37))

    def test_loyalty_programs_only_with_pos_loyalty(self):
        options = dict(self.env["pos.customer.ledger.promotion.wizard"]._selection_promotion_ref())
        if self.Promotion._loyalty_available():
            self.assertIn("loyalty.program", options)
            return
        self.assertEqual(list(options), ["product.pricelist"])
        with self.assertRaisesRegex(UserError, "is neither"):
            self.Promotion.get_promotion_effectiveness("loyalty.program,1", self.date_from, self.date_to)

    def test_loyalty_program_orders_are_those_with_its_rewards(self):
        if not self.Promotion._loyalty_available():
            self.skipTest("pos_loyalty is not installed here; ./dev.sh test runs this on a database with it")
        program = self.env["loyalty.program"].create(
            {
                "name": "Two Euros Off",
                "program_type": "promotion",
                "trigger": "auto",
                "date_from": self.date_from,
                "date_to": self.date_to,
                "rule_ids": [fields.Command.create({})],
                "reward_ids": [
                    fields.Command.create(
                        {"reward_type": "discount", "discount": 2, "discount_mode": "per_order"}
                    )
                ],
            }
        )
        reward = program.reward_ids
        reward.discount_line_product_id.write({"lst_price": 2.0, "taxes_id": [fields.Command.clear()]})

        def with_reward(customer, days_ago):
            lines = [
                (self.promo_product, 1),
                {
                    "product": reward.discount_line_product_id,
                    "quantity": -1,
                    "reward_id": reward.id,
                    "is_reward_line": True,
                },
            ]
            return self.sync(customer, lines=lines, days_ago=days_ago)

        with_reward(self.cust_b, 6)  # 10 - 2 untaxed; B's first order was a pricelist one
        with_reward(self.cust_d, 8)  # D's first order: new
        with_reward(self.cust_a, 30)  # before the program
        wizard = self.env["pos.customer.ledger.promotion.wizard"].create(
            {"promotion_ref": f"loyalty.program,{program.id}"}
        )
        self.assertEqual((wizard.date_from, wizard.date_to), (self.date_from, self.date_to))
        wizard.action_compute()
        screen = {line.key: (line.promotion_value, line.baseline_value) for line in wizard.metric_ids}
        self.assertEqual(screen["revenue"], (16.0, 38.0))
        self.assertEqual(screen["orders"], (2, 3))
        self.assertEqual(screen["new_customers"], (1, 1))

    def test_promotion_days_are_the_company_s(self):
        """A one-day promotion holds the orders of the company's day, whatever the user's time zone."""
        order = self.env["pos.order"].search(
            [("partner_id", "=", self.cust_b.id), ("pricelist_id", "=", self.promo_pricelist.id)]
        )
        # a company far enough east or west that the order is on another day than in UTC
        self.company.partner_id.tz = "Pacific/Kiritimati" if order.date_order.hour >= 12 else "Etc/GMT+12"
        self.env.user.tz = "UTC"
        day = dates.local_date(self.company, order.date_order)
        self.assertNotEqual(day, order.date_order.date())
        metrics = self._metrics(self.Promotion.get_promotion_effectiveness(self.promotion, day, day))
        # B's order alone: A's and C's were a day earlier, at the same hour
        self.assertEqual((metrics["orders"][0], metrics["revenue"][0]), (1, 8.0))

    def test_xlsx_report_action(self):
        report = self.env.ref("pos_customer_ledger.action_report_ledger_promotion_xlsx")
        self.assertEqual((report.report_type, report.model), ("xlsx", "pos.customer.ledger.promotion.wizard"))
        wizard = self.env["pos.customer.ledger.promotion.wizard"].create(
            {"promotion_ref": self.promotion, "date_from": self.date_from, "date_to": self.date_to}
        )
        content, _kind = self.env["ir.actions.report"]._render_xlsx(report.report_name, wizard.ids, None)

        def rows_of(content):
            sheet = openpyxl.load_workbook(io.BytesIO(content)).active
            return {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}

        rows = rows_of(content)
        self.assertEqual(rows["Revenue (untaxed, all orders)"][:4], (56.0, 38.0, 47.37, "Per day"))
        self.assertEqual(rows["Orders (all, refunds excluded)"][:3], (4, 3, 33.33))
        # the API's file is the same report: its defaults are the wizard's
        self.assertEqual(
            rows,
            rows_of(
                self.Promotion.promotion_effectiveness_xlsx(
                    self.promo_pricelist, self.date_from, self.date_to
                )
            ),
        )
        cashier = new_test_user(self.env, login="promo_report_cashier", groups="point_of_sale.group_pos_user")
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(cashier)._render_xlsx(
                report.report_name, wizard.ids, None
            )
