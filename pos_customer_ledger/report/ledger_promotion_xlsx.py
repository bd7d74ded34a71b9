from odoo import models

from ..tools.xlsx import write_text


class ReportLedgerPromotionXlsx(models.AbstractModel):
    """Promotion effectiveness as XLSX, from the data the wizard produces."""

    _name = "report.pos_customer_ledger.promotion_xlsx"
    _inherit = "report.pos_customer_ledger.abstract_xlsx"
    _description = "Promotion Effectiveness XLSX"
    _ledger_constant_memory = True

    def _write_sheet(self, workbook, formats, data):
        _ = self.env._
        bold, header, number = formats["bold"], formats["header"], formats["number"]
        sheet = workbook.add_worksheet(_("Promotion Effectiveness"))
        sheet.set_column(0, 0, 48)
        sheet.set_column(1, 7, 16)
        company = self.env["res.company"].browse(data["company_id"])
        heading = (
            (_("Promotion Effectiveness: %(promotion)s", promotion=data["promotion"]["name"]), bold),
            (
                _(
                    "%(company)s, amounts in %(currency)s",
                    company=company.name,
                    currency=company.currency_id.name,
                ),
                None,
            ),
            (
                _(
                    "Promotion: %(start)s to %(end)s (%(days)s days)",
                    start=data["date_from"],
                    end=data["date_to"],
                    days=data["days"],
                ),
                None,
            ),
            (
                _(
                    "Comparison: %(start)s to %(end)s (%(days)s days)",
                    start=data["baseline_date_from"],
                    end=data["baseline_date_to"],
                    days=data["baseline_days"],
                ),
                None,
            ),
        )
        for row, (text, cell_format) in enumerate(heading):
            write_text(sheet, row, 0, text, cell_format)
        metrics = [
            (
                metric["label"],
                metric["promotion"],
                metric["baseline"],
                metric["uplift"],
                _("Per day") if metric["per_day"] else _("As is"),
            )
            for metric in data["metrics"]
        ]
        segments = [
            (
                segment["label"],
                segment["promotion_orders"],
                segment["promotion_revenue"],
                segment["promotion_customers"],
                segment["new_customers"],
                segment["baseline_orders"],
                segment["baseline_revenue"],
                segment["revenue_uplift"],
            )
            for segment in data["segments"]
        ]
        blocks = (
            ((_("Measure"), _("Promotion"), _("Comparison"), _("Uplift (%)"), _("Compared")), metrics),
            (
                (
                    _("Customer Segment"),
                    _("Promotion Orders"),
                    _("Promotion Revenue"),
                    _("Customers"),
                    _("New Customers"),
                    _("Comparison Orders"),
                    _("Comparison Revenue"),
                    _("Revenue Uplift per Day (%)"),
                ),
                segments,
            ),
        )
        row = 3
        for titles, rows in blocks:
            row += 2
            for col, title in enumerate(titles):
                write_text(sheet, row, col, title, header)
            for cells in rows:
                row += 1
                for col, value in enumerate(cells):
                    # an uplift without comparison stays empty
                    if isinstance(value, str):
                        write_text(sheet, row, col, value)
                    elif value is not None:
                        sheet.write_number(row, col, value, number)
        row += 1
        for note in data["notes"]:
            row += 1
            write_text(sheet, row, 0, note)
