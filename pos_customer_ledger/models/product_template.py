from markupsafe import Markup

from odoo import fields, models

from ..tools.access import AUDITOR, ledger_right
from .pos_demand_forecast import METHODS


class ProductTemplate(models.Model):
    _inherit = "product.template"

    demand_forecast_count = fields.Integer(
        compute="_compute_demand_forecast", string="Demand Forecasts", groups=AUDITOR
    )
    # the forecast's method and backtest error, when the product has one forecast
    demand_forecast_method = fields.Selection(
        METHODS, compute="_compute_demand_forecast", string="Forecast Method", groups=AUDITOR
    )
    demand_forecast_mase = fields.Float(
        compute="_compute_demand_forecast", string="Forecast MASE", digits=(16, 2), groups=AUDITOR
    )

    demand_forecast_chart = fields.Html(
        compute="_compute_demand_forecast",
        sanitize=False,  # the charts are drawn from numbers; the names in the captions are escaped
        string="Sales and Forecast",
        groups=AUDITOR,
    )

    def write(self, vals):
        result = super().write(vals)
        if "categ_id" in vals:
            # the finance summaries of its past sales hold its former category
            self.env["pos.finance.fact"].sudo()._unsummarize_orders(
                "o.id IN (SELECT l.order_id FROM pos_order_line l "
                "JOIN product_product p ON p.id = l.product_id WHERE p.product_tmpl_id = ANY(%s))",
                self.ids,
            )
        return result

    def _compute_demand_forecast(self):
        Forecast = self.env["pos.demand.forecast"]
        # one search for every template shown, not one per template
        every = Forecast.search([("product_id", "in", self.product_variant_ids.ids)])
        for template in self:
            forecasts = every.filtered(
                lambda forecast, template=template: forecast.product_id.product_tmpl_id == template._origin
            )
            single = forecasts if len(forecasts) == 1 else Forecast
            template.demand_forecast_count = len(forecasts)
            template.demand_forecast_method = single.method
            template.demand_forecast_mase = single.mase
            template.demand_forecast_chart = Markup().join(
                Markup("<h5>%s</h5>%s")
                % (f"{forecast.product_id.display_name} · {forecast.warehouse_id.name}", forecast.chart)
                for forecast in forecasts
            )

    @ledger_right("audit")
    def action_open_demand_forecast(self):
        """The product's demand forecasts, one per variant and warehouse."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pos_customer_ledger.action_pos_demand_forecast"
        )
        action["domain"] = [("product_id.product_tmpl_id", "in", self.ids)]
        return action
