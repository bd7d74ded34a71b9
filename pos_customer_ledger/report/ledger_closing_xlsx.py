from odoo import models

from ..tools.access import ledger_right
from ..tools.xlsx import add_formats, write_text


class ReportLedgerClosingXlsx(models.AbstractModel):
    """A month closing as XLSX: its frozen figures, one sheet per closing, in
    the sections its PDF shows, then a sheet of each customer's balances."""

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
            self._write_customers(workbook, formats, closing)

    def _write_customers(self, workbook, formats, closing):
        _ = self.env._
        sheet = workbook.add_worksheet(_("%(month)s customers", month=closing.name)[:31])
        sheet.set_column(0, 0, 40)
        sheet.set_column(1, 3, 18)
        headers = [_("Customer"), _("Opening balance"), _("Movements"), _("Closing balance")]
        for col, header in enumerate(headers):
            write_text(sheet, 0, col, header, formats["header"])
        sheet.freeze_panes(1, 0)
        rows = closing._customer_balances()
        for row, (name, *amounts) in enumerate(rows, start=1):
            write_text(sheet, row, 0, name)
            for col, amount in enumerate(amounts, start=1):
                sheet.write_number(row, col, amount, formats["money"])
        total = len(rows) + 1
        write_text(sheet, total, 0, _("Total"), formats["bold"])
        for col in range(1, 4):
            sheet.write_number(total, col, sum(row[col] for row in rows), formats["money_bold"])
