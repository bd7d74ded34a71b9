from odoo import fields, models

from ..tools.access import ledger_right


class LedgerAgingWizard(models.TransientModel):
    _name = "pos.customer.ledger.aging.wizard"
    _inherit = ["pos.customer.ledger.download.mixin"]
    _description = "Customer Aged Dues"

    date = fields.Date(string="As of", required=True, default=fields.Date.context_today)

    @ledger_right("audit")
    def action_view(self):
        self.ensure_one()
        self.env["pos.customer.ledger.aging"]._snapshot(self)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pos_customer_ledger.action_pos_customer_ledger_aging"
        )
        action["domain"] = [("wizard_id", "=", self.id)]
        action["display_name"] = self.env._("Aged Dues as of %(date)s", date=self.date)
        return action

    @ledger_right("audit")
    def action_export_xlsx(self):
        self.ensure_one()
        content = self.env["pos.customer.ledger.aging"].aged_dues_xlsx(self.date)
        return self._download(content, self.env._("aged_dues_%(date)s.xlsx", date=self.date))
