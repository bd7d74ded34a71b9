"""Time invoiced POS refunds with and without pos_customer_ledger, in one run.

What Odoo's TestPosCashRounding tours do at the till: a sale to a customer,
invoiced and paid in cash with cash rounding, then its refund, invoiced too,
each through ``pos.order.sync_from_ui`` in its own transaction. Invoicing
reconciles the invoice with the payment, which runs the ledger's
reconciliation hook. Alternates between the two databases of
bench_pos_sync.py in rounds; prints ms per sale and per refund and the ratio.

    ./dev.sh bench bench/bench_invoiced_refund.py [--pairs 40] [--rounds 4]
"""

import time
import uuid

from common import MainTill, bench_parser, ensure_databases, parse_args

from odoo import Command, api, fields


class InvoicingTill(MainTill):
    """The main POS of one database with cash rounding, invoicing each order."""

    def _configure(self, env, pos_config):
        # as the tours: round totals to 0.05 with a rounding line on the invoice
        company = env.company
        rounding = env["account.cash.rounding"].create(
            {
                "name": "Bench 0.05",
                "rounding": 0.05,
                "rounding_method": "HALF-UP",
                "strategy": "add_invoice_line",
                "profit_account_id": company.default_cash_difference_income_account_id.id,
                "loss_account_id": company.default_cash_difference_expense_account_id.id,
            }
        )
        pos_config.write(
            {"rounding_method": rounding.id, "cash_rounding": True, "only_round_cash_method": False}
        )

    def _set_up(self, env, pos_config):
        company = env.company
        tax = env["account.tax"].search(
            [("company_id", "=", company.id), ("type_tax_use", "=", "sale"), ("amount", ">", 0)], limit=1
        )
        product = env["product.product"].search([("name", "=", "Bench Rounding Product")], limit=1)
        if not product:
            product = env["product.product"].create(
                {
                    "name": "Bench Rounding Product",
                    "available_in_pos": True,
                    "list_price": 13.67,
                    "taxes_id": [Command.set(tax.ids)],
                }
            )
        partner = env["res.partner"].search([("name", "=", "Bench Invoiced Customer")], limit=1)
        partner = partner or env["res.partner"].create({"name": "Bench Invoiced Customer"})
        session = pos_config.current_session_id
        prices = product.taxes_id.compute_all(product.lst_price, session.currency_id, 1, product, partner)
        self.partner_id = partner.id
        self.product_id = product.id
        self.price = product.lst_price
        self.tax_ids = product.taxes_id.ids
        self.incl, self.excl = prices["total_included"], prices["total_excluded"]
        rounding = pos_config.rounding_method
        self.paid = rounding.round(self.incl) if pos_config.cash_rounding else self.incl

    def order(self, sign, n, line_values=None):
        order_uuid = str(uuid.uuid4())
        return {
            "uuid": order_uuid,
            "name": f"Order {order_uuid[:13]}",
            "session_id": self.session_id,
            "partner_id": self.partner_id,
            "user_id": self.uid,
            "pricelist_id": self.pricelist_id,
            "date_order": fields.Datetime.to_string(fields.Datetime.now()),
            "lines": [
                Command.create(
                    {
                        "product_id": self.product_id,
                        "qty": sign,
                        "price_unit": self.price,
                        "price_subtotal": sign * self.excl,
                        "price_subtotal_incl": sign * self.incl,
                        "tax_ids": [Command.set(self.tax_ids)],
                        "uuid": str(uuid.uuid4()),
                        **(line_values or {}),
                    }
                )
            ],
            "amount_total": sign * self.incl,
            "amount_tax": sign * (self.incl - self.excl),
            "amount_paid": sign * self.paid,
            "amount_return": 0,
            "payment_ids": [
                Command.create(
                    {
                        "amount": sign * self.paid,
                        "payment_method_id": self.cash_id,
                        "name": fields.Datetime.now(),
                    }
                )
            ],
            "last_order_preparation_change": "{}",
            "sequence_number": n,
            "to_invoice": True,
        }

    def _sync(self, data):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, self.uid, {})
            began = time.perf_counter()
            result = env["pos.order"].with_context(generate_pdf=False).sync_from_ui([data])
            env.flush_all()
            cr.commit()
            order = env["pos.order"].browse(result["pos.order"][0]["id"])
            return time.perf_counter() - began, order.lines[:1].id

    def sync_pairs(self, count, start):
        """Sync ``count`` invoiced sales and their invoiced refunds; return
        the seconds spent on the sales and on the refunds."""
        sales = refunds = 0.0
        for n in range(start, start + count):
            seconds, line_id = self._sync(self.order(1, 2 * n))
            sales += seconds
            seconds, _line = self._sync(self.order(-1, 2 * n + 1, {"refunded_orderline_id": line_id}))
            refunds += seconds
        return sales, refunds


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=4)
    args = parse_args(parser)
    ensure_databases(args)
    tills = {"without ledger": InvoicingTill(args.db.base), "with ledger": InvoicingTill(args.db.ledger)}
    for till in tills.values():  # warm caches and code paths
        till.sync_pairs(2, 0)
    per_round = args.pairs // args.rounds
    totals = {name: [0.0, 0.0] for name in tills}
    for r in range(args.rounds):
        order = list(tills) if r % 2 == 0 else list(reversed(tills))
        for name in order:
            sales, refunds = tills[name].sync_pairs(per_round, 1000 + r * per_round)
            totals[name][0] += sales
            totals[name][1] += refunds
    count = per_round * args.rounds
    for name, (sales, refunds) in totals.items():
        print(
            f"{name:>15}: {count} invoiced sales {sales / count * 1000:7.1f} ms each, "
            f"refunds {refunds / count * 1000:7.1f} ms each"
        )
    base, ledger = totals["without ledger"], totals["with ledger"]
    print(f"ratio with/without: sales {ledger[0] / base[0]:.3f}, refunds {ledger[1] / base[1]:.3f}")


if __name__ == "__main__":
    main()
