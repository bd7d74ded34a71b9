from collections import Counter
from contextvars import ContextVar

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, create_index

from ..tools.posting_rules import (
    is_pay_later,
    overpayment_error,
    pays_beyond_dues,
    pays_later_sql,
    pos_order_kind,
    posts_order,
)
from ..tools.validation import check_amount, date_error, fits_any_currency
from .pos_customer_ledger_chain import ChainHead

# the ids of the orders posted during the current _process_saved_order
_posted_in_sync = ContextVar("pos_customer_ledger_posted_in_sync", default=None)


class PosOrder(models.Model):
    _inherit = "pos.order"

    def init(self):
        res = super().init()
        # the promotion report filters a pricelist's orders by date; company,
        # customer and date have Odoo's own indexes, and every further index
        # on pos_order slows each till sync
        create_index(
            self.env.cr, "pos_order_pricelist_date_order_idx", self._table, ["pricelist_id", "date_order"]
        )
        return res

    def write(self, vals):
        sessions = self.session_id
        result = super().write(vals)
        self.env["pos.finance.fact"]._unsummarize_changed(self, vals, sessions | self.session_id)
        return result

    @api.model
    def _process_order(self, order, existing_order):
        if order.get("partner_id") and order.get("state") != "draft":
            self._ledger_check_till_amounts(order)
        return super()._process_order(order, existing_order)

    @api.model
    def _ledger_check_till_amounts(self, order):
        """Refuse, before anything is written, a customer's order from the till
        whose amounts the ledger cannot store exactly: the whole sync is then
        rolled back. The ORM would fail on text or post what it cannot hold."""
        payments = [command[2] for command in order.get("payment_ids") or () if command[0] == 0]
        names = ("amount_total", "amount_tax", "amount_paid", "amount_return")
        amounts = [order.get(name) or 0.0 for name in names]
        amounts += [payment.get("amount") or 0.0 for payment in payments]
        if all(fits_any_currency(amount) for amount in amounts):
            return  # the usual case: no need to read the session's currency
        currency = self.env["pos.session"].browse(order["session_id"]).currency_id
        for amount in amounts:
            check_amount(self.env, amount, currency)

    def action_pos_order_paid(self):
        res = super().action_pos_order_paid()
        self._ledger_post()
        return res

    def _process_saved_order(self, draft):
        if draft:
            return super()._process_saved_order(draft)
        self._ledger_check_settlement()
        posted = set()
        token = _posted_in_sync.set(posted)
        try:
            res = super()._process_saved_order(draft)
        finally:
            _posted_in_sync.reset(token)
        # The parent swallows errors raised in action_pos_order_paid: posting
        # again what that did not post raises them.
        self.filtered(lambda order: order.id not in posted)._ledger_post()
        return res

    def _ledger_check_settlement(self):
        """Refuse a payment into the customer account that cannot be taken; the
        whole sync is then rolled back, so nothing of it is written.

        An order without products paid partly by a negative customer-account
        payment settles dues; beyond the dues it is a deposit that leaves the
        customer in credit, as Odoo allows. A company that refuses payments
        beyond the dues refuses every order, with or without products, that
        pays so much into the account that the balance would fall below zero.
        """
        self.ensure_one()
        company = self.company_id
        if self.lines and not company.ledger_refuse_overpayment:
            return
        customer_account = self.payment_ids.filtered(lambda payment: is_pay_later(payment.payment_method_id))
        if not customer_account:
            return
        _ = self.env._
        currency = company.currency_id
        amount = -self.currency_id._convert(
            sum(customer_account.mapped("amount")), currency, company, self.date_order, round=True
        )
        if not self.lines:
            if not self.partner_id:
                raise UserError(_("Select the customer whose dues are settled."))
            if currency.compare_amounts(amount, 0.0) <= 0:
                raise UserError(_("The amount to settle must be positive."))
            if not all(customer_account.payment_method_id.mapped("split_transactions")):
                raise UserError(
                    _(
                        "Dues are settled on a customer account payment method, "
                        "one that identifies the customer."
                    )
                )
            if self.to_invoice:
                raise UserError(_("A settlement of dues cannot be invoiced."))
        if not (
            company.ledger_refuse_overpayment
            and self.partner_id
            and currency.compare_amounts(amount, 0.0) > 0
        ):
            return
        partner = self.partner_id.commercial_partner_id
        # the lock held until commit: two tills cannot both take the same dues
        owed = self.env["pos.customer.ledger.chain"].sudo()._lock_head(company.id, partner.id).partner_balance
        if pays_beyond_dues(currency, amount, owed):
            raise UserError(overpayment_error(self.env, partner, owed, amount, currency))

    def _generate_pos_order_invoice(self):
        res = super()._generate_pos_order_invoice()
        self._ledger_link_invoices()
        return res

    def _ledger_post(self):
        orders = self.filtered(posts_order)
        entries = self.env["pos.customer.ledger.entry"].sudo()._post_pos_orders(orders)
        posted = _posted_in_sync.get()
        if posted is not None:
            posted.update(orders.ids)
        return entries

    def _ledger_link_invoices(self):
        entries = (
            self.env["pos.customer.ledger.entry"]
            .sudo()
            .search(
                [
                    ("pos_order_id", "in", self.filtered("account_move").ids),
                    "|",
                    ("move_id", "=", False),
                    ("receivable_line_id", "=", False),
                ]
            )
        )
        for entry in entries:
            invoice = entry.pos_order_id.account_move
            receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")[:1]
            links = {"move_id": invoice.id, "receivable_line_id": receivable.id}
            entry.write({name: value for name, value in links.items() if value and not entry[name]})

    def _prepare_ledger_postings(self):
        """Everything posting these orders needs, read once: per order, the
        values of its entry (in company currency, signed), its payments per
        method for the customer's habits, and its company's chain head,
        locked and read in the same statement (POSTING_EXTRAS of the entry
        model). An order posted before is skipped by the posting itself,
        under that lock (pos.customer.ledger.entry._post_rows).

        One query for all orders: loading partners and payment journals
        through the ORM costs a till sync several times more, and every
        statement costs a till sync its planning.
        """
        self.flush_recordset(["partner_id"])
        self.payment_ids.flush_recordset(["amount", "payment_method_id", "pos_order_id"])
        self.partner_id.flush_recordset(["commercial_partner_id"])
        self.env["pos.order.line"].flush_model(["order_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT o.id, partner.commercial_partner_id, payments.amount_due, payments.method_ids,
                       EXISTS (SELECT FROM pos_order_line line WHERE line.order_id = o.id), head.*
                  FROM pos_order o
                  JOIN res_partner partner ON partner.id = o.partner_id
                  CROSS JOIN LATERAL (
                      SELECT COALESCE(SUM(payment.amount) FILTER (WHERE %(pays_later)s), 0) AS amount_due,
                             array_agg(payment.payment_method_id) AS method_ids
                        FROM pos_payment payment
                        JOIN pos_payment_method method ON method.id = payment.payment_method_id
                        LEFT JOIN account_journal journal ON journal.id = method.journal_id
                       WHERE payment.pos_order_id = o.id
                  ) payments
                  LEFT JOIN LATERAL (%(head)s) head ON TRUE
                 WHERE o.id = ANY(%(orders)s)
                """,
                pays_later=pays_later_sql("journal"),
                head=self.env["pos.customer.ledger.chain"]._head_sql(
                    SQL("o.company_id"), SQL("partner.commercial_partner_id")
                ),
                orders=self.ids,
            )
        )
        read = {order_id: values for order_id, *values in rows}
        return [order._ledger_posting(*read[order.id]) for order in self]

    def _ledger_posting(self, commercial_partner_id, amount_due, method_ids, has_lines, *head):
        """This order's posting from what _prepare_ledger_postings read."""
        self.ensure_one()
        company = self.company_id
        currency = company.currency_id

        def to_company(amount):
            amount = check_amount(self.env, amount, self.currency_id)
            return check_amount(
                self.env,
                self.currency_id._convert(amount, currency, company, self.date_order, round=True),
                currency,
            )

        refunded_order = self.refunded_order_id[:1]
        amount_total = to_company(self.amount_total)
        amount_tax = to_company(self.amount_tax)
        amount_due = to_company(amount_due)
        date, note = self.date_order, False
        if date_error(self.env, date):
            # Odoo keeps the order as the till sent it; the ledger flags the date
            # instead of posting it (or losing the sale)
            note = self.env._(
                "Till date %(date)s is implausible; posted at sync time.",
                date=fields.Datetime.to_string(date),
            )
            date = fields.Datetime.now()
        return {
            "company_id": company.id,
            "partner_id": commercial_partner_id,
            "date": date,
            "kind": pos_order_kind(has_lines, refunded_order.id, amount_total, amount_due),
            "pos_order_id": self.id,
            "refunded_order_id": refunded_order.id,
            "session_id": self.session_id.id,
            "config_id": self.config_id.id,
            "user_id": self.user_id.id,
            "amount_untaxed": currency.round(amount_total - amount_tax),
            "amount_tax": amount_tax,
            "amount_total": amount_total,
            "amount_due": amount_due,
            "move_id": self.account_move.id,
            "note": note,
            "payment_method_counts": dict(Counter(str(method_id) for method_id in method_ids or ())),
            # none yet for a company's first posting
            "head": ChainHead(*head) if head[0] is not None else None,
        }
