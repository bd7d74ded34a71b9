from dateutil.relativedelta import relativedelta

from odoo import api, models

from ..tools.dates import company_today
from ..tools.posting_rules import owes_domain

STATEMENT_MAIL_BATCH = 200


class PosCustomerLedgerStatementMail(models.AbstractModel):
    """The monthly (or weekly) email of their outstanding statement to customers."""

    _name = "pos.customer.ledger.statement.mail"
    _description = "Customer Ledger Statement Emails"

    @api.model
    def _send_due_statements(self, batch_size=STATEMENT_MAIL_BATCH):
        """Email their outstanding statement to the customers who owe at least
        their company's minimum, once per the company's frequency. Opt-in per
        company; a batch per run, the scheduled action continues with the rest."""
        template = self.env.ref("pos_customer_ledger.mail_template_outstanding_statement")
        done = remaining = 0
        for company in self.env["res.company"].search([("ledger_statement_mail", "=", True)]):
            today = company_today(company)
            interval = (
                relativedelta(weeks=1)
                if company.ledger_statement_interval == "weekly"
                else relativedelta(months=1)
            )
            due = [
                ("company_id", "=", company.id),
                *owes_domain(company.currency_id),
                ("balance", ">=", company.ledger_statement_min_amount),
                ("partner_id.email", "!=", False),
                "|",
                ("statement_sent_date", "=", False),
                ("statement_sent_date", "<=", today - interval),
            ]
            Stat = self.env["pos.customer.ledger.partner.stat"].sudo()
            stats = Stat.search(due, limit=max(batch_size - done, 0), order="id")
            if stats:
                # the template's report prints what is due as of the company's today
                composer = (
                    self.env["mail.compose.message"]
                    .with_company(company)
                    .with_context(allowed_company_ids=company.ids)
                    .create(
                        {
                            "composition_mode": "mass_mail",
                            "model": "res.partner",
                            "res_ids": repr(stats.partner_id.ids),
                            "template_id": template.id,
                        }
                    )
                )
                composer._action_send_mail()
                stats.write({"statement_sent_date": today})
                done += len(stats)
            remaining += Stat.search_count(due)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done
