from odoo import fields, models


class LedgerPromotionWizardSegment(models.TransientModel):
    _name = "pos.customer.ledger.promotion.wizard.segment"
    _description = "Promotion Effectiveness by Customer Segment"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        "pos.customer.ledger.promotion.wizard", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="wizard_id.company_id", store=True)
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    sequence = fields.Integer()
    segment = fields.Char(readonly=True)
    name = fields.Char(string="Customer Segment", readonly=True)
    promotion_orders = fields.Integer(readonly=True)
    promotion_revenue = fields.Monetary(readonly=True, help="Untaxed, in the company currency.")
    promotion_customers = fields.Integer(string="Customers", readonly=True)
    new_customers = fields.Integer(readonly=True)
    baseline_orders = fields.Integer(string="Comparison Orders", readonly=True)
    baseline_revenue = fields.Monetary(string="Comparison Revenue", readonly=True)
    revenue_uplift = fields.Float(string="Revenue Uplift per Day (%)", readonly=True, digits=(16, 2))
    has_uplift = fields.Boolean(readonly=True)
