from odoo import fields, models

from ..tools.access import ledger_right


class LedgerAnonymizeWizard(models.TransientModel):
    """The confirmation asked before anonymising, from the contact's action menu:
    the step cannot be undone, so it is kept away from everyday buttons."""

    _name = "pos.customer.ledger.anonymize.wizard"
    _description = "Anonymise Customers"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        required=True,
        default=lambda self: self.env["res.partner"].browse(self.env.context.get("active_ids")),
    )

    @ledger_right("manage")
    def action_anonymize(self):
        self.ensure_one()
        self.partner_ids.action_ledger_anonymize()
        return {"type": "ir.actions.act_window_close"}
