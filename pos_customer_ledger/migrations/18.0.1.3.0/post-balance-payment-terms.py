from odoo import SUPERUSER_ID, Command, api
from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    """The due delay in days (ledger_due_days) became payment terms: a company
    that had set a delay gets terms of that many days (Odoo's own when it has
    them); one that had left it at 0, which made every pay-later sale overdue
    the next day, keeps the new default (30 days)."""
    if not column_exists(cr, "res_company", "ledger_due_days"):
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Term = env["account.payment.term"].with_context(active_test=False)
    for company_id, days in env.execute_query(
        SQL("SELECT id, ledger_due_days FROM res_company WHERE ledger_due_days > 0")
    ):
        company = env["res.company"].browse(company_id)
        term = Term.search(
            [
                ("company_id", "in", [company_id, False]),
                ("early_discount", "=", False),
                ("line_ids.nb_days", "=", days),
                ("line_ids.delay_type", "=", "days_after"),
            ]
        ).filtered(lambda term: len(term.line_ids) == 1 and term.line_ids.value == "percent")[:1]
        if not term:
            term = Term.create(
                {
                    "name": env._("%(days)s Days", days=days),
                    "company_id": company_id,
                    "line_ids": [
                        Command.create({"value": "percent", "value_amount": 100.0, "nb_days": days})
                    ],
                }
            )
        company.ledger_payment_term_id = term
