from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.dates import company_today, day_start


class ResCompany(models.Model):
    _inherit = "res.company"

    ledger_adjustment_journal_id = fields.Many2one(
        "account.journal",
        string="Ledger Adjustment Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Journal of the entries that book customer ledger adjustments.",
    )
    ledger_adjustment_account_id = fields.Many2one(
        "account.account",
        string="Ledger Adjustment Counterpart",
        check_company=True,
        help="Account booked against the customer's receivable when an adjustment changes their dues.",
    )
    ledger_payment_term_id = fields.Many2one(
        "account.payment.term",
        string="Customer Account Payment Terms",
        check_company=True,
        default=lambda self: self.env.ref("account.account_payment_term_30days", raise_if_not_found=False),
        help="When a pay-later sale falls due, for aged dues and statements, if the customer has no "
        "payment terms of their own. Invoiced sales follow their invoice's due date. Empty: on the "
        "day of the sale.",
    )
    ledger_statement_mail = fields.Boolean(
        string="Email Outstanding Statements",
        help="Send each customer who owes at least the minimum amount their outstanding statement.",
    )
    ledger_statement_min_amount = fields.Monetary(
        string="Minimum Dues to Email", currency_field="currency_id"
    )
    ledger_statement_interval = fields.Selection(
        [("weekly", "Weekly"), ("monthly", "Monthly")],
        string="Statement Frequency",
        default="monthly",
        help="Empty means monthly.",
    )
    ledger_rfm_window_days = fields.Integer(
        string="RFM Window",
        default=365,
        help="Days of sales that count for the recency, frequency and monetary scores.",
    )
    ledger_churn_factor = fields.Float(
        string="Churn Risk Factor",
        default=2.0,
        help="A customer is at risk of churning when their last visit is longer ago than this many "
        "times their usual interval between visits.",
    )

    ledger_refuse_overpayment = fields.Boolean(
        string="Refuse Payments Beyond Dues",
        help="Refuse any payment into a customer account, at the till or in the back office, that "
        "would leave the customer in credit. Off: such a payment is a deposit, spent later through "
        "the customer account.",
    )

    ledger_forecast_horizon_days = fields.Integer(
        string="Forecast Horizon (Days)", default=28, help="Days of demand the nightly forecast covers."
    )
    ledger_forecast_service_level = fields.Float(
        string="Service Level (%)",
        default=95.0,
        help="The share of lead times the safety stock covers the demand in (50 to 99.9).",
    )
    ledger_forecast_lead_days = fields.Float(
        string="Default Lead Time (Days)",
        default=7.0,
        help="Delivery lead time of a product without a vendor lead time.",
    )
    ledger_forecast_overstock_days = fields.Integer(
        string="Overstock After (Days of Cover)",
        default=90,
        help="A product whose available stock lasts longer than this at the forecast demand is overstocked.",
    )

    @api.constrains(
        "ledger_forecast_horizon_days",
        "ledger_forecast_service_level",
        "ledger_forecast_lead_days",
        "ledger_forecast_overstock_days",
    )
    def _check_ledger_forecast_settings(self):
        for company in self:
            if not 1 <= company.ledger_forecast_horizon_days <= 365:
                raise ValidationError(self.env._("The forecast horizon is between 1 and 365 days."))
            if not 50 <= company.ledger_forecast_service_level < 100:
                raise ValidationError(self.env._("The service level is at least 50% and below 100%."))
            if company.ledger_forecast_lead_days < 0 or company.ledger_forecast_overstock_days < 0:
                raise ValidationError(self.env._("Lead times and days of cover cannot be negative."))

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["pos.customer.ledger.audit.rule"]._create_company_rules(companies)
        return companies

    def _load_pos_data_fields(self, config_id):
        # the till limits a settlement to the dues when deposits are refused
        return [*super()._load_pos_data_fields(config_id), "ledger_refuse_overpayment"]

    def _ledger_rfm_window_start(self):
        """Naive UTC start of the company's RFM window: its last
        ``ledger_rfm_window_days`` days, today included (empty: a year)."""
        self.ensure_one()
        days = self.ledger_rfm_window_days or 365
        return day_start(self, company_today(self) - timedelta(days=days - 1))
