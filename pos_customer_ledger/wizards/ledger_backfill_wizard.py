from odoo import api, fields, models

from ..tools.access import ledger_right

WIZARD_LIMIT = 50000


class LedgerBackfillWizard(models.TransientModel):
    _name = "pos.customer.ledger.backfill.wizard"
    _description = "Build Ledger from Existing POS Orders"

    pending_count = fields.Integer(string="Orders to Post", readonly=True)
    created_count = fields.Integer(string="Entries Created", readonly=True)
    state = fields.Selection([("new", "New"), ("done", "Done")], default="new", readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if "pending_count" in fields_list:
            res["pending_count"] = self.env["pos.customer.ledger.entry"]._backfill_pending_count()
        return res

    @ledger_right("manage")
    def action_backfill(self):
        """Post up to WIZARD_LIMIT orders now; the scheduled action takes the rest."""
        self.ensure_one()
        Entry = self.env["pos.customer.ledger.entry"]
        created = Entry.backfill(limit=WIZARD_LIMIT)
        pending = Entry._backfill_pending_count()
        if pending:
            self.env.ref("pos_customer_ledger.ir_cron_backfill_ledger").sudo()._trigger()
        self.write({"state": "done", "created_count": created, "pending_count": pending})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Build Ledger from Existing POS Orders"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
