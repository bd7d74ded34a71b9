from odoo import fields, models
from odoo.tools import SQL

from ..tools.access import ledger_right

# the oldest flags to review shown on a company's overview
OLDEST_FLAGS = 10


class PosCustomerLedgerAuditOverview(models.Model):
    """Per company, what an auditor looks at first: the flags to review and
    the oldest of them, the last audit run, the last chain verification and
    the last reconciliation of the ledger with accounting (the latest run of
    the rule ledger_accounting_difference)."""

    _name = "pos.customer.ledger.audit.overview"
    _description = "Customer Ledger Audit Overview"
    _auto = False
    _order = "company_id"
    _rec_name = "company_id"

    company_id = fields.Many2one("res.company", readonly=True)
    to_review_count = fields.Integer(string="Flags to Review", readonly=True)
    critical_count = fields.Integer(string="Critical to Review", readonly=True)
    warning_count = fields.Integer(string="Warnings to Review", readonly=True)
    oldest_flag_date = fields.Datetime(
        string="Oldest Flag to Review", readonly=True, help="When the oldest flag still to review was raised."
    )
    last_run_date = fields.Datetime(string="Last Audit Run", readonly=True)
    verified_date = fields.Datetime(string="Last Chain Verification", readonly=True)
    verified_ok = fields.Boolean(string="Chain Intact", readonly=True)
    verified_message = fields.Char(string="Verification Result", readonly=True)
    reconciled_date = fields.Datetime(
        string="Last Reconciliation with Accounting",
        readonly=True,
        help="The last audit run of the rule comparing each customer's dues with the journals.",
    )
    reconciliation_difference_count = fields.Integer(
        string="Customers Differing",
        readonly=True,
        help="Customers whose dues differed from the journals then.",
    )
    oldest_flag_ids = fields.Many2many(
        "pos.customer.ledger.flag", compute="_compute_oldest_flag_ids", string="Oldest Flags to Review"
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT company.id, company.id AS company_id,
                   COALESCE(flags.to_review, 0) AS to_review_count,
                   COALESCE(flags.critical, 0) AS critical_count,
                   COALESCE(flags.warning, 0) AS warning_count,
                   flags.oldest AS oldest_flag_date,
                   runs.last_run AS last_run_date,
                   chain.verified_date, chain.verified_ok, chain.verified_message,
                   reconciliation.run_date AS reconciled_date,
                   reconciliation.finding_count AS reconciliation_difference_count
              FROM res_company company
              LEFT JOIN (
                  SELECT company_id, COUNT(*) AS to_review,
                         COUNT(*) FILTER (WHERE severity = 'critical') AS critical,
                         COUNT(*) FILTER (WHERE severity = 'warning') AS warning,
                         MIN(create_date) AS oldest
                    FROM pos_customer_ledger_flag
                   WHERE state = 'open'
                   GROUP BY company_id
              ) flags ON flags.company_id = company.id
              LEFT JOIN (
                  SELECT company_id, MAX(run_date) AS last_run
                    FROM pos_customer_ledger_audit_run
                   GROUP BY company_id
              ) runs ON runs.company_id = company.id
              LEFT JOIN pos_customer_ledger_chain chain ON chain.company_id = company.id
              LEFT JOIN LATERAL (
                  SELECT run.run_date, line.finding_count
                    FROM pos_customer_ledger_audit_run_line line
                    JOIN pos_customer_ledger_audit_run run ON run.id = line.run_id
                    JOIN pos_customer_ledger_audit_rule rule ON rule.id = line.rule_id
                   WHERE run.company_id = company.id AND rule.code = 'ledger_accounting_difference'
                   ORDER BY run.run_date DESC, run.id DESC
                   LIMIT 1
              ) reconciliation ON TRUE
             WHERE company.active
            """
        )

    def _compute_oldest_flag_ids(self):
        Flag = self.env["pos.customer.ledger.flag"]
        for overview in self:
            overview.oldest_flag_ids = Flag.search(
                [("company_id", "=", overview.company_id.id), ("state", "=", "open")],
                order="create_date, id",
                limit=OLDEST_FLAGS,
            )

    @ledger_right("audit")
    def action_open_flags(self):
        """The company's flags to review."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pos_customer_ledger.action_pos_customer_ledger_flag"
        )
        action["domain"] = [("company_id", "=", self.company_id.id)]
        return action
