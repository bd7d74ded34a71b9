import hashlib
import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytz

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, create_index, float_round, index_exists

from ..tools.access import ledger_right
from ..tools.validation import amount_error, check_amount, check_day, day_error
from .pos_customer_ledger_closing import ANCHOR_AMOUNTS, KIND_TOTALS

HASH_VERSION = 1
# The content an entry's hash covers (version 1). Amounts are hashed as text
# with the entry's hash_digits (the currency's decimals when it was posted) so
# that the value read back hashes the same.
HASHED_FIELDS = (
    "name",
    "sequence_number",
    "company_id",
    "partner_id",
    "date",
    "kind",
    "pos_order_id",
    "refunded_order_id",
    "session_id",
    "config_id",
    "user_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_due",
    "balance",
    "note",
)
AMOUNT_FIELDS = {"amount_untaxed", "amount_tax", "amount_total", "amount_due", "balance"}
JSON_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
BACKFILL_CHUNK = 20000
BACKFILL_CRON_BATCH = 100000
# Set by posting, after POSTED_FIELDS.
ASSIGNED_FIELDS = (
    "name",
    "sequence_number",
    "balance",
    "previous_hash",
    "entry_hash",
    "hash_version",
    "hash_digits",
    "create_uid",
    "create_date",
    "write_uid",
    "write_date",
)
_logger = logging.getLogger(__name__)

# Fields an entry may still receive after posting, and only while empty.
LINKABLE_FIELDS = {"move_id", "receivable_line_id"}

# What a posting provides; sequence, name and balance are assigned by _post.
POSTED_FIELDS = (
    "company_id",
    "partner_id",
    "date",
    "kind",
    "pos_order_id",
    "refunded_order_id",
    "session_id",
    "config_id",
    "user_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_due",
    "move_id",
    "receivable_line_id",
    "note",
    "source_key",
)
ENTRY_COLUMNS = (*POSTED_FIELDS, *ASSIGNED_FIELDS)
# What _post leaves in the cache of the entries it returns.
CACHED_AFTER_POSTING = ("company_id", "partner_id", "date", "kind", "pos_order_id")
MANUAL_KINDS = ("adjustment", "opening")
# What _post_bulk posts: kinds that leave the visit profiles alone.
BULK_KINDS = ("opening",)
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def pos_order_kind(has_lines, refunded_order_id, amount_total, amount_due):
    """Kind of a POS order's entry. An order without products that lowers the
    customer's dues is a settlement of dues taken at the till."""
    if not has_lines and amount_due < 0:
        return "payment"
    return "refund" if refunded_order_id or amount_total < 0 else "sale"


def overpayment_error(env, partner, owed, amount, currency):
    """Why a payment beyond the dues is refused, in a company that takes no deposits."""
    return env._(
        "%(customer)s owes %(owed)s; %(amount)s cannot be paid into the customer account: "
        "this company refuses payments beyond the dues.",
        customer=partner.display_name,
        owed=currency.format(max(owed, 0.0)),
        amount=currency.format(amount),
    )


