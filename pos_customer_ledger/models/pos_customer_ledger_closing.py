import base64
import io
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.access import ledger_right
from ..tools.xlsx import new_workbook, write_text

# kind -> closing field holding its total
KIND_TOTALS = {
    "sale": "sale_total",
    "refund": "refund_total",
    "payment": "payment_total",
    "adjustment": "adjustment_total",
    "opening": "opening_total",
}


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
        default=lambda self: fields.Date.context_today(self).replace(day=1) - relativedelta(months=1),
    )
    date_to = fields.Date(compute="_compute_date_to", store=True)
    state = fields.Selection(
        [("draft", "Open"), ("closed", "Closed")], default="draft", required=True, readonly=True
    )
    opening_balance = fields.Monetary(readonly=True)
    sale_total = fields.Monetary(string="Sales", readonly=True)
    refund_total = fields.Monetary(string="Refunds", readonly=True)
    payment_total = fields.Monetary(string="Payments", readonly=True)
    adjustment_total = fields.Monetary(string="Adjustments", readonly=True)
    opening_total = fields.Monetary(string="Opening Balances", readonly=True)
    closing_balance = fields.Monetary(readonly=True)
    entry_count = fields.Integer(string="Entries", readonly=True)
    first_sequence = fields.Integer(readonly=True, aggregator=None)
    last_sequence = fields.Integer(readonly=True, aggregator=None)
    last_hash = fields.Char(
        string="Chain Hash", readonly=True, help="Hash of the chain's last entry at closing."
    )
    ledger_pos_dues = fields.Monetary(
        string="Ledger Dues from the POS",
        readonly=True,
        help="Closing balance without opening balances carried over from another system.",
    )
    gl_receivable = fields.Monetary(
        string="Receivable in the General Ledger",
        readonly=True,
        help="Customer receivables from the POS and ledger adjustments in the journals "
        "at the end of the month, plus the customer-account sales of sessions not booked yet.",
    )
    difference = fields.Monetary(readonly=True)
    closed_by_id = fields.Many2one("res.users", string="Closed By", readonly=True)
    closed_date = fields.Datetime(string="Closed On", readonly=True)

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

    def write(self, vals):
        if any(closing.state == "closed" for closing in self):
            raise UserError(self.env._("A closed month cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_open(self):
        if any(closing.state == "closed" for closing in self):
            raise UserError(self.env._("A closed month cannot be deleted."))

    def _month_bounds(self):
        """UTC datetimes bounding the month's days in the user's time zone."""
        tz = pytz.timezone(self.env.user.tz or "UTC")

        def to_utc(day):
            return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

        return to_utc(self.date_from), to_utc(self.date_to + timedelta(days=1))

    @ledger_right("manage")
    def action_close(self):
        Entry = self.env["pos.customer.ledger.entry"].sudo()
        Chain = self.env["pos.customer.ledger.chain"].sudo()
        for closing in self.sorted("date_from"):
            if closing.state == "closed":
                continue
            start, end = closing._month_bounds()
            if closing.date_to >= fields.Date.context_today(self):
                raise UserError(self.env._("%(month)s is not over yet.", month=closing.name))
            # the lock keeps postings out while the figures are taken
            last_sequence, last_hash, _balance, closed_until, _tz = Chain._lock_head(
                closing.company_id.id, None
            )
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
            closing.write(
                {
                    **figures,
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

    @ledger_right("audit")
    def export_xlsx(self):
        """The closing as XLSX bytes: totals an auditor can re-add by hand."""
        self.ensure_one()
        _ = self.env._
        output = io.BytesIO()
        workbook = new_workbook(output, in_memory=True)
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00;-#,##0.00"})
        money_bold = workbook.add_format({"num_format": "#,##0.00;-#,##0.00", "bold": True, "top": 1})
        sheet = workbook.add_worksheet(_("Closing"))
        sheet.set_column(0, 0, 38)
        sheet.set_column(1, 1, 70)
        state = dict(self._fields["state"]._description_selection(self.env))[self.state]
        write_text(sheet, 0, 0, _("Customer Ledger Closing %(month)s", month=self.name), bold)
        write_text(sheet, 1, 0, self.company_id.name)
        write_text(sheet, 2, 0, _("Status"))
        write_text(sheet, 2, 1, state)
        write_text(sheet, 3, 0, _("Currency"))
        write_text(sheet, 3, 1, self.currency_id.name)
        rows = [
            (_("Opening balance"), self.opening_balance, money),
            (_("Sales"), self.sale_total, money),
            (_("Refunds"), self.refund_total, money),
            (_("Payments"), self.payment_total, money),
            (_("Adjustments"), self.adjustment_total, money),
            (_("Opening balances carried over"), self.opening_total, money),
            (_("Closing balance"), self.closing_balance, money_bold),
        ]
        row = 5
        for label, amount, style in rows:
            write_text(sheet, row, 0, label)
            sheet.write_number(row, 1, amount, style)
            row += 1
        row += 1
        for label, value in (
            (_("Ledger dues from the POS"), self.ledger_pos_dues),
            (_("Receivable in the general ledger"), self.gl_receivable),
            (_("Difference"), self.difference),
        ):
            write_text(sheet, row, 0, label)
            sheet.write_number(row, 1, value, money)
            row += 1
        row += 1
        for label, value in (
            (_("Entries"), self.entry_count),
            (_("First sequence number"), self.first_sequence),
            (_("Last sequence number of the chain"), self.last_sequence),
        ):
            write_text(sheet, row, 0, label)
            sheet.write_number(row, 1, value)
            row += 1
        write_text(sheet, row, 0, _("Hash of the chain's last entry"))
        write_text(sheet, row, 1, self.last_hash or "")
        write_text(sheet, row + 1, 0, _("Closed by"))
        write_text(sheet, row + 1, 1, self.closed_by_id.name or "")
        workbook.close()
        return output.getvalue()

    @ledger_right("audit")
    def action_export_xlsx(self):
        self.ensure_one()
        # attaching needs write access to the closing, which auditors lack; the
        # file is then readable by whoever may read the closing
        Attachment = self.env["ir.attachment"].sudo()
        attachment = Attachment.create(
            {
                "name": self.env._("ledger_closing_%(month)s.xlsx", month=self.name),
                "datas": base64.b64encode(self.export_xlsx()),
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "target": "download",
            "url": f"/web/content/{attachment.id}?download=true",
        }
