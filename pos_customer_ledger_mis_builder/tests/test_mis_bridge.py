"""Issue 16: the shops' monthly P&L in MIS Builder, with the POS targets as budget."""

from odoo.tests import tagged

from odoo.addons.mis_builder_budget.models.mis_report_instance_period import SRC_MIS_BUDGET
from odoo.addons.pos_customer_ledger.tests.common import MANAGER_GROUPS, LedgerTestCommon
from odoo.addons.pos_customer_ledger.tools.dates import company_today, month_range


@tagged("post_install", "-at_install")
class TestMisBridge(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.company_user("mis_manager", MANAGER_GROUPS)
        cls.report = cls.env.ref("pos_customer_ledger_mis_builder.mis_report_pos_pnl")
        cls.today = company_today(cls.company)
        cls.first, cls.last = month_range(cls.today)

    def budget(self):
        return self.env["mis.budget"].search(
            [("report_id", "=", self.report.id), ("company_id", "=", self.company.id)]
        )

    def budgeted(self):
        return {
            (item.kpi_expression_id.kpi_id.name, item.date_from): item.amount
            for item in self.budget().item_ids
        }

    def test_targets_are_the_budget(self):
        """A manager's company-wide targets become the budget items of revenue and
        margin; changed, they change it; a shop's target stays out; deleted, they leave."""
        Target = self.env["pos.finance.target"].with_user(self.manager)
        target = Target.create({"month": self.today, "revenue_target": 1000.0, "margin_target": 300.0})
        self.assertEqual(self.budgeted(), {("revenue", self.first): 1000.0, ("margin", self.first): 300.0})
        self.assertEqual(self.budget().date_to.year, self.today.year)
        target.revenue_target = 1200.0
        Target.create({"month": self.today, "config_id": self.config.id, "revenue_target": 50.0})
        self.assertEqual(self.budgeted(), {("revenue", self.first): 1200.0, ("margin", self.first): 300.0})
        target.unlink()
        self.assertEqual(self.budgeted(), {})

    def test_pnl_agrees_with_the_finance_report(self):
        """After the session closes, the P&L's revenue for the month is the finance report's,
        next to the target as budget."""
        self.sync(self.customer, qty=3)
        self.close_session()
        self.env["pos.finance.target"].create({"month": self.today, "revenue_target": 500.0})
        instance = self.env["mis.report.instance"].create(
            {
                "name": "POS P&L",
                "report_id": self.report.id,
                "company_id": self.company.id,
                "comparison_mode": True,
            }
        )
        for name, source in (("actual", None), ("budget", SRC_MIS_BUDGET)):
            self.env["mis.report.instance.period"].create(
                {
                    "name": name,
                    "report_instance_id": instance.id,
                    "manual_date_from": self.first,
                    "manual_date_to": self.last,
                    **({"source": source, "source_mis_budget_id": self.budget().id} if source else {}),
                }
            )
        matrix = instance._compute_matrix()
        revenue = next(row for row in matrix.iter_rows() if row.kpi.name == "revenue")
        actual, budget = (cell.val for cell in revenue.iter_cells())
        finance = self.env["pos.finance.report"].read_group(
            [("date", ">=", self.first), ("date", "<=", self.last), ("company_id", "=", self.company.id)],
            ["revenue_untaxed:sum"],
            [],
        )[0]["revenue_untaxed"]
        self.assertAlmostEqual(actual, finance, places=2)
        self.assertAlmostEqual(actual, 30.0, places=2)
        self.assertEqual(budget, 500.0)
