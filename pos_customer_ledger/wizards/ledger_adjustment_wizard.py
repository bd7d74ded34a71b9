from odoo import fields, models

from ..tools.access import ledger_right


class LedgerAdjustmentWizard(models.TransientModel):
    _name = "pos.customer.ledger.adjustment.wizard"
    _description = "Customer Ledger Adjustment"

    kind = fields.Selection(
        [("adjustment", "Adjustment"), ("opening", "Opening Balance")],
        string="Type",
        required=True,
        default="adjustment",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    amount = fields.Monetary(
        required=True,
        help="Change in what the customer owes: positive raises their dues, negative lowers them.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    reason = fields.Text(required=True)

    @ledger_right("manage")
    def action_post(self):
        self.ensure_one()
        entry = self.env["pos.customer.ledger.entry"].post_manual_entry(
            self.kind,
            self.partner_id,
            self.amount,
            self.date,
            self.reason,
            company=self.company_id,
            currency=self.currency_id,
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": entry._name,
            "res_id": entry.id,
            "view_mode": "form",
        }
