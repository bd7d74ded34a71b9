from uuid import uuid4

from odoo import fields
from odoo.tests import tagged

from .common import LedgerTourCommon


@tagged("post_install", "-at_install", "pos_ledger_tour")
class TestPosSettleDuesTour(LedgerTourCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the common setup books customers on the POS receivable; dues need their own
        cls.debtor = cls.env["res.partner"].create(
            {
                "name": "Ledger Debtor",
                "property_account_receivable_id": cls.company_data["default_account_receivable"].id,
            }
        )
        cls.dues_product = cls.env["product.product"].create(
            {"name": "Ledger Dues Product", "available_in_pos": True, "list_price": 50.0, "taxes_id": False}
        )

    def _sync_dues_sale(self, session, debtor=None):
        """A sale of 50.00 put on the debtor's customer account."""
        order = {
            "uuid": str(uuid4()),
            "name": "Order dues",
            "session_id": session.id,
            "partner_id": (debtor or self.debtor).id,
            "pricelist_id": self.main_pos_config.pricelist_id.id,
            "fiscal_position_id": False,
            "user_id": self.pos_user.id,
            "sequence_number": 1,
            "date_order": fields.Datetime.to_string(fields.Datetime.now()),
            "amount_total": 50.0,
            "amount_tax": 0.0,
            "amount_paid": 50.0,
            "amount_return": 0.0,
            "to_invoice": False,
            "last_order_preparation_change": "{}",
            "lines": [
                (
                    0,
                    0,
                    {
                        "product_id": self.dues_product.id,
                        "qty": 1,
                        "price_unit": 50.0,
                        "price_subtotal": 50.0,
                        "price_subtotal_incl": 50.0,
                        "tax_ids": [],
                    },
                )
            ],
            "payment_ids": [
                (
                    0,
                    0,
                    {
                        "amount": 50.0,
                        "payment_method_id": self.customer_account.id,
                        "name": fields.Datetime.to_string(fields.Datetime.now()),
                    },
                )
            ],
        }
        self.env["pos.order"].sync_from_ui([order])

    def _settle_part_of_the_dues(self, debtor, tour):
        """Settle 20.00 of the debtor's 50.00 in cash through ``tour``; return the session."""
        Entry = self.env["pos.customer.ledger.entry"]
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        session.set_opening_control(0, None)
        self._sync_dues_sale(session, debtor)
        self.assertAlmostEqual(debtor.ledger_balance, 50.0)

        self.start_pos_tour(tour)

        settlement = self.env["pos.order"].search(
            [("session_id", "=", session.id), ("partner_id", "=", debtor.id), ("lines", "=", False)]
        )
        self.assertRecordValues(settlement, [{"state": "paid", "to_invoice": False, "account_move": False}])
        self.assertRecordValues(
            Entry.search([("pos_order_id", "=", settlement.id)]),
            [{"kind": "payment", "amount_total": 0.0, "amount": 20.0, "amount_due": -20.0, "balance": 30.0}],
        )
        self.assertAlmostEqual(debtor.ledger_balance, 30.0)
        return session

    def test_settle_a_company_customers_dues(self):
        """Odoo ticks Invoice for a company customer; a settlement stays uninvoiced."""
        cafe = self.env["res.partner"].create(
            {
                "name": "Ledger Debtor Cafe",
                "is_company": True,
                "property_account_receivable_id": self.company_data["default_account_receivable"].id,
            }
        )
        session = self._settle_part_of_the_dues(cafe, "pos_customer_ledger_settle_dues_company")
        session.post_closing_cash_details(20.0)
        session.close_session_from_ui()
        self.assertEqual(session.state, "closed")
        self.assertEqual(self.env["pos.customer.ledger.entry"].reconcile_with_accounting(), [])

    def test_settle_part_of_the_dues_in_cash(self):
        Entry = self.env["pos.customer.ledger.entry"]
        session = self._settle_part_of_the_dues(self.debtor, "pos_customer_ledger_settle_dues")
        self.assertAlmostEqual(self.debtor.ledger_balance, 30.0)
        self.assertAlmostEqual(session.cash_register_balance_end, 20.0)

        session.post_closing_cash_details(20.0)
        session.close_session_from_ui()
        self.assertEqual(session.state, "closed")
        self.assertEqual(Entry.reconcile_with_accounting(), [])
        self.assertAlmostEqual(self.debtor.ledger_balance, 30.0)

    def test_deposit_without_dues_shows_a_credit(self):
        saver = self.env["res.partner"].create({"name": "Ledger Saver"})
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        session.set_opening_control(0, None)

        self.start_pos_tour("pos_customer_ledger_deposit")

        deposit = self.env["pos.order"].search(
            [("session_id", "=", session.id), ("partner_id", "=", saver.id)]
        )
        self.assertRecordValues(
            self.env["pos.customer.ledger.entry"].search([("pos_order_id", "=", deposit.id)]),
            [{"kind": "payment", "amount_due": -30.0, "balance": -30.0}],
        )
        self.assertEqual((saver.ledger_balance, saver.ledger_credit), (-30.0, 30.0))

    def test_customer_account_sale_says_the_ledger_follows_the_dues(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        session = self.main_pos_config.current_session_id
        session.set_opening_control(0, None)

        self.start_pos_tour("pos_customer_ledger_account_sale")

        sale = self.env["pos.order"].search(
            [("session_id", "=", session.id), ("partner_id", "=", self.debtor.id)]
        )
        self.assertRecordValues(
            self.env["pos.customer.ledger.entry"].search([("pos_order_id", "=", sale.id)]),
            [{"kind": "sale", "amount": 50.0, "amount_due": 50.0, "balance": 50.0}],
        )
