from odoo import api, fields, models

from ..tools.access import ledger_right


class LedgerStatementWizard(models.TransientModel):
    _name = "pos.customer.ledger.statement.wizard"
    _description = "Customer Statement Export"
    _inherit = ["pos.customer.ledger.download.mixin"]

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    statement_type = fields.Selection(
        [("activity", "Activity"), ("outstanding", "Outstanding")],
        string="Statement Type",
        required=True,
        default="activity",
        help="Activity: opening balance, every entry of the period, closing balance. "
        "Outstanding: what is still due at the end of the period, with its age.",
    )
    date_from = fields.Date(
        string="From", required=True, default=lambda self: fields.Date.context_today(self).replace(day=1)
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        active_ids = self.env.context.get("active_ids")
        if "partner_ids" in fields_list and active_ids and not res.get("partner_ids"):
            model = self.env.context.get("active_model")
            if model == "pos.customer.ledger.entry":
                partners = self.env[model].browse(active_ids).partner_id
            elif model == "res.partner":
                partners = self.env[model].browse(active_ids).commercial_partner_id
            else:
                partners = self.env["res.partner"]
            res["partner_ids"] = [fields.Command.set(partners.ids)]
        return res

    @ledger_right("audit")
    def action_export_xlsx(self):
        self.ensure_one()
        content = self.partner_ids.ledger_statement_xlsx(self.date_from, self.date_to, self.statement_type)
        return self._download(
            content,
            self.env._("customer_statement_%(start)s_%(end)s.xlsx", start=self.date_from, end=self.date_to),
        )

    @ledger_right("audit")
    def action_print_pdf(self):
        self.ensure_one()
        partners = self.partner_ids.commercial_partner_id
        return self.env.ref("pos_customer_ledger.action_report_customer_statement").report_action(
            partners,
            data=partners._ledger_statement_report_data(self.date_from, self.date_to, self.statement_type),
        )
