from odoo import models

from ..tools.access import ledger_right
from ..tools.xlsx import add_formats, write_text


class PosFinanceTargetXlsx(models.AbstractModel):
    """The monthly targets against the actual figures and the month-end
    forecast, as an XLSX sheet. Shop and category names are user text."""

    _name = "report.pos_customer_ledger.finance_target_xlsx"
    _inherit = "report.pos_customer_ledger.abstract_xlsx"
    _description = "POS Monthly Targets XLSX"

    def _get_objs_for_report(self, docids, data):
        return self.env["pos.finance.target"].browse(docids or [])

    @ledger_right("audit")
    def generate_xlsx_report(self, workbook, data, objs):
        _ = self.env._
        fmt = add_formats(workbook)
        sheet = workbook.add_worksheet(_("Targets"))
        columns = [
            (_("Month"), 10, None, None),
            (_("Company"), 20, None, None),
            (_("Shop"), 20, None, None),
            (_("Product Category"), 20, None, None),
            (_("Revenue Target"), 15, "revenue_target", "money"),
            (_("Revenue"), 15, "revenue_actual", "money"),
            (_("Revenue Achieved"), 11, "revenue_achieved", "percent"),
            (_("Revenue Forecast"), 15, "revenue_forecast", "money"),
            (_("Margin Target"), 15, "margin_target", "money"),
            (_("Margin"), 15, "margin_actual", "money"),
            (_("Margin Achieved"), 11, "margin_achieved", "percent"),
            (_("Margin Forecast"), 15, "margin_forecast", "money"),
            (_("Customers Target"), 11, "customer_target", "integer"),
            (_("Customers"), 11, "customer_actual", "integer"),
            (_("Customers Achieved"), 11, "customer_achieved", "percent"),
        ]
        for col, (title, width, _field, _format) in enumerate(columns):
            sheet.set_column(col, col, width)
            write_text(sheet, 0, col, title, fmt["header"])
        sheet.freeze_panes(1, 4)
        objs.check_access("read")
        for row, target in enumerate(objs.sorted(lambda target: (target.month, target.id)), start=1):
            write_text(sheet, row, 0, target.month.strftime("%Y-%m"))
            # an auditor may not read the shops: their names are part of the target
            write_text(sheet, row, 1, target.company_id.name)
            write_text(sheet, row, 2, target.sudo().config_id.name)
            write_text(sheet, row, 3, target.sudo().categ_id.display_name)
            for col, (_title, _width, name, cell_format) in enumerate(columns[4:], start=4):
                value = target[name]
                sheet.write_number(
                    row, col, value / 100 if cell_format == "percent" else value, fmt[cell_format]
                )
