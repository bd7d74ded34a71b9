from collections import Counter

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, create_index

POSTING_CONTEXT_KEY = "pos_customer_ledger_posting"

# Fields an entry may still receive after posting, and only while empty.
LINKABLE_FIELDS = {"move_id"}


class PosCustomerLedgerEntry(models.Model):
    _name = "pos.customer.ledger.entry"
    _description = "Customer Ledger Entry"
    _order = "sequence_number desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, index="trigram")
    sequence_number = fields.Integer(
        required=True,
        readonly=True,
        aggregator=None,
        help="Gapless per company, in posting order.",
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
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
        index="btree_not_null",
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
    balance = fields.Monetary(
        readonly=True, aggregator=None, help="What the customer owes after this entry."
    )
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
        if not self.env.context.get(POSTING_CONTEXT_KEY):
            raise UserError(
                self.env._("Ledger entries are created only by posting; they cannot be entered by hand.")
            )
        return super().create(vals_list)

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
        """Post entries from their financial values and return them.

        Assigns the per-company sequence, the name and the customer's running
        balance, and updates the customer statistics, all or nothing.
        """
        if not vals_list:
            return self.browse()
        self = self.sudo().with_context(**{POSTING_CONTEXT_KEY: True})
        with self.env.cr.savepoint():
            next_sequence = {}
            for company_id, count in sorted(Counter(v["company_id"] for v in vals_list).items()):
                next_sequence[company_id] = self.env["pos.customer.ledger.chain"]._reserve_sequences(
                    company_id, count
                )
            Stat = self.env["pos.customer.ledger.partner.stat"]
            for vals in vals_list:
                sequence = next_sequence[vals["company_id"]]
                next_sequence[vals["company_id"]] += 1
                vals["sequence_number"] = sequence
                vals["name"] = f"LEDG/{fields.Datetime.to_datetime(vals['date']).year}/{sequence:06d}"
                vals["balance"] = Stat._apply_entry(vals)
            return self.create(vals_list)

    @api.model
    def _post_pos_orders(self, orders):
        """Post the orders that have no entry yet; return the new entries."""
        if not orders:
            return self.browse()
        self.flush_model(["pos_order_id"])
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
