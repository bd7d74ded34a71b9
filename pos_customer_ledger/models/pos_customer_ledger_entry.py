from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, create_index

# Fields an entry may still receive after posting, and only while empty.
LINKABLE_FIELDS = {"move_id"}

# What a posting provides; sequence, name and balance are assigned by _post.
POSTED_FIELDS = (
    "company_id",
    "currency_id",
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
)


class PosCustomerLedgerEntry(models.Model):
    _name = "pos.customer.ledger.entry"
    _description = "Customer Ledger Entry"
    _order = "sequence_number desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, index=True)
    sequence_number = fields.Integer(
        required=True,
        readonly=True,
        aggregator=None,
        help="Gapless per company, in posting order.",
    )
    # company_id, partner_id and pos_order_id are indexed by the unique
    # constraints and the partner/date index below; more indexes slow the till.
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
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
        index=True,
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
    user_id = fields.Many2one("res.users", string="Cashier", readonly=True, index="btree_not_null")
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

        Each entry is one statement: it takes the company's next sequence
        number, adds the entry to its customer's totals (giving the running
        balance) and inserts the row, so it is complete or absent, never half
        written, and costs a single round trip on the till's sync path.
        """
        Chain = self.env["pos.customer.ledger.chain"]
        Stat = self.env["pos.customer.ledger.partner.stat"]
        now, uid = self.env.cr.now(), self.env.uid
        columns = SQL(", ").join(
            SQL.identifier(column)
            for column in (*POSTED_FIELDS, "create_uid", "create_date", "write_uid", "write_date")
        )
        ids = []
        for vals in vals_list:
            unknown = set(vals) - set(POSTED_FIELDS)
            if unknown:
                raise ValueError(f"Unknown ledger entry fields: {sorted(unknown)}")
            date = fields.Datetime.to_datetime(vals["date"])
            row = {name: None if vals.get(name) is False else vals.get(name) for name in POSTED_FIELDS}
            row["date"] = date
            values = [SQL("%s", row[name]) for name in POSTED_FIELDS] + [
                SQL("%s", v) for v in (uid, now, uid, now)
            ]
            [(entry_id,)] = self.env.execute_query(
                SQL(
                    """
                    WITH chain AS (%(chain)s), stat AS (%(stat)s)
                    INSERT INTO pos_customer_ledger_entry (name, sequence_number, balance, %(columns)s)
                    SELECT %(prefix)s || lpad(chain.last_sequence::text,
                                                  GREATEST(6, length(chain.last_sequence::text)), '0'),
                           chain.last_sequence, stat.balance, %(values)s
                      FROM chain, stat
                    RETURNING id
                    """,
                    chain=Chain._reserve_sequence_sql(vals["company_id"]),
                    stat=Stat._apply_entry_sql(vals),
                    columns=columns,
                    prefix=f"LEDG/{date.year}/",
                    values=SQL(", ").join(values),
                )
            )
            ids.append(entry_id)
        Chain.invalidate_model(flush=False)
        Stat.invalidate_model(flush=False)
        self.env["res.partner"].invalidate_model(["ledger_entry_ids"], flush=False)
        return self.browse(ids)

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
        return self._post([order._prepare_ledger_entry_vals() for order in todo])
