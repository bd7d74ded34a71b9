"""Issue 15: the demand forecast per product and warehouse, from the POS sales."""

from datetime import timedelta

import numpy as np

from odoo import Command, fields
from odoo.api import call_kw
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from ..tools import demand
from .common import AUDITOR_GROUPS, CASHIER_GROUPS, MANAGER_GROUPS, LedgerTestCommon

WEEK = np.array([1.0, 0.8, 0.8, 0.9, 1.1, 1.6, 1.8])


def weekly_series(rng, days=730):
    level = rng.uniform(3, 20)
    return rng.poisson(level * np.tile(WEEK, days // 7 + 1)[:days]).astype(float)


def intermittent_series(rng, days=730):
    return ((rng.random(days) < 0.15) * rng.integers(1, 4, days)).astype(float)


@tagged("post_install", "-at_install")
class TestDemandMethods(LedgerTestCommon):
    def test_classes_choose_the_methods(self):
        rng = np.random.default_rng(7)
        self.assertEqual(demand.choose_method(weekly_series(rng))[:2], ("seasonal_es", "smooth"))
        self.assertEqual(demand.choose_method(intermittent_series(rng))[:2], ("croston_sba", "intermittent"))
        lumpy = intermittent_series(rng) * rng.integers(1, 30, 730)
        self.assertEqual(demand.choose_method(lumpy)[:2], ("croston_sba", "lumpy"))
        fading = intermittent_series(rng)
        fading[-60:] = 0
        self.assertEqual(demand.choose_method(fading)[0], "tsb")
        new = np.zeros(730)
        new[-10:] = 2
        self.assertEqual(demand.choose_method(new)[:2], ("new_average", "new"))
        self.assertEqual(list(demand.forecast("new_average", new, 3)), [2.0, 2.0, 2.0])

    def test_regulars_due_back(self):
        """A regular every 7 days, last seen 3 days ago, buying 2 a visit: due on
        days 4, 11, 18 and 25 of 28; one 20 days away from an interval of 7 has
        lapsed: no visit, yet both are in the average the forecast holds."""
        timed, rate = demand.regulars_due([7, 7], [3, 20], [2.0, 1.0], 28)
        self.assertEqual(list(np.flatnonzero(timed)), [4, 11, 18, 25])
        self.assertEqual(timed.sum(), 8.0)
        self.assertAlmostEqual(rate, 3.0 / 7)
        overdue, _rate = demand.regulars_due([10], [12], [1.0], 28)
        self.assertEqual(list(np.flatnonzero(overdue)), [0, 10, 20], "overdue: due on the first day")

    def test_rhythm_kept_only_where_it_forecasts_better(self):
        """A rhythm that times the demand's peaks is kept; one that times them wrong is not."""
        rng = np.random.default_rng(3)
        days = 200
        series = rng.poisson(2.0, days).astype(float)
        series[days - 1 :: -10] += 30  # a regular buying 30 every 10 days, the last time yesterday
        Forecast = self.env["pos.demand.forecast"]
        settings = {"horizon": 28, "z_service": 1.64, "z_band": 1.28, "overstock_days": 90}

        def rhythm(shift):
            # at each origin, the regular's visits as the ledger would have seen them
            return {
                back: demand.regulars_due([10], [1 + (-back) % 10 + shift], [30.0], 28)
                for back in (0, 28, 56, 84)
            }

        plain = Forecast._forecast_values(series, settings, 7, 0, 0, 1.0)
        timed = Forecast._forecast_values(series, settings, 7, 0, 0, 1.0, rhythm(0))
        self.assertFalse(plain["rhythm_used"])
        self.assertTrue(timed["rhythm_used"])
        self.assertLess(timed["mase"], timed["method_mase"])
        self.assertEqual(timed["method_mase"], plain["mase"])
        self.assertEqual(timed["regular_qty"], 60.0, "last seen yesterday: due on days 9 and 19")
        self.assertEqual(
            [day for day, qty in enumerate(timed["forecast_daily"]) if qty > 20],
            [9, 19],
            "the peaks are timed",
        )
        wrong = Forecast._forecast_values(series, settings, 7, 0, 0, 1.0, rhythm(5))
        self.assertFalse(wrong["rhythm_used"])
        self.assertEqual(wrong["forecast_daily"], plain["forecast_daily"])
        self.assertEqual(wrong["mase"], plain["mase"])

    def test_chosen_methods_beat_seasonal_naive(self):
        """Backtest on generated weekly-seasonal and intermittent series: the
        chosen method's MASE is below the seasonal naive's, per class."""
        rng = np.random.default_rng(42)
        errors = {}
        for _i in range(40):
            for series in (weekly_series(rng), intermittent_series(rng)):
                method, demand_class, _adi, _cv2 = demand.choose_method(series)
                chosen, _spread = demand.backtest(method, series)
                baseline, _spread = demand.backtest("seasonal_naive", series)
                errors.setdefault(demand_class, []).append((chosen, baseline))
        self.assertEqual(set(errors), {"smooth", "intermittent"})
        for demand_class, pairs in errors.items():
            chosen, baseline = np.mean(pairs, axis=0)
            self.assertLess(chosen, baseline, demand_class)


@tagged("post_install", "-at_install")
class TestDemandForecast(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.company_user("forecast_manager", MANAGER_GROUPS)
        cls.auditor = cls.company_user("forecast_auditor", AUDITOR_GROUPS)
        cls.cashier = cls.company_user("forecast_cashier", CASHIER_GROUPS)
        cls.warehouse = cls.config.picking_type_id.warehouse_id

    def compute(self, user=None):
        Forecast = self.env["pos.demand.forecast"].with_user(user or self.manager)
        Forecast = Forecast.with_company(self.company).with_context(allowed_company_ids=self.company.ids)
        return Forecast.compute_forecasts(self.product.ids)

    def test_forecast_from_the_till(self):
        for days_ago in range(1, 29):
            self.sync(self.customer, qty=2 if days_ago % 7 else 6, days_ago=days_ago)
        self.sync(self.customer, qty=50)  # today's sales wait for tomorrow's run
        self.env["stock.quant"]._update_available_quantity(
            self.product,
            self.warehouse.lot_stock_id,
            10 - self.product.with_context(warehouse_id=self.warehouse.id).qty_available,
        )
        row = self.compute()
        self.assertEqual(len(row), 1)
        self.assertEqual(row.warehouse_id, self.warehouse)
        self.assertEqual(row.method, "seasonal_es")
        self.assertAlmostEqual(row.velocity_7, (6 * 2 + 6) / 7, places=2)
        self.assertAlmostEqual(row.velocity_30, (24 * 2 + 4 * 6) / 30, places=2)
        self.assertEqual(row.horizon_days, 28)
        self.assertGreater(row.forecast_qty, 0)
        self.assertLessEqual(row.forecast_low, row.forecast_qty)
        self.assertGreaterEqual(row.forecast_high, row.forecast_qty)
        self.assertEqual(len(row.forecast_daily), 28)
        self.assertAlmostEqual(row.on_hand, 10)
        self.assertEqual(row.lead_days, 7)
        # seven days of about 2.9 a day, and safety stock, against 10 in stock
        lead_demand = sum(row.forecast_daily[:7])
        self.assertAlmostEqual(row.suggested_qty, max(lead_demand + row.safety_stock - 10, 0), delta=1.0)
        self.assertEqual(row.stock_status, "shortage")
        self.assertAlmostEqual(row.days_of_cover, 10 / (row.forecast_qty / 28), places=1)
        # the picture: 90 days of sales, then the forecast and its band
        chart = str(row.with_user(self.auditor).chart)
        self.assertTrue(chart.startswith("<svg"))
        self.assertEqual(chart.count("<polyline"), 2)
        self.assertIn("<polygon", chart)
        self.assertIn("Last 90 days", chart)
        self.assertIn("Forecast, 28 days", chart)
        # a vendor's lead time, a full stock: overstocked, nothing to reorder; the same row again
        self.env["product.supplierinfo"].create(
            {
                "partner_id": self.other_customer.id,
                "product_tmpl_id": self.product.product_tmpl_id.id,
                "delay": 2,
            }
        )
        self.env["stock.quant"]._update_available_quantity(self.product, self.warehouse.lot_stock_id, 5000)
        again = self.compute()
        self.assertEqual(again, row)
        self.assertEqual(row.lead_days, 2)
        self.assertEqual(row.suggested_qty, 0)
        self.assertEqual(row.stock_status, "overstock")

    def test_regulars_due_back_from_the_till(self):
        """A regular buying 5 every 10 days, last yesterday: 10 due back in the
        next 28 days, shown next to the forecast, and used because the backtest
        says so; a customer buying 1 every day is a regular too: 28 more."""
        for days_ago in range(1, 61):
            self.sync(self.other_customer, days_ago=days_ago)
        for days_ago in range(51, 0, -10):
            self.sync(self.customer, qty=5, days_ago=days_ago)
        row = self.compute()
        self.assertEqual(row.regular_qty, 10 + 28)
        self.assertTrue(row.rhythm_used)
        self.assertLess(row.mase, row.method_mase)
        self.assertEqual([day for day, qty in enumerate(row.forecast_daily) if qty > 3], [9, 19])

    def test_other_deliveries_count_as_demand(self):
        """A delivery to a customer from the warehouse counts in the history, a
        customer's return against it; the till's own pickings are its sales, once."""
        for days_ago in range(1, 8):
            self.sync(self.customer, qty=2, days_ago=days_ago)
        self.close_session()
        till_pickings = self.env["stock.picking"].search([("pos_session_id", "=", self.pos_session.id)])
        self.assertEqual(sum(till_pickings.move_ids.mapped("quantity")), 14)
        till_pickings.move_ids.date = fields.Datetime.now() - timedelta(days=3)
        stock, customers = self.warehouse.lot_stock_id, self.env.ref("stock.stock_location_customers")

        def deliver(source, destination, qty):
            move = self.env["stock.move"].create(
                {
                    "name": "Sale elsewhere",
                    "product_id": self.product.id,
                    "product_uom_qty": qty,
                    "product_uom": self.product.uom_id.id,
                    "location_id": source.id,
                    "location_dest_id": destination.id,
                }
            )
            move._action_confirm()
            move.quantity = qty
            move.picked = True
            move._action_done()
            move.date = fields.Datetime.now() - timedelta(days=2)

        deliver(stock, customers, 7)
        deliver(customers, stock, 2)
        row = self.compute()
        self.assertAlmostEqual(row.velocity_7, (7 * 2 + 7 - 2) / 7, places=2)

    def test_lead_time_from_the_routes(self):
        """A route that resupplies the shop's stock from another location in 5
        days: Odoo's lead time of that rule, not the company's default."""
        self.sync(self.customer, days_ago=1)
        reserve = self.env["stock.location"].create(
            {"name": "Reserve", "usage": "internal", "location_id": self.warehouse.view_location_id.id}
        )
        route = self.env["stock.route"].create(
            {
                "name": "Resupply from the reserve",
                "product_selectable": True,
                "rule_ids": [
                    Command.create(
                        {
                            "name": "Reserve → Stock",
                            "action": "pull",
                            "procure_method": "make_to_stock",
                            "location_src_id": reserve.id,
                            "location_dest_id": self.warehouse.lot_stock_id.id,
                            "picking_type_id": self.warehouse.int_type_id.id,
                            "delay": 5,
                        }
                    )
                ],
            }
        )
        self.assertEqual(self.compute().lead_days, 7, "received from vendors: the company's default")
        self.product.route_ids = route
        self.assertEqual(self.compute().lead_days, 5)

    def test_reordering_rules_from_the_forecast(self):
        """Set Reordering Rules: a manual rule at the reorder point, up to the horizon's demand;
        applied again, the same rule is updated; the replenishment report opens on it."""
        for days_ago in range(1, 29):
            self.sync(self.customer, qty=3, days_ago=days_ago)
        row = self.compute()
        stock_manager = self.company_user(
            "forecast_stock_manager", f"{MANAGER_GROUPS},stock.group_stock_manager"
        )
        with self.assertRaises(AccessError):
            row.with_user(self.manager).action_apply_reordering_rules()
        action = row.with_user(stock_manager).action_apply_reordering_rules()
        orderpoint = self.env["stock.warehouse.orderpoint"].search(action["domain"])
        self.assertEqual(orderpoint.product_id, self.product)
        self.assertEqual(orderpoint.warehouse_id, self.warehouse)
        self.assertEqual(orderpoint.trigger, "manual", "nothing is ordered without a click")
        self.assertGreaterEqual(orderpoint.product_min_qty, row.reorder_point)
        self.assertLess(orderpoint.product_min_qty, row.reorder_point + 1)
        self.assertGreaterEqual(orderpoint.product_max_qty, row.reorder_point + row.forecast_qty)
        self.assertEqual(action["res_model"], "stock.warehouse.orderpoint")
        orderpoint.product_min_qty = 1
        again = row.with_user(stock_manager).action_apply_reordering_rules()
        self.assertEqual(self.env["stock.warehouse.orderpoint"].search(again["domain"]), orderpoint)
        self.assertGreaterEqual(orderpoint.product_min_qty, row.reorder_point)
        report = row.with_user(stock_manager).action_open_replenishment()
        self.assertEqual(self.env["stock.warehouse.orderpoint"].search(report["domain"]), orderpoint)
        with self.assertRaises(AccessError):
            row.with_user(self.auditor).action_apply_reordering_rules()

    def test_product_form_shows_method_and_error(self):
        for days_ago in range(1, 60):
            self.sync(self.customer, qty=1 + days_ago % 3, days_ago=days_ago)
        row = self.compute()
        template = self.product.product_tmpl_id.with_user(self.auditor)
        self.assertEqual(template.demand_forecast_count, 1)
        self.assertEqual(template.demand_forecast_method, row.method)
        self.assertGreater(row.mase, 0, "59 days: one backtest window")
        self.assertEqual(template.demand_forecast_mase, row.mase)
        arch = template.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_open_demand_forecast", arch)
        action = template.action_open_demand_forecast()
        self.assertEqual(self.env["pos.demand.forecast"].search(action["domain"]), row)
        # the product's picture: each forecast's chart under its warehouse
        self.assertIn("demand_forecast_chart", arch)
        chart = str(template.demand_forecast_chart)
        self.assertEqual(chart.count("<svg"), 1)
        self.assertIn(f"· {self.warehouse.name}</h5>", chart)
        # and in the list, a small one
        list_arch = row.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="sparkline"', list_arch)
        self.assertEqual(str(row.with_user(self.auditor).sparkline).count("<polyline"), 2)
        # a cashier opens the product without the forecast's fields
        arch = self.product.product_tmpl_id.with_user(self.cashier).get_views([(False, "form")])
        self.assertNotIn("action_open_demand_forecast", arch["views"]["form"]["arch"])

    def test_compute_now_button(self):
        """The list's button, as the web client calls it: the selected rows' products, or all."""
        other = self.create_product("Forecast Other Product", self.categ_basic, 5.0)
        self.sync(self.customer, days_ago=1)
        self.sync(self.customer, lines=[(other, 1)], days_ago=1)
        Forecast = self.env["pos.demand.forecast"].with_user(self.manager)
        Forecast = Forecast.with_context(allowed_company_ids=self.company.ids)
        self.assertEqual(call_kw(Forecast, "action_compute_forecasts", [[]], {})["tag"], "soft_reload")
        rows = Forecast.search([("product_id", "in", (self.product | other).ids)])
        self.assertEqual(rows.product_id, self.product | other)
        one = rows.filtered(lambda row: row.product_id == self.product)
        before = (rows - one).computed_on
        call_kw(Forecast, "action_compute_forecasts", [one.ids], {})
        self.assertEqual(Forecast.search([]) & rows, rows, "no other product's row appears")
        self.assertEqual((rows - one).computed_on, before)
        with self.assertRaises(AccessError):
            call_kw(Forecast.with_user(self.auditor), "action_compute_forecasts", [[]], {})

    def test_accuracy_report_averages_the_errors(self):
        """Forecast Accuracy: the pivot's MASE per class and method is the average of the products'."""
        other = self.create_product("Forecast Other Product", self.categ_basic, 5.0)
        self.sync(self.customer, lines=[(self.product, 1), (other, 1)], days_ago=1)
        rows = self.env["pos.demand.forecast"].compute_forecasts((self.product | other).ids)
        self.assertEqual(len(rows), 2)
        rows[0].sudo().mase, rows[1].sudo().mase = 1.0, 3.0
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pos_customer_ledger.action_pos_demand_forecast_accuracy"
        )
        self.assertEqual(action["view_mode"].split(",")[0], "pivot")
        Forecast = self.env["pos.demand.forecast"].with_user(self.auditor)
        groups = Forecast.web_read_group([("id", "in", rows.ids)], ["mase"], ["method"])["groups"]
        self.assertEqual([group["mase"] for group in groups], [2.0])

    def test_nightly_run(self):
        """The scheduled action forecasts every product sold, as its own user would run it."""
        self.sync(self.customer, days_ago=1)
        cron = self.env.ref("pos_customer_ledger.ir_cron_pos_demand_forecast")
        self.assertTrue(cron.active)
        cron.method_direct_trigger()
        row = self.env["pos.demand.forecast"].search([("product_id", "=", self.product.id)])
        self.assertEqual(row.warehouse_id, self.warehouse)
        self.assertAlmostEqual(row.velocity_7, 1 / 7, places=2)

    def test_access(self):
        self.sync(self.customer, days_ago=1)
        with self.assertRaises(AccessError):
            self.compute(self.auditor)
        with self.assertRaises(AccessError):
            self.compute(self.cashier)
        row = self.compute()
        self.assertEqual(
            self.env["pos.demand.forecast"].with_user(self.auditor).search([("id", "=", row.id)]), row
        )
        with self.assertRaises(AccessError):
            self.env["pos.demand.forecast"].with_user(self.cashier).search([])

    def test_settings_are_checked(self):
        for values in (
            {"ledger_forecast_service_level": 100},
            {"ledger_forecast_service_level": 20},
            {"ledger_forecast_horizon_days": 0},
            {"ledger_forecast_lead_days": -1},
        ):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                self.company.write(values)
