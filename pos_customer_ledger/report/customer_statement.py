import io
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.access import check_ledger_right
from ..tools.xlsx import new_workbook, write_text
from .pos_customer_ledger_aging import AGING_BUCKETS

ENTRY_FIELDS = [
    "date",
    "name",
    "kind",
    "pos_order_id",
    "config_id",
    "user_id",
    "amount_total",
    "amount_due",
    "partner_id",
]


class CustomerStatementReport(models.AbstractModel):
    """Customer statement data, gathered once for every output format."""

    _name = "report.pos_customer_ledger.customer_statement"
    _description = "Customer Ledger Statement"

    @api.model
    def _period_bounds(self, date_from, date_to):
        """UTC datetimes bounding the period's days in the user's time zone."""
        if not date_from or not date_to:
            raise UserError(self.env._("A customer statement needs a start date and an end date."))
        date_from, date_to = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        if date_from > date_to:
            raise UserError(
                self.env._(
                    "The statement period is empty: %(start)s is after %(end)s.",
                    start=date_from,
                    end=date_to,
                )
            )
        tz = pytz.timezone(self.env.user.tz or "UTC")

        def to_utc(day):
            return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

        return date_from, date_to, to_utc(date_from), to_utc(date_to + timedelta(days=1))

    @api.model
    def _get_statement_data(self, partners, date_from, date_to, statement_type="activity"):
        """Statement of each customer for every output format.

        ``activity``: opening balance, the period's entries, closing balance.
        ``outstanding``: what is still due at the end of the period, entry by
        entry with its due date and age (oldest dues settled first), and the
        aging buckets.
        """
        date_from, date_to, start, end = self._period_bounds(date_from, date_to)
        if not partners:
            raise UserError(self.env._("Select at least one customer for the statement."))
        if statement_type not in ("activity", "outstanding"):
            raise UserError(self.env._("Unknown statement type %(type)s.", type=statement_type))
        company = self.env.company
        partners = self.env["res.partner"].search([("id", "in", partners.commercial_partner_id.ids)])
        data = {
            "company": company,
            "currency": company.currency_id,
            "date_from": date_from,
            "date_to": date_to,
            "statement_type": statement_type,
        }
        if statement_type == "outstanding":
            data["statements"] = self._outstanding_statements(partners, date_to)
        else:
            data["statements"] = self._activity_statements(partners, start, end)
        return data

    @api.model
    def _activity_statements(self, partners, start, end):
        company = self.env.company
        Entry = self.env["pos.customer.ledger.entry"]
        base_domain = [("partner_id", "in", partners.ids), ("company_id", "=", company.id)]
        opening = {
            partner.id: amount
            for partner, amount in Entry._read_group(
                [*base_domain, ("date", "<", start)], ["partner_id"], ["amount_due:sum"]
            )
        }
        lines = {partner.id: [] for partner in partners}
        entries = Entry.search_fetch(
            [*base_domain, ("date", ">=", start), ("date", "<", end)],
            ENTRY_FIELDS,
            order="date, sequence_number",
        ).sudo()  # rules applied by the search; sudo only reads the linked names
        for entry in entries:
            lines[entry.partner_id.id].append(entry)
        statements = []
        for partner in partners:
            partner_lines = lines[partner.id]
            opening_balance = opening.get(partner.id, 0.0)
            dues = sum(entry.amount_due for entry in partner_lines)
            balance, running = opening_balance, []
            for entry in partner_lines:
                balance += entry.amount_due
                running.append(balance)
            statements.append(
                {
                    "partner": partner,
                    "opening": opening_balance,
                    "lines": partner_lines,
                    "balances": running,
                    "total": sum(entry.amount_total for entry in partner_lines),
                    "dues": dues,
                    "closing": opening_balance + dues,
                    "credit": max(-(opening_balance + dues), 0.0),
                }
            )
        return statements

    @api.model
    def _outstanding_statements(self, partners, date):
        Aging = self.env["pos.customer.ledger.aging"].with_company(self.env.company)
        Aging = Aging.with_context(allowed_company_ids=[self.env.company.id])
        self.env.flush_all()
        items = Aging.env.execute_query_dict(
            SQL(
                "SELECT * FROM (%s) items WHERE entry_id IS NOT NULL AND open_amount > 0 "
                "ORDER BY due_date, entry_id",
                Aging._open_items_sql(date, partners.ids),
            )
        )
        entries = self.env["pos.customer.ledger.entry"].sudo().browse([item["entry_id"] for item in items])
        entries.fetch(ENTRY_FIELDS)
        aging = {row["partner_id"]: row for row in Aging.get_aged_dues(date, partners.ids)}
        lines = {partner.id: [] for partner in partners}
        for item in items:
            lines[item["partner_id"]].append(
                {
                    "entry": self.env["pos.customer.ledger.entry"].sudo().browse(item["entry_id"]),
                    "due_date": item["due_date"],
                    "days_overdue": max((date - item["due_date"]).days, 0),
                    "amount": float(item["amount"]),
                    "open_amount": float(item["open_amount"]),
                }
            )
        statements = []
        for partner in partners:
            buckets = aging.get(partner.id, {})
            statements.append(
                {
                    "partner": partner,
                    "lines": lines[partner.id],
                    "buckets": [(name, float(buckets.get(name) or 0.0)) for name in AGING_BUCKETS],
                    "closing": float(buckets.get("balance") or 0.0),
                    "credit": float(buckets.get("credit") or 0.0),
                }
            )
        return statements

    @api.model
    def _get_report_values(self, docids, data=None):
        """Values of the PDF statement (QWeb), one document per customer."""
        # the report engine calls this directly (print menus, mail templates)
        check_ledger_right(self.env, "audit")
        # without data (e.g. a mail template's attachment) the context tells what to print
        data = data or {}
        context = self.env.context
        date_to = fields.Date.to_date(
            data.get("date_to") or context.get("ledger_statement_date") or fields.Date.context_today(self)
        )
        partners = self.env["res.partner"].browse(docids)
        statement_data = self._get_statement_data(
            partners,
            data.get("date_from") or date_to.replace(day=1),
            date_to,
            data.get("statement_type") or context.get("ledger_statement_type") or "activity",
        )
        return {
            **statement_data,
            "doc_ids": statement_data and [st["partner"].id for st in statement_data["statements"]],
            "doc_model": "res.partner",
            "docs": [st["partner"] for st in statement_data["statements"]],
            "statement_of": {st["partner"].id: st for st in statement_data["statements"]},
        }

    @api.model
    def _render_xlsx(self, partners, date_from, date_to, statement_type="activity"):
        data = self._get_statement_data(partners, date_from, date_to, statement_type)
        _ = self.env._
        output = io.BytesIO()
        workbook = new_workbook(output, constant_memory=True)
        money_format = "#,##0.00;-#,##0.00"
        # a negative balance is what the shop owes the customer: shown as a credit
        credit_word = _("Credit").replace('"', "")
        balance_format = f'#,##0.00;#,##0.00 "{credit_word}"'
        fmt = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "bold": workbook.add_format({"bold": True}),
            "header": workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#EEEEEE"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "day": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "money": workbook.add_format({"num_format": money_format}),
            "money_bold": workbook.add_format({"num_format": money_format, "bold": True, "top": 1}),
            "balance": workbook.add_format({"num_format": balance_format}),
            "balance_bold": workbook.add_format({"num_format": balance_format, "bold": True, "top": 1}),
        }
        sheet = workbook.add_worksheet(_("Statement"))
        company = data["company"]
        if statement_type == "outstanding":
            title = _("Outstanding Statement")
            period = _(
                "Due as of %(date)s, amounts in %(currency)s",
                date=data["date_to"],
                currency=data["currency"].name,
            )
        else:
            title = _("Customer Statement")
            period = _(
                "Period: %(start)s to %(end)s, amounts in %(currency)s",
                start=data["date_from"],
                end=data["date_to"],
                currency=data["currency"].name,
            )
        write_text(sheet, 0, 0, title, fmt["title"])
        write_text(sheet, 1, 0, company.name, fmt["bold"])
        write_text(sheet, 2, 0, period)
        if statement_type == "outstanding":
            self._write_outstanding_xlsx(sheet, fmt, data)
        else:
            self._write_activity_xlsx(sheet, fmt, data)
        workbook.close()
        return output.getvalue()

    @api.model
    def _kind_labels(self):
        return dict(self.env["pos.customer.ledger.entry"]._fields["kind"]._description_selection(self.env))

    @api.model
    def _set_columns(self, sheet, columns):
        for col, (_title, width) in enumerate(columns):
            sheet.set_column(col, col, width)

    @api.model
    def _write_customer_header(self, sheet, fmt, row, partner, columns):
        """The customer's name and the column titles; returns the next row."""
        write_text(sheet, row, 0, partner.display_name, fmt["title"])
        for col, (title, _width) in enumerate(columns):
            write_text(sheet, row + 1, col, title, fmt["header"])
        return row + 2

    @api.model
    def _write_activity_xlsx(self, sheet, fmt, data):
        _ = self.env._
        kinds = self._kind_labels()
        columns = [
            (_("Date"), 17),
            (_("Reference"), 18),
            (_("Type"), 14),
            (_("POS Order"), 24),
            (_("Point of Sale"), 18),
            (_("Cashier"), 18),
            (_("Total"), 14),
            (_("Dues Change"), 14),
            (_("Balance"), 14),
        ]
        self._set_columns(sheet, columns)
        row = 4
        for statement in data["statements"]:
            row = self._write_customer_header(sheet, fmt, row, statement["partner"], columns)
            write_text(sheet, row, 1, _("Opening balance"), fmt["bold"])
            sheet.write_number(row, 8, statement["opening"], fmt["balance"])
            row += 1
            for entry, balance in zip(statement["lines"], statement["balances"], strict=True):
                local_date = fields.Datetime.context_timestamp(self, entry.date).replace(tzinfo=None)
                sheet.write_datetime(row, 0, local_date, fmt["date"])
                write_text(sheet, row, 1, entry.name)
                write_text(sheet, row, 2, kinds[entry.kind])
                write_text(sheet, row, 3, entry.pos_order_id.name or "")
                write_text(sheet, row, 4, entry.config_id.name or "")
                write_text(sheet, row, 5, entry.user_id.name or "")
                sheet.write_number(row, 6, entry.amount_total, fmt["money"])
                sheet.write_number(row, 7, entry.amount_due, fmt["money"])
                sheet.write_number(row, 8, balance, fmt["balance"])
                row += 1
            write_text(sheet, row, 1, _("Totals"), fmt["bold"])
            sheet.write_number(row, 6, statement["total"], fmt["money_bold"])
            sheet.write_number(row, 7, statement["dues"], fmt["money_bold"])
            row += 1
            write_text(sheet, row, 1, _("Closing balance"), fmt["bold"])
            sheet.write_number(row, 8, statement["closing"], fmt["balance_bold"])
            row += 2

    @api.model
    def _write_outstanding_xlsx(self, sheet, fmt, data):
        _ = self.env._
        kinds = self._kind_labels()
        columns = [
            (_("Date"), 17),
            (_("Reference"), 18),
            (_("Type"), 14),
            (_("POS Order"), 24),
            (_("Due Date"), 12),
            (_("Days Overdue"), 13),
            (_("Amount"), 14),
            (_("Still Due"), 14),
        ]
        bucket_titles = [_("Not Due"), _("1-30 Days"), _("31-60 Days"), _("61-90 Days"), _("Over 90 Days")]
        self._set_columns(sheet, columns)
        row = 4
        for statement in data["statements"]:
            row = self._write_customer_header(sheet, fmt, row, statement["partner"], columns)
            for line in statement["lines"]:
                entry = line["entry"]
                local_date = fields.Datetime.context_timestamp(self, entry.date).replace(tzinfo=None)
                sheet.write_datetime(row, 0, local_date, fmt["date"])
                write_text(sheet, row, 1, entry.name)
                write_text(sheet, row, 2, kinds[entry.kind])
                write_text(sheet, row, 3, entry.pos_order_id.name or "")
                sheet.write_datetime(row, 4, line["due_date"], fmt["day"])
                sheet.write_number(row, 5, line["days_overdue"])
                sheet.write_number(row, 6, line["amount"], fmt["money"])
                sheet.write_number(row, 7, line["open_amount"], fmt["money"])
                row += 1
            for col, title in enumerate(bucket_titles, start=3):
                write_text(sheet, row, col, title, fmt["header"])
            row += 1
            write_text(sheet, row, 1, _("Aging"), fmt["bold"])
            for col, (_name, amount) in enumerate(statement["buckets"], start=3):
                sheet.write_number(row, col, amount, fmt["money"])
            row += 1
            write_text(sheet, row, 1, _("Total due"), fmt["bold"])
            sheet.write_number(row, 7, statement["closing"], fmt["money_bold"])
            if statement["credit"]:
                row += 1
                write_text(sheet, row, 1, _("Credit"), fmt["bold"])
                sheet.write_number(row, 7, statement["credit"], fmt["money_bold"])
            row += 2
