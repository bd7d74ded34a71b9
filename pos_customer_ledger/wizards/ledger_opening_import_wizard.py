from odoo import fields, models

from ..tools.access import ledger_right
from ..tools.dates import company_today


class LedgerOpeningImportWizard(models.TransientModel):
    _name = "pos.customer.ledger.opening.import.wizard"
    _description = "Import Opening Balances"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    file = fields.Binary(required=True, help="CSV (UTF-8 or GB18030) or XLSX file, one customer per row.")
    filename = fields.Char()
    date = fields.Date(
        string="Default Date",
        required=True,
        default=lambda self: company_today(self.env.company),
        help="Date of the rows that have no date.",
    )
    reason = fields.Char(
        string="Default Reason",
        required=True,
        default=lambda self: self.env._("Opening balance carried over from the previous system"),
        help="Reason of the rows that have no reason.",
    )

    @ledger_right("manage")
    def action_import(self):
        """Keep the file as an import; short files are imported at once, long
        ones in the background (see pos.customer.ledger.import)."""
        self.ensure_one()
        imported = self.env["pos.customer.ledger.import"].create(
            {
                "name": self.filename or self.env._("Opening balances"),
                "company_id": self.company_id.id,
                "file": self.file,
                "date": self.date,
                "reason": self.reason,
            }
        )
        return imported._start()
