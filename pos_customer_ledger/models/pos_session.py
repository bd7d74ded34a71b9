from odoo import models


class PosSession(models.Model):
    _inherit = "pos.session"

    def _create_pay_later_receivable_lines(self, data):
        data = super()._create_pay_later_receivable_lines(data)
        # The parent creates the combined lines, then one line per split payment, in order.
        split_payments = list(data["split_receivables_pay_later"])
        lines = data["pay_later_move_lines"][len(data["combine_receivables_pay_later"]) :]
        line_by_order = {}
        for payment, line in zip(split_payments, lines, strict=True):
            line_by_order.setdefault(payment.pos_order_id.id, line.id)
        self.env["pos.customer.ledger.entry"].sudo()._link_receivable_lines(line_by_order)
        return data
