from odoo import models

from ..tools.access import ledger_right
from ..tools.xlsx import TEXT_AS_TEXT


class ReportLedgerXlsxAbstract(models.AbstractModel):
    """Base of the ledger's XLSX report actions: user text is never read as a formula."""

    _name = "report.pos_customer_ledger.abstract_xlsx"
    _inherit = "report.report_xlsx.abstract"
    _description = "Customer Ledger XLSX Report"

    # report_xlsx asks for them before it writes anything: the first refusal
    @ledger_right("audit")
    def get_workbook_options(self):
        return {**super().get_workbook_options(), **TEXT_AS_TEXT}
