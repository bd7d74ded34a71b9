from odoo import fields, models

from ..models.pos_customer_segment_history import RFM_SEGMENTS
from ..tools.access import ledger_right


class LedgerSegmentExportWizard(models.TransientModel):
    """The customers of one segment: the document its XLSX report prints."""

    _name = "pos.customer.segment.export.wizard"
    _description = "Export a Customer Segment"

    # an export is its company's and its author's: see the security rules
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )

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

    def _ledger_segment_partners(self):
        self.ensure_one()
        return self.env["res.partner"].search(self._domain(), order="name, id")

    @ledger_right("audit")
    def action_export_xlsx(self):
        self.ensure_one()
        return self.env.ref("pos_customer_ledger.action_report_ledger_segment_xlsx").report_action(
            self, config=False
        )
