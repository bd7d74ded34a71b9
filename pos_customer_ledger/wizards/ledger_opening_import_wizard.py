import base64
import binascii
import csv
import io
import math
import re
import zipfile
from datetime import date, datetime

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.access import ledger_right

# Accepted header names per column, lower case; the first is the documented one.
COLUMN_ALIASES = {
    "customer": ("customer", "customer_ref", "ref", "partner", "客户", "客户编号", "客户名称"),
    "amount": ("amount", "balance", "opening_balance", "金额", "余额", "期初余额"),
    "date": ("date", "日期"),
    "reason": ("reason", "note", "原因", "备注"),
    "currency": ("currency", "币种", "货币"),
}
REQUIRED_COLUMNS = ("customer", "amount")
# 2026-01-31, 2026/1/31, 2026.01.31 and 2026年1月31日
DATE_PATTERN = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
AMOUNT_NOISE = re.compile(r"[\s,¥￥$€]")


class LedgerOpeningImportWizard(models.TransientModel):
    _name = "pos.customer.ledger.opening.import.wizard"
    _description = "Import Opening Balances"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    file = fields.Binary(required=True, help="CSV (UTF-8 or GB18030) or XLSX file, one customer per row.")
    filename = fields.Char()
    date = fields.Date(
        string="Default Date",
        required=True,
        default=fields.Date.context_today,
        help="Date of the rows that have no date.",
    )
    reason = fields.Char(
        string="Default Reason",
        required=True,
        default=lambda self: self.env._("Opening balance carried over from the previous system"),
        help="Reason of the rows that have no reason.",
    )

    @ledger_right("manage")
    def action_import(self):
        self.ensure_one()
        entries = self._import()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Imported Opening Balances"),
            "res_model": entries._name,
            "view_mode": "list,form",
            "domain": [("id", "in", entries.ids)],
        }

    def _import(self):
        """Validate the whole file, then post one opening entry per row.

        Any bad row rejects the whole file, with every problem listed by line
        number; posting happens in one savepoint, so nothing is half imported.
        """
        rows = self._read_rows()
        vals_list, errors = self._validate_rows(rows)
        if errors:
            raise UserError(
                self.env._("The file was not imported. Correct these rows and import it again:")
                + "\n"
                + "\n".join(errors)
            )
        with self.env.cr.savepoint():
            return self.env["pos.customer.ledger.entry"]._post(vals_list)

    # ---------------------------------------------------------------- reading

    def _read_rows(self):
        """The file's data rows as ``(line number, {column: raw value})``."""
        try:
            content = base64.b64decode(self.file or b"", validate=True)
        except (binascii.Error, ValueError):
            content = b""
        if not content:
            raise UserError(self.env._("The file is empty."))
        if zipfile.is_zipfile(io.BytesIO(content)):
            table = self._read_xlsx(content)
        else:
            table = self._read_csv(content)
        table = [(line, cells) for line, cells in table if any(self._text(cell) for cell in cells)]
        if not table:
            raise UserError(self.env._("The file is empty."))
        header_line, header = table[0]
        positions = self._column_positions(header)
        return [
            (
                line,
                {column: cells[index] if index < len(cells) else None for column, index in positions.items()},
            )
            for line, cells in table[1:]
        ]

    def _read_xlsx(self, content):
        import openpyxl  # noqa: PLC0415 - only needed for XLSX files

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
            raise UserError(
                self.env._("The file is not a readable XLSX file: %(error)s", error=error)
            ) from error
        try:
            sheet = workbook.worksheets[0]
            return [(line, list(cells)) for line, cells in enumerate(sheet.iter_rows(values_only=True), 1)]
        finally:
            workbook.close()

    def _read_csv(self, content):
        # Excel in Chinese Windows saves CSV in GB18030 (GBK)
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UserError(
                self.env._("The file is neither an XLSX file nor a CSV file in UTF-8 or GB18030.")
            )
        if "\x00" in text:
            raise UserError(
                self.env._("The file is neither an XLSX file nor a CSV file in UTF-8 or GB18030.")
            )
        first_line = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            return [(reader.line_num, cells) for cells in reader]
        except csv.Error as error:
            raise UserError(
                self.env._(
                    "Line %(line)s: the CSV file is malformed: %(error)s", line=reader.line_num, error=error
                )
            ) from error

    def _column_positions(self, header):
        aliases = {alias: column for column, names in COLUMN_ALIASES.items() for alias in names}
        positions = {}
        for index, cell in enumerate(header):
            column = aliases.get(self._text(cell).lower())
            if column and column not in positions:
                positions[column] = index
        missing = [column for column in REQUIRED_COLUMNS if column not in positions]
        if missing:
            raise UserError(
                self.env._(
                    "The first row must name the columns; missing: %(missing)s. "
                    "Expected columns: customer, amount, and optionally date, reason, currency.",
                    missing=", ".join(missing),
                )
            )
        return positions

    @api.model
    def _text(self, value):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a reference typed as a number in Excel
        return str(value).strip()

    # ------------------------------------------------------------- validation

    def _validate_rows(self, rows):
        """Entry values for every row, and every problem as 'Line N: ...'."""
        _ = self.env._
        Entry = self.env["pos.customer.ledger.entry"]
        company = self.company_id
        partners = self._match_customers({self._text(row.get("customer")) for _line, row in rows})
        currencies = self._match_currencies({self._text(row.get("currency")) for _line, row in rows})
        already_opened = self._customers_with_opening()
        seen = {}
        vals_list, errors = [], []
        if not rows:
            errors.append(_("The file has no rows below its header."))
        for line, row in rows:
            problems = []
            reference = self._text(row.get("customer"))
            found = partners.get(reference, self.env["res.partner"])
            partner = found.commercial_partner_id
            if not reference:
                problems.append(_("The customer is missing."))
            elif not found:
                problems.append(_("No customer has the reference or name %(customer)s.", customer=reference))
            elif len(found) > 1:
                problems.append(
                    _(
                        "Several customers have the reference or name %(customer)s; "
                        "use their internal reference.",
                        customer=reference,
                    )
                )
            amount, amount_problem = self._parse_amount(row.get("amount"))
            entry_date, date_problem = self._parse_date(row.get("date"))
            currency_code = self._text(row.get("currency"))
            currency = currencies.get(currency_code.upper()) if currency_code else company.currency_id
            if currency_code and not currency:
                problems.append(_("Unknown currency %(currency)s.", currency=currency_code))
            reason = self._text(row.get("reason")) or self.reason
            problems += [problem for problem in (amount_problem, date_problem) if problem]
            problems += Entry._manual_entry_errors(
                "opening",
                partner if len(found) == 1 else self.env["res.partner"],
                amount if not amount_problem else 1.0,
                entry_date or self.date,
                reason,
                company,
                currency or None,
            )
            if len(found) == 1:
                if partner.id in already_opened:
                    problems.append(
                        _(
                            "%(customer)s already has an opening balance (%(entry)s); "
                            "correct it with a new entry.",
                            customer=partner.display_name,
                            entry=already_opened[partner.id],
                        )
                    )
                if partner.id in seen:
                    problems.append(
                        _(
                            "%(customer)s is also on line %(line)s; a customer has one opening balance.",
                            customer=partner.display_name,
                            line=seen[partner.id],
                        )
                    )
                seen.setdefault(partner.id, line)
            # "A customer is required" repeats the reason already given above
            problems = list(dict.fromkeys(p for p in problems if p != _("A customer is required.")))
            if problems:
                errors.extend(
                    _("Line %(line)s: %(problem)s", line=line, problem=problem) for problem in problems
                )
                continue
            vals_list.append(
                {
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "date": Entry._local_noon(entry_date or self.date),
                    "kind": "opening",
                    "amount_due": company.currency_id.round(amount),
                    "note": reason,
                    "user_id": self.env.uid,
                }
            )
        return vals_list, errors

    def _match_customers(self, references):
        """{text: customers whose internal reference, or else exact name, is that text}."""
        references.discard("")
        Partner = self.env["res.partner"].with_context(active_test=True)
        allowed = [("company_id", "in", [False, *self.env.user.company_ids.ids])]
        by_ref, by_name = {}, {}
        if references:
            for partner in Partner.search([("ref", "in", list(references)), *allowed]):
                by_ref.setdefault(partner.ref, Partner.browse())
                by_ref[partner.ref] |= partner
            for partner in Partner.search(
                [("name", "in", list(references - by_ref.keys())), ("parent_id", "=", False), *allowed]
            ):
                by_name.setdefault(partner.name, Partner.browse())
                by_name[partner.name] |= partner
        return {**by_name, **by_ref}

    def _match_currencies(self, codes):
        codes = {code.upper() for code in codes if code}
        currencies = (
            self.env["res.currency"].with_context(active_test=False).search([("name", "in", list(codes))])
        )
        return {currency.name: currency for currency in currencies}

    def _customers_with_opening(self):
        groups = (
            self.env["pos.customer.ledger.entry"]
            .sudo()
            ._read_group(
                [("company_id", "=", self.company_id.id), ("kind", "=", "opening")],
                ["partner_id"],
                ["name:min"],
            )
        )
        return {partner.id: name for partner, name in groups}

    def _parse_amount(self, value):
        if isinstance(value, bool):
            value = None
        if isinstance(value, (int, float)):
            amount = float(value)
        else:
            text = AMOUNT_NOISE.sub("", self._text(value))
            if not text:
                return 0.0, self.env._("The amount is missing.")
            if text.startswith("(") and text.endswith(")"):
                text = "-" + text[1:-1]  # accountants' negative
            try:
                amount = float(text)
            except ValueError:
                return 0.0, self.env._("%(value)s is not an amount.", value=self._text(value))
        if not math.isfinite(amount):
            return 0.0, self.env._("%(value)s is not an amount.", value=self._text(value))
        return amount, None

    def _parse_date(self, value):
        if isinstance(value, datetime):
            return value.date(), None
        if isinstance(value, date):
            return value, None
        text = self._text(value)
        if not text:
            return None, None
        match = DATE_PATTERN.fullmatch(text)
        try:
            return date(*map(int, match.groups())), None
        except (AttributeError, ValueError):
            return None, self.env._("%(value)s is not a date; write it as YYYY-MM-DD.", value=text)