class PosCustomerLedgerEntry(models.Model):
    _name = "pos.customer.ledger.entry"
    _description = "Customer Ledger Entry"
    _order = "sequence_number desc, id desc"
    _check_company_auto = True

    # no index: searches on the name use ilike, which a btree cannot serve
    name = fields.Char(required=True, readonly=True)
    sequence_number = fields.Integer(
        required=True,
        readonly=True,
        aggregator=None,
        help="Gapless per company, in posting order.",
    )
    # company_id, partner_id and pos_order_id are indexed by the unique
    # constraints and the partner/date index below; more indexes slow the till.
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    # always the company's currency: amounts are posted in it
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        check_company=True,
        ondelete="restrict",
    )
    date = fields.Datetime(required=True, readonly=True, index=True)
    kind = fields.Selection(
        [
            ("sale", "Sale"),
            ("refund", "Refund"),
            ("payment", "Payment"),
            ("adjustment", "Adjustment"),
            ("opening", "Opening Balance"),
        ],
        string="Type",
        required=True,
        readonly=True,
    )
    pos_order_id = fields.Many2one(
        "pos.order",
        string="POS Order",
        readonly=True,
        check_company=True,
        ondelete="restrict",
    )
    refunded_order_id = fields.Many2one(
        "pos.order",
        string="Refunded Order",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
    )
    session_id = fields.Many2one(
        "pos.session", string="Session", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    config_id = fields.Many2one(
        "pos.config", string="Point of Sale", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    # restrict: a cascade must never change a hashed column (deleting the user would blank it)
    user_id = fields.Many2one(
        "res.users", string="Cashier", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    amount_untaxed = fields.Monetary(string="Untaxed", readonly=True)
    amount_tax = fields.Monetary(string="Tax", readonly=True)
    amount_total = fields.Monetary(string="Total", readonly=True)
    amount_due = fields.Monetary(
        string="Dues Change",
        readonly=True,
        help="Signed change in what the customer owes: the part put on the customer's account.",
    )
    balance = fields.Monetary(readonly=True, aggregator=None, help="What the customer owes after this entry.")
    move_id = fields.Many2one(
        "account.move",
        string="Journal Entry",
        readonly=True,
        index="btree_not_null",
        check_company=True,
        ondelete="restrict",
    )
    receivable_line_id = fields.Many2one(
        "account.move.line",
        string="Receivable Item",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The journal item on the customer's receivable that this entry's dues are booked on "
        "or that this payment settled.",
    )
    note = fields.Text(
        string="Reason", readonly=True, help="Why an adjustment or opening balance was entered."
    )
    # What an entry posted from accounting stems from, e.g. 'partial:42' for a
    # reconciliation; unique, so that the same event is never posted twice.
    source_key = fields.Char(readonly=True, copy=False)
    previous_hash = fields.Char(
        readonly=True, help="Hash of the entry before this one in the company's chain."
    )
    entry_hash = fields.Char(readonly=True, help="SHA-256 of this entry's content and the previous hash.")
    hash_version = fields.Integer(readonly=True, aggregator=None)
    # The decimals the amounts were hashed with, frozen at posting: the
    # currency's decimal places may change later, the hash must not.
    hash_digits = fields.Integer(readonly=True, aggregator=None)

    _sql_constraints = [
        ("pos_order_uniq", "unique (pos_order_id)", "A POS order is posted to the ledger only once."),
        (
            "sequence_uniq",
            "unique (company_id, sequence_number)",
            "Ledger sequence numbers are unique per company.",
        ),
        ("sequence_positive", "check (sequence_number > 0)", "Ledger sequence numbers start at 1."),
    ]

    def _auto_init(self):
        res = super()._auto_init()
        # statements and customer history filter one customer over a date range
        create_index(
            self.env.cr,
            "pos_customer_ledger_entry_partner_date_idx",
            self._table,
            ["partner_id", "company_id", "date"],
        )
        # filters on the kind, and the nightly profile rebuild, which reads every
        # sale from this index alone (no pass over the wide rows) in customer and
        # date order (no sort)
        if not index_exists(self.env.cr, "pos_customer_ledger_entry_kind_partner_date_idx"):
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX pos_customer_ledger_entry_kind_partner_date_idx "
                    "ON pos_customer_ledger_entry (kind, partner_id, company_id, date) "
                    "INCLUDE (pos_order_id, amount_total)"
                )
            )
        # an accounting event is posted once; partial, as most entries come from the till
        if not index_exists(self.env.cr, "pos_customer_ledger_entry_source_key_uniq"):
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX pos_customer_ledger_entry_source_key_uniq "
                    "ON pos_customer_ledger_entry (source_key) WHERE source_key IS NOT NULL"
                )
            )
        return res

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")
        raise UserError(
            self.env._("Ledger entries are created only by posting; they cannot be entered by hand.")
        )

    def write(self, vals):
        self.check_access("write")  # access errors first: they tell a user what they may do
        locked = set(vals) - LINKABLE_FIELDS
        if locked:
            raise UserError(
                self.env._(
                    "Posted ledger entries cannot be modified (%(fields)s). Correct them with a new entry.",
                    fields=", ".join(sorted(locked)),
                )
            )
        for field_name in set(vals) & LINKABLE_FIELDS:
            if any(entry[field_name] and entry[field_name].id != vals[field_name] for entry in self):
                raise UserError(
                    self.env._("The %(field)s of a posted ledger entry is already set.", field=field_name)
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Posted ledger entries cannot be deleted. Correct them with a new entry."))

    # ---------------------------------------------------------------- posting

    @api.model
    def _post(self, vals_list):
        """Post entries from their financial values and return them, in order.

        Per entry: lock the company's chain head and read the customer's
        balance, compute sequence, name, balance and hash in Python, then one
        statement advances the head, updates the customer's totals and inserts
        the row. Nothing is written before that statement, so an entry is
        complete or absent, never half written.
        """
        Chain = self.env["pos.customer.ledger.chain"]
        Stat = self.env["pos.customer.ledger.partner.stat"]
        now, uid = self.env.cr.now(), self.env.uid
        columns = SQL(", ").join(SQL.identifier(column) for column in ENTRY_COLUMNS)
        ids, rows = [], []
        for vals in vals_list:
            unknown = set(vals).difference(POSTED_FIELDS)
            if unknown:
                raise ValueError(f"Unknown ledger entry fields: {sorted(unknown)}")
            company_id = vals["company_id"]
            currency = self.env["res.company"].browse(company_id).currency_id
            last_sequence, last_hash, partner_balance, closed_until, tz = Chain._lock_head(
                company_id, vals["partner_id"]
            )
            row = {name: None if vals.get(name) is False else vals.get(name) for name in POSTED_FIELDS}
            date = row["date"] = self._open_date(
                fields.Datetime.to_datetime(vals["date"]), closed_until, vals
            )
            sequence = last_sequence + 1
            row.update(
                name=f"LEDG/{date.year}/{sequence:06d}",
                sequence_number=sequence,
                balance=currency.round(partner_balance + (vals.get("amount_due") or 0.0)),
                previous_hash=last_hash,
                hash_version=HASH_VERSION,
                hash_digits=currency.decimal_places,
            )
            row["entry_hash"] = self._compute_entry_hash(row)
            row.update(create_uid=uid, create_date=now, write_uid=uid, write_date=now)
            result = self.env.execute_query(
                SQL(
                    """
                    WITH chain AS (%(chain)s), stat AS (%(stat)s)
                    INSERT INTO pos_customer_ledger_entry (%(columns)s)
                    SELECT %(values)s FROM chain
                    RETURNING id
                    """,
                    chain=Chain._advance_sql(company_id, sequence, row["entry_hash"]),
                    stat=Stat._apply_entry_sql(vals, tz),
                    columns=columns,
                    values=SQL(", ").join(SQL("%s", row[column]) for column in ENTRY_COLUMNS),
                )
            )
            if not result:
                raise UserError(self.env._("The ledger chain moved while posting; please try again."))
            ids.append(result[0][0])
            rows.append(row)
        Chain.invalidate_model(flush=False)
        Stat.invalidate_model(flush=False)
        Partner = self.env["res.partner"]
        Partner.invalidate_model(
            [name for name in Partner._fields if name.startswith("ledger_")], flush=False
        )
        entries = self.browse(ids)
        # the sync reads these back at once (preferences): no query for what was just written
        for name in CACHED_AFTER_POSTING:
            field = self._fields[name]
            values = [field.convert_to_cache(row[name], entries) for row in rows]
            self.env.cache.update(entries, field, values)
        return entries

    @api.model
    def _post_bulk(self, vals_list):
        """Post many entries of one company at once, as ``_post`` would one by one,
        and return them in order: for imports of opening balances.

        Under the chain head lock, compute sequences, balances and hashes in
        Python in order, write the rows with one COPY, then advance the head and
        add the amounts to the customers' balances with one statement each. All
        in the caller's transaction: nothing is written if anything fails.
        """
        if not vals_list:
            return self.browse()
        company_id = vals_list[0]["company_id"]
        for vals in vals_list:
            unknown = set(vals).difference(POSTED_FIELDS)
            if unknown:
                raise ValueError(f"Unknown ledger entry fields: {sorted(unknown)}")
            if vals["company_id"] != company_id or vals["kind"] not in BULK_KINDS:
                raise ValueError("_post_bulk posts entries of one company and of the kinds in BULK_KINDS")
        Chain = self.env["pos.customer.ledger.chain"]
        Stat = self.env["pos.customer.ledger.partner.stat"]
        currency = self.env["res.company"].browse(company_id).currency_id
        digits, rounding = currency.decimal_places, currency.rounding
        self.env.flush_all()
        first_sequence, last_hash, _balance, closed_until, _tz = Chain._lock_head(company_id, None)
        # read after the lock: every posting updates the balances under it
        balances = Stat._balances(company_id, {vals["partner_id"] for vals in vals_list})
        now, uid = self.env.cr.now(), self.env.uid
        sequence, writer = first_sequence, None
        try:
            # a chunk is hashed while the previous one is being written
            for start in range(0, len(vals_list), BACKFILL_CHUNK):
                rows = []
                for vals in vals_list[start : start + BACKFILL_CHUNK]:
                    row = {
                        name: None if vals.get(name) is False else vals.get(name) for name in POSTED_FIELDS
                    }
                    date = row["date"] = self._open_date(
                        fields.Datetime.to_datetime(vals["date"]), closed_until, vals
                    )
                    partner_id = vals["partner_id"]
                    balances[partner_id] = float_round(
                        balances[partner_id] + (vals.get("amount_due") or 0.0), precision_rounding=rounding
                    )
                    sequence += 1
                    row.update(
                        name=f"LEDG/{date.year}/{sequence:06d}",
                        sequence_number=sequence,
                        balance=balances[partner_id],
                        previous_hash=last_hash,
                        hash_version=HASH_VERSION,
                        hash_digits=digits,
                        create_uid=uid,
                        create_date=now,
                        write_uid=uid,
                        write_date=now,
                    )
                    row["entry_hash"] = last_hash = self._compute_entry_hash(row)
                    rows.append(row)
                data = self._copy_data(rows)
                if writer:
                    writer.result()
                writer = self._copy_in_background(data)
        finally:
            if writer:
                writer.result()  # never leave a COPY running on the connection
        advanced = self.env.execute_query(
            SQL(
                "UPDATE pos_customer_ledger_chain SET last_sequence = %s, last_hash = %s "
                "WHERE company_id = %s AND last_sequence = %s RETURNING id",
                sequence,
                last_hash,
                company_id,
                first_sequence,
            )
        )
        if not advanced:
            raise UserError(self.env._("The ledger chain moved while posting; please try again."))
        Stat._add_to_balances(
            company_id, [(vals["partner_id"], vals.get("amount_due") or 0.0) for vals in vals_list]
        )
        ids = [
            entry_id
            for (entry_id,) in self.env.execute_query(
                SQL(
                    "SELECT id FROM pos_customer_ledger_entry WHERE company_id = %s "
                    "AND sequence_number > %s ORDER BY sequence_number",
                    company_id,
                    first_sequence,
                )
            )
        ]
        Chain.invalidate_model(flush=False)
        Partner = self.env["res.partner"]
        Partner.invalidate_model(
            [name for name in Partner._fields if name.startswith("ledger_")], flush=False
        )
        return self.browse(ids)

    @api.model
    def _open_date(self, date, closed_until, vals):
        """The entry's date, moved to the start of the open period when it falls
        in a closed one: a till that syncs late still gets its sale recorded,
        but never inside a closed month. Hand-entered entries are refused."""
        if not closed_until or date >= closed_until:
            return date
        if vals["kind"] in MANUAL_KINDS:
            raise UserError(
                self.env._(
                    "%(date)s is in a closed ledger period; entries can be dated from %(open)s on.",
                    date=fields.Datetime.to_string(date),
                    open=fields.Datetime.to_string(closed_until),
                )
            )
        return closed_until

    @api.model
    def _compute_entry_hash(self, values, version=HASH_VERSION):
        """SHA-256 of an entry given as a dict of its hashed fields, previous hash
        and hash digits."""
        return self._hash_content(
            [values[name] for name in HASHED_FIELDS], values["previous_hash"], values["hash_digits"], version
        )

    @api.model
    def _hash_content(self, content, previous_hash, decimal_places, version=HASH_VERSION):
        """SHA-256 over the version, the previous hash and a canonical JSON list of
        the hashed fields' values, in HASHED_FIELDS order.

        Amounts are text with ``decimal_places``, the entry's hash_digits (+ 0.0
        turns a -0.0 into the 0 read back); the date is 'YYYY-MM-DD HH:MM:SS'; empty links are null.
        Written out field by field: verification runs this for every entry.
        """
        if version != HASH_VERSION:
            raise NotImplementedError(f"Unknown ledger hash version {version}")
        (name, sequence, company, partner, date, kind, order, refunded, session, config, user,
         untaxed, tax, total, due, balance, note) = content  # fmt: skip
        canonical = [
            name,
            sequence,
            company,
            partner,
            str(date)[:19],
            kind,
            order or None,
            refunded or None,
            session or None,
            config or None,
            user or None,
            f"{(untaxed or 0.0) + 0.0:.{decimal_places}f}",
            f"{(tax or 0.0) + 0.0:.{decimal_places}f}",
            f"{(total or 0.0) + 0.0:.{decimal_places}f}",
            f"{(due or 0.0) + 0.0:.{decimal_places}f}",
            f"{(balance or 0.0) + 0.0:.{decimal_places}f}",
            note or None,
        ]
        message = f"pos_customer_ledger.v{version}|{previous_hash or ''}|{JSON_ENCODER.encode(canonical)}"
        return hashlib.sha256(message.encode()).hexdigest()

    @api.model
    def _entry_hash_sql(self, alias="e"):
        """The entry hash of _hash_content (version 1), computed by PostgreSQL
        with the entry's own hash_digits; its JSON escaping of text is the same
        as Python's."""
        values = []
        for name in HASHED_FIELDS:
            column = SQL.identifier(alias, name)
            if name in AMOUNT_FIELDS:
                value = SQL(
                    "to_json(round(COALESCE(%s, 0), %s)::text)::text",
                    column,
                    SQL.identifier(alias, "hash_digits"),
                )
            elif name == "date":
                value = SQL("to_json(to_char(%s, 'YYYY-MM-DD HH24:MI:SS'))::text", column)
            elif name == "note":
                value = SQL("COALESCE(to_json(NULLIF(%s, '')), 'null')::text", column)
            elif name in ("name", "kind"):
                value = SQL("to_json(%s)::text", column)
            else:
                value = SQL("COALESCE(%s::text, 'null')", column)
            values.append(value)
        canonical = SQL("'[' || %s || ']'", SQL(" || ',' || ").join(values))
        message = SQL(
            "%s || COALESCE(%s, '') || '|' || %s",
            f"pos_customer_ledger.v{HASH_VERSION}|",
            SQL.identifier(alias, "previous_hash"),
            canonical,
        )
        return SQL("encode(sha256(convert_to(%s, 'UTF8')), 'hex')", message)

    @api.model
    def _post_pos_orders(self, orders):
        """Post the orders that have no entry yet; return the new entries."""
        if not orders:
            return self.browse()
        posted = {
            order_id
            for (order_id,) in self.env.execute_query(
                SQL(
                    "SELECT pos_order_id FROM pos_customer_ledger_entry WHERE pos_order_id = ANY(%s)",
                    orders.ids,
                )
            )
        }
        todo = orders.filtered(lambda order: order.id not in posted)
        entries = self._post([order._prepare_ledger_entry_vals() for order in todo])
        self.env["pos.customer.preference"].sudo()._apply_entries(entries)
        return entries

    # ----------------------------------------------------------- verification

    @api.model
    @ledger_right("audit")
    def verify_chain(self, company=None):
        """Walk each company's chain from its start and recompute every hash.

        Returns ``{ok, checked, first_broken_id, message}``; stops at the first
        broken entry. Rows are read in keyset batches, so memory stays flat.
        Each company's outcome is recorded on its chain head.
        """
        companies = company or self.env.companies
        if isinstance(companies, int):
            companies = self.env["res.company"].browse(companies)
        # the outcome is recorded on the chain head: only the caller's own companies
        if not self.env.su and companies - self.env.user.company_ids:
            raise AccessError(self.env._("You can verify the ledger of your own companies only."))
        self.flush_model()
        checked = 0
        for chain_company in companies:
            result = self._verify_company_chain(chain_company)
            self.env["pos.customer.ledger.chain"]._record_verification(chain_company, result)
            checked += result["checked"]
            if not result["ok"]:
                return dict(result, checked=checked)
        return {
            "ok": True,
            "checked": checked,
            "first_broken_id": False,
            "message": self.env._("The ledger is intact: %(count)s entries verified.", count=checked),
        }

    def _verify_company_chain(self, company):
        """Check one company's chain in a single pass of PostgreSQL.

        PostgreSQL rebuilds each entry's canonical content, hashes it and
        compares it and the link with the entry before; only the first broken
        entry comes back, so memory stays flat whatever the ledger's size.
        Then every closed month's frozen figures and chain hash are checked
        against the entries (_anchor_problems), in one more pass.
        """
        problems = self.env.execute_query(
            SQL(
                """
                SELECT id, name, position, problem FROM (
                    SELECT e.id, e.name, e.sequence_number, row_number() OVER chain AS position,
                           CASE
                               WHEN e.sequence_number <> row_number() OVER chain THEN 'gap'
                               WHEN COALESCE(e.previous_hash, '')
                                    <> COALESCE(lag(e.entry_hash) OVER chain, '') THEN 'link'
                               WHEN e.hash_version IS DISTINCT FROM %(version)s
                                 OR e.entry_hash IS DISTINCT FROM %(hash)s THEN 'content'
                           END AS problem
                      FROM pos_customer_ledger_entry e
                     WHERE e.company_id = %(company)s
                    WINDOW chain AS (ORDER BY e.sequence_number)
                ) checked
                WHERE problem IS NOT NULL
                ORDER BY sequence_number
                LIMIT 1
                """,
                version=HASH_VERSION,
                hash=self._entry_hash_sql(),
                company=company.id,
            )
        )
        failure = problems and problems[0]
        if failure:
            expected = failure[2]
            checked = expected - 1
            failure = (failure[0], failure[3], failure[1])
        else:
            [(checked, previous_hash)] = self.env.execute_query(
                SQL(
                    """
                    SELECT COUNT(*), (SELECT entry_hash FROM pos_customer_ledger_entry
                                       WHERE company_id = %(company)s ORDER BY sequence_number DESC LIMIT 1)
                      FROM pos_customer_ledger_entry WHERE company_id = %(company)s
                    """,
                    company=company.id,
                )
            )
            expected = checked + 1
        if failure:
            entry_id, problem, name = failure
            messages = {
                "gap": self.env._(
                    "Entry %(name)s: sequence number %(missing)s is missing before it; an entry was deleted.",
                    name=name,
                    missing=expected,
                ),
                "link": self.env._(
                    "Entry %(name)s: broken link; it does not follow the entry before it.", name=name
                ),
                "content": self.env._(
                    "Entry %(name)s: changed content; it no longer matches its hash.", name=name
                ),
            }
            return {
                "ok": False,
                "checked": checked,
                "first_broken_id": entry_id,
                "message": messages[problem],
            }
        [head] = self.env.execute_query(
            SQL(
                "SELECT COALESCE(MAX(last_sequence), 0), MAX(last_hash) FROM pos_customer_ledger_chain "
                "WHERE company_id = %s",
                company.id,
            )
        )
        if head[0] != expected - 1 or (head[0] and head[1] != previous_hash):
            return {
                "ok": False,
                "checked": checked,
                "first_broken_id": False,
                "message": self.env._(
                    "%(company)s: the chain ends at sequence number %(last)s but %(head)s entries were "
                    "posted; the last entries are missing.",
                    company=company.name,
                    last=expected - 1,
                    head=head[0],
                ),
            }
        closings = (
            self.env["pos.customer.ledger.closing"]
            .sudo()
            .search([("company_id", "=", company.id), ("state", "=", "closed")], order="date_from")
        )
        problems = self._anchor_problems(company, closings._anchor_data())
        if problems:
            return {"ok": False, "checked": checked, "first_broken_id": False, "message": "\n".join(problems)}
        return {
            "ok": True,
            "checked": checked,
            "first_broken_id": False,
            "message": self.env._("The ledger is intact: %(count)s entries verified.", count=checked),
        }

    @api.model
    def _anchor_problems(self, company, anchors):
        """What differs between the company's chain and ``anchors``, the frozen
        figures of closed months (see pos.customer.ledger.closing._anchor_data):
        one translated message per anchor that does not match.

        A closing froze the hash of the chain's last entry and the month's
        figures; a history rewritten before it, even re-hashed to the chain's
        head, no longer gives them. One pass over the entries: each falls in the
        bucket of the last anchor starting before it (width_bucket over the
        sorted starts) and is counted in that month when dated before its end;
        a month's opening balance sums the buckets before it.
        """
        if not anchors:
            return []
        self.flush_model()
        with self._without_jit():  # it misjudges the buckets' count and compiles for seconds
            rows = self._anchor_rows(company, anchors)
        return [
            problem
            for row in rows
            if (problem := self._anchor_problem(company, row["frozen"], row["recomputed"], row["entry_hash"]))
        ]

    @api.model
    def _anchor_rows(self, company, anchors):
        """Per anchor, in month order: its figures (frozen), the same recomputed
        from the entries, and the hash of the entry at its last sequence number."""
        return self.env.execute_query_dict(
            SQL(
                """
                WITH anchor AS (
                    SELECT anchor.*, row_number() OVER (ORDER BY anchor.period_start) AS rank
                      FROM jsonb_to_recordset(%(anchors)s::jsonb) AS anchor(
                           month text, period_start timestamp, period_end timestamp,
                           %(amount_columns)s, entry_count integer, first_sequence integer,
                           last_sequence integer, last_hash text)
                ), bucketed AS (
                    SELECT width_bucket(e.date, (SELECT array_agg(period_start ORDER BY rank) FROM anchor))
                           AS bucket, e.date, e.kind, e.amount_due, e.sequence_number
                      FROM pos_customer_ledger_entry e
                     WHERE e.company_id = %(company)s
                ), per_bucket AS (
                    SELECT b.bucket, SUM(b.amount_due) AS total,
                           COUNT(*) FILTER (WHERE b.date < a.period_end) AS entry_count,
                           MIN(b.sequence_number) FILTER (WHERE b.date < a.period_end) AS first_sequence,
                           %(kind_sums)s
                      FROM bucketed b
                      LEFT JOIN anchor a ON a.rank = b.bucket
                     GROUP BY b.bucket
                ), recomputed AS (
                    SELECT a.rank,
                           COALESCE(SUM(p.total) FILTER (WHERE p.bucket < a.rank), 0) AS opening_balance,
                           COALESCE(SUM(p.entry_count) FILTER (WHERE p.bucket = a.rank), 0) AS entry_count,
                           COALESCE(MIN(p.first_sequence) FILTER (WHERE p.bucket = a.rank), 0)
                           AS first_sequence,
                           %(recomputed_totals)s
                      FROM anchor a
                      LEFT JOIN per_bucket p ON p.bucket <= a.rank
                     GROUP BY a.rank
                )
                SELECT to_jsonb(a) AS frozen, to_jsonb(r) AS recomputed, last_entry.entry_hash
                  FROM anchor a
                  JOIN recomputed r ON r.rank = a.rank
                  LEFT JOIN pos_customer_ledger_entry last_entry
                    ON last_entry.company_id = %(company)s AND last_entry.sequence_number = a.last_sequence
                 ORDER BY a.rank
                """,
                anchors=json.dumps(anchors),
                amount_columns=SQL(", ").join(
                    SQL("%s numeric", SQL.identifier(name)) for name in ANCHOR_AMOUNTS
                ),
                company=company.id,
                kind_sums=SQL(", ").join(
                    SQL(
                        "SUM(b.amount_due) FILTER (WHERE b.date < a.period_end AND b.kind = %s) AS %s",
                        kind,
                        SQL.identifier(total),
                    )
                    for kind, total in KIND_TOTALS.items()
                ),
                recomputed_totals=SQL(", ").join(
                    SQL(
                        "COALESCE(SUM(p.%(total)s) FILTER (WHERE p.bucket = a.rank), 0) AS %(total)s",
                        total=SQL.identifier(total),
                    )
                    for total in KIND_TOTALS.values()
                ),
            )
        )

    @api.model
    def _anchor_problem(self, company, frozen, recomputed, last_entry_hash):
        _ = self.env._
        currency = company.currency_id
        Closing = self.env["pos.customer.ledger.closing"]
        recomputed["closing_balance"] = recomputed["opening_balance"] + sum(
            recomputed[total] for total in KIND_TOTALS.values()
        )
        differences = []
        sequence = frozen["last_sequence"]
        if sequence and last_entry_hash is None:
            differences.append(
                _(
                    "no entry has sequence number %(sequence)s, where the chain stood at closing",
                    sequence=sequence,
                )
            )
        elif sequence and last_entry_hash != frozen["last_hash"]:
            differences.append(
                _(
                    "the entry at sequence number %(sequence)s no longer has the chain hash frozen "
                    "at closing: the history up to it was rewritten",
                    sequence=sequence,
                )
            )
        for name in ("entry_count", "first_sequence", *ANCHOR_AMOUNTS):
            if name in ANCHOR_AMOUNTS:
                if not currency.compare_amounts(float(frozen[name]), float(recomputed[name])):
                    continue
                values = currency.format(float(frozen[name])), currency.format(float(recomputed[name]))
            elif frozen[name] == recomputed[name]:
                continue
            else:
                values = frozen[name], recomputed[name]
            differences.append(
                _(
                    "%(figure)s %(frozen)s at closing, %(recomputed)s in the entries",
                    figure=Closing._fields[name]._description_string(self.env),
                    frozen=values[0],
                    recomputed=values[1],
                )
            )
        if not differences:
            return None
        return _(
            "Closing %(month)s of %(company)s does not match the ledger: %(differences)s.",
            month=frozen["month"],
            company=company.name,
            differences="; ".join(differences),
        )

    @api.model
    def _cron_verify_chain(self):
        """Verify every company's chain; the outcome is recorded on each chain head."""
        # every company's, whoever runs the scheduled action
        Entry = self.sudo()
        for company in Entry.env["res.company"].search([]):
            result = Entry.verify_chain(company)
            if not result["ok"]:
                _logger.error("Customer ledger integrity check failed: %s", result["message"])

    # --------------------------------------------------------------- backfill

    @api.model
    def _backfill_domain_sql(self):
        # OFFSET 0 keeps the check an index probe per order: the backfill grows the
        # ledger faster than its statistics, and a planner that believes it empty
        # would scan all of it for every order
        return SQL(
            """
            o.state IN ('paid', 'done', 'invoiced') AND o.partner_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM pos_customer_ledger_entry e WHERE e.pos_order_id = o.id OFFSET 0)
            """
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
        with self._without_jit():
            return self.sudo()._backfill(limit)

    @contextmanager
    def _without_jit(self):
        """PostgreSQL's JIT compiles each big one-off query of a backfill for
        about a second, longer than running it."""
        with self._planner_settings(jit="off"):
            yield

    @contextmanager
    def _for_large_reports(self):
        """Reports over every customer: no JIT (see above), no nested loops (the
        planner cannot know that most journal items of a POS database are
        customer receivables, and probes indexes hundreds of thousands of times
        where one hash join does), and sorts in memory."""
        with self._planner_settings(jit="off", enable_nestloop="off", work_mem="64MB"):
            yield

    @contextmanager
    def _planner_settings(self, **settings):
        previous = {
            name: self.env.execute_query(SQL("SELECT current_setting(%s)", name))[0][0] for name in settings
        }
        for name, value in settings.items():
            self.env.execute_query(SQL("SELECT set_config(%s, %s, true)", name, value))
        yield
        for name, value in previous.items():
            self.env.execute_query(SQL("SELECT set_config(%s, %s, true)", name, value))

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
                last_sequence, last_hash, _balance, closed_until, _tz = Chain._lock_head(company_id, None)
                heads[company_id] = [last_sequence, last_hash]
                closed[company_id] = closed_until
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
                        "hash_version": HASH_VERSION,
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
                       (SELECT COALESCE(SUM(payment.amount), 0)::float8
                          FROM pos_payment payment
                          JOIN pos_payment_method method ON method.id = payment.payment_method_id
                          LEFT JOIN account_journal method_journal ON method_journal.id = method.journal_id
                         WHERE payment.pos_order_id = batch.id
                           AND method_journal.type IS DISTINCT FROM 'cash'
                           AND method_journal.type IS DISTINCT FROM 'bank') AS amount_due,
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
                after=after_sql,
                size=size,
            )
        )

    @api.model
    def _backfill_entry_vals(self, order, company_currency):
        if order["order_currency_id"] != company_currency.id:
            # rare: a POS in a foreign currency; convert as the live posting does
            vals = self.env["pos.order"].browse(order["id"])._prepare_ledger_entry_vals()
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
    def _copy_data(self, rows):
        """Entry rows as COPY text; text values escaped (notes may hold tabs,
        line breaks and backslashes)."""
        lines = []
        for row in rows:
            values = (
                "\\N"
                if (value := row[column]) is None
                else value.translate(COPY_ESCAPES)
                if isinstance(value, str)
                else str(value)
                for column in ENTRY_COLUMNS
            )
            lines.append("\t".join(values))
        lines.append("")
        return "\n".join(lines)

    @api.model
    def _copy_in_background(self, data):
        """COPY the rows in a thread, so that Python keeps hashing meanwhile; returns a future."""
        cursor = self.env.cr
        query = f"COPY pos_customer_ledger_entry ({', '.join(ENTRY_COLUMNS)}) FROM STDIN"  # constant names
        executor = ThreadPoolExecutor(max_workers=1)
        # one read of the whole buffer: psycopg2 then sends it without holding the GIL
        future = executor.submit(cursor.copy_expert, query, io.StringIO(data), len(data) + 1)
        executor.shutdown(wait=False)
        return future

    @api.model
    def _cron_backfill(self):
        pending = self._backfill_pending_count()
        done = self.backfill(limit=BACKFILL_CRON_BATCH) if pending else 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=pending - done)

    # ------------------------------------------------- adjustments and openings

    @api.model
    def _manual_entry_errors(self, kind, partner, amount, date, reason, company, currency=None):
        """Every reason why this adjustment or opening balance cannot be posted."""
        return [
            *self._manual_value_errors(kind, partner, amount, reason, company, currency),
            *self._manual_date_errors(date, company),
        ]

    @api.model
    def _manual_value_errors(self, kind, partner, amount, reason, company, currency=None):
        """The checks of _manual_entry_errors that need no query: an import runs
        them for every row and the date checks once per date."""
        _ = self.env._
        errors = []
        if kind not in MANUAL_KINDS:
            errors.append(_("Only adjustments and opening balances can be entered by hand."))
        if not (reason or "").strip():
            errors.append(_("A reason is required."))
        amount_problem = amount_error(self.env, amount, company.currency_id)
        if amount_problem:
            errors.append(amount_problem)
        elif company.currency_id.is_zero(float(amount)):
            errors.append(_("The amount cannot be zero."))
        if currency and currency != company.currency_id:
            errors.append(
                _(
                    "The amount must be in %(currency)s, the currency of %(company)s.",
                    currency=company.currency_id.name,
                    company=company.name,
                )
            )
        if not partner:
            errors.append(_("A customer is required."))
        elif partner.company_id and partner.company_id != company:
            errors.append(
                _(
                    "Customer %(customer)s belongs to another company (%(company)s).",
                    customer=partner.display_name,
                    company=partner.company_id.name,
                )
            )
        if kind == "adjustment" and not (
            company.ledger_adjustment_journal_id and company.ledger_adjustment_account_id
        ):
            errors.append(
                _("Set the ledger adjustment journal and counterpart account in the Point of Sale settings.")
            )
        return errors

    @api.model
    def _manual_date_errors(self, date, company):
        _ = self.env._
        errors = []
        date_problem = day_error(self.env, date) if date else _("A date is required.")
        if date_problem:
            errors.append(date_problem)
        else:
            locks = company._get_lock_date_violations(
                fields.Date.to_date(date), fiscalyear=True, sale=True, purchase=False, tax=False, hard=True
            )
            if locks:
                errors.append(
                    _(
                        "%(date)s is in a locked accounting period: %(locks)s.",
                        date=date,
                        locks=company._format_lock_dates(locks),
                    )
                )
            closed_until = (
                self.env["pos.customer.ledger.chain"]
                .sudo()
                .search([("company_id", "=", company.id)])
                .closed_until
            )
            if closed_until and self._local_noon(fields.Date.to_date(date)) < closed_until:
                errors.append(_("%(date)s is in a closed ledger period.", date=date))
        return errors

    @api.model
    @ledger_right("manage")
    def post_manual_entry(self, kind, partner, amount, date, reason, company=None, currency=None):
        """Post an ``adjustment`` or ``opening`` entry entered by a ledger manager.

        ``amount`` is the change in what the customer owes. An adjustment also
        books a journal entry between the customer's receivable and the
        configured counterpart account. Raises a UserError listing every
        problem, and writes nothing, when the input is not valid.
        """
        company = company or self.env.company
        errors = self._manual_entry_errors(kind, partner, amount, date, reason, company, currency)
        if errors:
            raise UserError("\n".join(errors))
        partner = partner.commercial_partner_id
        date = fields.Date.to_date(date)
        amount = check_amount(self.env, amount, company.currency_id)
        with self.env.cr.savepoint():
            move = (
                self._create_adjustment_move(partner, amount, date, reason, company)
                if kind == "adjustment"
                else None
            )
            return self._post(
                [
                    {
                        "company_id": company.id,
                        "partner_id": partner.id,
                        # noon in the user's time zone keeps the entry on the chosen day
                        "date": self._local_noon(date),
                        "kind": kind,
                        "amount_due": amount,
                        "move_id": move.id if move else False,
                        "note": reason.strip(),
                        "user_id": self.env.uid,
                    }
                ]
            )

    @api.model
    def _local_noon(self, date):
        tz = pytz.timezone(self.env.user.tz or "UTC")
        return tz.localize(datetime.combine(date, time(12))).astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _create_adjustment_move(self, partner, amount, date, reason, company):
        receivable = partner.with_company(company).property_account_receivable_id
        counterpart = company.ledger_adjustment_account_id
        debit, credit = (amount, 0.0) if amount > 0 else (0.0, -amount)
        move = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": company.ledger_adjustment_journal_id.id,
                    "date": date,
                    "ref": self.env._("Customer ledger adjustment: %(reason)s", reason=reason.strip()),
                    "line_ids": [
                        Command.create(
                            {
                                "account_id": receivable.id,
                                "partner_id": partner.id,
                                "name": reason.strip(),
                                "debit": debit,
                                "credit": credit,
                            }
                        ),
                        Command.create(
                            {
                                "account_id": counterpart.id,
                                "partner_id": partner.id,
                                "name": reason.strip(),
                                "debit": credit,
                                "credit": debit,
                            }
                        ),
                    ],
                }
            )
        )
        move.action_post()
        return move

    # ------------------------------------------------------------- accounting

    @api.model
    def _pos_receivable_lines_sql(self, lines=None):
        """Posted customer receivable journal items that come from the POS or the
        ledger, as (line_id, company_id, partner_id, session_id, date, balance);
        with ``lines`` (journal items), only those among them.

        They are the items of session moves, POS invoices and credit notes, the
        POS's own payment moves and statement lines, and ledger adjustments,
        on a customer's account (not the POS's own receivable accounts).
        Reconciliations among them are POS bookkeeping; a reconciliation with
        any other item settles or raises the customer's dues.
        """

        # Given items are read by key, and only their moves' origins: the
        # reconciliation hook runs this in every invoiced till sync, where a
        # filter on the moves alone let the planner walk every receivable item
        # of the account, the shop's whole history.
        move_ids = lines.move_id.ids if lines is not None else None

        def only(column):
            return SQL("AND %s = ANY(%s)", SQL.identifier(column), move_ids) if lines is not None else SQL()

        return SQL(
            """
            SELECT line.id AS line_id, line.company_id, partner.commercial_partner_id AS partner_id,
                   origin.session_id, line.date, line.balance::float8 AS balance
              FROM account_move_line line
              JOIN res_partner partner ON partner.id = line.partner_id
              JOIN account_account account ON account.id = line.account_id
              JOIN (
                    SELECT move_id, MIN(session_id) AS session_id FROM (
                        SELECT move_id, id AS session_id FROM pos_session
                         WHERE move_id IS NOT NULL %(session)s
                        UNION ALL
                        SELECT account_move, session_id FROM pos_order
                         WHERE account_move IS NOT NULL %(invoice)s
                        UNION ALL
                        SELECT account_move_id, session_id FROM pos_payment
                         WHERE account_move_id IS NOT NULL %(payment)s
                        UNION ALL
                        SELECT move_id, pos_session_id FROM account_payment
                         WHERE pos_session_id IS NOT NULL %(account_payment)s
                        UNION ALL
                        SELECT move_id, pos_session_id FROM account_bank_statement_line
                         WHERE pos_session_id IS NOT NULL %(statement)s
                        UNION ALL
                        SELECT move_id, NULL FROM pos_customer_ledger_entry
                         WHERE kind = 'adjustment' AND move_id IS NOT NULL %(adjustment)s
                        UNION ALL
                        SELECT move_id, NULL FROM pos_customer_ledger_entry
                         WHERE kind = 'payment' AND source_key LIKE %(deposit_keys)s
                               AND move_id IS NOT NULL %(deposit)s
                    ) moves
                    GROUP BY move_id
              ) origin ON origin.move_id = line.move_id
             WHERE account.account_type = 'asset_receivable' AND line.parent_state = 'posted' %(lines)s
               AND line.account_id NOT IN (
                    SELECT account_default_pos_receivable_account_id FROM res_company
                     WHERE account_default_pos_receivable_account_id IS NOT NULL
                    UNION
                    SELECT receivable_account_id FROM pos_payment_method
                     WHERE receivable_account_id IS NOT NULL
               )
            """,
            lines=SQL("AND line.id = ANY(%s)", lines.ids) if lines is not None else SQL(),
            session=only("move_id"),
            invoice=only("account_move"),
            payment=only("account_move_id"),
            account_payment=only("move_id"),
            statement=only("move_id"),
            adjustment=only("move_id"),
            deposit=only("move_id"),
            deposit_keys="deposit:%",
        )

    @api.model
    def _post_settlements(self, partials):
        """Post a payment entry for each reconciliation between a customer's POS
        receivable and anything else: a payment, a credit note, a refund paid out."""
        if not partials:
            return self.browse()
        self.env.flush_all()
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH tracked AS (%(tracked)s)
                SELECT partial.id, partial.amount::float8 AS amount, partial.max_date,
                       COALESCE(debit_pos.company_id, credit_pos.company_id) AS company_id,
                       COALESCE(debit_pos.partner_id, credit_pos.partner_id) AS partner_id,
                       COALESCE(debit_pos.session_id, credit_pos.session_id) AS session_id,
                       COALESCE(debit_pos.line_id, credit_pos.line_id) AS receivable_line_id,
                       debit_pos.line_id IS NOT NULL AS settles_dues,
                       other_move.id AS other_move_id, other_move.name AS other_move_name,
                       session.config_id
                  FROM account_partial_reconcile partial
                  LEFT JOIN tracked debit_pos ON debit_pos.line_id = partial.debit_move_id
                  LEFT JOIN tracked credit_pos ON credit_pos.line_id = partial.credit_move_id
                  JOIN account_move_line other ON other.id = CASE WHEN debit_pos.line_id IS NULL
                       THEN partial.debit_move_id ELSE partial.credit_move_id END
                  JOIN account_move other_move ON other_move.id = other.move_id
                  LEFT JOIN pos_session session
                    ON session.id = COALESCE(debit_pos.session_id, credit_pos.session_id)
                 WHERE partial.id = ANY(%(ids)s)
                   AND (debit_pos.line_id IS NULL) <> (credit_pos.line_id IS NULL)
                   AND partial.amount <> 0
                   AND NOT EXISTS (SELECT 1 FROM pos_customer_ledger_entry entry
                                    WHERE entry.source_key = 'partial:' || partial.id)
                 ORDER BY partial.id
                """,
                tracked=self._pos_receivable_lines_sql(partials.debit_move_id | partials.credit_move_id),
                ids=partials.ids,
            )
        )
        vals_list = []
        for row in rows:
            company = self.env["res.company"].browse(row["company_id"])
            due = company.currency_id.round(-row["amount"] if row["settles_dues"] else row["amount"])
            vals_list.append(
                {
                    "company_id": row["company_id"],
                    "partner_id": row["partner_id"],
                    "date": self._local_noon(row["max_date"]),
                    "kind": "payment",
                    "session_id": row["session_id"],
                    "config_id": row["config_id"],
                    "user_id": self.env.uid,
                    "amount_total": -due,
                    "amount_due": due,
                    "move_id": row["other_move_id"],
                    "receivable_line_id": row["receivable_line_id"],
                    "note": self.env._("Reconciled with %(move)s", move=row["other_move_name"]),
                    "source_key": f"partial:{row['id']}",
                }
            )
        return self._post(vals_list)

    @api.model
    def _post_settlement_reversals(self, partial_ids):
        """Reverse the payment entries of reconciliations that were undone."""
        keys = [f"partial:{partial_id}" for partial_id in partial_ids]
        if not keys:
            return self.browse()
        self.env.flush_all()
        settlements = self.search(
            [("source_key", "in", keys), ("kind", "=", "payment")], order="sequence_number"
        )
        reversed_keys = set(
            self.search(
                [("source_key", "in", [f"{key}:reversal" for key in settlements.mapped("source_key")])]
            ).mapped("source_key")
        )
        now = fields.Datetime.now()
        return self._post(
            [
                {
                    "company_id": entry.company_id.id,
                    "partner_id": entry.partner_id.id,
                    "date": now,
                    "kind": "payment",
                    "session_id": entry.session_id.id,
                    "config_id": entry.config_id.id,
                    "user_id": self.env.uid,
                    "amount_total": -entry.amount_total,
                    "amount_due": -entry.amount_due,
                    "move_id": entry.move_id.id,
                    "note": self.env._(
                        "Reverses %(entry)s: the reconciliation was undone.", entry=entry.name
                    ),
                    "source_key": f"{entry.source_key}:reversal",
                }
                for entry in settlements
                if f"{entry.source_key}:reversal" not in reversed_keys
            ]
        )

    @api.model
    @ledger_right("audit")
    def reconcile_with_accounting(self, date=None, partner_ids=None):
        """Compare the ledger with the journals, per customer and POS session.

        Ledger: the dues of every entry but opening balances (those are booked
        by the accountant's opening entry). Journals: the POS customer
        receivables (see _pos_receivable_lines_sql) net of their settlements by
        other items, plus, for sessions not booked yet, their customer-account
        payments. Both as of ``date`` (default today). Returns one dict per
        disagreement: company_id, partner_id, session_id, ledger_amount,
        accounting_amount, difference. An empty list means they agree.
        """
        date = fields.Date.to_date(date) if date else fields.Date.context_today(self)
        self.env.flush_all()
        with self._for_large_reports():
            rows = self.env.execute_query_dict(
                SQL(
                    """
                    SELECT compared.*, currency.rounding
                      FROM (%s) compared
                      JOIN res_company company ON company.id = compared.company_id
                      JOIN res_currency currency ON currency.id = company.currency_id
                     WHERE ABS(compared.ledger_amount - compared.accounting_amount) >= currency.rounding / 2
                     ORDER BY compared.company_id, compared.partner_id, compared.session_id NULLS FIRST
                    """,
                    self._dues_comparison_sql(date, partner_ids),
                )
            )
        return [
            {
                "company_id": row["company_id"],
                "partner_id": row["partner_id"],
                "session_id": row["session_id"] or False,
                "ledger_amount": float_round(row["ledger_amount"], precision_rounding=row["rounding"]),
                "accounting_amount": float_round(
                    row["accounting_amount"], precision_rounding=row["rounding"]
                ),
                "difference": float_round(
                    row["ledger_amount"] - row["accounting_amount"], precision_rounding=row["rounding"]
                ),
            }
            for row in rows
        ]

    @api.model
    def _dues_comparison_sql(self, date, partner_ids=None):
        """Ledger and journal dues per company, customer and session as of ``date``:
        (company_id, partner_id, session_id, ledger_amount, accounting_amount)."""
        until = self._local_noon(date) + timedelta(hours=12)
        companies = self.env.companies.ids
        partners = (
            self.env["res.partner"].browse(partner_ids).commercial_partner_id.ids if partner_ids else None
        )

        def for_partners(column):
            return (
                SQL("AND %s = ANY(%s)", SQL.identifier(*column.split(".")), partners) if partners else SQL()
            )

        return SQL(
            """
            WITH tracked AS (
                SELECT * FROM (%(tracked)s) pos_lines
                 WHERE company_id = ANY(%(companies)s) AND date <= %(date)s %(tracked_partners)s
            ), settled AS (
                -- reconciliations of a POS receivable with an item from elsewhere
                SELECT tracked.line_id, -SUM(partial.amount)::float8 AS amount
                  FROM account_partial_reconcile partial
                  JOIN tracked ON tracked.line_id = partial.debit_move_id
                  LEFT JOIN tracked other ON other.line_id = partial.credit_move_id
                 WHERE other.line_id IS NULL AND partial.max_date <= %(date)s
                 GROUP BY tracked.line_id
                UNION ALL
                SELECT tracked.line_id, SUM(partial.amount)::float8
                  FROM account_partial_reconcile partial
                  JOIN tracked ON tracked.line_id = partial.credit_move_id
                  LEFT JOIN tracked other ON other.line_id = partial.debit_move_id
                 WHERE other.line_id IS NULL AND partial.max_date <= %(date)s
                 GROUP BY tracked.line_id
            ), unbooked AS (
                SELECT session.id FROM pos_session session
                  JOIN pos_config config ON config.id = session.config_id
                  LEFT JOIN account_move move ON move.id = session.move_id AND move.state = 'posted'
                 WHERE config.company_id = ANY(%(companies)s)
                   AND (move.id IS NULL OR move.date > %(date)s)
            ), accounting AS (
                SELECT company_id, partner_id, session_id, balance AS amount FROM tracked
                UNION ALL
                SELECT tracked.company_id, tracked.partner_id, tracked.session_id, settled.amount
                  FROM settled JOIN tracked ON tracked.line_id = settled.line_id
                UNION ALL
                SELECT o.company_id, partner.commercial_partner_id, o.session_id,
                       payment.amount::float8
                  FROM unbooked
                  JOIN pos_order o ON o.session_id = unbooked.id
                  JOIN res_partner partner ON partner.id = o.partner_id
                  JOIN pos_payment payment ON payment.pos_order_id = o.id
                  JOIN pos_payment_method method ON method.id = payment.payment_method_id
                  LEFT JOIN account_journal journal ON journal.id = method.journal_id
                 WHERE o.account_move IS NULL AND o.date_order < %(until)s
                   AND journal.type IS DISTINCT FROM 'cash' AND journal.type IS DISTINCT FROM 'bank'
                   %(order_partners)s
            ), journals AS (
                SELECT company_id, partner_id, COALESCE(session_id, 0) AS session_key,
                       SUM(amount) AS amount
                  FROM accounting GROUP BY 1, 2, 3
            ), ledger AS (
                SELECT company_id, partner_id, COALESCE(session_id, 0) AS session_key,
                       SUM(amount_due)::float8 AS amount
                  FROM pos_customer_ledger_entry entry
                 WHERE kind <> 'opening' AND company_id = ANY(%(companies)s) AND date < %(until)s
                       %(entry_partners)s
                 GROUP BY 1, 2, 3
            )
            SELECT company_id, partner_id, NULLIF(session_key, 0) AS session_id,
                   COALESCE(ledger.amount, 0) AS ledger_amount,
                   COALESCE(journals.amount, 0) AS accounting_amount
              FROM ledger
              FULL JOIN journals USING (company_id, partner_id, session_key)
            """,
            tracked=self._pos_receivable_lines_sql(),
            companies=companies,
            date=date,
            until=until,
            tracked_partners=for_partners("partner_id"),
            order_partners=for_partners("partner.commercial_partner_id"),
            entry_partners=for_partners("entry.partner_id"),
        )

    @api.model
    @ledger_right("settle")
    def settle_dues(self, partner, amount, journal, date=None, memo=None):
        """Take money from a customer: post a customer payment of ``amount``, in
        the currency of ``journal``, and reconcile it with their open POS
        receivables, oldest first; the reconciliations post the ledger's payment
        entries. A payment beyond those dues is a deposit that leaves the
        customer in credit (see _post_deposits), unless the company refuses
        payments beyond the dues. Returns the payment entries."""
        _ = self.env._
        partner = partner.commercial_partner_id
        company = journal.company_id
        currency = company.currency_id
        amount = check_amount(self.env, amount, journal.currency_id or currency)
        date = check_day(self.env, date) if date else fields.Date.context_today(self)
        receivable = partner.with_company(company).property_account_receivable_id
        open_lines = self._open_dues_lines(partner, company, receivable)
        owed = sum(open_lines.mapped("amount_residual"))
        # compared and posted in the company's currency, at the payment date's rate
        company_amount = (journal.currency_id or currency)._convert(
            amount or 0.0, currency, company, date, round=True
        )
        errors = []
        if currency.compare_amounts(company_amount, 0.0) <= 0:
            errors.append(_("The amount to settle must be positive."))
        elif company.ledger_refuse_overpayment:
            # the lock held until commit: two settlements cannot both take the same dues
            balance = self.env["pos.customer.ledger.chain"].sudo()._lock_head(company.id, partner.id)[2]
            if currency.compare_amounts(company_amount, balance) > 0:
                errors.append(overpayment_error(self.env, partner, balance, company_amount, currency))
        if journal.type not in ("cash", "bank"):
            errors.append(_("Dues are settled in a cash or bank journal."))
        if errors:
            raise UserError("\n".join(errors))
        with self.env.cr.savepoint():
            payment = (
                self.env["account.payment"]
                .sudo()
                .with_company(company)
                .create(
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": partner.id,
                        "amount": amount,
                        "journal_id": journal.id,
                        "date": date,
                        "memo": memo or _("Settlement of customer ledger dues"),
                    }
                )
            )
            payment.action_post()
            payment_lines = payment.move_id.line_ids.filtered(lambda line: line.account_id == receivable)
            if not payment_lines:
                raise UserError(
                    _(
                        "The journal %(journal)s books no entry for customer payments; set its outstanding "
                        "receipts account.",
                        journal=journal.display_name,
                    )
                )
            if currency.compare_amounts(-sum(payment_lines.mapped("balance")), owed) > 0:
                # posted first: the payment's receivable item is then the ledger's
                # own, and its reconciliations with the dues post nothing more
                self._post_deposits(payment.move_id)
            if open_lines:
                (payment_lines | open_lines).reconcile()
            return self.search(
                [("move_id", "=", payment.move_id.id), ("kind", "=", "payment")], order="sequence_number"
            )

    @api.model
    def _post_deposits(self, moves):
        """Post each customer payment in ``moves`` that goes beyond the dues as
        one payment entry for its whole amount, once ('deposit:<move id>').

        Its receivable item then counts among the ledger's own (see
        _pos_receivable_lines_sql), like a till settlement's: its
        reconciliations with POS dues, now or later, move nothing in the
        ledger, and what is left of it is the customer's credit."""
        self.env.flush_all()
        posted = set(
            self.search([("source_key", "in", [f"deposit:{move.id}" for move in moves])]).mapped("source_key")
        )
        vals_list = []
        for move in moves:
            if f"deposit:{move.id}" in posted:
                continue
            partner = move.partner_id.commercial_partner_id
            receivable = partner.with_company(move.company_id).property_account_receivable_id
            lines = move.line_ids.filtered_domain([("account_id", "=", receivable.id)])
            due = move.company_id.currency_id.round(sum(lines.mapped("balance")))
            vals_list.append(
                {
                    "company_id": move.company_id.id,
                    "partner_id": partner.id,
                    "date": self._local_noon(move.date),
                    "kind": "payment",
                    "user_id": self.env.uid,
                    "amount_total": -due,
                    "amount_due": due,
                    "move_id": move.id,
                    "receivable_line_id": lines[:1].id,
                    "note": self.env._("Payment %(move)s beyond the dues: a deposit", move=move.name),
                    "source_key": f"deposit:{move.id}",
                }
            )
        return self._post(vals_list)

    @api.model
    def _open_dues_lines(self, partner, company, receivable):
        self.env.flush_all()
        line_ids = [
            line_id
            for (line_id,) in self.env.execute_query(
                SQL(
                    """
                    SELECT pos_lines.line_id FROM (%s) pos_lines
                      JOIN account_move_line line ON line.id = pos_lines.line_id
                     WHERE pos_lines.partner_id = %s AND pos_lines.company_id = %s
                       AND line.account_id = %s AND line.amount_residual > 0
                    """,
                    self._pos_receivable_lines_sql(),
                    partner.id,
                    company.id,
                    receivable.id,
                )
            )
        ]
        return self.env["account.move.line"].sudo().browse(line_ids).sorted(lambda line: (line.date, line.id))

    @api.model
    def _link_receivable_lines(self, line_by_order):
        """Link the sale and refund entries of orders to their receivable items."""
        if not line_by_order:
            return
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                UPDATE pos_customer_ledger_entry entry SET receivable_line_id = link.line_id
                  FROM unnest(%s::int[], %s::int[]) AS link(order_id, line_id)
                 WHERE entry.pos_order_id = link.order_id AND entry.receivable_line_id IS NULL
                """,
                list(line_by_order),
                list(line_by_order.values()),
            )
        )
        self.invalidate_model(["receivable_line_id"], flush=False)
