"""The customer statement's reports: the PDF and the XLSX of a statement
wizard, and the outstanding statement of customers as of today (their Print
menu, the statement mail). All read the wizard's ``_get_statement_data``."""

import re

from odoo import api, models
from odoo.tools.misc import babel_locale_parse, format_datetime, get_lang, posix_to_ldml

from ..tools.access import check_ledger_right, ledger_right
from ..tools.dates import company_today
from ..tools.xlsx import add_formats, write_text

# rows above it: title, company, period, customer
HEADER_ROW = 4
# characters Excel refuses in a sheet name
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name, taken, fallback):
    """A valid sheet name for ``name``: no forbidden characters, at most 31
    characters, unique in ``taken`` (Excel ignores case), which it joins."""
    base = SHEET_NAME_FORBIDDEN.sub(" ", name or "").strip().strip("'").strip()[:31] or fallback
    candidate, number = base, 1
    while candidate.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.casefold())
    return candidate


def _line_time_formatter(env):
    """Formats a line's time (the company's already) in a language's date
    format and its time format without seconds."""

    def format_line_time(value, lang_code):
        lang = get_lang(env, lang_code)
        locale = babel_locale_parse(lang.code)
        pattern = posix_to_ldml(f"{lang.date_format} {lang.short_time_format}", locale=locale)
        return format_datetime(env, value, tz="UTC", dt_format=pattern, lang_code=lang.code)

    return format_line_time


def _report_values(env, data):
    """QWeb values of a statement, one document per customer."""
    statements = data["statements"]
    return {
        **data,
        "format_line_time": _line_time_formatter(env),
        "doc_ids": [statement["partner"].id for statement in statements],
        "doc_model": "res.partner",
        "docs": [statement["partner"] for statement in statements],
        "statement_of": {statement["partner"].id: statement for statement in statements},
    }


class CustomerStatementReport(models.AbstractModel):
    """PDF of a statement wizard."""

    _name = "report.pos_customer_ledger.customer_statement"
    _description = "Customer Ledger Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        # the report engine calls this directly (report routes, RPC)
        check_ledger_right(self.env, "audit")
        wizard = self.env["pos.customer.ledger.statement.wizard"].browse(docids)
        return _report_values(self.env, wizard._get_statement_data())


class PartnerOutstandingStatementReport(models.AbstractModel):
    """PDF of what the customers owe as of the company's today."""

    _name = "report.pos_customer_ledger.partner_outstanding_statement"
    _description = "Customer Ledger Outstanding Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        check_ledger_right(self.env, "audit")
        today = company_today(self.env.company)
        statement = self.env["pos.customer.ledger.statement.wizard"].new(
            {
                "partner_ids": docids,
                "statement_type": "outstanding",
                "date_from": today,
                "date_to": today,
                "company_id": self.env.company.id,
            }
        )
        return _report_values(self.env, statement._get_statement_data())


