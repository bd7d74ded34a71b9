from odoo import fields, models

from ..models.pos_customer_segment_history import RFM_SEGMENTS
from ..tools.access import ledger_right


class LedgerSegmentExportWizard(models.TransientModel):
    _name = "pos.customer.segment.export.wizard"
    _description = "Export a Customer Segment"
    _inherit = ["pos.customer.ledger.download.mixin"]

    segment = fields.Selection(RFM_SEGMENTS, required=True, default="champions")
    with_email_only = fields.Boolean(
        string="Only Customers with an Email",
        help="For an email campaign: leave out customers without an email.",
    )

    def _domain(self):
        domain = [("rfm_segment", "=", self.segment)]
        if self.with_email_only:
            domain.append(("email", "!=", False))
        return domain

    @ledger_right("audit")
    def action_export_xlsx(self):
        self.ensure_one()
        partners = self.env["res.partner"].search(self._domain(), order="name, id")
        content = partners.ledger_segment_xlsx()
        label = dict(self._fields["segment"]._description_selection(self.env))[self.segment]
        return self._download(content, self.env._("customers_%(segment)s.xlsx", segment=label))
