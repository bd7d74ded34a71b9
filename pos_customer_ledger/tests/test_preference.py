from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestCustomerPreference(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Preference = cls.env["pos.customer.preference"]
        cls.tea = cls.create_product("Tea", cls.categ_basic, 5.0)
        cls.cake = cls.create_product("Cake", cls.categ_anglo, 8.0)

    def _rows(self, partner=None):
        self.follow_preferences()
        prefs = self.Preference.search([("partner_id", "=", (partner or self.customer).id)])
        return {
            (pref.product_id.name or pref.categ_id.name): (pref.qty, pref.amount, pref.rank, pref.amount_rank)
            for pref in prefs
        }

    def test_preferences_follow_the_postings(self):
        self.sync(self.customer, lines=[(self.tea, 3), (self.cake, 1)])
        order = self.sync(self.customer, lines=[(self.tea, 2)])
        rows = self._rows()
        self.assertEqual(rows["Tea"], (5.0, 25.0, 1, 1))
        self.assertEqual(rows["Cake"], (1.0, 8.0, 2, 2))
        self.assertEqual(rows[self.categ_basic.name][:2], (5.0, 25.0))
        self.assertEqual(rows[self.categ_anglo.name][:2], (1.0, 8.0))
        tea = self.Preference.search(
            [("partner_id", "=", self.customer.id), ("product_id", "=", self.tea.id)]
        )
        self.assertEqual(tea.last_date, self.entries_of(order).date)
        self.assertFalse(self._rows(self.other_customer))

    def test_the_till_sync_leaves_preferences_to_the_scheduled_action(self):
        self.sync(self.customer, lines=[(self.tea, 3)])
        self.assertFalse(self.Preference.search([("partner_id", "=", self.customer.id)]))
        self.assertEqual(self._rows()["Tea"][:2], (3.0, 15.0))
        progress = self.env["pos.customer.ledger.progress"].search(
            [("follower", "=", "preferences"), ("company_id", "=", self.company.id)]
        )
        chain = self.env["pos.customer.ledger.chain"].search([("company_id", "=", self.company.id)])
        self.assertEqual(progress.last_sequence, chain.last_sequence)
        before = self._rows()
        self.assertEqual(self.Preference._follow_ledger(), (0, 0), "nothing new: nothing to do")
        self.assertEqual(self._rows(), before)

    def test_the_scheduled_action_follows_in_batches(self):
        for _order in range(3):
            self.sync(self.customer, lines=[(self.tea, 1)])
        self.sync(self.other_customer, lines=[(self.cake, 2)])
        self.env["pos.customer.ledger.progress"]._advance_to_heads("preferences")
        self.sync(self.customer, lines=[(self.tea, 1)])
        self.sync(self.other_customer, lines=[(self.cake, 1)])
        self.assertEqual(self.Preference._follow_ledger(limit=1), (1, 1))
        self.assertFalse(
            self.Preference.search([("partner_id", "=", self.other_customer.id)]),
            "the other customer's sale is in the next batch",
        )
        self.assertEqual(self.Preference._follow_ledger(limit=1), (1, 0))
        self.assertEqual(self._rows()["Tea"][0], 4.0, "a customer is rebuilt from the whole ledger")
        self.assertEqual(self._rows(self.other_customer)["Cake"][0], 3.0)

    def test_a_failed_run_follows_again(self):
        self.sync(self.customer, lines=[(self.tea, 2)])
        with (
            patch.object(type(self.Preference), "_recompute", side_effect=UserError("disk full")),
            self.assertRaises(UserError),
            self.env.cr.savepoint(),
        ):
            self.Preference._follow_ledger()
        self.env.invalidate_all()
        self.assertFalse(self.Preference.search([("partner_id", "=", self.customer.id)]))
        self.assertEqual(self._rows()["Tea"][0], 2.0)

    def test_a_full_rebuild_brings_the_follower_up_to_date(self):
        self.sync(self.customer, lines=[(self.tea, 2)])
        self.env["res.partner"].ledger_recompute_profiles()
        rows = self.Preference.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(rows.mapped("qty"), [2.0, 2.0])
        self.assertEqual(self.Preference._follow_ledger(), (0, 0))

    def test_refunds_count_negative_and_ranks_follow(self):
        self.sync(self.customer, lines=[(self.tea, 1)])
        self.sync(self.customer, lines=[(self.cake, 2)])
        self.assertEqual(self._rows()["Cake"][2], 1)
        self.sync_refund(self.sync(self.customer, lines=[(self.cake, 1)]), self.cash_pm1)
        self.assertEqual(self._rows()["Cake"][:2], (2.0, 16.0))

    def test_nightly_recompute_gives_the_same_profiles(self):
        self.sync(self.customer, lines=[(self.tea, 3), (self.cake, 1)])
        self.sync(self.other_customer, lines=[(self.cake, 4)])
        incremental = (self._rows(), self._rows(self.other_customer))
        self.env["res.partner"].ledger_recompute_profiles()
        self.assertEqual((self._rows(), self._rows(self.other_customer)), incremental)
        self.env["res.partner"].ledger_recompute_profiles(self.customer.ids)
        self.assertEqual((self._rows(), self._rows(self.other_customer)), incremental)

    def test_nightly_recompute_repairs_drifted_rows(self):
        self.sync(self.customer, lines=[(self.tea, 3), (self.cake, 1)])
        expected = self._rows()
        self.env.cr.execute(
            "UPDATE pos_customer_preference SET qty = 99, rank = 7 WHERE partner_id = %s AND product_id = %s",
            [self.customer.id, self.tea.id],
        )
        self.env.cr.execute(
            "INSERT INTO pos_customer_preference (partner_id, company_id, product_id, qty, amount, rank) "
            "VALUES (%s, %s, %s, 1, 1, 3)",
            [self.customer.id, self.company.id, self.product.id],
        )
        self.env["pos.customer.preference"].invalidate_model()
        self.assertNotEqual(self._rows(), expected)
        self.env["res.partner"].ledger_recompute_profiles()
        self.assertEqual(self._rows(), expected)

    def test_only_ledger_staff_see_preferences(self):
        self.sync(self.customer, lines=[(self.tea, 1)])
        self.follow_preferences()
        clerk = new_test_user(self.env, login="preference_clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.Preference.with_user(clerk).search([])
        cashier = new_test_user(self.env, login="preference_cashier", groups="point_of_sale.group_pos_user")
        self.assertTrue(self.Preference.with_user(cashier).search([("partner_id", "=", self.customer.id)]))


@tagged("post_install", "-at_install")
class TestPreferenceNotes(LedgerTestCommon):
    def test_staff_note_preferences_and_only_ledger_staff_see_them(self):
        cashier = new_test_user(
            self.env,
            login="notes_cashier",
            groups="base.group_user,point_of_sale.group_pos_user,base.group_partner_manager",
        )
        partner = self.customer.with_user(cashier)
        partner.write(
            {
                "ledger_preference_note": "Size M; allergic to nuts",
                "ledger_preference_tag_ids": [Command.create({"name": "Prefers no bag"})],
            }
        )
        self.assertEqual(partner.ledger_preference_tag_ids.name, "Prefers no bag")
        self.assertEqual(partner.ledger_preference_note, "Size M; allergic to nuts")
        clerk = new_test_user(self.env, login="notes_clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.customer.with_user(clerk).read(["ledger_preference_note"])
        with self.assertRaises(AccessError):
            self.customer.with_user(clerk).read(["ledger_preference_tag_ids"])
