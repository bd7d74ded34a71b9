import base64
import binascii

from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.access import ledger_right


class LedgerVerifyWizard(models.TransientModel):
    _name = "pos.customer.ledger.verify.wizard"
    _inherit = ["pos.customer.ledger.download.mixin"]
    _description = "Customer Ledger Integrity Check"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    company_ids = fields.Many2many(
        "res.company", string="Companies", required=True, default=lambda self: self.env.companies
    )
    state = fields.Selection([("new", "New"), ("done", "Done")], default="new", readonly=True)
    result_ok = fields.Boolean(string="Intact", readonly=True)
    checked = fields.Integer(string="Entries Verified", readonly=True)
    first_broken_id = fields.Many2one("pos.customer.ledger.entry", string="First Broken Entry", readonly=True)
    message = fields.Char(string="Result", readonly=True)
    verified_date = fields.Datetime(readonly=True)
    anchor_file = fields.Binary(
        attachment=False,
        help="A file of closing anchors exported earlier: the chain is also checked against it.",
    )
    anchor_filename = fields.Char()
    anchor_count = fields.Integer(string="Anchors Checked", readonly=True)
    anchor_result = fields.Text(string="Anchor Check", readonly=True)

    @ledger_right("audit")
    def action_verify(self):
        self.ensure_one()
        anchors = self._anchors()
        result = self.env["pos.customer.ledger.entry"].verify_chain(self.company_ids)
        values = {
            "state": "done",
            "result_ok": result["ok"],
            "checked": result["checked"],
            "first_broken_id": result["first_broken_id"],
            "message": result["message"],
            "verified_date": fields.Datetime.now(),
        }
        if anchors is not None:
            problems = self._anchor_problems(anchors)
            values.update(
                result_ok=result["ok"] and not problems,
                anchor_count=len(anchors),
                anchor_result="\n".join(problems)
                or self.env._("The %(count)s anchors of the file match the ledger.", count=len(anchors)),
            )
        self.write(values)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Ledger Integrity Check"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _anchors(self):
        """The anchors of the uploaded file, all of the checked companies; None without a file."""
        if not self.anchor_file:
            return None
        try:
            content = base64.b64decode(self.anchor_file, validate=True)
        except (binascii.Error, ValueError):
            content = b""
        anchors = self.env["pos.customer.ledger.closing"]._load_anchor_file(content, self.anchor_filename)
        others = {anchor["company"] for anchor in anchors if anchor["company_id"] not in self.company_ids.ids}
        if others:
            raise UserError(
                self.env._(
                    "The file holds anchors of %(companies)s: check those companies too.",
                    companies=", ".join(sorted(others)),
                )
            )
        return anchors

    def _anchor_problems(self, anchors):
        Entry = self.env["pos.customer.ledger.entry"]
        problems = []
        for company in self.company_ids:
            problems += Entry._anchor_problems(
                company, [anchor for anchor in anchors if anchor["company_id"] == company.id]
            )
        return problems

    @ledger_right("audit")
    def action_export_anchors(self):
        """Download the anchors of every closed month of the companies."""
        self.ensure_one()
        content = self.env["pos.customer.ledger.closing"]._anchor_file(self.company_ids)
        return self._download(
            content,
            self.env._("ledger_anchors_%(date)s.json", date=fields.Date.context_today(self)),
        )

    def _report_chains(self):
        """Per checked company, what the printed check lets an auditor compare
        later: the chain's last sequence number and hash, and those frozen by
        the last closed month."""
        chains = []
        for company in self.company_ids:
            head = self.env["pos.customer.ledger.chain"].sudo().search([("company_id", "=", company.id)])
            closing = (
                self.env["pos.customer.ledger.closing"]
                .sudo()
                .search([("company_id", "=", company.id), ("state", "=", "closed")], limit=1)
            )
            chains.append({"company": company, "head": head, "closing": closing})
        return chains

    @ledger_right("audit")
    def action_print(self):
        return self.env.ref("pos_customer_ledger.action_report_ledger_verification").report_action(self)
