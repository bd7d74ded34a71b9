from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.dates import company_today, month_range

# the weeks whose weekdays make the usual pattern of a month's remaining days
PATTERN_WEEKS = 8


class PosFinanceTarget(models.Model):
    """A month's targets of a company or one of its shops (optionally one
    product category): revenue, margin and customers, against the actual
    month to date from pos.finance.report and the month-end forecast."""

    _name = "pos.finance.target"
    _description = "POS Monthly Target"
    _order = "month desc, company_id, config_id, categ_id"
    _rec_name = "month"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    config_id = fields.Many2one(
        "pos.config", string="Shop", check_company=True, help="Empty: the whole company's shops."
    )
    categ_id = fields.Many2one("product.category", string="Product Category", help="Empty: every category.")
    month = fields.Date(
        required=True,
        default=lambda self: month_range(company_today(self.env.company))[0],
        help="The first day of the month.",
    )
    revenue_target = fields.Monetary(help="Revenue untaxed, net of refunds.")
    margin_target = fields.Monetary()
    customer_target = fields.Integer(
        string="Customers Target", help="Distinct customers who buy in the month."
    )

    revenue_actual = fields.Monetary(string="Revenue", compute="_compute_actuals")
    revenue_achieved = fields.Float(string="Revenue Achieved (%)", compute="_compute_actuals", digits=(16, 1))
    revenue_forecast = fields.Monetary(
        compute="_compute_actuals",
        help="The month's revenue so far plus its remaining days, each at the usual revenue of its weekday "
        "over the last 8 weeks, scaled by how this month compares with that pattern so far.",
    )
    margin_actual = fields.Monetary(string="Margin", compute="_compute_actuals")
    margin_achieved = fields.Float(string="Margin Achieved (%)", compute="_compute_actuals", digits=(16, 1))
    margin_forecast = fields.Monetary(compute="_compute_actuals")
    customer_actual = fields.Integer(string="Customers", compute="_compute_actuals")
    customer_achieved = fields.Float(
        string="Customers Achieved (%)", compute="_compute_actuals", digits=(16, 1)
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._first_of_month(vals)
        return super().create(vals_list)

    def write(self, vals):
        return super().write(self._first_of_month(vals))

    @api.model
    def _first_of_month(self, vals):
        # a month is set by any of its days
        if vals.get("month"):
            vals["month"] = month_range(fields.Date.to_date(vals["month"]))[0]
        return vals

    @api.constrains("revenue_target", "margin_target", "customer_target")
    def _check_targets(self):
        for target in self:
            if target.revenue_target < 0 or target.customer_target < 0:
                raise ValidationError(self.env._("A revenue or customers target cannot be negative."))

    @api.constrains("company_id", "config_id", "categ_id", "month")
    def _check_unique(self):
        for target in self:
            if self.search_count(
                [
                    ("id", "!=", target.id),
                    ("company_id", "=", target.company_id.id),
                    ("config_id", "=", target.config_id.id),
                    ("categ_id", "=", target.categ_id.id),
                    ("month", "=", target.month),
                ]
            ):
                raise ValidationError(
                    self.env._(
                        "%(month)s already has a target for %(scope)s.",
                        month=target.month.strftime("%Y-%m"),
                        scope=target.config_id.name or target.company_id.name,
                    )
                )

    def _report_domain(self):
        domain = [("company_id", "=", self.company_id.id)]
        if self.config_id:
            domain.append(("config_id", "=", self.config_id.id))
        if self.categ_id:
            domain.append(("categ_id", "child_of", self.categ_id.id))
        return domain

    @api.depends(
        "company_id", "config_id", "categ_id", "month", "revenue_target", "margin_target", "customer_target"
    )
    def _compute_actuals(self):
        Report = self.env["pos.finance.report"].sudo()
        for target in self:
            first, last = month_range(target.month or fields.Date.today())
            domain = target._report_domain()
            ((revenue, margin, customers),) = Report._read_group(
                [*domain, ("date", ">=", first), ("date", "<=", last)],
                aggregates=["revenue_untaxed:sum", "margin:sum", "customer_count:sum"],
            )
            target.revenue_actual, target.margin_actual, target.customer_actual = revenue, margin, customers
            target.revenue_achieved = 100 * revenue / target.revenue_target if target.revenue_target else 0.0
            target.margin_achieved = 100 * margin / target.margin_target if target.margin_target else 0.0
            target.customer_achieved = (
                100 * customers / target.customer_target if target.customer_target else 0.0
            )
            target.revenue_forecast, target.margin_forecast = target._month_end_forecast(first, last)

    def _month_end_forecast(self, first, last):
        """(revenue, margin) at the month's end: what was made until yesterday,
        plus each remaining day at its weekday's usual figures over the last
        weeks, scaled by this month's days so far against the same pattern."""
        today = company_today(self.company_id)
        if today > last:
            return self.revenue_actual, self.margin_actual
        Report = self.env["pos.finance.report"].sudo()
        domain = self._report_domain()
        pattern_start = today - timedelta(weeks=PATTERN_WEEKS)
        usual = {
            int(weekday): (revenue / PATTERN_WEEKS, margin / PATTERN_WEEKS)
            for weekday, revenue, margin in Report._read_group(
                [*domain, ("date", ">=", pattern_start), ("date", "<", today)],
                ["weekday"],
                ["revenue_untaxed:sum", "margin:sum"],
            )
        }

        def pattern(start, end):
            days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
            figures = [usual.get(day.isoweekday(), (0.0, 0.0)) for day in days]
            return sum(revenue for revenue, _margin in figures), sum(margin for _revenue, margin in figures)

        start = max(first, today)
        so_far = (0.0, 0.0)
        if start > first:
            ((revenue, margin),) = Report._read_group(
                [*domain, ("date", ">=", first), ("date", "<", start)],
                aggregates=["revenue_untaxed:sum", "margin:sum"],
            )
            so_far = (revenue, margin)
        expected_so_far = pattern(first, start - timedelta(days=1)) if start > first else (0.0, 0.0)
        remaining = pattern(start, last)
        return tuple(
            actual + (actual / expected if expected > 0 and actual > 0 else 1.0) * ahead
            for actual, expected, ahead in zip(so_far, expected_so_far, remaining, strict=True)
        )
