from odoo import api, models

from ..tools.access import ledger_right
from ..tools.dates import local_datetime
from ..tools.xlsx import add_formats, write_text

PARTNER_FIELDS = [
    "display_name",
    "ref",
    "email",
    "phone",
    "mobile",
    "city",
    "country_id",
    "rfm_segment",
    "rfm_recency_score",
    "rfm_frequency_score",
    "rfm_monetary_score",
]


class LedgerSegmentXlsx(models.AbstractModel):
    """Customers as an XLSX contact list with their segment, scores and ledger
    figures in the current company: the customers of a segment export wizard,
    or any customers (``res.partner.ledger_segment_xlsx``)."""

    _name = "report.pos_customer_ledger.segment_xlsx"
    _inherit = "report.pos_customer_ledger.abstract_xlsx"
    _description = "Customer Segment XLSX"

    def _get_objs_for_report(self, docids, data):
        # the documents printed, never the context's active records
        return self.env[self.env.context["active_model"]].browse(docids or [])

    @api.model
    def _render_partners(self, partners):
        return self.with_context(active_model="res.partner").create_xlsx_report(partners.ids, None)[0]

    @ledger_right("audit")
    def generate_xlsx_report(self, workbook, data, objs):
        partners = objs if objs._name == "res.partner" else objs._ledger_segment_partners()
        _ = self.env._
        partners.fetch(PARTNER_FIELDS)
        segments = dict(self.env["res.partner"]._fields["rfm_segment"]._description_selection(self.env))
        fmt = add_formats(workbook)
        sheet = workbook.add_worksheet(_("Customers"))
        columns = [
            (_("Customer"), 32),
            (_("Reference"), 12),
            (_("Email"), 28),
            (_("Phone"), 16),
            (_("Mobile"), 16),
            (_("City"), 16),
            (_("Country"), 16),
            (_("Segment"), 18),
            (_("Recency"), 9),
            (_("Frequency"), 9),
            (_("Monetary"), 9),
            (_("Orders"), 9),
            (_("Total Spent"), 14),
            (_("Balance"), 14),
            (_("Last Visit"), 12),
            (_("Churn Risk"), 10),
        ]
        for col, (title, width) in enumerate(columns):
            sheet.set_column(col, col, width)
            write_text(sheet, 0, col, title, fmt["header"])
        for row, partner in enumerate(partners, start=1):
            texts = [
                partner.display_name,
                partner.ref,
                partner.email,
                partner.phone,
                partner.mobile,
                partner.city,
                partner.country_id.name,
                segments.get(partner.rfm_segment),
            ]
            for col, text in enumerate(texts):
                write_text(sheet, row, col, text)
            scores = (
                partner.rfm_recency_score,
                partner.rfm_frequency_score,
                partner.rfm_monetary_score,
                partner.ledger_order_count,
            )
            for col, score in enumerate(scores, start=8):
                sheet.write_number(row, col, score or 0)
            sheet.write_number(row, 12, partner.ledger_total_spent, fmt["money"])
            sheet.write_number(row, 13, partner.ledger_balance, fmt["money"])
            if partner.ledger_last_date:
                last_visit = local_datetime(self.env.company, partner.ledger_last_date)
                sheet.write_datetime(row, 14, last_visit, fmt["day"])
            write_text(sheet, row, 15, _("Yes") if partner.ledger_churn_risk else "")
