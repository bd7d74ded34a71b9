from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.access import AUDITOR, ledger_right
from .pos_customer_ledger_audit_rule import SEVERITIES

# what a run found: written at creation, never after
FINDING_FIELDS = {
    "rule_id",
    "severity",
    "company_id",
    "pos_order_id",
    "partner_id",
    "entry_id",
    "session_id",
    "config_id",
    "user_id",
    "date",
    "message",
    "finding_key",
    "fingerprint",
    "run_id",
}
# the outcome of a review: set by its buttons only
REVIEW_FIELDS = {"state", "reviewer_id", "review_date"}


class PosCustomerLedgerFlag(models.Model):
    _name = "pos.customer.ledger.flag"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Customer Ledger Audit Flag"
    _order = "id desc"
    _rec_name = "finding_key"

    rule_id = fields.Many2one(
        "pos.customer.ledger.audit.rule", required=True, readonly=True, ondelete="restrict"
    )
    explanation = fields.Text(related="rule_id.explanation")
    severity = fields.Selection(SEVERITIES, required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    pos_order_id = fields.Many2one("pos.order", string="Order", readonly=True, index="btree_not_null")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index="btree_not_null")
    entry_id = fields.Many2one(
        "pos.customer.ledger.entry", string="Ledger Entry", readonly=True, index="btree_not_null"
    )
    session_id = fields.Many2one("pos.session", string="Session", readonly=True, index="btree_not_null")
    config_id = fields.Many2one("pos.config", string="Shop", readonly=True, index="btree_not_null")
    user_id = fields.Many2one("res.users", string="Cashier", readonly=True, index="btree_not_null")
    date = fields.Datetime(string="Found On", readonly=True, help="When what the flag points at happened.")
    message = fields.Text(readonly=True, help="The figures that made the rule fire.")
    finding_key = fields.Char(required=True, readonly=True, help="What the finding is about, e.g. order:123.")
    fingerprint = fields.Char(readonly=True, help="Digest of the finding's figures.")
    run_id = fields.Many2one("pos.customer.ledger.audit.run", string="Audit Run", readonly=True, index=True)
    state = fields.Selection(
        [("open", "To Review"), ("confirmed", "Confirmed"), ("dismissed", "Dismissed")],
        required=True,
        default="open",
        readonly=True,
        index=True,
        tracking=True,
    )
    reviewer_id = fields.Many2one("res.users", readonly=True, tracking=True)
    review_date = fields.Datetime(readonly=True)
    review_note = fields.Text(tracking=True, help="Why the finding is confirmed or dismissed.")

    def init(self):
        # one open flag per finding, whoever runs the rules at the same time
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS pos_customer_ledger_flag_open_finding_uniq "
                "ON pos_customer_ledger_flag (rule_id, finding_key) WHERE state = 'open'"
            )
        )
        # a run reads the last flag of each of its findings
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS pos_customer_ledger_flag_finding_idx "
                "ON pos_customer_ledger_flag (rule_id, finding_key, id)"
            )
        )

    @api.depends("rule_id", "finding_key")
    def _compute_display_name(self):
        for flag in self:
            flag.display_name = (
                f"{flag.rule_id.name}: {flag.finding_key}" if flag.rule_id else flag.finding_key
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(self.env._("Audit flags are raised by the audit rules only."))
        return super().create(vals_list)

    def write(self, vals):
        if FINDING_FIELDS & set(vals):
            raise UserError(self.env._("What an audit flag found cannot be changed."))
        if REVIEW_FIELDS & set(vals) and not self.env.context.get("ledger_flag_review"):
            raise UserError(self.env._("Review an audit flag with its Confirm or Dismiss button."))
        if "review_note" in vals and any(flag.state != "open" for flag in self):
            raise UserError(self.env._("The note of a reviewed audit flag cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Audit flags are never deleted: dismiss a flag with a note instead."))

    def _scrub_identities(self, replacements):
        """Replace ``replacements`` ((old, new) text pairs, longest first) in the
        flags' messages and review notes: anonymising a customer must not leave
        their name, phone or e-mail in a finding. The only rewrite of a flag's
        finding, so in SQL past write(); the figures' fingerprint is untouched."""
        if not replacements:
            return
        domain = [("message", "ilike", old) for old, _new in replacements]
        domain += [("review_note", "ilike", old) for old, _new in replacements]
        flags = self.sudo().with_context(active_test=False).search(["|"] * (len(domain) - 1) + domain)
        for flag in flags:
            message, note = flag.message or "", flag.review_note or ""
            for old, new in replacements:
                message, note = message.replace(old, new), note.replace(old, new)
            self.env.cr.execute(
                SQL(
                    "UPDATE pos_customer_ledger_flag SET message = %s, review_note = %s WHERE id = %s",
                    message or None,
                    note or None,
                    flag.id,
                )
            )
        flags.invalidate_recordset(["message", "review_note"])

    @ledger_right("audit")
    def action_confirm(self):
        """The finding is a real problem."""
        return self._review("confirmed")

    @ledger_right("audit")
    def action_dismiss(self):
        """The finding is not a problem."""
        return self._review("dismissed")

    def _review(self, state):
        for flag in self:
            if flag.state != "open":
                raise UserError(self.env._("Flag %(flag)s is already reviewed.", flag=flag.display_name))
            if not (flag.review_note or "").strip():
                raise UserError(
                    self.env._(
                        "Write a review note on flag %(flag)s before reviewing it.", flag=flag.display_name
                    )
                )
        self.with_context(ledger_flag_review=True).write(
            {"state": state, "reviewer_id": self.env.uid, "review_date": fields.Datetime.now()}
        )
        return True

    def _notify_auditors(self):
        """A to-do for each auditor of its company on each critical flag of ``self``."""
        critical = self.filtered(lambda flag: flag.severity == "critical")
        if not critical:
            return
        auditors = self.env.ref(AUDITOR).users.filtered(lambda user: user.active and not user.share)
        todo = self.env.ref("mail.mail_activity_data_todo")
        activities = []
        for flag in critical:
            for auditor in auditors.filtered(lambda user, flag=flag: flag.company_id in user.company_ids):
                activities.append(
                    {
                        "res_model_id": self.env["ir.model"]._get_id(self._name),
                        "res_id": flag.id,
                        "activity_type_id": todo.id,
                        "user_id": auditor.id,
                        "summary": self.env._("Review: %(rule)s", rule=flag.rule_id.name),
                        "note": flag.message,
                    }
                )
        self.env["mail.activity"].sudo().create(activities)
