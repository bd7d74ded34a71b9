from odoo import api, fields, models

from .pos_customer_ledger_audit_rule import SEVERITIES


class PosCustomerLedgerAuditRun(models.Model):
    _name = "pos.customer.ledger.audit.run"
    _description = "Customer Ledger Audit Run"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    run_date = fields.Datetime(string="Run On", required=True, readonly=True, default=fields.Datetime.now)
    user_id = fields.Many2one("res.users", string="Run By", readonly=True)
    trigger = fields.Selection(
        [("manual", "Manual"), ("cron", "Scheduled")], required=True, default="manual", readonly=True
    )
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    rule_ids = fields.Many2many(
        "pos.customer.ledger.audit.rule",
        "pos_customer_ledger_audit_run_rule_rel",
        string="Rules",
        readonly=True,
    )
    duration = fields.Float(string="Duration (s)", digits=(16, 3), readonly=True)
    line_ids = fields.One2many(
        "pos.customer.ledger.audit.run.line", "run_id", string="Results", readonly=True
    )
    flag_ids = fields.One2many("pos.customer.ledger.flag", "run_id", string="Flags Raised", readonly=True)
    finding_count = fields.Integer(string="Findings", compute="_compute_counts", store=True)
    flag_count = fields.Integer(string="New Flags", compute="_compute_counts", store=True)
    info_count = fields.Integer(string="Info", compute="_compute_counts", store=True)
    warning_count = fields.Integer(string="Warnings", compute="_compute_counts", store=True)
    critical_count = fields.Integer(string="Critical", compute="_compute_counts", store=True)

    @api.depends("date_from", "date_to")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "Audit %(date_from)s – %(date_to)s", date_from=run.date_from, date_to=run.date_to
            )

    @api.depends("line_ids.finding_count", "line_ids.flag_count", "line_ids.severity")
    def _compute_counts(self):
        for run in self:
            run.finding_count = sum(run.line_ids.mapped("finding_count"))
            run.flag_count = sum(run.line_ids.mapped("flag_count"))
            for severity, _label in SEVERITIES:
                run[f"{severity}_count"] = sum(
                    run.line_ids.filtered(lambda line, s=severity: line.severity == s).mapped("flag_count")
                )


class PosCustomerLedgerAuditRunLine(models.Model):
    _name = "pos.customer.ledger.audit.run.line"
    _description = "Customer Ledger Audit Run Result"
    _order = "run_id, id"

    run_id = fields.Many2one("pos.customer.ledger.audit.run", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    rule_id = fields.Many2one(
        "pos.customer.ledger.audit.rule", required=True, readonly=True, ondelete="cascade"
    )
    severity = fields.Selection(SEVERITIES, required=True, readonly=True)
    finding_count = fields.Integer(
        string="Findings", readonly=True, help="What the rule found, flagged before or not."
    )
    flag_count = fields.Integer(string="New Flags", readonly=True)
