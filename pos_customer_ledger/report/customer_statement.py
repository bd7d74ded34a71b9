import io
from datetime import datetime, time, timedelta

import pytz
import xlsxwriter

from odoo import api, fields, models
from odoo.exceptions import UserError

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
    def _get_statement_data(self, partners, date_from, date_to):
        date_from, date_to, start, end = self._period_bounds(date_from, date_to)
        if not partners:
            raise UserError(self.env._("Select at least one customer for the statement."))
        company = self.env.company
        partners = self.env["res.partner"].search([("id", "in", partners.commercial_partner_id.ids)])
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
            statements.append(
                {
                    "partner": partner,
                    "opening": opening_balance,
                    "lines": partner_lines,
                    "total": sum(entry.amount_total for entry in partner_lines),
                    "dues": dues,
                    "closing": opening_balance + dues,
                }
            )
        return {
            "company": company,
            "currency": company.currency_id,
            "date_from": date_from,
            "date_to": date_to,
            "statements": statements,
        }

    @api.model
    def _render_xlsx(self, partners, date_from, date_to):
        data = self._get_statement_data(partners, date_from, date_to)
        _ = self.env._
        kinds = dict(self.env["pos.customer.ledger.entry"]._fields["kind"]._description_selection(self.env))
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
        money_format = "#,##0.00;-#,##0.00"
        fmt = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "bold": workbook.add_format({"bold": True}),
            "header": workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#EEEEEE"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "money": workbook.add_format({"num_format": money_format}),
            "money_bold": workbook.add_format({"num_format": money_format, "bold": True, "top": 1}),
        }
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
        sheet = workbook.add_worksheet(_("Statement"))
        for col, (_title, width) in enumerate(columns):
            sheet.set_column(col, col, width)
        company = data["company"]
        sheet.write(0, 0, _("Customer Statement"), fmt["title"])
        sheet.write(1, 0, company.name, fmt["bold"])
        sheet.write(
            2,
            0,
            _(
                "Period: %(start)s to %(end)s, amounts in %(currency)s",
                start=data["date_from"],
                end=data["date_to"],
                currency=data["currency"].name,
            ),
        )
        row = 4
        for statement in data["statements"]:
            sheet.write(row, 0, statement["partner"].display_name, fmt["title"])
            row += 1
            for col, (title, _width) in enumerate(columns):
                sheet.write(row, col, title, fmt["header"])
            row += 1
            sheet.write(row, 1, _("Opening balance"), fmt["bold"])
            sheet.write_number(row, 8, statement["opening"], fmt["money"])
            row += 1
            balance = statement["opening"]
            for entry in statement["lines"]:
                balance += entry.amount_due
                local_date = fields.Datetime.context_timestamp(self, entry.date).replace(tzinfo=None)
                sheet.write_datetime(row, 0, local_date, fmt["date"])
                sheet.write(row, 1, entry.name)
                sheet.write(row, 2, kinds[entry.kind])
                sheet.write(row, 3, entry.pos_order_id.name or "")
                sheet.write(row, 4, entry.config_id.name or "")
                sheet.write(row, 5, entry.user_id.name or "")
                sheet.write_number(row, 6, entry.amount_total, fmt["money"])
                sheet.write_number(row, 7, entry.amount_due, fmt["money"])
                sheet.write_number(row, 8, balance, fmt["money"])
                row += 1
            sheet.write(row, 1, _("Totals"), fmt["bold"])
            sheet.write_number(row, 6, statement["total"], fmt["money_bold"])
            sheet.write_number(row, 7, statement["dues"], fmt["money_bold"])
            row += 1
            sheet.write(row, 1, _("Closing balance"), fmt["bold"])
            sheet.write_number(row, 8, statement["closing"], fmt["money_bold"])
            row += 2
        workbook.close()
        return output.getvalue()
