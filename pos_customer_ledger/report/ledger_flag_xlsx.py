from odoo import models

from ..tools.access import ledger_right
from ..tools.dates import local_datetime
from ..tools.xlsx import add_formats, write_text


class LedgerFlagXlsx(models.AbstractModel):
    """Audit flags as an XLSX sheet for the auditor's working papers: what each
    flag found, where, and how it was reviewed. Messages and review notes are
    user text, written as text."""

    _name = "report.pos_customer_ledger.flag_xlsx"
    _inherit = "report.pos_customer_ledger.abstract_xlsx"
    _description = "Customer Ledger Audit Flags XLSX"

    def _get_objs_for_report(self, docids, data):
        # the flags printed, never the context's active records
        return self.env["pos.customer.ledger.flag"].browse(docids or [])

    @ledger_right("audit")
    def generate_xlsx_report(self, workbook, data, objs):
        _ = self.env._
        fmt = add_formats(workbook)
        Flag = self.env["pos.customer.ledger.flag"]
        severities = dict(Flag._fields["severity"]._description_selection(self.env))
        states = dict(Flag._fields["state"]._description_selection(self.env))
        sheet = workbook.add_worksheet(_("Audit Flags"))
        columns = [
            (_("Flag"), 8),
            (_("Rule"), 30),
            (_("Severity"), 10),
            (_("Status"), 11),
            (_("Found On"), 17),
            (_("Company"), 18),
            (_("Shop"), 18),
            (_("Session"), 18),
            (_("Order"), 20),
            (_("Customer"), 24),
            (_("Cashier"), 18),
            (_("Ledger Entry"), 18),
            (_("Finding"), 60),
            (_("Reviewer"), 18),
            (_("Review Date"), 17),
            (_("Review Note"), 40),
        ]
        for col, (title, width) in enumerate(columns):
            sheet.set_column(col, col, width)
            write_text(sheet, 0, col, title, fmt["header"])
        sheet.freeze_panes(1, 0)
        objs.check_access("read")
        # an auditor may not read shops, sessions or cashiers: their names are part of the finding
        for row, flag in enumerate(objs.sudo().sorted("id"), start=1):
            sheet.write_number(row, 0, flag.id)
            texts = {
                1: flag.rule_id.name,
                2: severities.get(flag.severity),
                3: states.get(flag.state),
                5: flag.company_id.name,
                6: flag.config_id.name,
                7: flag.session_id.name,
                8: flag.pos_order_id.name,
                9: flag.partner_id.display_name,
                10: flag.user_id.name,
                11: flag.entry_id.name,
                12: flag.message,
                13: flag.reviewer_id.name,
                15: flag.review_note,
            }
            for col, text in texts.items():
                write_text(sheet, row, col, text)
            for col, moment in ((4, flag.date), (14, flag.review_date)):
                if moment:
                    sheet.write_datetime(row, col, local_datetime(flag.company_id, moment), fmt["datetime"])
        if objs:
            sheet.autofilter(0, 0, len(objs), len(columns) - 1)
