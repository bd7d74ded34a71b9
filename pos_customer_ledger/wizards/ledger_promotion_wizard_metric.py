from odoo import fields, models


class LedgerPromotionWizardMetric(models.TransientModel):
    _name = "pos.customer.ledger.promotion.wizard.metric"
    _description = "Promotion Effectiveness Measure"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        "pos.customer.ledger.promotion.wizard", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="wizard_id.company_id", store=True)
    sequence = fields.Integer()
    key = fields.Char(readonly=True)
    name = fields.Char(string="Measure", readonly=True)
    promotion_value = fields.Float(string="Promotion", readonly=True, digits=(16, 2))
    baseline_value = fields.Float(string="Comparison", readonly=True, digits=(16, 2))
    uplift = fields.Float(string="Uplift (%)", readonly=True, digits=(16, 2))
    has_uplift = fields.Boolean(
        readonly=True, help="False when the comparison period has nothing to compare with."
    )
    per_day = fields.Boolean(readonly=True, help="Compared per day, as the periods may differ in length.")
