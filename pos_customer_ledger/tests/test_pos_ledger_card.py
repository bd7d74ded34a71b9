from datetime import timedelta

from odoo import Command, fields
from odoo.api import call_kw
from odoo.exceptions import AccessError
from odoo.models import check_method_name
from odoo.tests import new_test_user, tagged

from odoo.addons.pos_customer_ledger.models.pos_customer_segment_history import RFM_SEGMENTS

from .common import CASHIER_GROUPS, LedgerTestCommon


@tagged("post_install", "-at_install")
class TestPosLedgerCard(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tea = cls.create_product("Tea", cls.categ_basic, 5.0)
        cls.cake = cls.create_product("Cake", cls.categ_basic, 8.0)
        cls.voucher = cls.create_product("Gift Voucher", cls.categ_basic, 20.0)
        cls.cashier = cls.company_user("card_cashier", CASHIER_GROUPS)

    def card(self, partner=None, user=None, lang="en_US"):
        """The card as the till asks for it: a JSON-RPC call_kw as the cashier."""
        check_method_name("ledger_pos_card")
        return call_kw(
            self.env["res.partner"].with_user(user or self.cashier),
            "ledger_pos_card",
            [[(partner or self.customer_contact).id]],
            {"config_id": self.config.id, "context": {"lang": lang}},
        )

    def test_card_shows_balance_visits_and_favourites(self):
        self.sync(self.customer, lines=[(self.tea, 3), (self.cake, 1)], days_ago=2)
        self.sync(self.customer, lines=[(self.cake, 1)], days_ago=1)
        on_account = self.sync(self.customer, lines=[(self.tea, 2)], payments=[(self.pay_later_pm, 10.0)])
        refund = self.sync_refund(on_account, self.pay_later_pm)
        self.sync(self.other_customer, lines=[(self.voucher, 9)])
        for _day in range(3):
            self.sync(self.customer, lines=[(self.voucher, 1)], days_ago=10)
        self.customer.write(
            {
                "ledger_preference_note": "Oat milk, no sugar",
                "ledger_preference_tag_ids": [Command.create({"name": "Regular", "color": 3})],
            }
        )
        self.follow_preferences()

        card = self.card()

        self.assertEqual(card["partner_id"], self.customer.id)
        self.assertAlmostEqual(card["balance"], self.customer.ledger_balance)
        self.assertAlmostEqual(card["balance"], 0.0)
        self.assertEqual(card["currency"]["id"], self.company.currency_id.id)
        self.assertEqual(card["currency"]["symbol"], self.company.currency_id.symbol)
        visits = card["last_visits"]
        self.assertEqual(len(visits), 5, "the card shows the last five orders only")
        self.assertEqual([v["amount"] for v in visits[:2]], [refund.amount_total, on_account.amount_total])
        self.assertEqual(visits[0]["kind"], "refund")
        self.assertEqual(visits[0]["kind_label"], "Refund")
        self.assertEqual(visits[-1]["amount"], 20.0, "older orders come last")
        self.assertEqual(
            [(f["product_id"], f["qty"], f["rank"]) for f in card["favourites"]],
            [(self.voucher.id, 3.0, 1), (self.tea.id, 3.0, 2), (self.cake.id, 2.0, 3)],
        )
        self.assertEqual(card["notes"], "Oat milk, no sugar")
        self.assertEqual([(t["name"], t["color"]) for t in card["tags"]], [("Regular", 3)])

    def test_card_shows_segment_churn_risk_and_next_visit(self):
        self.sync(self.customer, lines=[(self.tea, 1)], days_ago=40)
        self.sync(self.customer, lines=[(self.tea, 1)], days_ago=30)
        card = self.card()
        self.assertFalse(card["segment"], "segments come from the nightly scoring")
        self.assertTrue(card["churn_risk"], "30 days away, twice the usual 10 days")
        today = fields.Date.context_today(self.customer)
        self.assertEqual(card["next_visit_date"], fields.Date.to_string(today - timedelta(days=20)))

        self.env["res.partner"].ledger_recompute_profiles()
        self.env.invalidate_all()
        self.assertTrue(self.customer.rfm_segment)
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["pos_customer_ledger"], ["zh_CN"], overwrite=True)
        card = self.card(lang="zh_CN")
        labels = dict(
            self.env["res.partner"]
            ._fields["rfm_segment"]
            ._description_selection(self.env(context={"lang": "zh_CN"}))
        )
        self.assertEqual(
            card["segment"], {"code": self.customer.rfm_segment, "label": labels[self.customer.rfm_segment]}
        )
        self.assertNotEqual(
            card["segment"]["label"], dict(RFM_SEGMENTS)[self.customer.rfm_segment], "translated"
        )

    def test_card_says_whether_the_customer_owes(self):
        self.sync(self.customer, lines=[(self.tea, 2)], payments=[(self.pay_later_pm, 10.0)])
        self.assertIs(self.card()["owes"], True)
        self.assertIs(self.card(self.other_customer)["owes"], False)
        self.Entry.post_manual_entry("opening", self.other_customer, -5.0, fields.Date.today(), "Deposit")
        self.assertIs(self.card(self.other_customer)["owes"], False)

    def test_balance_due_on_customer_account(self):
        self.sync(self.customer, lines=[(self.tea, 2)], payments=[(self.pay_later_pm, 10.0)])
        self.assertAlmostEqual(self.card()["balance"], 10.0)
        self.assertAlmostEqual(self.card(self.other_customer)["balance"], 0.0)
        self.assertEqual(self.card(self.other_customer)["last_visits"], [])

    def test_favourites_only_products_sold_at_this_pos(self):
        self.sync(self.customer, lines=[(self.voucher, 5), (self.tea, 2), (self.cake, 1)])
        self.follow_preferences()
        self.voucher.available_in_pos = False
        self.assertEqual([f["product_id"] for f in self.card()["favourites"]], (self.tea | self.cake).ids)
        self.cake.sale_ok = False
        self.assertEqual([f["product_id"] for f in self.card()["favourites"]], self.tea.ids)
        pos_category = self.env["pos.category"].create({"name": "Drinks"})
        self.tea.pos_categ_ids = pos_category
        self.voucher.available_in_pos = True
        self.close_session()  # a POS config cannot change while a session is open
        self.config.write(
            {"limit_categories": True, "iface_available_categ_ids": [Command.set(pos_category.ids)]}
        )
        self.assertEqual([f["product_id"] for f in self.card()["favourites"]], self.tea.ids)

    def test_card_is_one_company(self):
        self.sync(self.customer, lines=[(self.tea, 2)], payments=[(self.pay_later_pm, 10.0)])
        other_company = self.setup_other_company()["company"]
        self.env["pos.customer.ledger.entry"]._post(
            [
                {
                    "company_id": other_company.id,
                    "partner_id": self.customer.id,
                    "date": "2026-01-05 10:00:00",
                    "kind": "sale",
                    "amount_total": 99.0,
                    "amount_due": 99.0,
                }
            ]
        )
        self.cashier.company_ids = [Command.link(other_company.id)]
        card = self.card()
        self.assertAlmostEqual(card["balance"], 10.0)
        self.assertEqual(len(card["last_visits"]), 1)

    def test_only_ledger_users_get_the_card(self):
        self.sync(self.customer, lines=[(self.tea, 1)])
        clerk = new_test_user(
            self.env, login="card_clerk", groups="base.group_user,base.group_partner_manager"
        )
        with self.assertRaisesRegex(AccessError, "Only customer ledger users can see the customer ledger"):
            self.card(user=clerk)
        # a cashier of another company cannot read this company's card either
        other_company = self.setup_other_company()["company"]
        stranger = new_test_user(
            self.env,
            login="card_stranger",
            groups="base.group_user,point_of_sale.group_pos_user",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        with self.assertRaises(AccessError):
            self.card(user=stranger)

    def test_card_takes_a_handful_of_queries(self):
        self.sync(self.customer, lines=[(self.tea, 3), (self.cake, 1)], payments=[(self.pay_later_pm, 23.0)])
        self.customer.ledger_preference_tag_ids = [Command.create({"name": "Regular"})]
        self.card()
        self.env.invalidate_all()  # cold record cache, as in a fresh request
        before = self.cr.sql_log_count
        self.card()
        self.assertLessEqual(self.cr.sql_log_count - before, 20)

    def test_pos_loading_is_unchanged(self):
        """The card is fetched on demand: opening the till loads no ledger data."""
        self.sync(self.customer, lines=[(self.tea, 1)], payments=[(self.pay_later_pm, 5.0)])
        data = self.pos_session.with_user(self.cashier).load_data(["pos.config", "pos.order", "res.partner"])
        partner_fields = data["res.partner"]["fields"]
        self.assertIn("name", partner_fields)
        ledger_fields = [
            name
            for name in {*partner_fields, *(key for row in data["res.partner"]["data"] for key in row)}
            if name.startswith(("ledger_", "rfm_"))
        ]
        self.assertFalse(ledger_fields)
