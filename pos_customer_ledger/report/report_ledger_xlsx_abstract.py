from odoo import models

from ..tools.access import ledger_right
from ..tools.xlsx import TEXT_AS_TEXT, add_formats


class ReportLedgerXlsxAbstract(models.AbstractModel):
    """Base of the ledger's XLSX report actions: user text is never read as a formula."""

    _name = "report.pos_customer_ledger.abstract_xlsx"
    _inherit = "report.report_xlsx.abstract"
    _description = "Customer Ledger XLSX Report"

    # True for reports that write their rows in order, for thousands of
    # customers: the workbook keeps one row in memory
    _ledger_constant_memory = False

    # report_xlsx asks for them before it writes anything: the first refusal
    @ledger_right("audit")
    def get_workbook_options(self):
        options = {**super().get_workbook_options(), **TEXT_AS_TEXT}
        if self._ledger_constant_memory:
            options["constant_memory"] = True
        return options

    @ledger_right("audit")
    def generate_xlsx_report(self, workbook, data, objs):
        """One sheet per wizard, from the data it produces (``_report_data``);
        reports of another shape override this."""
        formats = add_formats(workbook)
        for wizard in objs:
            self._write_sheet(workbook, formats, wizard._report_data())

    def _write_sheet(self, workbook, formats, data):
        raise NotImplementedError
