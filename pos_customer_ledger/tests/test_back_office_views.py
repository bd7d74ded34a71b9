from lxml import etree

from odoo.tests import tagged

from .common import LedgerTestCommon

MANAGER_GROUPS = "base.group_user,base.group_system,point_of_sale.group_pos_manager,pos_customer_ledger.group_ledger_manager"


@tagged("post_install", "-at_install")
class TestBackOfficeViews(LedgerTestCommon):
    """What the back office shows, as its users get the views."""

    def arch(self, model, view_type, user=None, view_id=None):
        views = self.env[model].with_user(user or self.env.user).get_views([(view_id, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    def test_ledger_settings_are_their_own_company_wide_app(self):
        """Not under the point of sale selector; numbers carry their unit."""
        manager = self.company_user("settings_ledger_manager", MANAGER_GROUPS)
        arch = self.arch("res.config.settings", "form", manager)
        [app] = arch.xpath("//app[@name='pos_customer_ledger']")
        self.assertEqual(app.get("string"), "Customer Ledger")
        self.assertFalse(arch.xpath("//app[@name='point_of_sale']//field[starts-with(@name, 'ledger_')]"))
        for name in ("ledger_adjustment_journal_id", "ledger_rfm_window_days", "ledger_refuse_overpayment"):
            self.assertTrue(app.xpath(f".//field[@name='{name}']"), name)
        [block] = app.xpath(".//block")
        self.assertIn("whole company", block.get("help"))
        window = app.xpath(".//field[@name='ledger_rfm_window_days']/..")[0]
        self.assertIn("days", "".join(window.itertext()))
        factor = app.xpath(".//field[@name='ledger_churn_factor']/..")[0]
        self.assertIn("× usual interval", "".join(factor.itertext()))
        # the settings save through the page, for the company
        settings = self.env["res.config.settings"].with_user(manager).create({"ledger_rfm_window_days": 90})
        settings.execute()
        self.assertEqual(self.company.ledger_rfm_window_days, 90)
