from odoo import api, fields, models
from odoo.tools import SQL, float_round

from ..tools.access import ledger_right
from ..tools.entry_hash import CURRENT_VERSION
from ..tools.planner import NO_JIT, planner_settings
from ..tools.posting_rules import pos_order_kind, posts_order_sql
from .pos_customer_ledger_entry import POSTED_FIELDS

BACKFILL_CHUNK = 20000
BACKFILL_CRON_BATCH = 100000


class PosCustomerLedgerEntry(models.Model):
    """Backfill: the POS orders of a shop's history, posted in bulk."""

    # one file per concern of the entry model, as the layout asks
    _inherit = "pos.customer.ledger.entry"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _backfill_domain_sql(self):
        # OFFSET 0 keeps the check an index probe per order: the backfill grows the
        # ledger faster than its statistics, and a planner that believes it empty
        # would scan all of it for every order
        return SQL(
            "%s AND NOT EXISTS (SELECT 1 FROM pos_customer_ledger_entry e "
            "WHERE e.pos_order_id = o.id OFFSET 0)",
            posts_order_sql("o"),
        )

    @api.model
    def _backfill_pending_count(self):
        self.env.flush_all()
        [(count,)] = self.env.execute_query(
            SQL("SELECT COUNT(*) FROM pos_order o WHERE %s", self._backfill_domain_sql())
        )
        return count

    @api.model
    @ledger_right("manage")
    def backfill(self, limit=None):
        """Post the paid POS orders with a customer and no entry yet, oldest first.

        For shops that had history before installing. Reads the orders with
        set-based SQL, hashes in Python in order, and writes with COPY, in
        chunks, then recomputes the customer totals in one pass. Everything
        happens in the caller's transaction: an interrupted run leaves
        nothing, and a new run continues where the last committed one ended.
        Returns the number of entries created.
        """
        self.env.flush_all()
        with planner_settings(self.env.cr, **NO_JIT):
            return self.sudo()._backfill(limit)

    @api.model
    def _backfill(self, limit):
        Chain = self.env["pos.customer.ledger.chain"]
        heads, balances, currencies, digits, rounding, closed = {}, {}, {}, {}, {}, {}
        created, writer = 0, None

        now, uid = self.env.cr.now(), self.env.uid

        def next_orders(after):
            """Read the next chunk and everything its hashing needs from the database."""
            size = BACKFILL_CHUNK if limit is None else min(BACKFILL_CHUNK, limit - created)
            orders = self._backfill_read_orders(after, size) if size > 0 else []
            for company_id in {order["company_id"] for order in orders} - heads.keys():
                head = Chain._lock_head(company_id, None)
                heads[company_id] = [head.last_sequence, head.last_hash]
                closed[company_id] = head.closed_until
                currencies[company_id] = self.env["res.company"].browse(company_id).currency_id
                digits[company_id] = currencies[company_id].decimal_places
                rounding[company_id] = currencies[company_id].rounding
            self._backfill_load_balances(orders, balances)
            for order in orders:
                vals = order["vals"] = self._backfill_entry_vals(order, currencies[order["company_id"]])
                vals["date"] = self._open_date(vals["date"], closed[vals["company_id"]], vals)
            return orders

        # The connection serves one statement at a time: database work happens
        # between COPYs, and a chunk is hashed (pure Python) while the previous
        # one is being written.
        orders = next_orders(None)
        try:
            while orders:
                rows = []
                for order in orders:
                    vals = order["vals"]
                    company_id = vals["company_id"]
                    head = heads[company_id]
                    key = (vals["partner_id"], company_id)
                    balances[key] = float_round(
                        balances[key] + vals["amount_due"], precision_rounding=rounding[company_id]
                    )
                    head[0] += 1
                    row = {
                        **vals,
                        "name": f"LEDG/{vals['date'].year}/{head[0]:06d}",
                        "sequence_number": head[0],
                        "balance": balances[key],
                        "previous_hash": head[1],
                        "hash_version": CURRENT_VERSION,
                        "hash_digits": digits[company_id],
                        "create_uid": uid,
                        "create_date": now,
                        "write_uid": uid,
                        "write_date": now,
                    }
                    row["entry_hash"] = head[1] = self._compute_entry_hash(row)
                    rows.append(row)
                data = self._copy_data(rows)
                created += len(rows)
                if writer:
                    writer.result()
                orders = next_orders((orders[-1]["date_order"], orders[-1]["id"]))
                writer = self._copy_in_background(data)
        finally:
            if writer:
                writer.result()  # never leave a COPY running on the connection
        for company_id, (last_sequence, last_hash) in heads.items():
            self.env.execute_query(
                SQL(
                    "UPDATE pos_customer_ledger_chain SET last_sequence = %s, last_hash = %s "
                    "WHERE company_id = %s",
                    last_sequence,
                    last_hash,
                    company_id,
                )
            )
        if heads:
            self.env["pos.customer.ledger.partner.stat"]._recompute_from_entries(list(heads))
            Chain.invalidate_model(flush=False)
            self.invalidate_model(flush=False)
        return created

    @api.model
    def _backfill_read_orders(self, after, size):
        """The next ``size`` orders to post, with every value their entries need."""
        # the plain date bound lets the date_order index start the scan at the key
        after_sql = (
            SQL("AND o.date_order >= %s AND (o.date_order, o.id) > (%s, %s)", after[0], *after)
            if after
            else SQL()
        )
        # Correlated subqueries probe the payment and line indexes per order: a
        # join would hash the whole payment and line tables for every chunk.
        # float8 amounts: psycopg2 parses them in C, Odoo's numeric adapter is Python.
        return self.env.execute_query_dict(
            SQL(
                """
                WITH batch AS (
                    SELECT o.id, o.company_id, o.partner_id, o.date_order, o.session_id, o.user_id,
                           o.amount_total::float8 AS amount_total, o.amount_tax::float8 AS amount_tax,
                           o.account_move
                      FROM pos_order o
                     WHERE %(pending)s %(after)s
                     ORDER BY o.date_order, o.id
                     LIMIT %(size)s
                )
                SELECT batch.*, partner.commercial_partner_id, session.config_id,
                       COALESCE(journal.currency_id, company.currency_id) AS order_currency_id,
                       (SELECT COALESCE(SUM(amount), 0)::float8 FROM (%(pay_later)s) pay_later) AS amount_due,
                       (SELECT MIN(refunded.order_id)
                          FROM pos_order_line line
                          JOIN pos_order_line refunded ON refunded.id = line.refunded_orderline_id
                         WHERE line.order_id = batch.id) AS refunded_order_id,
                       EXISTS (SELECT 1 FROM pos_order_line line WHERE line.order_id = batch.id) AS has_lines
                  FROM batch
                  JOIN res_partner partner ON partner.id = batch.partner_id
                  JOIN pos_session session ON session.id = batch.session_id
                  JOIN pos_config config ON config.id = session.config_id
                  JOIN res_company company ON company.id = batch.company_id
                  LEFT JOIN account_journal journal ON journal.id = config.journal_id
                 ORDER BY batch.date_order, batch.id
                """,
                pending=self._backfill_domain_sql(),
                pay_later=self._pay_later_payments_sql(SQL("batch.id")),
                after=after_sql,
                size=size,
            )
        )

    @api.model
    def _backfill_entry_vals(self, order, company_currency):
        if order["order_currency_id"] != company_currency.id:
            # rare: a POS in a foreign currency; convert as the live posting does
            [vals] = self.env["pos.order"].browse(order["id"])._prepare_ledger_postings()
            vals["date"] = fields.Datetime.to_datetime(vals["date"])
            return {name: None if vals.get(name) is False else vals.get(name) for name in POSTED_FIELDS}
        # rounded like the live posting: the POS stores unrounded floats
        rounding = company_currency.rounding
        amount_total = float_round(order["amount_total"], precision_rounding=rounding)
        amount_tax = float_round(order["amount_tax"], precision_rounding=rounding)
        amount_due = float_round(order["amount_due"], precision_rounding=rounding)
        return {
            "company_id": order["company_id"],
            "partner_id": order["commercial_partner_id"],
            "date": order["date_order"],
            "kind": pos_order_kind(order["has_lines"], order["refunded_order_id"], amount_total, amount_due),
            "pos_order_id": order["id"],
            "refunded_order_id": order["refunded_order_id"],
            "session_id": order["session_id"],
            "config_id": order["config_id"],
            "user_id": order["user_id"],
            "amount_untaxed": float_round(amount_total - amount_tax, precision_rounding=rounding),
            "amount_tax": amount_tax,
            "amount_total": amount_total,
            "amount_due": amount_due,
            "move_id": order["account_move"],
            "receivable_line_id": None,
            "note": None,
            "source_key": None,
        }

    @api.model
    def _backfill_load_balances(self, orders, balances):
        """Fill ``balances`` with the current balance of the orders' new customers."""
        wanted = {}
        for order in orders:
            key = (order["commercial_partner_id"], order["company_id"])
            if key not in balances:
                wanted.setdefault(order["company_id"], set()).add(order["commercial_partner_id"])
        for company_id, partner_ids in wanted.items():
            found = dict(
                self.env.execute_query(
                    SQL(
                        "SELECT partner_id, balance FROM pos_customer_ledger_partner_stat "
                        "WHERE company_id = %s AND partner_id = ANY(%s)",
                        company_id,
                        list(partner_ids),
                    )
                )
            )
            for partner_id in partner_ids:
                balances[partner_id, company_id] = found.get(partner_id, 0.0)

    @api.model
    def _cron_backfill(self):
        pending = self._backfill_pending_count()
        done = self.backfill(limit=BACKFILL_CRON_BATCH) if pending else 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=pending - done)
