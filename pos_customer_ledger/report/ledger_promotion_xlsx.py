from odoo import models

from ..tools.access import ledger_right
from ..tools.xlsx import add_formats, write_text


class ReportLedgerPromotionXlsx(models.AbstractModel):
    """Promotion effectiveness as XLSX, from the data the wizard produces."""

    _name = "report.pos_customer_ledger.promotion_xlsx"
    _inherit = "report.pos_customer_ledger.abstract_xlsx"
    _description = "Promotion Effectiveness XLSX"

    @ledger_right("audit")
    def get_workbook_options(self):
        return {**super().get_workbook_options(), "constant_memory": True}

    @ledger_right("audit")
    def generate_xlsx_report(self, workbook, data, wizards):
        formats = add_formats(workbook)
        for wizard in wizards:
            self._write_sheet(workbook, formats, wizard._report_data())

    def _write_sheet(self, workbook, formats, data):
        _ = self.env._
        bold, header, number = formats["bold"], formats["header"], formats["number"]
        sheet = workbook.add_worksheet(_("Promotion Effectiveness"))
        sheet.set_column(0, 0, 48)
        sheet.set_column(1, 7, 16)
        company = self.env["res.company"].browse(data["company_id"])
        write_text(
            sheet,
            0,
            0,
            _("Promotion Effectiveness: %(promotion)s", promotion=data["promotion"]["name"]),
            bold,
        )
        write_text(
            sheet,
            1,
            0,
            _(
                "%(company)s, amounts in %(currency)s",
                company=company.name,
                currency=company.currency_id.name,
            ),
        )
        write_text(
            sheet,
            2,
            0,
            _(
                "Promotion: %(start)s to %(end)s (%(days)s days)",
                start=data["date_from"],
                end=data["date_to"],
                days=data["days"],
            ),
        )
        write_text(
            sheet,
            3,
            0,
            _(
                "Comparison: %(start)s to %(end)s (%(days)s days)",
                start=data["baseline_date_from"],
                end=data["baseline_date_to"],
                days=data["baseline_days"],
            ),
        )
        row = 5
        for col, title in enumerate(
            (_("Measure"), _("Promotion"), _("Comparison"), _("Uplift (%)"), _("Compared"))
        ):
            write_text(sheet, row, col, title, header)
        for metric in data["metrics"]:
            row += 1
            write_text(sheet, row, 0, metric["label"])
            sheet.write_number(row, 1, metric["promotion"], number)
            sheet.write_number(row, 2, metric["baseline"], number)
            if metric["uplift"] is not None:
                sheet.write_number(row, 3, metric["uplift"], number)
            write_text(sheet, row, 4, _("Per day") if metric["per_day"] else _("As is"))
        row += 2
        titles = (
            _("Customer Segment"),
            _("Promotion Orders"),
            _("Promotion Revenue"),
            _("Customers"),
            _("New Customers"),
            _("Comparison Orders"),
            _("Comparison Revenue"),
            _("Revenue Uplift per Day (%)"),
        )
        for col, title in enumerate(titles):
            write_text(sheet, row, col, title, header)
        for segment in data["segments"]:
            row += 1
            write_text(sheet, row, 0, segment["label"])
            for col, key in enumerate(
                (
                    "promotion_orders",
                    "promotion_revenue",
                    "promotion_customers",
                    "new_customers",
                    "baseline_orders",
                    "baseline_revenue",
                ),
                start=1,
            ):
                sheet.write_number(row, col, segment[key], number)
            if segment["revenue_uplift"] is not None:
                sheet.write_number(row, 7, segment["revenue_uplift"], number)
        row += 1
        for note in data["notes"]:
            row += 1
            write_text(sheet, row, 0, note)
