import base64

from odoo import fields, models


class PosCustomerLedgerDownloadMixin(models.AbstractModel):
    """A wizard that hands a generated file to the browser."""

    _name = "pos.customer.ledger.download.mixin"
    _description = "Customer Ledger File Download"

    # a generated file is its company's and its author's: see the security rules
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    download_file = fields.Binary(readonly=True, attachment=False)
    download_filename = fields.Char(readonly=True)

    def _download(self, content, filename):
        self.ensure_one()
        self.write({"download_file": base64.b64encode(content), "download_filename": filename})
        url = f"/web/content/{self._name}/{self.id}/download_file/{filename}?download=true"
        return {"type": "ir.actions.act_url", "target": "download", "url": url}
