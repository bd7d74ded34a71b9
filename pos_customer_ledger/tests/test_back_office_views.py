from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import LedgerTestCommon

MANAGER_GROUPS = ",".join(
    [
        "base.group_user",
        "base.group_system",
        "point_of_sale.group_pos_manager",
        "pos_customer_ledger.group_ledger_manager",
    ]
)


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

    def test_titles_agree(self):
        """The menu, its action and the dialogs a user sees carry a title."""
        entries = self.env.ref("pos_customer_ledger.action_pos_customer_ledger_entry")
        self.assertEqual(
            entries.name, self.env.ref("pos_customer_ledger.menu_pos_customer_ledger_entry").name
        )
        auditor = self.company_user(
            "views_auditor", "base.group_user,pos_customer_ledger.group_ledger_auditor"
        )
        wizard = self.env["pos.customer.ledger.verify.wizard"].with_user(auditor).create({})
        self.assertEqual(wizard.action_verify()["name"], "Ledger Integrity Check")

    def test_integrity_columns_have_room(self):
        arch = self.arch("pos.customer.ledger.chain", "list")
        for name in ("company_id", "last_sequence", "verified_date", "verified_count"):
            self.assertTrue(arch.xpath(f"//field[@name='{name}']")[0].get("width"), name)

    def test_customer_segments_show_scores_and_balance_and_create_nothing(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pos_customer_ledger.action_ledger_customer_segments"
        )
        user = self.company_user("views_segment_user", "base.group_user,point_of_sale.group_pos_user")
        views = {view_type: view_id for view_id, view_type in action["views"]}
        self.assertEqual(set(views), {"list", "form"})
        listed = self.arch("res.partner", "list", user, views["list"])
        self.assertEqual(listed.get("create"), "0")
        names = listed.xpath("//field[not(@column_invisible)]/@name")
        for name in ("rfm_segment", "rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score"):
            self.assertIn(name, names)
        self.assertIn("ledger_balance", names)
        self.assertNotIn("user_id", names)
        self.assertEqual(self.arch("res.partner", "form", user, views["form"]).get("create"), "0")
        # the scores aggregate as averages in the segment groups, not sums
        self.customer.with_company(self.company).sudo().write(
            {"rfm_segment": "loyal", "rfm_recency_score": 4}
        )
        self.other_customer.with_company(self.company).sudo().write(
            {"rfm_segment": "loyal", "rfm_recency_score": 2}
        )
        Partner = self.env["res.partner"].with_user(user)
        [group] = Partner.read_group(
            [("rfm_segment", "=", "loyal"), ("id", "in", (self.customer | self.other_customer).ids)],
            ["rfm_recency_score"],
            ["rfm_segment"],
        )
        self.assertEqual(group["rfm_recency_score"], 3)

    def test_ledger_tab_only_for_customers_with_history(self):
        """A vendor or a new contact shows no Ledger tab nor button; a customer
        does, with the preferred hour as a time; anonymising sits in the action menu."""
        user = self.company_user("views_tab_user", "base.group_user,point_of_sale.group_pos_user")
        vendor = self.env["res.partner"].create({"name": "Paper Supplier", "supplier_rank": 1})
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        arch = self.arch("res.partner", "form", user)
        [page] = arch.xpath("//page[@name='pos_customer_ledger']")
        self.assertEqual(page.get("invisible"), "not ledger_has_history")
        [button] = arch.xpath("//button[@name='action_open_ledger_entries']")
        self.assertEqual(button.get("invisible"), "not ledger_has_history")
        self.assertFalse(arch.xpath("//button[@name='action_ledger_anonymize']"))
        self.assertTrue(arch.xpath("//field[@name='ledger_preferred_hour_label']"))
        self.assertFalse(arch.xpath("//field[@name='ledger_preferred_hour']"))
        Partner = self.env["res.partner"].with_user(user)
        form = Form(Partner.browse(vendor.id))
        self.assertFalse(form.ledger_has_history)
        self.assertFalse(form.ledger_preferred_hour_label)
        customer = Partner.browse(self.customer.id)
        form = Form(customer)
        self.assertTrue(form.ledger_has_history)
        hour = fields.Datetime.context_timestamp(
            self.env["res.partner"].with_context(tz=self.company.partner_id.tz or "UTC"),
            fields.Datetime.now(),
        ).hour
        self.assertEqual(form.ledger_preferred_hour_label, f"{hour:02d}:00")
        self.assertTrue(Form(Partner.browse(self.customer_contact.id)).ledger_has_history, "its company's")

    def test_anonymise_is_a_confirmed_action_of_the_gear_menu(self):
        action = self.env.ref("pos_customer_ledger.action_ledger_anonymize_wizard")
        self.assertEqual(action.binding_model_id.model, "res.partner")
        self.assertEqual(action.groups_id, self.env.ref("pos_customer_ledger.group_ledger_manager"))
        manager = self.company_user(
            "views_anonymise_manager",
            "base.group_user,base.group_partner_manager,pos_customer_ledger.group_ledger_manager",
        )
        bindings = self.env["ir.actions.actions"].with_user(manager).get_bindings("res.partner")["action"]
        self.assertIn(action.id, [binding["id"] for binding in bindings])
        cashier = self.company_user("views_anonymise_cashier", "base.group_user,point_of_sale.group_pos_user")
        bindings = self.env["ir.actions.actions"].with_user(cashier).get_bindings("res.partner")["action"]
        self.assertNotIn(action.id, [binding["id"] for binding in bindings])
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        name = self.customer.name
        wizard = Form(
            self.env[action.res_model]
            .with_user(manager)
            .with_context(active_model="res.partner", active_ids=self.customer.ids)
        ).save()
        self.assertEqual(wizard.partner_ids, self.customer)
        self.assertEqual(self.customer.name, name, "nothing happens before the confirmation")
        wizard.action_anonymize()
        self.assertTrue(self.customer.ledger_anonymized)
        self.assertNotEqual(self.customer.name, name)
        with self.assertRaises(AccessError):
            self.env[action.res_model].with_user(cashier).create({"partner_ids": self.other_customer.ids})

    def test_favourites_are_two_lists_each_ranked_from_1(self):
        tea = self.create_product("Fav Tea", self.categ_basic, 5.0)
        cake = self.create_product("Fav Cake", self.categ_anglo, 8.0)
        self.sync(self.customer, lines=[(tea, 3), (cake, 1)])
        self.follow_preferences()
        user = self.company_user("views_fav_user", "base.group_user,point_of_sale.group_pos_user")
        arch = self.arch("res.partner", "form", user)
        self.assertFalse(arch.xpath("//field[@name='ledger_preference_ids']"))
        products = arch.xpath("//field[@name='ledger_favourite_product_ids']/list/field/@name")
        categories = arch.xpath("//field[@name='ledger_favourite_category_ids']/list/field/@name")
        self.assertIn("product_id", products)
        self.assertNotIn("categ_id", products)
        self.assertIn("categ_id", categories)
        self.assertNotIn("product_id", categories)
        customer = self.customer.with_user(user)
        self.assertEqual(
            [(line.product_id, line.rank) for line in customer.ledger_favourite_product_ids.sorted("rank")],
            [(tea, 1), (cake, 2)],
        )
        self.assertEqual(
            [(line.categ_id, line.rank) for line in customer.ledger_favourite_category_ids.sorted("rank")],
            [(self.categ_basic, 1), (self.categ_anglo, 2)],
        )
