import math
from collections import defaultdict
from datetime import timedelta
from statistics import NormalDist

import numpy as np
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round

from ..tools import demand
from ..tools.access import ledger_right
from ..tools.dates import company_today, company_tz_name, day_start, local_date_sql
from ..tools.posting_rules import LEDGER_STATES

HISTORY_DAYS = 730
CHART_DAYS = 90
# the customers' visits that set their rhythm: the half year before an origin
RHYTHM_DAYS = 182
QTY = "Product Unit of Measure"  # the decimals of quantities
# the band around the forecast over the horizon: 80 % of outcomes
BAND_LEVEL = 0.8
# series forecast at a time: bounds the memory of a run
BATCH = 2000
METHODS = [
    ("seasonal_es", "Exponential smoothing, weekly seasonality"),
    ("croston_sba", "Croston-SBA"),
    ("tsb", "TSB (fading out)"),
    ("new_average", "New product: average since the first sale"),
    ("seasonal_naive", "Seasonal naive"),
]
DEMAND_CLASSES = [
    ("smooth", "Smooth"),
    ("erratic", "Erratic"),
    ("intermittent", "Intermittent"),
    ("lumpy", "Lumpy"),
    ("new", "New Product"),
]


class PosDemandForecast(models.Model):
    """Per product and warehouse: the POS sales velocity, the demand forecast
    of the next days with its band and backtest error, and what to reorder.
    Written by the nightly compute_forecasts; nothing is ordered from here."""

    _name = "pos.demand.forecast"
    _description = "POS Demand Forecast"
    _order = "stock_status, warehouse_id, product_id"
    _rec_name = "product_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    product_id = fields.Many2one(
        "product.product", required=True, readonly=True, index=True, ondelete="cascade"
    )
    warehouse_id = fields.Many2one("stock.warehouse", required=True, readonly=True, ondelete="cascade")
    uom_id = fields.Many2one(related="product_id.uom_id")
    computed_on = fields.Datetime(readonly=True)
    velocity_7 = fields.Float(string="Sold per Day (7 Days)", readonly=True, digits=QTY)
    velocity_30 = fields.Float(string="Sold per Day (30 Days)", readonly=True, digits=QTY)
    velocity_90 = fields.Float(string="Sold per Day (90 Days)", readonly=True, digits=QTY)
    demand_class = fields.Selection(
        DEMAND_CLASSES,
        readonly=True,
        help="By the average interval between demands (ADI) and the variation of their sizes (CV²), "
        "with the Syntetos-Boylan cut-offs 1.32 and 0.49; new: too little history to tell.",
    )
    adi = fields.Float(string="ADI", readonly=True, digits=(16, 2), help="Average days between two demands.")
    cv2 = fields.Float(
        string="CV²", readonly=True, digits=(16, 2), help="Squared coefficient of variation of the demands."
    )
    method = fields.Selection(METHODS, readonly=True, help="The method the demand class chose.")
    horizon_days = fields.Integer(string="Horizon (Days)", readonly=True)
    forecast_qty = fields.Float(string="Forecast", readonly=True, digits=QTY, help="Demand over the horizon.")
    forecast_low = fields.Float(string="Forecast Low (80%)", readonly=True, digits=QTY)
    forecast_high = fields.Float(string="Forecast High (80%)", readonly=True, digits=QTY)
    forecast_daily = fields.Json(readonly=True, help="The forecast of each day of the horizon.")
    mase = fields.Float(
        string="MASE",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="Backtest error of the forecast: mean absolute error over rolling 28-day horizons, scaled by "
        "the in-sample error of the weekly seasonal naive. Below 1 beats that naive forecast; empty when the "
        "history is too short for a backtest.",
    )
    method_mase = fields.Float(
        string="Method MASE",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="The same backtest of the method alone, without the customers' rhythm.",
    )
    baseline_mase = fields.Float(
        string="Seasonal Naive MASE",
        readonly=True,
        digits=(16, 2),
        aggregator="avg",
        help="The same backtest of the baseline.",
    )
    regular_qty = fields.Float(
        string="From Regulars Due Back",
        readonly=True,
        digits=QTY,
        help="What the regular customers who buy this product are expected to buy of it over the horizon, "
        "each coming back at their usual interval after their last visit.",
    )
    rhythm_used = fields.Boolean(
        string="Customers' Rhythm Used",
        readonly=True,
        help="The forecast times the regulars' part of the demand by their visits, because that lowered "
        "the backtest error of this product.",
    )
    on_hand = fields.Float(readonly=True, digits=QTY)
    reserved = fields.Float(readonly=True, digits=QTY)
    incoming = fields.Float(readonly=True, digits=QTY)
    lead_days = fields.Float(
        string="Lead Time (Days)",
        readonly=True,
        help="Odoo's lead time of the rules that replenish the warehouse's stock: route delays, the vendor's "
        "lead time, the purchase security lead time and days to purchase. Where goods come from vendors "
        "without a buy rule, the vendor's lead time (else the company's default) is added.",
    )
    safety_stock = fields.Float(readonly=True, digits=QTY)
    reorder_point = fields.Float(
        readonly=True,
        digits=QTY,
        help="Forecast demand over the lead time plus safety stock: the minimum of a reordering rule.",
    )
    days_of_cover = fields.Float(
        string="Days of Cover",
        readonly=True,
        digits=(16, 1),
        help="Days the available stock lasts at the forecast demand.",
    )
    suggested_qty = fields.Float(
        string="Suggested Reorder",
        readonly=True,
        digits=QTY,
        help="Forecast demand over the lead time plus safety stock, less what is available and incoming.",
    )
    stock_status = fields.Selection(
        [("shortage", "Shortage"), ("ok", "Enough"), ("overstock", "Overstock")],
        readonly=True,
        index=True,
    )

    chart = fields.Html(
        compute="_compute_chart",
        sanitize=False,  # drawn here from numbers only: no user text
        string="Sales and Forecast",
        help="Sales of the last 90 days and the forecast of the horizon with its 80% band.",
    )
    sparkline = fields.Html(
        compute="_compute_chart",
        sanitize=False,
        string="Trend",
        help="Sales of the last 90 days, then the forecast.",
    )

    _sql_constraints = [
        (
            "product_warehouse_uniq",
            "unique (product_id, warehouse_id)",
            "A product has one forecast per warehouse.",
        ),
    ]

    # ------------------------------------------------------------------ the chart

    def _compute_chart(self):
        for company in self.company_id:
            rows = self.filtered(lambda row, company=company: row.company_id == company)
            today = company_today(company)
            history = self._read_history(
                company, today - timedelta(days=CHART_DAYS), today, rows.product_id.ids
            )
            for row in rows:
                sales = list(history.get((row.product_id.id, row.warehouse_id.id), np.zeros(CHART_DAYS)))
                row.chart = row._chart_svg(sales, row.forecast_daily or [])
                row.sparkline = row._sparkline_svg(sales, row.forecast_daily or [])

    def _sparkline_svg(self, sales, forecast):
        """A small SVG of ``sales`` followed by ``forecast``, for a list."""
        width, height = 120, 24
        days = len(sales) + len(forecast)
        top = max([*sales, *forecast, 1.0])

        def points(pairs):
            scale_x, scale_y = width / max(days - 1, 1), (height - 4) / top
            return " ".join(
                f"{round(day * scale_x, 1)},{round(height - 2 - value * scale_y, 1)}" for day, value in pairs
            )

        ahead = points((len(sales) + day, value) for day, value in enumerate(forecast))
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'style="width: {width}px; height: {height}px" role="img">'
            f'<polyline points="{points(enumerate(sales))}" fill="none" stroke="#6c757d" stroke-width="1"/>'
            f'<polyline points="{ahead}" fill="none" stroke="#0d6efd" stroke-width="1.5"/>'
            "</svg>"
        )

    def _chart_svg(self, sales, forecast):
        """An SVG of ``sales`` (one value a day) followed by ``forecast`` with a
        band of the forecast's daily 80% spread."""
        horizon = len(forecast)
        days = len(sales) + horizon
        band = (self.forecast_high - self.forecast_qty) / math.sqrt(horizon) if horizon else 0.0
        top = max([*sales, *(value + band for value in forecast), 1.0])
        width, height, margin = 720, 180, 20

        def x(day):
            return round(margin + day * (width - 2 * margin) / max(days - 1, 1), 1)

        def y(value):
            return round(height - margin - value * (height - 2 * margin) / top, 1)

        def points(pairs):
            return " ".join(f"{x(day)},{y(value)}" for day, value in pairs)

        start = len(sales)
        sold = points(enumerate(sales))
        ahead = points((start + day, value) for day, value in enumerate(forecast))
        upper = [(start + day, value + band) for day, value in enumerate(forecast)]
        lower = [(start + day, max(value - band, 0.0)) for day, value in enumerate(forecast)]
        area = points(upper + lower[::-1])
        past = escape(self.env._("Last 90 days"))
        future = escape(self.env._("Forecast, %(days)s days", days=horizon))
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'style="width: 100%; max-width: {width}px" role="img">'
            f'<line x1="{x(start)}" y1="{margin}" x2="{x(start)}" y2="{height - margin}" stroke="#adb5bd" '
            'stroke-dasharray="4 3"/>'
            f'<polygon points="{area}" fill="#0d6efd" fill-opacity="0.15"/>'
            f'<polyline points="{sold}" fill="none" stroke="#495057" stroke-width="1.5"/>'
            f'<polyline points="{ahead}" fill="none" stroke="#0d6efd" stroke-width="2"/>'
            f'<text x="{margin}" y="{height - 4}" font-size="11" fill="#6c757d">{past}</text>'
            f'<text x="{x(start) + 4}" y="{height - 4}" font-size="11" fill="#0d6efd">{future}</text>'
            f'<text x="{margin}" y="{margin - 6}" font-size="11" fill="#6c757d">{round(top, 1)}</text>'
            "</svg>"
        )

    # ------------------------------------------------------------------ the run

    @api.model
    @ledger_right("manage")
    def compute_forecasts(self, product_ids=None):
        """Forecast the products (all that sold at a point of sale in the
        history, or ``product_ids``) in the warehouses of the companies in use;
        return the rows written. The rows are the run's, not the user's: written as superuser."""
        return self.sudo()._compute_forecasts(product_ids).sudo(False)

    @ledger_right("manage")
    def action_compute_forecasts(self):
        """Compute Now: the selected rows' products again, or every product."""
        self.compute_forecasts(self.product_id.ids or None)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _cron_compute_forecasts(self):
        for company in self.env["stock.warehouse"].sudo().search([]).company_id:
            self.sudo().with_company(company).with_context(
                allowed_company_ids=company.ids
            )._compute_forecasts()

    @api.model
    def _compute_forecasts(self, product_ids=None):
        rows = self.browse()
        for company in self.env.companies:
            rows |= self._compute_company_forecasts(company, product_ids)
        return rows

    def _compute_company_forecasts(self, company, product_ids):
        """Forecast in batches of products: one batch's history in memory at a time."""
        self.env.flush_all()
        today = company_today(company)
        first_day = today - timedelta(days=HISTORY_DAYS)
        sold = self._sold_products(company, first_day, today, product_ids)
        settings = {
            "horizon": company.ledger_forecast_horizon_days,
            "z_service": NormalDist().inv_cdf(company.ledger_forecast_service_level / 100),
            "z_band": NormalDist().inv_cdf(0.5 + BAND_LEVEL / 2),
            "overstock_days": company.ledger_forecast_overstock_days,
        }
        now = fields.Datetime.now()
        # the live origin (0) with the horizon, and the backtest's origins with its horizon
        origins = {0: settings["horizon"]}
        origins.update(
            (window * demand.BACKTEST_HORIZON, demand.BACKTEST_HORIZON)
            for window in range(1, demand.BACKTEST_WINDOWS + 1)
        )
        visits = {back: self._read_regulars(company, today - timedelta(days=back)) for back in origins}
        written = self.browse()
        for start in range(0, len(sold), BATCH):
            batch = sold[start : start + BATCH]
            history = self._read_history(company, first_day, today, batch)
            keys = sorted(history)
            stock = self._read_stock(company, keys)
            lead_days = self._read_lead_days(company, keys)
            rhythm = {
                back: self._read_rhythm(company, today - timedelta(days=back), horizon, visits[back], batch)
                for back, horizon in origins.items()
            }
            products = self.env["product.product"].browse(batch)
            rounding = {product.id: product.uom_id.rounding for product in products}
            values = []
            for key in keys:
                on_hand, reserved, incoming = stock.get(key, (0.0, 0.0, 0.0))
                values.append(
                    {
                        "company_id": company.id,
                        "product_id": key[0],
                        "warehouse_id": key[1],
                        "computed_on": now,
                        "on_hand": on_hand,
                        "reserved": reserved,
                        "incoming": incoming,
                        **self._forecast_values(
                            history[key],
                            settings,
                            lead_days[key],
                            on_hand - reserved + incoming,
                            on_hand - reserved,
                            rounding[key[0]],
                            {back: by_key[key] for back, by_key in rhythm.items() if key in by_key},
                        ),
                    }
                )
            written |= self._store(values)
            # the batch's rows and products leave the cache: memory stays that of one batch
            self.env.invalidate_all()
            done = start + len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(sold) - done)
        return written

    @api.model
    def _forecast_values(self, series, settings, lead_days, position, available, rounding, rhythm=None):
        """The forecast and replenishment figures of one daily series; ``settings``:
        the company's horizon, service and band quantiles and overstock days;
        ``rhythm``: {days before today: (timed, rate)} of the regulars due back
        at today and at the backtest's origins."""
        horizon, z_service, z_band = settings["horizon"], settings["z_service"], settings["z_band"]
        overstock_days = settings["overstock_days"]
        method, demand_class, adi, cv2 = demand.choose_method(series)
        daily = demand.forecast(method, series, horizon)
        method_mase, spread = demand.backtest(method, series)
        mase = method_mase
        baseline_mase, _spread = demand.backtest("seasonal_naive", series)
        rhythm = rhythm or {}
        regular_qty, rhythm_used = float(rhythm[0][0].sum()) if 0 in rhythm else 0.0, False
        if 0 in rhythm and mase is not None:
            # the rhythm replaces the regulars' average share of the forecast by their timed visits,
            # where the backtest says it forecasts better
            adjustments = {back: timed - rate for back, (timed, rate) in rhythm.items() if back}
            rhythm_mase, rhythm_spread = demand.backtest(method, series, adjustments=adjustments)
            if rhythm_mase is not None and rhythm_mase < mase:
                timed, rate = rhythm[0]
                daily = np.maximum(daily + timed - rate, 0.0)
                mase, spread, rhythm_used = rhythm_mase, rhythm_spread, True
        spread = spread or float(series[-demand.BACKTEST_HORIZON :].std())
        total = float(daily.sum())
        band = z_band * spread * math.sqrt(horizon)
        mean_daily = total / horizon
        lead = max(lead_days, 0.0)
        lead_demand = float(daily[: math.ceil(lead)].sum()) if lead <= horizon else mean_daily * lead
        safety = z_service * spread * math.sqrt(lead) if lead else 0.0
        suggested = float_round(
            max(lead_demand + safety - position, 0.0), precision_rounding=rounding, rounding_method="UP"
        )
        cover = max(available, 0.0) / mean_daily if mean_daily > 0 else 0.0
        if position < lead_demand + safety:
            status = "shortage"
        elif (mean_daily > 0 and cover > overstock_days) or (mean_daily == 0 and available > 0):
            status = "overstock"
        else:
            status = "ok"
        return {
            "velocity_7": float(series[-7:].mean()),
            "velocity_30": float(series[-30:].mean()),
            "velocity_90": float(series[-90:].mean()),
            "demand_class": demand_class,
            "adi": adi,
            "cv2": cv2,
            "method": method,
            "horizon_days": horizon,
            "forecast_qty": total,
            "forecast_low": max(total - band, 0.0),
            "forecast_high": total + band,
            "forecast_daily": [round(float(value), 4) for value in daily],
            "mase": mase or 0.0,
            "method_mase": method_mase or 0.0,
            "baseline_mase": baseline_mase or 0.0,
            "regular_qty": regular_qty,
            "rhythm_used": rhythm_used,
            "lead_days": lead,
            "safety_stock": safety,
            "reorder_point": lead_demand + safety,
            "days_of_cover": cover,
            "suggested_qty": suggested,
            "stock_status": status,
        }

    def _store(self, values):
        """Replace the rows of the same products and warehouses with ``values``."""
        existing = self.search(
            [
                ("product_id", "in", [vals["product_id"] for vals in values]),
                ("warehouse_id", "in", list({vals["warehouse_id"] for vals in values})),
            ]
        )
        by_key = {(row.product_id.id, row.warehouse_id.id): row for row in existing}
        rows, new = self.browse(), []
        for vals in values:
            row = by_key.get((vals["product_id"], vals["warehouse_id"]))
            if row:
                row.write(vals)
                rows |= row
            else:
                new.append(vals)
        return rows | self.create(new)

    # ---------------------------------------------------------- reordering rules

    @ledger_right("manage")
    def action_apply_reordering_rules(self):
        """Set the reordering rule of each selected product and warehouse to
        the forecast: minimum the reorder point, maximum the reorder point
        plus the demand over the horizon (both rounded up to the unit of
        measure). A new rule is manual: it shows in the replenishment report
        and orders nothing until someone orders it there."""
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        orderpoints = Orderpoint
        for row in self:
            rounding = row.uom_id.rounding
            minimum = float_round(row.reorder_point, precision_rounding=rounding, rounding_method="UP")
            maximum = float_round(
                row.reorder_point + row.forecast_qty, precision_rounding=rounding, rounding_method="UP"
            )
            orderpoint = Orderpoint.search(
                [
                    ("product_id", "=", row.product_id.id),
                    ("warehouse_id", "=", row.warehouse_id.id),
                    ("location_id", "=", row.warehouse_id.lot_stock_id.id),
                ],
                limit=1,
            )
            values = {"product_min_qty": minimum, "product_max_qty": maximum}
            if orderpoint:
                orderpoint.write(values)
            else:
                orderpoint = Orderpoint.create(
                    {
                        **values,
                        "product_id": row.product_id.id,
                        "warehouse_id": row.warehouse_id.id,
                        "location_id": row.warehouse_id.lot_stock_id.id,
                        "company_id": row.company_id.id,
                        "trigger": "manual",
                    }
                )
            orderpoints |= orderpoint
        return self._replenishment_action(orderpoints)

    @ledger_right("manage")
    def action_open_replenishment(self):
        """Odoo's replenishment report, on the selected products."""
        orderpoints = self.env["stock.warehouse.orderpoint"].search(
            [("product_id", "in", self.product_id.ids), ("warehouse_id", "in", self.warehouse_id.ids)]
        )
        return self._replenishment_action(orderpoints)

    def _replenishment_action(self, orderpoints):
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.action_orderpoint_replenish")
        action["domain"] = [("id", "in", orderpoints.ids)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------ reading

    def _period_sales_sql(self, company, first_day, today, product_ids):
        """FROM and WHERE of the POS lines of goods sold in the company's
        warehouses from ``first_day`` to yesterday (company days)."""
        return SQL(
            """
              FROM pos_order_line l
              JOIN pos_order o ON o.id = l.order_id
              JOIN pos_session s ON s.id = o.session_id
              JOIN pos_config c ON c.id = s.config_id
              JOIN stock_picking_type pt ON pt.id = c.picking_type_id
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template t ON t.id = pp.product_tmpl_id
             WHERE o.company_id = %(company)s AND o.state IN %(states)s
               AND o.date_order >= %(start)s AND o.date_order < %(end)s
               AND t.type = 'consu' AND pt.warehouse_id IS NOT NULL %(products)s
            """,
            company=company.id,
            states=LEDGER_STATES,
            start=day_start(company, first_day),
            end=day_start(company, today),
            products=SQL("AND l.product_id = ANY(%s)", list(product_ids)) if product_ids else SQL(),
        )

    def _sold_products(self, company, first_day, today, product_ids):
        """The ids of the products (all, or of ``product_ids``) sold in the period, in order."""
        return [
            product_id
            for (product_id,) in self.env.execute_query(
                SQL(
                    "SELECT DISTINCT l.product_id %s ORDER BY 1",
                    self._period_sales_sql(company, first_day, today, product_ids),
                )
            )
        ]

    def _read_history(self, company, first_day, today, product_ids):
        """{(product, warehouse): daily net quantities sold at the points of
        sale of the warehouse and delivered from it to customers otherwise
        (sales orders, say), from ``first_day`` to yesterday (company days)}."""
        tz = company_tz_name(company)
        pos_sales = self.env.execute_query(
            SQL(
                "SELECT l.product_id, pt.warehouse_id, %s - %s::date AS day, SUM(l.qty) %s GROUP BY 1, 2, 3",
                local_date_sql(SQL("o.date_order"), tz),
                first_day,
                self._period_sales_sql(company, first_day, today, product_ids),
            )
        )
        # the POS's own pickings are its sales above; a customer return counts against its warehouse
        deliveries = self.env.execute_query(
            SQL(
                """
                SELECT m.product_id,
                       CASE WHEN dest.usage = 'customer' THEN src.warehouse_id ELSE dest.warehouse_id END,
                       %(day)s - %(first)s::date AS day,
                       SUM(CASE WHEN dest.usage = 'customer' THEN m.product_qty ELSE -m.product_qty END)
                  FROM stock_move m
                  JOIN stock_location src ON src.id = m.location_id
                  JOIN stock_location dest ON dest.id = m.location_dest_id
                  LEFT JOIN stock_picking p ON p.id = m.picking_id
                 WHERE m.company_id = %(company)s AND m.state = 'done'
                   AND m.date >= %(start)s AND m.date < %(end)s %(products)s
                   AND ((src.usage = 'internal' AND src.warehouse_id IS NOT NULL
                         AND dest.usage = 'customer')
                        OR (src.usage = 'customer' AND dest.usage = 'internal'
                            AND dest.warehouse_id IS NOT NULL))
                   AND p.pos_order_id IS NULL AND p.pos_session_id IS NULL
                 GROUP BY 1, 2, 3
                """,
                day=local_date_sql(SQL("m.date"), tz),
                first=first_day,
                company=company.id,
                start=day_start(company, first_day),
                end=day_start(company, today),
                products=SQL("AND m.product_id = ANY(%s)", list(product_ids)) if product_ids else SQL(),
            )
        )
        days = (today - first_day).days
        history = {}
        for product_id, warehouse_id, day, qty in pos_sales + deliveries:
            series = history.get((product_id, warehouse_id))
            if series is None:
                series = history[product_id, warehouse_id] = np.zeros(days)
            series[day] += qty
        for series in history.values():
            np.maximum(series, 0.0, out=series)  # a day of net returns is no negative demand
        return history

    def _read_stock(self, company, keys):
        """{(product, warehouse): (on hand, reserved, incoming)} in the
        warehouses' internal locations; incoming: moves not done yet from
        outside the warehouse."""
        product_ids = list({key[0] for key in keys})
        stock = {}
        for product_id, warehouse_id, on_hand, reserved in self.env.execute_query(
            SQL(
                """
                SELECT q.product_id, loc.warehouse_id, SUM(q.quantity), SUM(q.reserved_quantity)
                  FROM stock_quant q
                  JOIN stock_location loc ON loc.id = q.location_id
                 WHERE q.company_id = %s AND loc.usage = 'internal' AND loc.warehouse_id IS NOT NULL
                   AND q.product_id = ANY(%s)
                 GROUP BY 1, 2
                """,
                company.id,
                product_ids,
            )
        ):
            stock[product_id, warehouse_id] = (on_hand, reserved, 0.0)
        for product_id, warehouse_id, incoming in self.env.execute_query(
            SQL(
                """
                SELECT m.product_id, dest.warehouse_id, SUM(m.product_qty)
                  FROM stock_move m
                  JOIN stock_location dest ON dest.id = m.location_dest_id
                  JOIN stock_location source ON source.id = m.location_id
                 WHERE m.company_id = %s AND m.state NOT IN ('draft', 'cancel', 'done')
                   AND dest.usage = 'internal' AND dest.warehouse_id IS NOT NULL
                   AND source.warehouse_id IS DISTINCT FROM dest.warehouse_id
                   AND m.product_id = ANY(%s)
                 GROUP BY 1, 2
                """,
                company.id,
                product_ids,
            )
        ):
            on_hand, reserved, _incoming = stock.get((product_id, warehouse_id), (0.0, 0.0, 0.0))
            stock[product_id, warehouse_id] = (on_hand, reserved, incoming)
        return stock

    def _read_regulars(self, company, origin):
        """{customer: (usual interval, days since the last visit, visit days)}
        of the company's regulars at ``origin``: the customers who came on at
        least 3 days of the half year before it."""
        first_day = origin - timedelta(days=RHYTHM_DAYS)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, COUNT(*), MIN(day), MAX(day)
                  FROM (SELECT DISTINCT o.partner_id, %(day)s - %(first)s::date AS day
                          FROM pos_order o
                         WHERE o.company_id = %(company)s AND o.state IN %(states)s
                           AND o.partner_id IS NOT NULL
                           AND o.date_order >= %(start)s AND o.date_order < %(end)s) visit
                 GROUP BY 1
                HAVING COUNT(*) >= %(min_visits)s
                """,
                day=local_date_sql(SQL("o.date_order"), company_tz_name(company)),
                first=first_day,
                company=company.id,
                states=LEDGER_STATES,
                start=day_start(company, first_day),
                end=day_start(company, origin),
                min_visits=demand.REGULAR_MIN_VISITS,
            )
        )
        return {
            partner: ((last - first) / (visits - 1), RHYTHM_DAYS - last, visits)
            for partner, visits, first, last in rows
        }

    def _read_rhythm(self, company, origin, horizon, regulars, product_ids):
        """{(product, warehouse): (timed, rate)} of the ``regulars`` (as
        ``_read_regulars`` gives them at ``origin``) who bought the products
        at the warehouse's points of sale in the half year before ``origin``:
        see ``demand.regulars_due``."""
        rows = self.env.execute_query(
            SQL(
                "SELECT l.product_id, pt.warehouse_id, o.partner_id, SUM(l.qty) %s "
                "AND o.partner_id IS NOT NULL GROUP BY 1, 2, 3",
                self._period_sales_sql(company, origin - timedelta(days=RHYTHM_DAYS), origin, product_ids),
            )
        )
        customers = defaultdict(list)
        for product_id, warehouse_id, partner_id, qty in rows:
            regular = regulars.get(partner_id)
            if regular and qty > 0:
                interval, days_since, visits = regular
                customers[product_id, warehouse_id].append((interval, days_since, qty / visits))
        return {
            key: demand.regulars_due(*zip(*figures, strict=True), horizon)
            for key, figures in customers.items()
        }

    def _read_lead_days(self, company, keys):
        """{(product, warehouse): lead time in days}: Odoo's own, from the
        rules that replenish the warehouse's stock (as a reordering rule
        reckons it), with the vendor's lead time (else the company's default)
        where those rules receive from vendors without counting it."""
        vendor_days = self._read_vendor_days(company, {product_id for product_id, _warehouse in keys})
        products = {
            product.id: product
            for product in self.env["product.product"]
            .with_company(company)
            .browse(list({key[0] for key in keys}))
        }
        warehouses = {
            warehouse.id: warehouse
            for warehouse in self.env["stock.warehouse"].browse(list({key[1] for key in keys}))
        }
        # products with the same routes have the same rules, as Odoo's orderpoints reckon them
        rules_cache = {}
        lead_days = {}
        for product_id, warehouse_id in keys:
            product, warehouse = products[product_id], warehouses[warehouse_id]
            cache_key = (warehouse_id, product.route_ids | product.categ_id.total_route_ids)
            if cache_key not in rules_cache:
                try:
                    rules_cache[cache_key] = product._get_rules_from_location(warehouse.lot_stock_id)
                except UserError:  # rules in a loop: Odoo's own reordering fails on them too
                    rules_cache[cache_key] = self.env["stock.rule"]
            rules = rules_cache[cache_key]
            delays, _description = rules.with_context(bypass_delay_description=True)._get_lead_days(product)
            if rules.filtered(lambda rule: rule.action == "buy"):
                # Odoo counted the vendor's lead time; a rule that buys from no vendor counts the default
                missing = 0 if product_id in vendor_days else company.ledger_forecast_lead_days
            elif not rules or rules[-1].location_src_id.usage == "supplier":
                # goods received from vendors without a buy rule: Odoo counts the reception steps only
                missing = vendor_days.get(product_id, company.ledger_forecast_lead_days)
            else:  # resupplied from another warehouse, or made: the rules' delays are the lead time
                missing = 0
            lead_days[product_id, warehouse_id] = delays["total_delay"] + missing
        return lead_days

    def _read_vendor_days(self, company, product_ids):
        """{product: the shortest delivery lead time of its vendors}."""
        return dict(
            self.env.execute_query(
                SQL(
                    """
                    SELECT pp.id, MIN(si.delay)
                      FROM product_supplierinfo si
                      JOIN product_product pp ON pp.product_tmpl_id = si.product_tmpl_id
                     WHERE pp.id = ANY(%s) AND (si.product_id IS NULL OR si.product_id = pp.id)
                       AND (si.company_id IS NULL OR si.company_id = %s)
                     GROUP BY pp.id
                    """,
                    list(product_ids),
                    company.id,
                )
            )
        )
