from datetime import timedelta

from odoo import fields

from odoo.addons.point_of_sale.tests.common import TestPoSCommon


class LedgerTestCommon(TestPoSCommon):
    """The basic POS of TestPoSCommon: cash, bank and pay-later methods; customers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.Entry = cls.env["pos.customer.ledger.entry"]
        cls.customer_contact = cls.env["res.partner"].create(
            {"name": "Buyer", "parent_id": cls.customer.id, "type": "contact"}
        )
        # 10.00 + 7% tax = 10.70 per unit
        cls.product = cls.create_product(
            "Ledger Product", cls.categ_basic, 10.0, tax_ids=cls.taxes["tax7"].ids
        )

    def setUp(self):
        super().setUp()
        self.open_new_session()

    def sync(self, customer, qty=1, payments=None, days_ago=0, is_invoiced=False, lines=None, pricelist=None):
        """Sync one order from the till and return it; with ``pricelist``, sold at its prices."""
        session_pricelist = self.pricelist
        self.pricelist = pricelist or session_pricelist
        try:
            data = self.create_ui_order_data(
                lines or [(self.product, qty)], customer=customer, payments=payments, is_invoiced=is_invoiced
            )
        finally:
            self.pricelist = session_pricelist
        data["pricelist_id"] = (pricelist or session_pricelist).id
        if days_ago:
            data["date_order"] = fields.Datetime.to_string(fields.Datetime.now() - timedelta(days=days_ago))
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def sync_refund(self, order, payment_method):
        line = order.lines[0]
        data = self.create_ui_order_data(
            [{"product": line.product_id, "quantity": -line.qty, "refunded_orderline_id": line.id}],
            customer=order.partner_id,
            payments=[(payment_method, order.amount_total * -1)],
        )
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def entries_of(self, orders):
        return self.Entry.search([("pos_order_id", "in", orders.ids)])

    def close_session(self):
        cash_total = sum(
            self.pos_session.order_ids.payment_ids.filtered(
                lambda p: p.payment_method_id.is_cash_count
            ).mapped("amount")
        )
        self.pos_session.post_closing_cash_details(cash_total)
        return self.pos_session.close_session_from_ui()
