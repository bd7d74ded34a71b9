from odoo import fields, models

from ..tools import dates
from ..tools.access import ledger_right


class LedgerAgingWizard(models.TransientModel):
    _name = "pos.customer.ledger.aging.wizard"
    _inherit = ["pos.customer.ledger.download.mixin"]
    _description = "Customer Aged Dues"

    date = fields.Date(
        string="As of", required=True, default=lambda self: dates.company_today(self.env.company)
    )

    def _report_data(self):
        """The aged dues the XLSX report writes, produced once per report."""
        self.ensure_one()
        return {
            "date": self.date,
            "companies": self.env.companies,
            "rows": self.env["pos.customer.ledger.aging"].get_aged_dues(self.date),
        }

    def _render_xlsx(self):
        return self.env["ir.actions.report"]._render_xlsx(
            "pos_customer_ledger.action_report_ledger_aging_xlsx", self.ids, None
        )[0]

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
        return self._download(self._render_xlsx(), self.env._("aged_dues_%(date)s.xlsx", date=self.date))
