from odoo import models

from ..tools.access import ledger_right
from ..tools.xlsx import add_formats, write_text


class ReportLedgerClosingXlsx(models.AbstractModel):
    """A month closing as XLSX: its frozen figures, one sheet per closing, in
    the sections its PDF shows."""

    _name = "report.pos_customer_ledger.closing_xlsx"
    _inherit = "report.pos_customer_ledger.abstract_xlsx"
    _description = "Customer Ledger Closing XLSX"

    @ledger_right("audit")
    def generate_xlsx_report(self, workbook, data, closings):
        _ = self.env._
        formats = add_formats(workbook)
        for closing in closings:
            sheet = workbook.add_worksheet(closing.name)
            sheet.set_column(0, 0, 38)
            sheet.set_column(1, 1, 70)
            state = dict(closing._fields["state"]._description_selection(self.env))[closing.state]
            write_text(
                sheet, 0, 0, _("Customer Ledger Closing %(month)s", month=closing.name), formats["bold"]
            )
            write_text(sheet, 1, 0, closing.company_id.name)
            write_text(sheet, 2, 0, _("Status"))
            write_text(sheet, 2, 1, state)
            write_text(sheet, 3, 0, _("Currency"))
            write_text(sheet, 3, 1, closing.currency_id.name)
            row = 5
            for index, (_title, lines) in enumerate(closing._report_sections()):
                row += 1 if index else 0
                for label, field_name, role in lines:
                    write_text(sheet, row, 0, label)
                    sheet.write_number(row, 1, closing[field_name], formats[role])
                    row += 1
            write_text(sheet, row, 0, _("Hash of the chain's last entry"))
            write_text(sheet, row, 1, closing.last_hash)
            row += 1
            write_text(sheet, row, 0, _("Closed by"))
            write_text(sheet, row, 1, closing.closed_by_id.name)
