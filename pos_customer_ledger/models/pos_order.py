from odoo import models
from odoo.tools import SQL, create_index

LEDGER_STATES = ("paid", "done", "invoiced")


class PosOrder(models.Model):
    _inherit = "pos.order"

    def init(self):
        super().init()
        # the promotion report filters a company's or a pricelist's orders by
        # date, and finds each customer's first and next orders
        for name, columns, where in (
            ("pos_order_company_date_order_idx", ["company_id", "date_order"], ""),
            ("pos_order_pricelist_date_order_idx", ["pricelist_id", "date_order"], ""),
            ("pos_order_partner_date_order_idx", ["partner_id", "date_order"], "partner_id IS NOT NULL"),
        ):
            create_index(self.env.cr, name, self._table, columns, where=where)

    def action_pos_order_paid(self):
        res = super().action_pos_order_paid()
        self._ledger_post()
        return res

    def _process_saved_order(self, draft):
        res = super()._process_saved_order(draft)
        # The parent swallows errors raised in action_pos_order_paid; posting
        # again here is a no-op when that worked and raises when it did not.
        if not draft:
            self._ledger_post()
        return res

    def _generate_pos_order_invoice(self):
        res = super()._generate_pos_order_invoice()
        self._ledger_link_invoices()
        return res

    def _ledger_post(self):
        orders = self.filtered(lambda order: order.partner_id and order.state in LEDGER_STATES)
        return self.env["pos.customer.ledger.entry"].sudo()._post_pos_orders(orders)

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

    def _prepare_ledger_entry_vals(self):
        """Financial values of this order's entry, in company currency, signed."""
        self.ensure_one()
        company = self.company_id
        currency = company.currency_id

        def to_company(amount):
            return self.currency_id._convert(amount, currency, company, self.date_order, round=True)

        # One query instead of loading the partner and the payment journals: this
        # runs in every till sync. Pay-later methods are those without a cash or
        # bank journal, as in pos.payment.method._compute_type.
        self.payment_ids.flush_recordset(["amount", "payment_method_id"])
        self.partner_id.flush_recordset(["commercial_partner_id"])
        [(commercial_partner_id, amount_due)] = self.env.execute_query(
            SQL(
                """
                SELECT partner.commercial_partner_id,
                       (SELECT COALESCE(SUM(payment.amount), 0)
                          FROM pos_payment payment
                          JOIN pos_payment_method method ON method.id = payment.payment_method_id
                          LEFT JOIN account_journal journal ON journal.id = method.journal_id
                         WHERE payment.pos_order_id = %(order)s
                           AND journal.type IS DISTINCT FROM 'cash'
                           AND journal.type IS DISTINCT FROM 'bank')
                  FROM res_partner partner
                 WHERE partner.id = %(partner)s
                """,
                order=self.id,
                partner=self.partner_id.id,
            )
        )
        refunded_order = self.refunded_order_id[:1]
        amount_total = to_company(self.amount_total)
        amount_tax = to_company(self.amount_tax)
        return {
            "company_id": company.id,
            "partner_id": commercial_partner_id,
            "date": self.date_order,
            "kind": "refund" if refunded_order or self.amount_total < 0 else "sale",
            "pos_order_id": self.id,
            "refunded_order_id": refunded_order.id,
            "session_id": self.session_id.id,
            "config_id": self.config_id.id,
            "user_id": self.user_id.id,
            "amount_untaxed": currency.round(amount_total - amount_tax),
            "amount_tax": amount_tax,
            "amount_total": amount_total,
            "amount_due": to_company(amount_due),
            "move_id": self.account_move.id,
        }
