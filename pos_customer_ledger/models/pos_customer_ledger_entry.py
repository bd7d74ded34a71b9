import io
from concurrent.futures import ThreadPoolExecutor

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, create_index, float_round, index_exists

from ..tools.entry_hash import CURRENT_VERSION, entry_hash, entry_hash_sql

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
# What a posting from a POS order also provides, read once with its values
# (pos.order._prepare_ledger_postings): for the customer's habits, {payment
# method id: payments}; and its company's chain head, locked when it was read.
POSTING_EXTRAS = ("payment_method_counts", "head")
ENTRY_COLUMNS = (*POSTED_FIELDS, *ASSIGNED_FIELDS)
# composed once: composing per column costs every till sync
ENTRY_COLUMNS_SQL = SQL(", ").join(SQL.identifier(column) for column in ENTRY_COLUMNS)
VALUES_PLACEHOLDERS = ", ".join(["%s"] * len(ENTRY_COLUMNS))
MANUAL_KINDS = ("adjustment", "opening")
# What _post_bulk posts: kinds that leave the visit profiles alone.
BULK_KINDS = ("opening",)
BULK_CHUNK = 20000
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class PosCustomerLedgerEntry(models.Model):
    """An entry of a customer's ledger: fields, immutability and posting.

    Other concerns extend the model in their own files: verification of the
    chain (_verify), backfill of past orders (_backfill), adjustments and
    opening balances (_manual), and the links with accounting (_accounting).
    """

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
    balance = fields.Monetary(
        string="Balance (posting order)",
        readonly=True,
        aggregator=None,
        help="What the customer owes after this entry, their entries taken in the order they were "
        "posted: the audit trail, sealed in the entry's hash. Statements read the balance in date "
        "order, which differs after a back-dated entry.",
    )
    amount = fields.Monetary(
        compute="_compute_amount",
        help="The total of a sale or a refund; for a payment, the amount the customer paid.",
    )
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

    @api.depends("kind", "amount_total", "amount_due")
    def _compute_amount(self):
        for entry in self:
            # a settlement has no products: what it pays is what it takes off the dues
            if entry.kind == "payment":
                entry.amount = entry.amount_total - entry.amount_due
            else:
                entry.amount = entry.amount_total

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
    def create(self, vals_list):  # pylint: disable=method-required-super
        # entries are only posted (_post): creating one through the ORM is refused
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
        """Post entries from their financial values and return them, in order."""
        return self.browse([row["id"] for row in self._post_rows(vals_list)])

    @api.model
    def _post_rows(self, vals_list):
        """Post entries and return their rows as posted (values, assigned
        fields and id), in order.

        Per entry: lock the company's chain head and read the customer's
        balance (unless the posting brings them, read under the lock, and this
        call has not moved that chain since), compute sequence, name, balance
        and hash in Python, then one statement advances the head, updates the
        customer's totals and inserts the row. Nothing is written before that statement, so an entry is
        complete or absent, never half written. A POS order that has an entry
        already is skipped, in that statement: postings are idempotent.
        """
        Chain = self.env["pos.customer.ledger.chain"]
        Stat = self.env["pos.customer.ledger.partner.stat"]
        now, uid = self.env.cr.now(), self.env.uid
        rows, moved = [], set()
        for vals in vals_list:
            self._check_posted_fields(vals, POSTING_EXTRAS)
            company_id = vals["company_id"]
            currency = self.env["res.company"].browse(company_id).currency_id
            head = vals.get("head")
            if head is None or company_id in moved:
                head = Chain._lock_head(company_id, vals["partner_id"])
            row = {name: None if vals.get(name) is False else vals.get(name) for name in POSTED_FIELDS}
            date = row["date"] = self._open_date(
                fields.Datetime.to_datetime(vals["date"]), head.closed_until, vals
            )
            sequence = head.last_sequence + 1
            row.update(
                name=f"LEDG/{date.year}/{sequence:06d}",
                sequence_number=sequence,
                balance=currency.round(head.partner_balance + (vals.get("amount_due") or 0.0)),
                previous_hash=head.last_hash,
                hash_version=CURRENT_VERSION,
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
                    chain=Chain._advance_sql(
                        company_id, sequence, row["entry_hash"], self._not_posted_sql(row["pos_order_id"])
                    ),
                    stat=Stat._apply_entry_sql(vals, head.tz),
                    columns=ENTRY_COLUMNS_SQL,
                    values=SQL(VALUES_PLACEHOLDERS, *(row[column] for column in ENTRY_COLUMNS)),
                )
            )
            if not result:
                if vals.get("pos_order_id") and self._posted_pos_order(vals["pos_order_id"]):
                    continue
                raise UserError(self.env._("The ledger chain moved while posting; please try again."))
            row["id"] = result[0][0]
            rows.append(row)
            moved.add(company_id)
        if rows:
            self._invalidate_after_posting()
        return rows

    @api.model
    def _not_posted_sql(self, pos_order_id):
        """SQL condition: POS order ``pos_order_id`` has no entry yet (None: no order, no condition)."""
        if not pos_order_id:
            return None
        return SQL(
            "NOT EXISTS (SELECT 1 FROM pos_customer_ledger_entry WHERE pos_order_id = %s)", pos_order_id
        )

    @api.model
    def _posted_pos_order(self, pos_order_id):
        return bool(
            self.env.execute_query(
                SQL("SELECT 1 FROM pos_customer_ledger_entry WHERE pos_order_id = %s", pos_order_id)
            )
        )

    @api.model
    def _check_posted_fields(self, vals, extras=()):
        unknown = set(vals).difference(POSTED_FIELDS, extras)
        if unknown:
            raise ValueError(f"Unknown ledger entry fields: {sorted(unknown)}")

    @api.model
    def _invalidate_after_posting(self):
        """Drop what postings change from the cache: chain heads, customer totals
        and the partners' ledger fields computed from them."""
        self.env["pos.customer.ledger.chain"].invalidate_model(flush=False)
        self.env["pos.customer.ledger.partner.stat"].invalidate_model(flush=False)
        Partner = self.env["res.partner"]
        Partner.invalidate_model(Partner._ledger_field_names(), flush=False)

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
            self._check_posted_fields(vals)
            if vals["company_id"] != company_id or vals["kind"] not in BULK_KINDS:
                raise ValueError("_post_bulk posts entries of one company and of the kinds in BULK_KINDS")
        Chain = self.env["pos.customer.ledger.chain"]
        Stat = self.env["pos.customer.ledger.partner.stat"]
        currency = self.env["res.company"].browse(company_id).currency_id
        digits, rounding = currency.decimal_places, currency.rounding
        self.env.flush_all()
        head = Chain._lock_head(company_id, None)
        first_sequence = sequence = head.last_sequence
        last_hash, writer = head.last_hash, None
        # read after the lock: every posting updates the balances under it
        balances = Stat._balances(company_id, {vals["partner_id"] for vals in vals_list})
        now, uid = self.env.cr.now(), self.env.uid
        try:
            # a chunk is hashed while the previous one is being written
            for start in range(0, len(vals_list), BULK_CHUNK):
                rows = []
                for vals in vals_list[start : start + BULK_CHUNK]:
                    row = {
                        name: None if vals.get(name) is False else vals.get(name) for name in POSTED_FIELDS
                    }
                    date = row["date"] = self._open_date(
                        fields.Datetime.to_datetime(vals["date"]), head.closed_until, vals
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
                        hash_version=CURRENT_VERSION,
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
        self._invalidate_after_posting()
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
    def _post_pos_orders(self, orders):
        """Post the orders that have no entry yet; return the new entries.

        The orders give every value once (pos.order._prepare_ledger_postings);
        the entry and the customer's totals and habits are written from those
        values in the posting statement, nothing is read back. Preferences
        follow later (pos.customer.preference._follow_ledger).
        """
        if not orders:
            return self.browse()
        return self.browse([row["id"] for row in self._post_rows(orders._prepare_ledger_postings())])

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

    # ------------------------------------------------------------------- hash

    @api.model
    def _compute_entry_hash(self, values, version=CURRENT_VERSION):
        """SHA-256 of an entry given as a dict of its hashed fields, previous hash
        and hash digits (see tools/entry_hash.py)."""
        return entry_hash(values, version)

    @api.model
    def _entry_hash_sql(self, alias="e"):
        """SQL computing the current version's hash of the entry row ``alias``."""
        return entry_hash_sql(alias)
