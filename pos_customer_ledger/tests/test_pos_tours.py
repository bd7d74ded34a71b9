from odoo import Command
from odoo.tests import tagged

from .common import LedgerTourCommon


@tagged("post_install", "-at_install", "pos_ledger_tour")
class TestPosLedgerCardTour(LedgerTourCommon):
    """The ledger card at the till, in a headless browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ledger_customer = cls.env["res.partner"].create(
            {
                "name": "Ledger Card Customer",
                "ledger_preference_note": "Oat milk, no sugar",
                "ledger_preference_tag_ids": [Command.create({"name": "Regular", "color": 4})],
            }
        )
        cls.tea, cls.cake = cls.env["product.product"].create(
            [
                {"name": "Ledger Tea", "list_price": 4.0, "available_in_pos": True, "taxes_id": False},
                {"name": "Ledger Cake", "list_price": 12.0, "available_in_pos": True, "taxes_id": False},
            ]
        )

    def setUp(self):
        super().setUp()
        self.open_till()
        # every 10 days, last 30 days ago: at risk of churning
        self.sync_till_order(self.ledger_customer, [(self.tea, 3)], days_ago=40)
        self.sync_till_order(self.ledger_customer, [(self.cake, 1)], self.customer_account, days_ago=30)
        self.assertAlmostEqual(self.ledger_customer.ledger_balance, 12.0)
        self.follow_preferences()
        # as the nightly scoring would
        self.ledger_customer.with_company(self.config.company_id).rfm_segment = "at_risk"

    def test_ledger_card_at_the_till(self):
        self.start_pos_tour("pos_customer_ledger_card_tour")

    def test_cashier_without_ledger_access_is_told_so(self):
        ledger_groups = (
            self.env.ref("pos_customer_ledger.group_ledger_user")
            | self.env.ref("pos_customer_ledger.group_ledger_auditor")
            | self.env.ref("pos_customer_ledger.group_ledger_manager")
        )
        # cashiers are ledger users by default; this shop decided otherwise
        self.env.ref("point_of_sale.group_pos_user").implied_ids -= ledger_groups
        self.pos_user.groups_id -= ledger_groups
        self.assertFalse(self.pos_user.has_group("pos_customer_ledger.group_ledger_user"))
        self.assertTrue(self.pos_user.has_group("point_of_sale.group_pos_user"))
        self.start_pos_tour("pos_customer_ledger_card_denied_tour")
