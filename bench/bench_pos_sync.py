"""Time POS order sync with and without pos_customer_ledger, in one run.

Two databases hold the same Odoo with point_of_sale and demo data; one also
has pos_customer_ledger. Orders with a customer (half of them on the customer
account) go through ``pos.order.sync_from_ui`` one per transaction, as the
till sends them, alternating between the two databases in rounds so that
machine noise hits both alike. Prints ms per order and the ratio, in wall
clock time and in CPU time (this process's thread and its PostgreSQL server
process): on a machine shared with other jobs, the wall clock mostly
measures waiting for a core. The customers' preferences follow the ledger
in a scheduled action, outside the sync: it runs after each round, and its
time per posting is printed apart.

    ./dev.sh bench bench/bench_pos_sync.py [--orders 500] [--rounds 10]
"""

import statistics
import time
import uuid

from common import MainTill, bench_parser, ensure_databases, parse_args

from odoo import api, fields


def server_cpu(cr):
    """CPU seconds the PostgreSQL server process of ``cr`` has run (Linux, local server)."""
    with open(f"/proc/{cr._cnx.get_backend_pid()}/schedstat") as stat:
        return int(stat.read().split()[0]) / 1e9


def cpu(cr):
    """CPU seconds of this thread and of the server process of ``cr``."""
    return time.thread_time() + server_cpu(cr)


class Till(MainTill):
    """One open POS session in one database, syncing orders like the till."""

    def _set_up(self, env, pos_config):
        pay_later = pos_config.payment_method_ids.filtered(lambda m: m.type == "pay_later")[:1]
        if not pay_later:
            pay_later = env["pos.payment.method"].create(
                {"name": "Customer Account", "split_transactions": True}
            )
            pos_config.payment_method_ids = [fields.Command.link(pay_later.id)]
        partners = env["res.partner"].search([("name", "=like", "Bench Customer %")])
        if len(partners) < 50:
            partners |= env["res.partner"].create(
                [{"name": f"Bench Customer {i}"} for i in range(len(partners), 50)]
            )
        product = env["product.product"].search(
            [("available_in_pos", "=", True), ("list_price", ">", 0)], order="id", limit=1
        )
        self.pay_later_id = pay_later.id
        self.partner_ids = partners.ids
        self.product_id = product.id
        self.price = product.lst_price

    def order(self, n):
        order_uuid = str(uuid.uuid4())
        total = round(self.price * 2, 2)
        return {
            "uuid": order_uuid,
            "name": f"Order {order_uuid[:13]}",
            "session_id": self.session_id,
            "partner_id": self.partner_ids[n % len(self.partner_ids)],
            "user_id": self.uid,
            "pricelist_id": self.pricelist_id,
            "date_order": fields.Datetime.to_string(fields.Datetime.now()),
            "lines": [
                fields.Command.create(
                    {
                        "product_id": self.product_id,
                        "qty": 2,
                        "price_unit": self.price,
                        "price_subtotal": total,
                        "price_subtotal_incl": total,
                        "tax_ids": [],
                        "uuid": str(uuid.uuid4()),
                    }
                )
            ],
            "amount_total": total,
            "amount_tax": 0.0,
            "amount_paid": total,
            "amount_return": 0,
            "payment_ids": [
                fields.Command.create(
                    {
                        "amount": total,
                        "payment_method_id": self.pay_later_id if n % 2 else self.cash_id,
                        "name": fields.Datetime.now(),
                    }
                )
            ],
            "last_order_preparation_change": "{}",
            "sequence_number": n,
            "to_invoice": False,
        }

    def sync(self, count, start):
        """Sync ``count`` orders, one transaction each; return (seconds spent, CPU seconds)."""
        elapsed = used = 0.0
        for n in range(start, start + count):
            data = self.order(n)
            with self.registry.cursor() as cr:
                env = api.Environment(cr, self.uid, {})
                began, cpu_began = time.perf_counter(), cpu(cr)
                env["pos.order"].sync_from_ui([data])
                env.flush_all()
                cr.commit()
                elapsed += time.perf_counter() - began
                used += cpu(cr) - cpu_began
        return elapsed, used

    def follow_preferences(self):
        """Run the preferences' scheduled catch-up once; return (seconds, CPU seconds, entries followed)."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, self.uid, {})
            began, cpu_began = time.perf_counter(), cpu(cr)
            followed, _left = env["pos.customer.preference"]._follow_ledger()
            cr.commit()
            return time.perf_counter() - began, cpu(cr) - cpu_began, followed


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=10)
    args = parse_args(parser)
    ensure_databases(args)
    tills = {"without ledger": Till(args.db.base), "with ledger": Till(args.db.ledger)}
    for till in tills.values():  # warm caches and code paths
        till.sync(10, 0)
    ledger = tills["with ledger"]
    ledger.follow_preferences()
    preferences = [0.0, 0.0, 0]  # seconds, CPU seconds, postings followed
    per_round = args.orders // args.rounds
    totals = {name: [0.0, 0.0] for name in tills}
    round_ratios = []
    for r in range(args.rounds):
        times = {}
        order = list(tills) if r % 2 == 0 else list(reversed(tills))
        for name in order:
            times[name] = tills[name].sync(per_round, 1000 + r * per_round)
            totals[name][0] += times[name][0]
            totals[name][1] += times[name][1]
        round_ratios.append(times["with ledger"][0] / times["without ledger"][0])
        # the scheduled action catches up with each round's postings, outside the sync
        followed = ledger.follow_preferences()
        preferences = [total + spent for total, spent in zip(preferences, followed, strict=True)]
    count = per_round * args.rounds
    for name, (seconds, cpu_seconds) in totals.items():
        print(
            f"{name:>15}: {count} orders in {seconds:7.2f} s = {seconds / count * 1000:6.2f} ms/order "
            f"(CPU {cpu_seconds / count * 1000:6.2f} ms/order)"
        )
    ratio = totals["with ledger"][0] / totals["without ledger"][0]
    cpu_ratio = totals["with ledger"][1] / totals["without ledger"][1]
    print(
        f"overhead: total ratio {ratio:.3f} ({(ratio - 1) * 100:+.1f}%), "
        f"median round ratio {statistics.median(round_ratios):.3f}, "
        f"CPU ratio {cpu_ratio:.3f} ({(cpu_ratio - 1) * 100:+.1f}%); target <= 1.05"
    )
    seconds, cpu_seconds, followed = preferences
    followed = max(followed, 1)
    print(
        f"preference update (scheduled, once per round): {seconds / followed * 1000:.2f} ms per posting "
        f"(CPU {cpu_seconds / followed * 1000:.2f} ms; {followed} postings); target <= 2 ms"
    )


if __name__ == "__main__":
    main()
