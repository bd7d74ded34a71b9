import base64
from urllib.parse import quote, urlencode

from odoo import fields, models

# served as what they are: guessing from the content reads an XLSX as a zip (and
# logs Odoo's two failed zip checks of its first kilobyte)
DOWNLOAD_MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
}


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
        mimetype = DOWNLOAD_MIMETYPES.get(filename.rpartition(".")[2].lower(), "application/octet-stream")
        query = urlencode({"download": "true", "mimetype": mimetype})
        url = f"/web/content/{self._name}/{self.id}/download_file/{quote(filename)}?{query}"
        return {"type": "ir.actions.act_url", "target": "download", "url": url}
