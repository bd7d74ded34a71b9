from odoo import api, models


class PosOrderLine(models.Model):
    _inherit = "pos.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.env["pos.finance.fact"]._unsummarize_changed(lines, {"order_id"}, lines.order_id.session_id)
        return lines

    def write(self, vals):
        sessions = self.order_id.session_id
        result = super().write(vals)
        self.env["pos.finance.fact"]._unsummarize_changed(self, vals, sessions | self.order_id.session_id)
        return result

    def unlink(self):
        sessions = self.order_id.session_id
        self.env["pos.finance.fact"]._unsummarize_changed(self, {"order_id"}, sessions)
        return super().unlink()
