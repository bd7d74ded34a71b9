from odoo import models

from ..tools.xlsx import write_text
from .pos_customer_ledger_aging import AGING_BUCKETS


class ReportLedgerAgingXlsx(models.AbstractModel):
    """Aged dues as XLSX, from the data the Aged Dues wizard produces."""

    _name = "report.pos_customer_ledger.aging_xlsx"
    _inherit = "report.pos_customer_ledger.abstract_xlsx"
    _description = "Customer Aged Dues XLSX"
    _ledger_constant_memory = True

    def _write_sheet(self, workbook, formats, data):
        _ = self.env._
        sheet = workbook.add_worksheet(_("Aged Dues"))
        titles = [
            _("Customer"),
            _("Reference"),
            _("Dues"),
            _("Not Due"),
            _("1-30 Days"),
            _("31-60 Days"),
            _("61-90 Days"),
            _("Over 90 Days"),
            _("Credit"),
            _("Oldest Due Date"),
        ]
        sheet.set_column(0, 0, 32)
        sheet.set_column(1, 9, 14)
        write_text(sheet, 0, 0, _("Aged Dues as of %(date)s", date=data["date"]), formats["bold"])
        write_text(sheet, 1, 0, ", ".join(data["companies"].mapped("name")))
        for col, title in enumerate(titles):
            write_text(sheet, 3, col, title, formats["header"])
        row_index = 4
        amounts = ("balance", *AGING_BUCKETS, "credit")
        totals = dict.fromkeys(amounts, 0.0)
        partners = self.env["res.partner"].browse([row["partner_id"] for row in data["rows"]])
        partners.fetch(["display_name", "ref"])
        for row in data["rows"]:
            partner = partners.browse(row["partner_id"])
            write_text(sheet, row_index, 0, partner.display_name)
            write_text(sheet, row_index, 1, partner.ref)
            for col, name in enumerate(amounts, start=2):
                value = float(row[name] or 0.0)
                totals[name] += value
                sheet.write_number(row_index, col, value, formats["money"])
            if row["oldest_due_date"]:
                sheet.write_datetime(row_index, 9, row["oldest_due_date"], formats["day"])
            row_index += 1
        write_text(sheet, row_index, 0, _("Total"), formats["bold"])
        for col, name in enumerate(amounts, start=2):
            sheet.write_number(row_index, col, totals[name], formats["money"])
