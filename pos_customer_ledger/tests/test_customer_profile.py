import io
from datetime import datetime, time, timedelta

import openpyxl

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.pos_customer_ledger.models import pos_customer_ledger_profile
from odoo.addons.pos_customer_ledger.models.pos_customer_ledger_partner_stat import VISIT_PROFILE_FIELDS
from odoo.addons.pos_customer_ledger.tools.dates import company_today, day_start, local_noon

from .common import CASHIER_GROUPS, LedgerTestCommon


@tagged("post_install", "-at_install")
class TestCustomerProfile(LedgerTestCommon):
    """Habits, churn risk and RFM segments, as postings and the nightly
    scheduled action build them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.cron = cls.env.ref("pos_customer_ledger.ir_cron_recompute_profiles")

    def sync_at(self, customer, days_ago, utc_hour=2, payment_method=None):
        """Sync a 10.70 sale made ``days_ago`` days ago at ``utc_hour`` UTC."""
        data = self.create_ui_order_data(
            [(self.product, 1)], customer=customer, payments=[(payment_method or self.cash_pm1, 10.70)]
        )
        when = datetime.combine(self.today - timedelta(days=days_ago), time(utc_hour))
        data["date_order"] = fields.Datetime.to_string(when)
        self.env["pos.order"].sync_from_ui([data])
        return when

    def run_nightly(self):
        self.cron.method_direct_trigger()
        self.env.invalidate_all()

    def test_habits_follow_every_sale(self):
        self.sync_at(self.customer, 40, payment_method=self.bank_pm1)
        self.sync_at(self.customer, 30, payment_method=self.bank_pm1)
        last = self.sync_at(self.customer, 10, utc_hour=3)
        self.sync_at(self.customer, 10, utc_hour=4, payment_method=self.bank_pm1)
        customer = self.customer
        self.assertEqual(customer.ledger_visit_count, 3)
        self.assertEqual(customer.ledger_preferred_payment_method_id, self.bank_pm1)
        # 02:00-04:00 UTC is 10:00-12:00 in Shanghai; two sales on the last visit day
        self.assertEqual(customer.ledger_preferred_hour, 10)
        self.assertEqual(customer.ledger_preferred_weekday, str(last.weekday()))
        self.assertAlmostEqual(customer.ledger_visit_interval, 15.0)
        self.assertAlmostEqual(customer.ledger_visit_interval_spread, 5.0)
        self.assertEqual(customer.ledger_next_visit_date, self.today + timedelta(days=5))
        self.assertFalse(customer.ledger_churn_risk)
        Partner = self.env["res.partner"]
        self.assertNotIn(customer, Partner.search([("ledger_churn_risk", "=", True)]))

        self.company.ledger_churn_factor = 0.5
        customer.invalidate_recordset()
        self.assertTrue(customer.ledger_churn_risk)
        self.assertIn(customer, Partner.search([("ledger_churn_risk", "=", True)]))
        self.assertNotIn(customer, Partner.search([("ledger_churn_risk", "=", False)]))
        self.assertIn(self.other_customer, Partner.search([("ledger_churn_risk", "!=", True)]))
        # a flag: other comparisons are refused, in the user's language
        for operator, value in ((">", 0), ("in", [True]), ("=", "yes")):
            with self.assertRaisesRegex(UserError, "Unsupported search on the churn risk"):
                Partner.search([("ledger_churn_risk", operator, value)])

    def test_nightly_rebuild_gives_the_same_habits(self):
        self.sync_at(self.customer, 12, payment_method=self.bank_pm1)
        self.sync_at(self.customer, 5, utc_hour=9)
        self.sync_at(self.customer, 1, utc_hour=9)
        self.sync_at(self.other_customer, 3)
        columns = VISIT_PROFILE_FIELDS
        Stat = self.env["pos.customer.ledger.partner.stat"]
        domain = [("partner_id", "in", (self.customer | self.other_customer).ids)]
        incremental = Stat.search_read(domain, columns, order="partner_id")
        self.assertEqual(incremental[0]["interval_sq_sum"] + incremental[1]["interval_sq_sum"], 7**2 + 4**2)
        self.env.cr.execute(
            "UPDATE pos_customer_ledger_partner_stat SET visit_count = 0, hour_counts = '{}' "
            "WHERE company_id = %s",
            [self.company.id],
        )
        self.run_nightly()
        self.assertEqual(Stat.search_read(domain, columns, order="partner_id"), incremental)

    def test_late_sale_leaves_the_interval_to_the_nightly_rebuild(self):
        self.sync_at(self.customer, 20)
        self.sync_at(self.customer, 2)
        self.sync_at(self.customer, 10)
        self.assertAlmostEqual(self.customer.ledger_visit_interval, 18.0)
        self.run_nightly()
        self.assertAlmostEqual(self.customer.ledger_visit_interval, 9.0)

    def _customers(self, count):
        return self.env["res.partner"].create([{"name": f"RFM Customer {n}"} for n in range(count)])

    def use_quintiles(self):
        """Score by quintile from the first customer, as a base of 50 or more is."""
        self.patch(pos_customer_ledger_profile, "RFM_QUANTILE_MIN_CUSTOMERS", 1)

    def test_rfm_scores_segments_and_moves(self):
        self.use_quintiles()
        c1, c2, c3, c4, c5 = customers = self._customers(5)
        for customer, orders, last in ((c1, 5, 1), (c2, 4, 2), (c3, 3, 3), (c4, 2, 4), (c5, 1, 300)):
            for n in range(orders):
                self.sync_at(customer, last + n)
        self.run_nightly()
        self.assertEqual(
            [
                (c.rfm_recency_score, c.rfm_frequency_score, c.rfm_monetary_score, c.rfm_segment)
                for c in customers
            ],
            [
                (5, 5, 5, "champions"),
                (4, 4, 4, "loyal"),
                (3, 3, 3, "need_attention"),
                (2, 2, 2, "hibernating"),
                (1, 1, 1, "hibernating"),
            ],
        )
        Partner = self.env["res.partner"]
        self.assertEqual(
            Partner.search([("id", "in", customers.ids), ("rfm_segment", "=", "hibernating")]), c4 | c5
        )
        groups = dict(Partner._read_group([("id", "in", customers.ids)], ["rfm_segment"], ["__count"]))
        self.assertEqual(groups, {"champions": 1, "loyal": 1, "need_attention": 1, "hibernating": 2})

        # c4 comes back every day: most recent and most frequent now
        for n in range(6):
            self.sync_at(c4, n)
        self.run_nightly()
        self.assertEqual(c4.rfm_segment, "champions")
        self.assertEqual(c1.rfm_segment, "loyal")
        moves = c4.ledger_segment_history_ids.sorted("id")
        self.assertEqual(moves.mapped("segment"), ["hibernating", "champions"])
        self.assertEqual(moves.mapped("previous_segment"), [False, "hibernating"])
        # a run that changes nothing records nothing
        self.run_nightly()
        self.assertEqual(len(c4.ledger_segment_history_ids), 2)

    def test_refunds_lower_the_monetary_score_and_are_no_visit(self):
        self.use_quintiles()
        customers = self._customers(5)
        for customer in customers:
            self.sync_at(customer, 3)
            self.sync_at(customer, 1)
        refunded = self.env["pos.order"].search([("partner_id", "=", customers[0].id)], limit=1)
        self.sync_refund(refunded, self.cash_pm1)
        self.run_nightly()
        # 10.70 against 21.40 for the others, who tie and share the lower score
        self.assertEqual(customers.mapped("rfm_monetary_score"), [1, 2, 2, 2, 2])
        self.assertEqual(customers.mapped("rfm_frequency_score"), [1, 1, 1, 1, 1])
        self.assertEqual(customers[0].ledger_visit_count, 2)
        # scoring some customers reads the ledger itself, and agrees
        self.env["res.partner"].ledger_recompute_profiles(customers[:2].ids)
        self.env.invalidate_all()
        self.assertEqual(customers[:2].mapped("rfm_monetary_score"), [1, 2])

    def test_rfm_window_is_configurable(self):
        self.use_quintiles()
        recent, old = self._customers(2)
        self.sync_at(recent, 1)
        self.sync_at(old, 200)
        self.sync_at(old, 201)
        self.run_nightly()
        self.assertEqual((old.rfm_recency_score, old.rfm_frequency_score), (1, 5))
        self.company.ledger_rfm_window_days = 100
        self.run_nightly()
        # no sale in the window: the lowest scores, hibernating
        self.assertEqual(
            (old.rfm_recency_score, old.rfm_frequency_score, old.rfm_segment), (1, 1, "hibernating")
        )
        self.assertEqual(recent.rfm_recency_score, 1)

    def test_recompute_of_some_customers_scores_against_all(self):
        self.use_quintiles()
        customers = self._customers(5)
        for n, customer in enumerate(customers):
            self.sync_at(customer, n + 1)
        self.env["res.partner"].ledger_recompute_profiles(customers[:1].ids)
        self.assertEqual(customers[0].rfm_recency_score, 5)
        self.assertFalse(customers[1].rfm_segment)

    def test_a_small_base_is_scored_on_the_shop_s_rhythm(self):
        """Five customers: quintiles would call a customer with 6 visits in 3
        weeks, the last a week ago, Hibernating, as the four others came more
        often and more recently. Against the shop's rhythm (a visit every 2
        days), a week ago is 3 rhythms: a loyal customer."""
        regular, *others = self._customers(5)
        for n in range(6):
            self.sync_at(regular, 7 + 3 * n)
        for last, customer in enumerate(others, start=1):
            for n in range(8):
                self.sync_at(customer, last + 2 * n)
        self.run_nightly()
        self.assertEqual(
            (regular.rfm_recency_score, regular.rfm_frequency_score, regular.rfm_segment), (3, 4, "loyal")
        )
        self.assertEqual(others[0].rfm_segment, "champions")
        self.assertNotIn(
            "hibernating", (regular | others[0] | others[1] | others[2] | others[3]).mapped("rfm_segment")
        )
        # same sales, scored by quintile: what a big base would say
        self.use_quintiles()
        self.run_nightly()
        self.assertEqual(regular.rfm_segment, "hibernating")

    def test_days_are_the_company_days_whoever_asks(self):
        """Visits, churn risk, the RFM window and the day of a segment move
        count in the company's days, not in the user's: here the company's
        day is always one or two days after the user's."""
        self.company.partner_id.tz = "Pacific/Kiritimati"  # UTC+14
        self.company.ledger_churn_factor = 1.0
        self.env.flush_all()
        today = company_today(self.company)
        customer = self._customers(1)
        for days_ago in (5, 3):
            data = self.create_ui_order_data([(self.product, 1)], customer=customer)
            data["date_order"] = fields.Datetime.to_string(
                local_noon(self.company, today - timedelta(days=days_ago))
            )
            self.env["pos.order"].sync_from_ui([data])
        Partner = self.env["res.partner"].with_context(tz="Pacific/Pago_Pago")  # UTC-11
        Partner.ledger_recompute_profiles(customer.ids)
        self.env.invalidate_all()
        customer = Partner.browse(customer.id)
        self.assertEqual(customer.ledger_visit_count, 2)
        self.assertEqual(customer.ledger_next_visit_date, today - timedelta(days=1))
        # three days since the last visit, against a usual two
        self.assertTrue(customer.ledger_churn_risk)
        self.assertIn(customer, Partner.search([("ledger_churn_risk", "=", True)]))
        self.assertEqual(customer.ledger_segment_history_ids.date, today)
        # the window's days end with the company's today, which they include
        self.company.ledger_rfm_window_days = 3
        self.assertEqual(
            self.company._ledger_rfm_window_start(), day_start(self.company, today - timedelta(days=2))
        )

    def test_only_ledger_staff_see_segments_and_habits(self):
        self.sync_at(self.customer, 1)
        self.run_nightly()
        clerk = new_test_user(self.env, login="segment_clerk", groups="base.group_user")
        for name in ("rfm_segment", "rfm_recency_score", "ledger_churn_risk", "ledger_preferred_hour"):
            with self.assertRaises(AccessError):
                self.customer.with_user(clerk).read([name])
        cashier = self.company_user("segment_cashier", CASHIER_GROUPS)
        self.assertEqual(self.customer.with_user(cashier).rfm_segment, self.customer.rfm_segment)

    def test_export_a_segment_as_contact_list(self):
        c1, c2, c3, c4, c5 = self._customers(5)
        c4.email = "c4@example.com"
        # whole days before now: a recency on a bucket's edge must not depend on the hour the test runs
        hour = fields.Datetime.now().hour
        for customer, orders, last in ((c1, 5, 1), (c2, 4, 2), (c3, 3, 3), (c4, 2, 4), (c5, 1, 300)):
            for n in range(orders):
                self.sync_at(customer, last + n, utc_hour=hour)
        self.run_nightly()
        Wizard = self.env["pos.customer.segment.export.wizard"]
        wizard = Wizard.create({"segment": "hibernating"})
        action = wizard.action_export_xlsx()
        self.assertEqual((action["report_type"], action["context"]["active_ids"]), ("xlsx", wizard.ids))
        sheet = openpyxl.load_workbook(io.BytesIO(self.render_report_action(action))).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0][:3], ("Customer", "Reference", "Email"))
        self.assertEqual([row[0] for row in rows[1:]], ["RFM Customer 3", "RFM Customer 4"])
        c4_row = rows[1]
        self.assertEqual(c4_row[2], "c4@example.com")
        self.assertEqual(c4_row[7:12], ("Hibernating", 2, 2, 2, 2))
        self.assertAlmostEqual(c4_row[12], 21.40)

        wizard = Wizard.create({"segment": "hibernating", "with_email_only": True})
        content = self.render_report_action(wizard.action_export_xlsx())
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        self.assertEqual([row[0] for row in sheet.iter_rows(min_row=2, values_only=True)], ["RFM Customer 3"])

        cashier = self.company_user("segment_export_cashier", CASHIER_GROUPS)
        with self.assertRaises(AccessError):
            Wizard.with_user(cashier).create({"segment": "champions"})
        with self.assertRaises(AccessError):
            c1.with_user(cashier).ledger_segment_xlsx()
