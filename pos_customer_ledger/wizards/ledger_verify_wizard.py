from odoo import fields, models

from ..tools.access import ledger_right


class LedgerVerifyWizard(models.TransientModel):
    _name = "pos.customer.ledger.verify.wizard"
    _description = "Customer Ledger Integrity Check"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    company_ids = fields.Many2many(
        "res.company", string="Companies", required=True, default=lambda self: self.env.companies
    )
    state = fields.Selection([("new", "New"), ("done", "Done")], default="new", readonly=True)
    result_ok = fields.Boolean(string="Intact", readonly=True)
    checked = fields.Integer(string="Entries Verified", readonly=True)
    first_broken_id = fields.Many2one("pos.customer.ledger.entry", string="First Broken Entry", readonly=True)
    message = fields.Char(string="Result", readonly=True)
    verified_date = fields.Datetime(readonly=True)

    @ledger_right("audit")
    def action_verify(self):
        self.ensure_one()
        result = self.env["pos.customer.ledger.entry"].verify_chain(self.company_ids)
        self.write(
            {
                "state": "done",
                "result_ok": result["ok"],
                "checked": result["checked"],
                "first_broken_id": result["first_broken_id"],
                "message": result["message"],
                "verified_date": fields.Datetime.now(),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    @ledger_right("audit")
    def action_print(self):
        return self.env.ref("pos_customer_ledger.action_report_ledger_verification").report_action(self)
