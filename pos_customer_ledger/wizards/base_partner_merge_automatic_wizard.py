from odoo import models
from odoo.exceptions import UserError


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        """Refuse to merge away a customer with ledger history: the merge
        rewrites every reference to them in SQL, posted entries included,
        which breaks the chain and drops their balance and preferences."""
        partners = self.env["res.partner"].browse(partner_ids).exists()
        if len(partners) >= 2:
            # the survivor as Odoo's merge chooses it
            if dst_partner and dst_partner in partners:
                merged_away = partners - dst_partner
            else:
                ordered = self._get_ordered_partner(partners.ids)
                dst_partner, merged_away = ordered[-1], ordered[:-1]
            history = merged_away._ledger_history_companies()
            used = merged_away.filtered(lambda partner: partner.id in history)
            if used:
                raise UserError(
                    self.env._(
                        "%(customers)s cannot be merged into %(survivor)s: they have customer ledger history "
                        "(entries, balances or preferences), and a merge would rewrite posted entries. "
                        "Settle their balance, or transfer it to %(survivor)s with ledger adjustments, "
                        "then archive the duplicate instead.",
                        customers=", ".join(used.sudo().mapped("display_name")),
                        survivor=dst_partner.sudo().display_name,
                    )
                )
        # the finance summaries hold the merged customers' orders under their former customer
        self.env["pos.finance.fact"].sudo()._unsummarize_orders(
            "o.partner_id = ANY(%s)",
            partners.sudo().with_context(active_test=False).search([("id", "child_of", partners.ids)]).ids,
        )
        return super()._merge(partner_ids, dst_partner, extra_checks)
