from odoo import api, models


class PosPayment(models.Model):
    _inherit = "pos.payment"

    @api.model_create_multi
    def create(self, vals_list):
        payments = super().create(vals_list)
        payments.env["pos.finance.fact"]._unsummarize_changed(
            payments, {"pos_order_id"}, payments.pos_order_id.session_id
        )
        return payments

    def write(self, vals):
        sessions = self.pos_order_id.session_id
        result = super().write(vals)
        self.env["pos.finance.fact"]._unsummarize_changed(self, vals, sessions | self.pos_order_id.session_id)
        return result

    def unlink(self):
        sessions = self.pos_order_id.session_id
        self.env["pos.finance.fact"]._unsummarize_changed(self, {"pos_order_id"}, sessions)
        return super().unlink()
