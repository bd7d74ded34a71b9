from lxml import etree

from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

ROOT = "pos_customer_ledger.menu_pos_customer_ledger_root"
# section -> its items, in order; a user scans five sections, not fifteen items
SECTIONS = {
    "menu_pos_customer_ledger_customers": [
        "menu_pos_customer_ledger_entry",
        "menu_pos_customer_ledger_partner_stat",
        "menu_pos_customer_ledger_statement",
    ],
    "menu_pos_customer_ledger_accounting": [
        "menu_pos_customer_ledger_aging",
        "menu_pos_customer_ledger_closing",
        "menu_pos_customer_ledger_adjustment",
    ],
    "menu_pos_customer_ledger_finance": [
        "menu_pos_finance_dashboard",
        "menu_pos_finance_report_daily",
        "menu_pos_finance_report_monthly",
        "menu_pos_finance_target",
    ],
    "menu_pos_customer_ledger_audit": [
        "menu_pos_customer_ledger_audit_overview",
        "menu_pos_customer_ledger_verify",
        "menu_pos_customer_ledger_chain",
        "menu_pos_customer_ledger_flag",
        "menu_pos_customer_ledger_cashier_figure",
        "menu_pos_customer_ledger_audit_run_wizard",
        "menu_pos_customer_ledger_audit_run",
        "menu_pos_customer_ledger_audit_rule",
    ],
    "menu_pos_customer_ledger_marketing": [
        "menu_pos_customer_ledger_segments",
        "menu_pos_customer_ledger_segment_history",
        "menu_pos_customer_ledger_segment_export",
        "menu_pos_customer_ledger_promotion",
    ],
    "menu_pos_customer_ledger_stock": [
        "menu_pos_demand_forecast",
        "menu_pos_demand_forecast_accuracy",
    ],
    "menu_pos_customer_ledger_maintenance": [
        "menu_pos_customer_ledger_opening_import",
        "menu_pos_customer_ledger_import",
        "menu_pos_customer_ledger_backfill",
        "menu_pos_customer_ledger_settings",
    ],
}
# the items each kind of user reaches (as before the menus had sections)
USER_ITEMS = {
    "menu_pos_customer_ledger_entry",
    "menu_pos_customer_ledger_partner_stat",
    "menu_pos_customer_ledger_segments",
    "menu_pos_customer_ledger_segment_history",
}
AUDITOR_ITEMS = USER_ITEMS | {
    "menu_pos_customer_ledger_statement",
    "menu_pos_customer_ledger_aging",
    "menu_pos_customer_ledger_closing",
    "menu_pos_customer_ledger_audit_overview",
    "menu_pos_customer_ledger_verify",
    "menu_pos_customer_ledger_chain",
    "menu_pos_customer_ledger_flag",
    "menu_pos_customer_ledger_cashier_figure",
    "menu_pos_customer_ledger_audit_run_wizard",
    "menu_pos_customer_ledger_audit_run",
    "menu_pos_customer_ledger_segment_export",
    "menu_pos_customer_ledger_promotion",
    "menu_pos_demand_forecast",
    "menu_pos_demand_forecast_accuracy",
    "menu_pos_finance_dashboard",
    "menu_pos_finance_report_daily",
    "menu_pos_finance_report_monthly",
    "menu_pos_finance_target",
}
# Odoo lets only administrators change settings
ADMIN_ITEMS = {item for items in SECTIONS.values() for item in items}
MANAGER_ITEMS = ADMIN_ITEMS - {"menu_pos_customer_ledger_settings"}


@tagged("post_install", "-at_install")
class TestLedgerMenus(TransactionCase):
    def menu(self, name):
        return self.env.ref(name if "." in name else f"pos_customer_ledger.{name}")

    def test_sections(self):
        root = self.menu(ROOT)
        self.assertEqual(
            root.child_id.sorted("sequence"), self.env["ir.ui.menu"].concat(*map(self.menu, SECTIONS))
        )
        for section, items in SECTIONS.items():
            self.assertFalse(self.menu(section).action, "a section only groups items")
            self.assertEqual(
                self.menu(section).child_id.sorted("sequence"),
                self.env["ir.ui.menu"].concat(*map(self.menu, items)),
            )
            for item in items:
                self.assertTrue(self.menu(item).action, f"{item} opens something")

    def test_each_user_reaches_the_items_of_their_group(self):
        Menu = self.env["ir.ui.menu"]
        cases = {
            "point_of_sale.group_pos_user": USER_ITEMS,
            "point_of_sale.group_pos_user,pos_customer_ledger.group_ledger_auditor": AUDITOR_ITEMS,
            "point_of_sale.group_pos_manager": MANAGER_ITEMS,
            "point_of_sale.group_pos_manager,base.group_system": ADMIN_ITEMS,
        }
        for groups, expected in cases.items():
            with self.subTest(groups=groups):
                user = new_test_user(
                    self.env, login=f"menus_{len(expected)}", groups=f"base.group_user,{groups}"
                )
                visible = Menu.with_user(user)._visible_menu_ids()
                reached = {
                    item
                    for section, items in SECTIONS.items()
                    for item in items
                    if {self.menu(item).id, self.menu(section).id, self.menu(ROOT).id} <= visible
                }
                self.assertEqual(reached, expected)
                sections = {section for section in SECTIONS if self.menu(section).id in visible}
                self.assertEqual(sections, {s for s, items in SECTIONS.items() if expected & set(items)})

    def test_settings_open_at_the_ledger(self):
        """The Settings item opens Odoo's settings at the ledger's own app, whose
        first block is the ledger's settings; an administrator can save them."""
        action = self.menu("menu_pos_customer_ledger_settings").action
        self.assertEqual((action.res_model, action.target), ("res.config.settings", "inline"))
        context = dict(safe_eval(action.context))
        self.assertEqual(context, {"module": "pos_customer_ledger", "bin_size": False})
        admin = new_test_user(
            self.env,
            login="menus_settings_admin",
            groups="base.group_user,base.group_system,point_of_sale.group_pos_manager",
        )
        Settings = self.env["res.config.settings"].with_user(admin).with_context(**context)
        arch = etree.fromstring(Settings.get_views([(False, "form")])["views"]["form"]["arch"])
        [app] = arch.xpath(f"//app[@name='{context['module']}']")
        first_block = app.xpath("./block")[0]
        self.assertEqual(first_block.get("id"), "pos_customer_ledger_section")
        self.assertTrue(first_block.xpath(".//field[@name='ledger_refuse_overpayment']"))
        settings = Settings.create({"ledger_refuse_overpayment": True})
        settings.execute()
        self.assertTrue(self.env.company.ledger_refuse_overpayment)