class CustomerStatementXlsx(models.AbstractModel):
    """XLSX of a statement wizard."""

    _name = "report.pos_customer_ledger.customer_statement_xlsx"
    _inherit = "report.pos_customer_ledger.abstract_xlsx"
    _description = "Customer Ledger Statement XLSX"

    @ledger_right("audit")
    def generate_xlsx_report(self, workbook, data, objs):
        """One sheet per customer, its header row frozen."""
        objs.ensure_one()
        # report_xlsx's ``data`` holds nothing: the wizard has the statement
        statement = objs._get_statement_data()
        _ = self.env._
        fmt = add_formats(workbook)
        # a negative balance is what the shop owes the customer: shown as a credit
        credit_word = _("Credit").replace('"', "")
        balance = add_formats(workbook, money=f'#,##0.00;#,##0.00 "{credit_word}"')
        fmt["balance"], fmt["balance_bold"] = balance["money"], balance["money_bold"]
        if statement["statement_type"] == "outstanding":
            title = _("Outstanding Statement")
            period = _(
                "Due as of %(date)s, amounts in %(currency)s",
                date=statement["date_to"],
                currency=statement["currency"].name,
            )
            columns, write_lines = self._outstanding_columns(), self._write_outstanding
        else:
            title = _("Customer Statement")
            period = _(
                "Period: %(start)s to %(end)s, amounts in %(currency)s",
                start=statement["date_from"],
                end=statement["date_to"],
                currency=statement["currency"].name,
            )
            columns, write_lines = self._activity_columns(), self._write_activity
        names = set()
        for customer in statement["statements"]:
            partner = customer["partner"]
            sheet = workbook.add_worksheet(sheet_name(partner.display_name, names, _("Customer")))
            write_text(sheet, 0, 0, title, fmt["title"])
            write_text(sheet, 1, 0, statement["company"].name, fmt["bold"])
            write_text(sheet, 2, 0, period)
            write_text(sheet, 3, 0, partner.display_name, fmt["title"])
            for col, (column_title, width) in enumerate(columns):
                write_text(sheet, HEADER_ROW, col, column_title, fmt["header"])
                sheet.set_column(col, col, width)
            sheet.freeze_panes(HEADER_ROW + 1, 0)
            write_lines(sheet, fmt, customer, HEADER_ROW + 1)

    @api.model
    def _kind_labels(self):
        return dict(self.env["pos.customer.ledger.entry"]._fields["kind"]._description_selection(self.env))

    @api.model
    def _activity_columns(self):
        _ = self.env._
        return [
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

    @api.model
    def _outstanding_columns(self):
        _ = self.env._
        return [
            (_("Date"), 17),
            (_("Reference"), 18),
            (_("Type"), 14),
            (_("POS Order"), 24),
            (_("Due Date"), 12),
            (_("Days Overdue"), 13),
            (_("Amount"), 14),
            (_("Still Due"), 14),
        ]

    @api.model
    def _write_activity(self, sheet, fmt, statement, row):
        _ = self.env._
        kinds = self._kind_labels()
        write_text(sheet, row, 1, _("Opening balance"), fmt["bold"])
        sheet.write_number(row, 8, statement["opening"], fmt["balance"])
        row += 1
        for line in statement["lines"]:
            sheet.write_datetime(row, 0, line["date"], fmt["datetime"])
            write_text(sheet, row, 1, line["name"])
            write_text(sheet, row, 2, kinds[line["kind"]])
            write_text(sheet, row, 3, line["order"])
            write_text(sheet, row, 4, line["point_of_sale"])
            write_text(sheet, row, 5, line["cashier"])
            sheet.write_number(row, 6, line["total"], fmt["money"])
            sheet.write_number(row, 7, line["dues"], fmt["money"])
            sheet.write_number(row, 8, line["balance"], fmt["balance"])
            row += 1
        write_text(sheet, row, 1, _("Totals"), fmt["bold"])
        sheet.write_number(row, 7, statement["dues"], fmt["money_bold"])
        row += 1
        write_text(sheet, row, 1, _("Closing balance"), fmt["bold"])
        sheet.write_number(row, 8, statement["closing"], fmt["balance_bold"])

    @api.model
    def _write_outstanding(self, sheet, fmt, statement, row):
        _ = self.env._
        kinds = self._kind_labels()
        bucket_titles = [_("Not Due"), _("1-30 Days"), _("31-60 Days"), _("61-90 Days"), _("Over 90 Days")]
        for line in statement["lines"]:
            sheet.write_datetime(row, 0, line["date"], fmt["datetime"])
            write_text(sheet, row, 1, line["name"])
            write_text(sheet, row, 2, kinds[line["kind"]])
            write_text(sheet, row, 3, line["order"])
            sheet.write_datetime(row, 4, line["due_date"], fmt["day"])
            sheet.write_number(row, 5, line["days_overdue"])
            sheet.write_number(row, 6, line["amount"], fmt["money"])
            sheet.write_number(row, 7, line["open_amount"], fmt["money"])
            row += 1
        write_text(sheet, row, 1, _("Totals"), fmt["bold"])
        sheet.write_number(row, 6, statement["amount"], fmt["money_bold"])
        sheet.write_number(row, 7, statement["open_amount"], fmt["money_bold"])
        row += 2
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
