import random
import uuid
from datetime import timedelta

from odoo import api, fields, models

from ..tools.posting_rules import is_pay_later


class PosConfig(models.Model):
    _inherit = "pos.config"

    @api.model
    def _ledger_load_demo_history(self, partner_ids, days=28):
        """Demo data: a few weeks of till history for the demo customers.

        Orders go through ``sync_from_ui`` like the till's, so the ledger is
        posted by the real hooks: cash and pay-later sales and one refund.
        """
        config = self.env.ref("point_of_sale.pos_config_main", raise_if_not_found=False)
        if not config or config.current_session_id:
            return
        # demo data loads as the superuser, who may not open a POS session
        self = self.with_user(self.env.ref("base.user_admin"))
        config = config.with_env(self.env)
        cash = config.payment_method_ids.filtered("is_cash_count")[:1]
        pay_later = config.payment_method_ids.filtered(is_pay_later)[:1]
        if not pay_later:
            pay_later = self.env["pos.payment.method"].create(
                {"name": self.env._("Customer Account"), "split_transactions": True}
            )
            config.payment_method_ids = [fields.Command.link(pay_later.id)]
        products = self.env["product.product"].search(
            [("available_in_pos", "=", True), ("list_price", ">", 0)], order="id", limit=10
        )
        partners = self.env["res.partner"].browse(partner_ids)
        config.open_ui()
        session = config.current_session_id
        session.set_opening_control(0, None)
        rng = random.Random(18)
        now = fields.Datetime.now()
        orders = []
        for day in range(days, 0, -1):
            for partner in partners:
                if rng.random() < 0.35:
                    date = now - timedelta(days=day, hours=rng.randint(0, 8))
                    lines = [(rng.choice(products), rng.randint(1, 3)) for _i in range(rng.randint(1, 4))]
                    on_account = partner == partners[0] or rng.random() < 0.2
                    orders.append(
                        self._ledger_demo_order(
                            session, partner, date, lines, pay_later if on_account else cash
                        )
                    )
        order_ids = [o["id"] for o in self.env["pos.order"].sync_from_ui(orders)["pos.order"]]
        refunded = self.env["pos.order"].browse(order_ids[0])
        refund_lines = [
            (line.product_id, -line.qty, {"refunded_orderline_id": line.id}) for line in refunded.lines[:1]
        ]
        self.env["pos.order"].sync_from_ui(
            [
                self._ledger_demo_order(
                    session, refunded.partner_id, now - timedelta(days=1), refund_lines, cash
                )
            ]
        )
        cash_total = sum(
            session.order_ids.payment_ids.filtered(lambda p: p.payment_method_id == cash).mapped("amount")
        )
        session.post_closing_cash_details(cash_total)
        session.close_session_from_ui()

    @api.model
    def _ledger_demo_order(self, session, partner, date, lines, payment_method):
        order_lines = []
        for product, qty, *extra in lines:
            taxes = product.taxes_id.filtered(lambda tax: tax.company_id == session.company_id)
            prices = taxes.compute_all(product.lst_price, session.currency_id, qty, product, partner)
            order_lines.append(
                fields.Command.create(
                    {
                        "product_id": product.id,
                        "qty": qty,
                        "price_unit": product.lst_price,
                        "price_subtotal": prices["total_excluded"],
                        "price_subtotal_incl": prices["total_included"],
                        "tax_ids": [fields.Command.set(taxes.ids)],
                        "uuid": str(uuid.uuid4()),
                        **(extra[0] if extra else {}),
                    }
                )
            )
        total = session.currency_id.round(sum(line[2]["price_subtotal_incl"] for line in order_lines))
        untaxed = sum(line[2]["price_subtotal"] for line in order_lines)
        order_uuid = str(uuid.uuid4())
        return {
            "uuid": order_uuid,
            "name": f"Order {order_uuid[:13]}",
            "session_id": session.id,
            "partner_id": partner.id,
            "user_id": self.env.uid,
            "pricelist_id": session.config_id.pricelist_id.id,
            "date_order": fields.Datetime.to_string(date),
            "lines": order_lines,
            "amount_total": total,
            "amount_tax": total - untaxed,
            "amount_paid": total,
            "amount_return": 0,
            "payment_ids": [
                fields.Command.create(
                    {"amount": total, "payment_method_id": payment_method.id, "name": fields.Datetime.now()}
                )
            ],
            "last_order_preparation_change": "{}",
            "sequence_number": 1,
            "to_invoice": False,
        }
