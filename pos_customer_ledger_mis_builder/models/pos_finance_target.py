from datetime import date

from odoo import Command, api, models

from odoo.addons.pos_customer_ledger.tools.dates import month_range

# the KPI of the P&L each target feeds
BUDGETED = {
    "revenue_target": "pos_customer_ledger_mis_builder.mis_kpi_pos_revenue",
    "margin_target": "pos_customer_ledger_mis_builder.mis_kpi_pos_margin",
}


class PosFinanceTarget(models.Model):
    """The company-wide targets of a year are the MIS budget of the shops' P&L:
    one budget per company and year, kept in step with the targets."""

    _inherit = "pos.finance.target"

    @api.model_create_multi
    def create(self, vals_list):
        targets = super().create(vals_list)
        targets._sync_mis_budgets(targets._budget_keys())
        return targets

    def write(self, vals):
        keys = self._budget_keys()
        result = super().write(vals)
        self._sync_mis_budgets(keys | self._budget_keys())
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_from_mis_budgets(self):
        self._sync_mis_budgets(self._budget_keys(), leaving=self)

    def _budget_keys(self):
        return {(target.company_id, target.month.year) for target in self if target.month}

    def _sync_mis_budgets(self, keys, leaving=None):
        """Rewrite the budget items of each (company, year) from its company-wide
        targets (no shop, no category); ``leaving``: targets being deleted."""
        report = self.env.ref("pos_customer_ledger_mis_builder.mis_report_pos_pnl")
        expressions = {field: self.env.ref(kpi).sudo().expression_ids[:1] for field, kpi in BUDGETED.items()}
        Budget = self.env["mis.budget"].sudo()
        for company, year in keys:
            first, last = date(year, 1, 1), date(year, 12, 31)
            targets = self.sudo().search(
                [
                    ("company_id", "=", company.id),
                    ("config_id", "=", False),
                    ("categ_id", "=", False),
                    ("month", ">=", first),
                    ("month", "<=", last),
                    ("id", "not in", (leaving or self.browse()).ids),
                ]
            )
            budget = Budget.search(
                [("report_id", "=", report.id), ("company_id", "=", company.id), ("date_from", "=", first)],
                limit=1,
            )
            if not budget:
                if not targets:
                    continue
                budget = Budget.create(
                    {
                        "name": self.env._("POS Targets %(year)s", year=year),
                        "report_id": report.id,
                        "company_id": company.id,
                        "date_from": first,
                        "date_to": last,
                    }
                )
            budget.item_ids.unlink()
            budget.item_ids = [
                Command.create(
                    {
                        "kpi_expression_id": expression.id,
                        "date_from": target.month,
                        "date_to": month_range(target.month)[1],
                        "amount": target[field],
                    }
                )
                for target in targets
                for field, expression in expressions.items()
                if target[field]
            ]
