import random
import uuid
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models

from ..tools import dates
from ..tools.posting_rules import is_pay_later

# The demo bakery's customers (demo XML ids) and their habits: visits per week,
# share of visits on the customer account, quantities bought.
DEMO_CUSTOMERS = {
    "demo_customer_green_cafe": (3.5, 1.0, (6, 20)),
    "demo_customer_wang": (2.0, 0.3, (1, 3)),
    "demo_customer_li": (1.5, 0.6, (1, 3)),
    "demo_customer_chen": (1.5, 0.0, (1, 3)),
    "demo_customer_miller": (1.0, 0.4, (1, 2)),
}
DEMO_DRAWER_FLOAT = 500.0


class PosConfig(models.Model):
    _inherit = "pos.config"

    @api.model
    def _ledger_demo_install_chinese(self):
        """Demo data: Chinese (zh_CN) with its translations, for the Chinese customers."""
        lang = self.env["res.lang"]._activate_lang("zh_CN")
        self.env["base.language.install"].create(
            {"lang_ids": [Command.set(lang.ids)], "overwrite": False}
        ).lang_install()

    @api.model
    def _ledger_load_demo_history(self):
        """Demo data: a Chinese shop's till from the first day of last month to
        today, last month closed.

        Everything goes through the models' own paths: orders through
        ``sync_from_ui`` like the till's (walk-in and customer cash sales,
        customer-account sales, settlements of dues, a deposit, a refund of a
        cash sale, sales at a promotion pricelist), a weekly session whose
        takings go to the bank leaving the drawer's float, and last month
        closed by its closing's ``action_close``.
        """
        # the bakery suits a customer ledger: a café buying on account, regulars
        config = self.env.ref("point_of_sale.pos_config_bakery", raise_if_not_found=False) or self.env.ref(
            "point_of_sale.pos_config_main", raise_if_not_found=False
        )
        if not config or config.current_session_id:
            return
        # demo data loads as the superuser, who may not open a POS session
        self = self.with_user(self.env.ref("base.user_admin"))
        config = config.with_env(self.env)
        company = config.company_id
        self._ledger_demo_adjustment_settings(company)
        methods = self._ledger_demo_payment_methods(config)
        promotion = self.env.ref("pos_customer_ledger.demo_pricelist_members_week")
        config.write(
            {
                "use_pricelist": True,
                "available_pricelist_ids": [
                    Command.link(pricelist.id) for pricelist in config.pricelist_id | promotion
                ],
            }
        )
        categories = [
            self.env.ref(xmlid, raise_if_not_found=False)
            for xmlid in ("point_of_sale.pos_category_breads", "point_of_sale.pos_category_pastries")
        ]
        domain = [("available_in_pos", "=", True), ("list_price", ">", 0)]
        products = self.env["product.product"].search(
            [*domain, ("pos_categ_ids", "in", [category.id for category in categories if category])],
            order="id",
        ) or self.env["product.product"].search(domain, order="list_price, id", limit=12)
        today = dates.company_today(company)
        first_day = today.replace(day=1) - relativedelta(months=1)
        # the promotion: a members' week in this month, before the last days
        promotion_days = {today - timedelta(days=n) for n in range(8, 15)}
        rng = random.Random(13)
        habits = dict(DEMO_CUSTOMERS)
        day = first_day
        while day <= today:
            week = [day + timedelta(days=n) for n in range(7) if day + timedelta(days=n) <= today]
            self._ledger_demo_week(config, week, products, methods, habits, promotion_days, promotion, rng)
            day = week[-1] + timedelta(days=1)
        closing = self.env["pos.customer.ledger.closing"].create(
            {"company_id": company.id, "date_from": first_day}
        )
        closing.action_close()
        # the scheduled action would bring the favourites up within minutes
        self.env["pos.customer.preference"].sudo()._follow_ledger()

    @api.model
    def _ledger_demo_adjustment_settings(self, company):
        """Adjustments booked in the miscellaneous journal, against an expense
        account, so the adjustment wizard works out of the box."""
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "general"), ("code", "=", "MISC")], limit=1
        ) or self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "general")], limit=1
        )
        account = self.env["account.account"].search(
            [*self.env["account.account"]._check_company_domain(company), ("account_type", "=", "expense")],
            limit=1,
        )
        if journal and account and not company.ledger_adjustment_journal_id:
            company.write(
                {"ledger_adjustment_journal_id": journal.id, "ledger_adjustment_account_id": account.id}
            )

    @api.model
    def _ledger_demo_payment_methods(self, config):
        cash = config.payment_method_ids.filtered("is_cash_count")[:1]
        pay_later = config.payment_method_ids.filtered(is_pay_later)[:1]
        if not pay_later:
            pay_later = self.env["pos.payment.method"].create(
                {"name": self.env._("Customer Account"), "split_transactions": True}
            )
            config.payment_method_ids = [Command.link(pay_later.id)]
        card = config.payment_method_ids.filtered(
            lambda method: not method.is_cash_count and method.journal_id.type == "bank"
        )[:1]
        return {"cash": cash, "card": card or cash, "pay_later": pay_later}

    @api.model
    def _ledger_demo_week(self, config, week, products, methods, habits, promotion_days, promotion, rng):
        """One session of the till over ``week``: its orders synced, the
        takings beyond the float taken to the bank, the drawer counted, closed."""
        company = config.company_id
        config.open_ui()
        session = config.current_session_id
        session.set_opening_control(session.cash_register_balance_start or DEMO_DRAWER_FLOAT, None)
        customers = {xmlid: self.env.ref(f"pos_customer_ledger.{xmlid}") for xmlid in DEMO_CUSTOMERS}
        cash, card, pay_later = methods["cash"], methods["card"], methods["pay_later"]
        today = dates.company_today(company)
        now = fields.Datetime.now()

        def at(day, hour):
            moment = dates.to_utc(company, datetime.combine(day, time(hour, rng.randint(0, 59))))
            # today's orders are in the past hours
            return min(moment, now - timedelta(minutes=rng.randint(5, 120)))

        def basket(quantities=(1, 3)):
            return [(rng.choice(products), rng.randint(*quantities)) for _i in range(rng.randint(1, 4))]

        def sync(*orders):
            # in the order of the day, as a till syncs them: nothing looks back-dated
            result = self.env["pos.order"].sync_from_ui(
                sorted(orders, key=lambda order: order["date_order"])
            )["pos.order"]
            return self.env["pos.order"].browse([order["id"] for order in result])

        for day in week:
            pricelist = promotion if day in promotion_days else config.pricelist_id
            orders = []
            # walk-in customers pay cash or by card
            for _i in range(rng.randint(3, 6)):
                orders.append(
                    self._ledger_demo_order(
                        session,
                        None,
                        at(day, rng.randint(9, 18)),
                        basket(),
                        rng.choice([cash, card]),
                        pricelist,
                    )
                )
            for xmlid, (visits, on_account, quantities) in habits.items():
                if rng.random() < visits / 7:
                    method = pay_later if rng.random() < on_account else rng.choice([cash, card])
                    orders.append(
                        self._ledger_demo_order(
                            session,
                            customers[xmlid],
                            at(day, rng.randint(9, 18)),
                            basket(quantities),
                            method,
                            pricelist,
                        )
                    )
            sync(*orders)
            if day == today:
                # today's customer-account sales: dues not due yet, whatever the terms
                sync(
                    self._ledger_demo_order(
                        session,
                        customers["demo_customer_green_cafe"],
                        at(day, 10),
                        basket((6, 20)),
                        pay_later,
                    ),
                    self._ledger_demo_order(
                        session, customers["demo_customer_li"], at(day, 11), basket(), pay_later
                    ),
                )
            if day.weekday() == 4:
                # on Fridays the café pays most of its dues by card; Mr Li pays some in cash
                # after the day's sales (until 18:59)
                self._ledger_demo_settle(
                    session, customers["demo_customer_green_cafe"], 0.8, card, pay_later, at(day, 19)
                )
                self._ledger_demo_settle(
                    session, customers["demo_customer_li"], 0.5, cash, pay_later, at(day, 20)
                )
            if day == today - timedelta(days=20):
                # Ms Chen pays a deposit into her account, spent on later visits
                sync(
                    self._ledger_demo_payment(
                        session, customers["demo_customer_chen"], 100.0, cash, pay_later, at(day, 19)
                    )
                )
                habits["demo_customer_chen"] = (1.5, 1.0, (1, 3))
            if day == today - timedelta(days=5):
                # Ms Wang brings back an item of a cash sale: refunded in cash
                sale = self.env["pos.order"].search(
                    [
                        ("partner_id", "=", customers["demo_customer_wang"].id),
                        ("config_id", "=", config.id),
                        ("payment_ids.payment_method_id", "=", cash.id),
                        ("lines.qty", ">", 0),
                    ],
                    order="date_order desc",
                    limit=1,
                )
                if sale:
                    line = sale.lines[:1]
                    sync(
                        self._ledger_demo_order(
                            session,
                            sale.partner_id,
                            at(day, 15),
                            [(line.product_id, -line.qty, {"refunded_orderline_id": line.id})],
                            cash,
                            sale.pricelist_id,
                            price_unit=line.price_unit,
                        )
                    )
        self._ledger_demo_close(session, week, company, cash)

    @api.model
    def _ledger_demo_settle(self, session, partner, share, method, pay_later, date):
        """A settlement of ``share`` of the customer's dues, if they owe any."""
        stat = self.env["pos.customer.ledger.partner.stat"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", session.company_id.id)], limit=1
        )
        stat.invalidate_recordset(["balance"])  # the postings update it in SQL
        amount = session.currency_id.round(stat.balance * share)
        if amount > 0:
            self.env["pos.order"].sync_from_ui(
                [self._ledger_demo_payment(session, partner, amount, method, pay_later, date)]
            )

    @api.model
    def _ledger_demo_payment(self, session, partner, amount, method, pay_later, date):
        """A payment into the customer account, as the till's Settle Dues sends it."""
        order = self._ledger_demo_order(session, partner, date, [], method)
        order.update(
            amount_total=0.0,
            amount_tax=0.0,
            amount_paid=0.0,
            payment_ids=[
                Command.create(
                    {"amount": amount, "payment_method_id": method.id, "name": fields.Datetime.now()}
                ),
                Command.create(
                    {"amount": -amount, "payment_method_id": pay_later.id, "name": fields.Datetime.now()}
                ),
            ],
        )
        return order

    @api.model
    def _ledger_demo_close(self, session, week, company, cash):
        """Count the drawer and close: the takings beyond the float go to the bank."""
        session.write(
            {
                "start_at": dates.to_utc(company, datetime.combine(week[0], time(8))),
                "stop_at": min(
                    dates.to_utc(company, datetime.combine(week[-1], time(21))), fields.Datetime.now()
                ),
            }
        )
        expected = session.cash_register_balance_start + sum(
            session.order_ids.payment_ids.filtered(lambda p: p.payment_method_id == cash).mapped("amount")
        )
        takings = session.currency_id.round(expected - DEMO_DRAWER_FLOAT)
        if takings > 0:
            session.try_cash_in_out(
                "out", takings, self.env._("Takings to the bank"), {"translatedType": self.env._("out")}
            )
            expected -= takings
        session.post_closing_cash_details(session.currency_id.round(expected))
        session.close_session_from_ui()

    @api.model
    def _ledger_demo_order(
        self, session, partner, date, lines, payment_method, pricelist=None, price_unit=None
    ):
        pricelist = pricelist or session.config_id.pricelist_id
        order_lines = []
        for product, qty, *extra in lines:
            taxes = product.taxes_id.filtered(lambda tax: tax.company_id == session.company_id)
            price = price_unit if price_unit is not None else pricelist._get_product_price(product, abs(qty))
            prices = taxes.compute_all(price, session.currency_id, qty, product, partner)
            order_lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "qty": qty,
                        "price_unit": price,
                        "price_subtotal": prices["total_excluded"],
                        "price_subtotal_incl": prices["total_included"],
                        "tax_ids": [Command.set(taxes.ids)],
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
            "partner_id": partner.id if partner else False,
            "user_id": self.env.uid,
            "pricelist_id": pricelist.id,
            "date_order": fields.Datetime.to_string(date),
            "lines": order_lines,
            "amount_total": total,
            "amount_tax": total - untaxed,
            "amount_paid": total,
            "amount_return": 0,
            "payment_ids": [
                Command.create(
                    {"amount": total, "payment_method_id": payment_method.id, "name": fields.Datetime.now()}
                )
            ],
            "last_order_preparation_change": "{}",
            "sequence_number": 1,
            "to_invoice": False,
        }
