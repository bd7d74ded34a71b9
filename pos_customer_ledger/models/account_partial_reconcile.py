from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        self.env["pos.customer.ledger.entry"].sudo()._post_settlements(partials)
        return partials

    def unlink(self):
        partial_ids = self.ids
        res = super().unlink()
        # an undone settlement is reversed by a new entry, never deleted
        self.env["pos.customer.ledger.entry"].sudo()._post_settlement_reversals(partial_ids)
        return res
