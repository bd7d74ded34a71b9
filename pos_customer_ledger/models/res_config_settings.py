from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ledger_adjustment_journal_id = fields.Many2one(
        related="company_id.ledger_adjustment_journal_id", readonly=False
    )
    ledger_adjustment_account_id = fields.Many2one(
        related="company_id.ledger_adjustment_account_id", readonly=False
    )
    ledger_payment_term_id = fields.Many2one(related="company_id.ledger_payment_term_id", readonly=False)
    ledger_statement_mail = fields.Boolean(related="company_id.ledger_statement_mail", readonly=False)
    ledger_statement_min_amount = fields.Monetary(
        related="company_id.ledger_statement_min_amount", readonly=False
    )
    ledger_statement_interval = fields.Selection(
        related="company_id.ledger_statement_interval", readonly=False
    )
    ledger_rfm_window_days = fields.Integer(related="company_id.ledger_rfm_window_days", readonly=False)
    ledger_churn_factor = fields.Float(related="company_id.ledger_churn_factor", readonly=False)
    ledger_refuse_overpayment = fields.Boolean(related="company_id.ledger_refuse_overpayment", readonly=False)
    ledger_forecast_horizon_days = fields.Integer(
        related="company_id.ledger_forecast_horizon_days", readonly=False
    )
    ledger_forecast_service_level = fields.Float(
        related="company_id.ledger_forecast_service_level", readonly=False
    )
    ledger_forecast_lead_days = fields.Float(related="company_id.ledger_forecast_lead_days", readonly=False)
    ledger_forecast_overstock_days = fields.Integer(
        related="company_id.ledger_forecast_overstock_days", readonly=False
    )
