from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.access import ledger_right
from ..tools.dates import company_today


class LedgerAuditRunWizard(models.TransientModel):
    _name = "pos.customer.ledger.audit.run.wizard"
    _description = "Run a Customer Ledger Audit"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(string="From", required=True, default=lambda self: self._default_day())
    date_to = fields.Date(string="To", required=True, default=lambda self: self._default_day())
    rule_ids = fields.Many2many(
        "pos.customer.ledger.audit.rule",
        "pos_customer_ledger_audit_run_wizard_rule_rel",
        string="Rules",
        domain="[('company_id', '=', company_id)]",
        help="Empty: every active rule.",
    )

    @api.model
    def _default_day(self):
        return company_today(self.env.company) - timedelta(days=1)

    @ledger_right("audit")
    def action_run(self):
        """Run the rules over the period; show the run."""
        self.ensure_one()
        codes = self.rule_ids.mapped("code") if self.rule_ids else None
        Rule = self.env["pos.customer.ledger.audit.rule"].with_company(self.company_id)
        Rule = Rule.with_context(allowed_company_ids=self.company_id.ids)
        runs, _flags = Rule._run_audit(self.date_from, self.date_to, codes)
        if not runs:
            raise UserError(self.env._("The company has no active audit rule to run."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Audit Run"),
            "res_model": "pos.customer.ledger.audit.run",
            "res_id": runs[:1].id,
            "view_mode": "form",
            "target": "current",
        }
