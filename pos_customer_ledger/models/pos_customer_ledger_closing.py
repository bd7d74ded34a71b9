import json
import re

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import dates
from ..tools.access import ledger_right

# kind -> closing field holding its total
KIND_TOTALS = {
    "sale": "sale_total",
    "refund": "refund_total",
    "payment": "payment_total",
    "adjustment": "adjustment_total",
    "opening": "opening_total",
}
# The figures an anchor carries: what a closing froze, recomputable from the entries.
ANCHOR_AMOUNTS = ("opening_balance", *KIND_TOTALS.values(), "closing_balance")
ANCHOR_NUMBERS = ("entry_count", "first_sequence", "last_sequence")
ANCHOR_FORMAT = "pos_customer_ledger.closing_anchors"
ANCHOR_VERSION = 1
ANCHOR_FILE_MAX_BYTES = 5 * 1024 * 1024
ANCHOR_HASH = re.compile(r"[0-9a-f]{64}")
ANCHOR_MONTH = re.compile(r"\d{4}-\d{2}")
ANCHOR_AMOUNT = re.compile(r"-?\d{1,15}(\.\d{1,6})?")
# What a user may set on an open closing; the state and every frozen figure are
# written by action_close alone (_freeze), so no client can make up a closed month.
EDITABLE_AT_CREATION = frozenset({"date_from", "company_id"})
EDITABLE = frozenset({"date_from"})
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PosCustomerLedgerClosing(models.Model):
    """A month of a company's ledger, closed by an accountant.

    Closing freezes the month's figures and the chain's last hash, and no
    entry can be dated in the month afterwards. The ledger's dues from the POS
    are tied to the customer receivables in the general ledger.
    """

    _name = "pos.customer.ledger.closing"
    _description = "Customer Ledger Closing"
    _order = "date_from desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, readonly=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(
        string="Month",
        required=True,
        default=lambda self: dates.company_today(self.env.company).replace(day=1) - relativedelta(months=1),
    )
    date_to = fields.Date(compute="_compute_date_to", store=True)
    state = fields.Selection(
        [("draft", "Open"), ("closed", "Closed")], default="draft", required=True, readonly=True, copy=False
    )
    opening_balance = fields.Monetary(readonly=True, copy=False)
    # sales and refunds as far as they go on the customer's account, not the shop's turnover
    sale_total = fields.Monetary(string="Customer-Account Sales", readonly=True, copy=False)
    refund_total = fields.Monetary(string="Customer-Account Refunds", readonly=True, copy=False)
    payment_total = fields.Monetary(string="Payments", readonly=True, copy=False)
    adjustment_total = fields.Monetary(string="Adjustments", readonly=True, copy=False)
    opening_total = fields.Monetary(string="Opening Balances", readonly=True, copy=False)
    closing_balance = fields.Monetary(readonly=True, copy=False)
    entry_count = fields.Integer(string="Entries", readonly=True, copy=False)
    first_sequence = fields.Integer(readonly=True, copy=False, aggregator=None)
    last_sequence = fields.Integer(readonly=True, copy=False, aggregator=None)
    last_hash = fields.Char(
        string="Chain Hash", readonly=True, copy=False, help="Hash of the chain's last entry at closing."
    )
    ledger_pos_dues = fields.Monetary(
        string="Ledger Dues from the POS",
        readonly=True,
        copy=False,
        help="Closing balance without opening balances carried over from another system.",
    )
    gl_receivable = fields.Monetary(
        string="Receivable in the General Ledger",
        readonly=True,
        copy=False,
        help="Customer receivables from the POS and ledger adjustments in the journals "
        "at the end of the month, plus the customer-account sales of sessions not booked yet.",
    )
    difference = fields.Monetary(readonly=True, copy=False)
    closed_by_id = fields.Many2one("res.users", string="Closed By", readonly=True, copy=False)
    closed_date = fields.Datetime(string="Closed On", readonly=True, copy=False)
    # the month's bounds in UTC as taken at closing (months closed before the
    # company's time zone ruled kept their closer's): verification recomputes
    # the frozen figures over the same range
    period_start = fields.Datetime(readonly=True, copy=False)
    period_end = fields.Datetime(readonly=True, copy=False)

    _sql_constraints = [
        ("company_month_uniq", "unique (company_id, date_from)", "A month is closed once per company."),
    ]

    @api.depends("date_from")
    def _compute_date_to(self):
        for closing in self:
            closing.date_to = closing.date_from and closing.date_from + relativedelta(day=31)

    @api.depends("date_from", "company_id")
    def _compute_name(self):
        for closing in self:
            closing.name = closing.date_from and closing.date_from.strftime("%Y-%m")

    @api.constrains("date_from")
    def _check_first_day(self):
        for closing in self:
            if closing.date_from.day != 1:
                raise UserError(self.env._("A ledger closing covers a calendar month; start it on the 1st."))

    @api.constrains("date_from")
    def _check_month_over(self):
        # refused on save, so pressing "Close the Month" on a month not over leaves no draft behind
        for closing in self:
            if closing.state == "draft" and closing.date_to >= dates.company_today(closing.company_id):
                raise UserError(
                    self.env._(
                        "%(month)s is not over yet: it can be closed from %(date)s.",
                        month=closing.name,
                        date=closing.date_to + relativedelta(days=1),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # access errors first: they tell a user what they may do
        for vals in vals_list:
            self._check_editable(vals, EDITABLE_AT_CREATION)
        # a default_state or default_last_hash leaked into the context freezes nothing
        # with_context(**kwargs) would only add to the context: these keys must go
        context = {
            key: value
            for key, value in self.env.context.items()
            if not (key.startswith("default_") and key[len("default_") :] not in EDITABLE_AT_CREATION)
        }
        closings = self.with_context(context)  # pylint: disable=context-overridden
        return super(PosCustomerLedgerClosing, closings).create(vals_list)

    def write(self, vals):
        self.check_access("write")
        if any(closing.state == "closed" for closing in self):
            raise UserError(self.env._("A closed month cannot be changed."))
        self._check_editable(vals, EDITABLE)
        return super().write(vals)

    def _check_editable(self, vals, editable):
        frozen = set(vals) - editable
        if frozen:
            raise UserError(
                self.env._(
                    "A month closing's status and figures are set only by closing the month (%(fields)s).",
                    fields=", ".join(sorted(frozen)),
                )
            )

    def _freeze(self, vals):
        """Write the state and frozen figures: past write(), which refuses them.
        Private, so no RPC reaches it; only action_close calls it."""
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_open(self):
        if any(closing.state == "closed" for closing in self):
            raise UserError(self.env._("A closed month cannot be deleted."))

    def _month_bounds(self):
        """UTC datetimes bounding the month's days in the company's time zone,
        whoever closes it. The month starts where the closed month before it
        ended: one closed in its closer's time zone (before the company's
        ruled) keeps its stored bounds, and no entry falls between two months."""
        start, end = dates.day_range(self.company_id, self.date_from, self.date_to)
        previous = self.sudo().search(
            [
                ("company_id", "=", self.company_id.id),
                ("date_from", "=", self.date_from - relativedelta(months=1)),
                ("state", "=", "closed"),
            ],
            limit=1,
        )
        return previous.period_end or start, end

    @ledger_right("manage")
    def action_close(self):
        Entry = self.env["pos.customer.ledger.entry"].sudo()
        Chain = self.env["pos.customer.ledger.chain"].sudo()
        for closing in self.sorted("date_from"):
            if closing.state == "closed":
                continue
            start, end = closing._month_bounds()
            if closing.date_to >= dates.company_today(closing.company_id):
                raise UserError(self.env._("%(month)s is not over yet.", month=closing.name))
            # the lock keeps postings out while the figures are taken
            head = Chain._lock_head(closing.company_id.id, None)
            last_sequence, last_hash, closed_until = head.last_sequence, head.last_hash, head.closed_until
            if closed_until and closed_until > start:
                raise UserError(
                    self.env._(
                        "%(month)s is already closed: the ledger is closed until %(until)s.",
                        month=closing.name,
                        until=closed_until,
                    )
                )
            figures = closing._compute_figures(start, end)
            Entry.flush_model()
            comparison = Entry.with_company(closing.company_id).with_context(
                allowed_company_ids=closing.company_id.ids
            )
            [(pos_dues, gl_receivable)] = self.env.execute_query(
                SQL(
                    "SELECT COALESCE(SUM(ledger_amount), 0), COALESCE(SUM(accounting_amount), 0) "
                    "FROM (%s) compared",
                    comparison._dues_comparison_sql(closing.date_to),
                )
            )
            currency = closing.currency_id
            self.env.execute_query(
                SQL(
                    "UPDATE pos_customer_ledger_chain SET closed_until = %s WHERE company_id = %s",
                    end,
                    closing.company_id.id,
                )
            )
            Chain.invalidate_model(["closed_until"])
            closing._freeze(
                {
                    **figures,
                    "period_start": start,
                    "period_end": end,
                    "last_sequence": last_sequence,
                    "last_hash": last_hash,
                    "ledger_pos_dues": currency.round(pos_dues),
                    "gl_receivable": currency.round(gl_receivable),
                    "difference": currency.round(pos_dues - gl_receivable),
                    "closed_by_id": self.env.uid,
                    "closed_date": fields.Datetime.now(),
                    "state": "closed",
                }
            )
        return True

    def _compute_figures(self, start, end):
        Entry = self.env["pos.customer.ledger.entry"].sudo()
        company_domain = [("company_id", "=", self.company_id.id)]
        [[opening]] = Entry._read_group([*company_domain, ("date", "<", start)], [], ["amount_due:sum"])
        opening = opening or 0.0
        groups = Entry._read_group(
            [*company_domain, ("date", ">=", start), ("date", "<", end)],
            ["kind"],
            ["amount_due:sum", "__count", "sequence_number:min"],
        )
        figures = dict.fromkeys(KIND_TOTALS.values(), 0.0)
        count, first = 0, 0
        for kind, amount, kind_count, kind_first in groups:
            figures[KIND_TOTALS[kind]] = amount
            count += kind_count
            first = min(first or kind_first, kind_first)
        figures.update(
            opening_balance=opening,
            closing_balance=opening + sum(figures[name] for name in KIND_TOTALS.values()),
            entry_count=count,
            first_sequence=first,
        )
        return figures

    def _report_sections(self):
        """What the closing's PDF and XLSX show, in order: (title, [(label,
        field name, role)]), the role naming the cell format of the XLSX."""
        _ = self.env._
        return [
            (
                _("Ledger"),
                [
                    (_("Opening balance"), "opening_balance", "money"),
                    (_("Customer-account sales"), "sale_total", "money"),
                    (_("Customer-account refunds"), "refund_total", "money"),
                    (_("Payments"), "payment_total", "money"),
                    (_("Adjustments"), "adjustment_total", "money"),
                    (_("Opening balances carried over"), "opening_total", "money"),
                    (_("Closing balance"), "closing_balance", "money_bold"),
                ],
            ),
            (
                _("General Ledger"),
                [
                    (_("Ledger dues from the POS"), "ledger_pos_dues", "money"),
                    (_("Receivable in the general ledger"), "gl_receivable", "money"),
                    (_("Difference"), "difference", "money"),
                ],
            ),
            (
                _("Chain"),
                [
                    (_("Entries in the month"), "entry_count", "integer"),
                    (_("First sequence number"), "first_sequence", "integer"),
                    (_("Last sequence number of the chain"), "last_sequence", "integer"),
                ],
            ),
        ]

    def _customer_balances(self):
        """Per customer over the month: (partner, opening, movements, closing),
        by name; customers with neither a balance nor a movement are left out."""
        start, end = (self.period_start, self.period_end) if self.state == "closed" else self._month_bounds()
        Entry = self.env["pos.customer.ledger.entry"].sudo()
        Entry.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT entry.partner_id,
                       COALESCE(SUM(entry.amount_due) FILTER (WHERE entry.date < %(start)s), 0),
                       COALESCE(SUM(entry.amount_due) FILTER (WHERE entry.date >= %(start)s), 0),
                       COUNT(*) FILTER (WHERE entry.date >= %(start)s)
                  FROM pos_customer_ledger_entry entry
                 WHERE entry.company_id = %(company)s AND entry.date < %(end)s
              GROUP BY entry.partner_id
                """,
                start=start,
                end=end,
                company=self.company_id.id,
            )
        )
        currency = self.currency_id
        partners = self.env["res.partner"].sudo().with_context(active_test=False).browse(r[0] for r in rows)
        names = dict(zip(partners.ids, partners.mapped("display_name"), strict=True))
        result = [
            (names[partner_id], opening, moved, opening + moved)
            for partner_id, opening, moved, count in rows
            if count or not currency.is_zero(opening)
        ]
        return sorted(result, key=lambda row: row[0].lower())

    @ledger_right("audit")
    def export_xlsx(self):
        """The closing as XLSX bytes: totals an auditor can re-add by hand."""
        self.ensure_one()
        return self.env["ir.actions.report"]._render_xlsx(
            "pos_customer_ledger.action_report_ledger_closing_xlsx", self.ids, None
        )[0]

    @ledger_right("audit")
    def action_export_xlsx(self):
        """Download the closing's XLSX, kept as the closing's one attachment:
        each export replaces the file of the previous one."""
        self.ensure_one()
        content = self.export_xlsx()
        values = {
            "name": self.env._("ledger_closing_%(month)s.xlsx", month=self.name),
            "raw": content,
            "mimetype": XLSX_MIMETYPE,
        }
        # attaching needs write access to the closing, which auditors lack; the
        # file is then readable by whoever may read the closing
        Attachment = self.env["ir.attachment"].sudo()
        attachment = Attachment.search(
            [("res_model", "=", self._name), ("res_id", "=", self.id), ("mimetype", "=", XLSX_MIMETYPE)],
            limit=1,
        )
        if attachment:
            attachment.write(values)
        else:
            attachment = Attachment.create({**values, "res_model": self._name, "res_id": self.id})
        return {
            "type": "ir.actions.act_url",
            "target": "download",
            "url": f"/web/content/{attachment.id}?download=true",
        }

    # ---------------------------------------------------------------- anchors

    def _anchor_data(self):
        """The closings' frozen figures as anchors: plain values that an auditor
        keeps outside the database and that verification recomputes from the
        entries. Amounts are text with the currency's decimals, so they stay exact."""
        anchors = []
        for closing in self:
            digits = closing.currency_id.decimal_places
            anchors.append(
                {
                    "company_id": closing.company_id.id,
                    "company": closing.company_id.name,
                    "currency": closing.currency_id.name,
                    "month": closing.name,
                    "period_start": fields.Datetime.to_string(closing.period_start),
                    "period_end": fields.Datetime.to_string(closing.period_end),
                    **{name: closing[name] for name in ANCHOR_NUMBERS},
                    **{name: f"{closing[name] + 0.0:.{digits}f}" for name in ANCHOR_AMOUNTS},
                    "last_hash": closing.last_hash or "",
                }
            )
        return anchors

    @api.model
    def _anchor_file(self, companies):
        """JSON bytes listing every closed month of ``companies`` the user can read."""
        closings = self.search(
            [("company_id", "in", companies.ids), ("state", "=", "closed")], order="company_id, date_from"
        )
        if not closings:
            raise UserError(
                self.env._("No month of the customer ledger is closed yet: there is nothing to export.")
            )
        content = {
            "format": ANCHOR_FORMAT,
            "version": ANCHOR_VERSION,
            "exported_on": fields.Datetime.to_string(fields.Datetime.now()),
            "anchors": closings._anchor_data(),
        }
        return json.dumps(content, indent=2, ensure_ascii=False).encode()

    @api.model
    def _load_anchor_file(self, content, filename=None):
        """The anchors of an exported anchor file, checked field by field; a
        translated UserError names what is wrong with a file that is not one."""
        _ = self.env._
        name = filename or _("The file")
        if len(content) > ANCHOR_FILE_MAX_BYTES:
            raise UserError(
                _(
                    "%(file)s is larger than %(size)s MB; an anchor file is much smaller.",
                    file=name,
                    size=ANCHOR_FILE_MAX_BYTES // (1024 * 1024),
                )
            )
        try:
            data = json.loads(content)
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if (
            not isinstance(data, dict)
            or data.get("format") != ANCHOR_FORMAT
            or not isinstance(data.get("anchors"), list)
        ):
            raise UserError(
                _("%(file)s is not a file of closing anchors exported from the customer ledger.", file=name)
            )
        if data.get("version") != ANCHOR_VERSION:
            raise UserError(_("%(file)s has an anchor format this version cannot read.", file=name))
        anchors, seen = [], set()
        for position, raw in enumerate(data["anchors"], start=1):
            anchor = self._load_anchor(raw, position, name)
            key = (anchor["company_id"], anchor["month"])
            if key in seen:
                raise UserError(
                    _(
                        "%(file)s lists %(month)s of %(company)s twice.",
                        file=name,
                        month=anchor["month"],
                        company=anchor["company"],
                    )
                )
            seen.add(key)
            anchors.append(anchor)
        if not anchors:
            raise UserError(_("%(file)s holds no anchor.", file=name))
        return anchors

    @api.model
    def _load_anchor(self, anchor, position, filename):
        anchor = anchor if isinstance(anchor, dict) else {}
        loaded = {}

        def invalid(field):
            return UserError(
                self.env._(
                    "%(file)s, anchor %(position)s: %(field)s is missing or not valid.",
                    file=filename,
                    position=position,
                    field=field,
                )
            )

        for field in ("company_id", *ANCHOR_NUMBERS):
            value = anchor.get(field)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
                raise invalid(field)
            loaded[field] = value
        for field in ("company", "currency", "month"):
            if not isinstance(anchor.get(field), str):
                raise invalid(field)
            loaded[field] = anchor[field]
        if not ANCHOR_MONTH.fullmatch(loaded["month"]):
            raise invalid("month")
        for field in ("period_start", "period_end"):
            try:
                value = fields.Datetime.to_datetime(anchor.get(field))
            except (TypeError, ValueError):
                value = None
            if not value:
                raise invalid(field)
            loaded[field] = fields.Datetime.to_string(value)
        for field in ANCHOR_AMOUNTS:
            value = anchor.get(field)
            text = value if isinstance(value, str) else repr(value)
            if isinstance(value, bool) or not ANCHOR_AMOUNT.fullmatch(text):
                raise invalid(field)
            loaded[field] = text
        last_hash = anchor.get("last_hash")
        if not isinstance(last_hash, str) or not (
            ANCHOR_HASH.fullmatch(last_hash) or (last_hash == "" and loaded["last_sequence"] == 0)
        ):
            raise invalid("last_hash")
        loaded["last_hash"] = last_hash
        return loaded

    @ledger_right("audit")
    def action_export_anchors(self):
        """Download the anchors of every closed month of the current companies."""
        wizard = self.env["pos.customer.ledger.verify.wizard"].create(
            {"company_ids": [Command.set(self.env.companies.ids)]}
        )
        return wizard.action_export_anchors()
