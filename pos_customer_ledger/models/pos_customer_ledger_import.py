import base64
import binascii
import csv
import io
import logging
import re
import zipfile
from contextlib import closing
from datetime import date, datetime, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tools.access import check_ledger_right, ledger_right
from ..tools.dates import local_noon
from ..tools.validation import amount_error, date_error

_logger = logging.getLogger(__name__)

# Accepted header names per column, lower case; the first is the documented one.
COLUMN_ALIASES = {
    "customer": ("customer", "customer_ref", "ref", "partner", "客户", "客户编号", "客户名称"),
    "amount": ("amount", "balance", "opening_balance", "金额", "余额", "期初余额"),
    "date": ("date", "日期"),
    "reason": ("reason", "note", "原因", "备注"),
    "currency": ("currency", "币种", "货币"),
}
REQUIRED_COLUMNS = ("customer", "amount")
# 2026-01-31, 2026/1/31, 2026.01.31 and 2026年1月31日, optionally with a time of day
DATE_PATTERN = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
AMOUNT_NOISE = re.compile(r"[\s,¥￥$€]")

# Bounds of what is read: the file as uploaded, an XLSX file unpacked (its
# sheet is parsed as a stream, its shared strings are held in memory), data
# rows, and the columns of a sheet (a cell far to the right would make every
# row that wide).
MAX_FILE_MB = 20
MAX_UNPACKED_MB = 128
MAX_ROWS = 200000
MAX_COLUMNS = 100
XLSX_LAST_ROW = 1048576
# Longer files are imported in the background, shorter ones at once.
BACKGROUND_ROWS = 5000
# An import takes well under a minute; one running for longer was cut off (a
# killed worker, perhaps by the file itself): it is reported, not retried forever.
INTERRUPTED_AFTER = timedelta(hours=1)


class PosCustomerLedgerImport(models.Model):
    """One file of opening balances: kept with its outcome, imported at once
    when short, else by a scheduled action."""

    _name = "pos.customer.ledger.import"
    _description = "Opening Balance Import"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="File Name", required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    file = fields.Binary(required=True, readonly=True, attachment=True)
    date = fields.Date(string="Default Date", required=True, readonly=True)
    reason = fields.Char(string="Default Reason", required=True, readonly=True)
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        readonly=True,
        default="queued",
    )
    row_count = fields.Integer(string="Rows", readonly=True)
    entry_count = fields.Integer(string="Entries Created", readonly=True)
    first_sequence = fields.Integer(readonly=True, help="Sequence number of the first entry created.")
    last_sequence = fields.Integer(readonly=True, help="Sequence number of the last entry created.")
    message = fields.Text(string="Result", readonly=True)
    date_started = fields.Datetime(string="Started On", readonly=True)
    date_done = fields.Datetime(string="Finished On", readonly=True)

    # ------------------------------------------------------------- actions

    @ledger_right("manage")
    def action_view_entries(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Imported Opening Balances"),
            "res_model": "pos.customer.ledger.entry",
            "view_mode": "list,form",
            "domain": [
                ("company_id", "=", self.company_id.id),
                ("sequence_number", ">=", self.first_sequence),
                ("sequence_number", "<=", self.last_sequence),
            ],
        }

    def _start(self):
        """Import a short file now and return its entries' action; queue a long
        one for the scheduled action and return this record's form."""
        self.ensure_one()
        rows = self._read_rows(limit=BACKGROUND_ROWS)
        if len(rows) <= BACKGROUND_ROWS:
            entries = self._import_rows(rows)
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Imported Opening Balances"),
                "res_model": entries._name,
                "view_mode": "list,form",
                "domain": [("id", "in", entries.ids)],
            }
        self._check_default_date()
        self.env.ref("pos_customer_ledger.ir_cron_opening_import")._trigger()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Opening Balance Import"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
        }

    @api.model
    def _cron_import(self):
        """Import the oldest queued file, in two runs: the first marks it running
        (committed by the scheduler, so users see it), the next imports it in
        one transaction. The scheduler runs again at once while files wait."""
        Import = self.sudo()
        now = fields.Datetime.now()
        running = Import.search([("state", "=", "running")], order="id", limit=1)
        if running.date_started and running.date_started < now - INTERRUPTED_AFTER:
            running._fail(
                self.env._("The import was interrupted; nothing was imported. Import the file again.")
            )
        elif running:
            running._import_in_background()
        else:
            running = Import.search([("state", "=", "queued")], order="id", limit=1)
            running.write({"state": "running", "date_started": now})
        self.env["ir.cron"]._notify_progress(
            done=len(running), remaining=Import.search_count([("state", "in", ("queued", "running"))])
        )

    def _import_in_background(self):
        """Import as the user who uploaded the file; record the outcome."""
        user = self.create_uid
        try:
            with self.env.cr.savepoint():
                importer = self.with_user(user).with_context(
                    allowed_company_ids=[self.company_id.id, *(user.company_ids - self.company_id).ids]
                )
                check_ledger_right(importer.env, "manage")
                importer._import_rows(importer._read_rows())
        except (UserError, AccessError) as error:
            self._fail(str(error))
        except Exception as error:  # noqa: BLE001 - any failure is reported on the import
            _logger.exception("Opening balance import %s failed", self.id)
            self._fail(self.env._("The import failed: %(error)s", error=error))

    def _fail(self, message):
        self.sudo().write({"state": "failed", "message": message, "date_done": fields.Datetime.now()})

    # ------------------------------------------------------------- import

    def _import_rows(self, rows):
        """Validate every row, then post one opening entry per row; return them.

        Any bad row rejects the whole file, with every problem listed by line
        number, and nothing is written.
        """
        self.ensure_one()
        _ = self.env._
        self._check_default_date()
        vals_list, errors, lines = self._validate_rows(rows)
        if errors:
            raise UserError(
                _("The file was not imported. Correct these rows and import it again:")
                + "\n"
                + "\n".join(errors)
            )
        Entry = self.env["pos.customer.ledger.entry"]
        with self.env.cr.savepoint():
            # checked again under the chain lock: another import may have posted since
            self.env["pos.customer.ledger.chain"]._lock_head(self.company_id.id, None)
            opened = self._customers_with_opening({vals["partner_id"] for vals in vals_list})
            if opened:
                line_of = {vals["partner_id"]: line for line, vals in zip(lines, vals_list, strict=True)}
                raise UserError(
                    _("The file was not imported. Correct these rows and import it again:")
                    + "\n"
                    + "\n".join(
                        _("Line %(line)s: %(problem)s", line=line_of[partner_id], problem=problem)
                        for partner_id, problem in self._opening_problems(opened).items()
                    )
                )
            entries = Entry._post_bulk(vals_list)
        self.sudo().write(
            {
                "state": "done",
                "row_count": len(rows),
                "entry_count": len(entries),
                "first_sequence": entries[:1].sequence_number,
                "last_sequence": entries[-1:].sequence_number,
                "message": _("%(count)s opening balances imported.", count=len(entries)),
                "date_done": fields.Datetime.now(),
            }
        )
        return entries

    def _check_default_date(self):
        error = date_error(self.env, self.date)
        if error:
            raise UserError(error)

    # ------------------------------------------------------------- reading

    def _read_rows(self, limit=MAX_ROWS):
        """The file's data rows as ``(line number, {column: raw value})``, at most
        ``limit + 1``: a caller getting more than ``limit`` knows there are more.
        More than MAX_ROWS rows is refused."""
        self.ensure_one()
        _ = self.env._
        try:
            content = base64.b64decode(self.with_context(bin_size=False).file or b"", validate=True)
        except (binascii.Error, ValueError):
            content = b""
        if not content:
            raise UserError(_("The file is empty."))
        if len(content) > MAX_FILE_MB * 1024 * 1024:
            raise UserError(
                _(
                    "The file is %(size)s MB; files of at most %(limit)s MB can be imported. "
                    "Split it into several files.",
                    size=round(len(content) / 1024 / 1024, 1),
                    limit=MAX_FILE_MB,
                )
            )
        table = (
            self._read_xlsx(content) if zipfile.is_zipfile(io.BytesIO(content)) else self._read_csv(content)
        )
        rows = []
        with closing(table):
            header = next(table, None)
            if not header:
                raise UserError(_("The file is empty."))
            positions = self._column_positions(header[1])
            for line, cells in table:
                if len(rows) == MAX_ROWS:
                    raise UserError(
                        _(
                            "The file has more than %(limit)s rows; split it into files of at most "
                            "%(limit)s rows.",
                            limit=MAX_ROWS,
                        )
                    )
                rows.append(
                    (
                        line,
                        {
                            column: cells[index] if index < len(cells) else None
                            for column, index in positions.items()
                        },
                    )
                )
                if len(rows) > limit:
                    break
        return rows

    def _read_xlsx(self, content):
        """The non-empty rows of the first sheet, as ``(line, cells)``. The sheet's
        declared size is ignored: a file may declare a million rows by 16,384
        columns and hold three cells."""
        import openpyxl  # noqa: PLC0415 - only needed for XLSX files

        def unreadable(error):
            return UserError(self.env._("The file is not a readable XLSX file: %(error)s", error=error))

        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile as error:
            raise unreadable(error) from error
        # checked before openpyxl loads the shared strings; zipfile never
        # unpacks more than the declared sizes
        if unpacked > MAX_UNPACKED_MB * 1024 * 1024:
            raise UserError(
                self.env._(
                    "The XLSX file unpacks to more than %(limit)s MB; split it into several files.",
                    limit=MAX_UNPACKED_MB,
                )
            )
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
            raise unreadable(error) from error
        try:
            if not workbook.worksheets:
                raise unreadable(self.env._("it has no worksheet"))
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()
            lines = enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1)
            while True:
                try:
                    line, cells = next(lines)
                except StopIteration:
                    return
                except Exception as error:  # noqa: BLE001 - damaged sheet XML
                    raise unreadable(error) from error
                if line > XLSX_LAST_ROW:
                    raise unreadable(self.env._("rows beyond row %(row)s", row=XLSX_LAST_ROW))
                if not self._is_blank(cells):
                    yield line, cells
        finally:
            workbook.close()

    def _read_csv(self, content):
        """The non-empty rows of a CSV file, as ``(line, cells)``."""
        _ = self.env._
        # Excel in Chinese Windows saves CSV in GB18030 (GBK)
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UserError(_("The file is neither an XLSX file nor a CSV file in UTF-8 or GB18030."))
        if "\x00" in text:
            raise UserError(_("The file is neither an XLSX file nor a CSV file in UTF-8 or GB18030."))
        first_line = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for cells in reader:
                if not self._is_blank(cells):
                    yield reader.line_num, cells
        except csv.Error as error:
            raise UserError(
                _("Line %(line)s: the CSV file is malformed: %(error)s", line=reader.line_num, error=error)
            ) from error

    @api.model
    def _is_blank(self, cells):
        return cells.count(None) == len(cells) or not any(self._text(cell) for cell in cells)

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
        """Entry values for every good row, every problem as 'Line N: ...', and
        the line of each entry's row.

        Customers, currencies and existing openings are read for the whole file
        at once; the date checks run once per date; the rest is Python."""
        _ = self.env._
        Entry = self.env["pos.customer.ledger.entry"]
        Partner = self.env["res.partner"]
        company = self.company_id
        currency = company.currency_id
        matches = self._match_customers({self._text(row.get("customer")) for _line, row in rows})
        currencies = self._match_currencies({self._text(row.get("currency")) for _line, row in rows})
        already_opened = self._opening_problems(self._customers_with_opening())
        parsed_dates, date_problems, noons, seen = {}, {}, {}, {}
        vals_list, errors, lines = [], [], []
        if not rows:
            errors.append(_("The file has no rows below its header."))
        missing_customer = _("A customer is required.")
        for line, row in rows:
            reference = self._text(row.get("customer"))
            found = matches.get(reference, ())
            partner = Partner.browse(found[0]) if len(found) == 1 else Partner
            problems = self._customer_problems(reference, found)
            amount, amount_problem = self._parse_amount(row.get("amount"), currency)
            raw_date = row.get("date")
            if raw_date not in parsed_dates:  # a file holds few distinct dates
                parsed_dates[raw_date] = self._parse_date(raw_date)
            entry_date, date_problem = parsed_dates[raw_date]
            entry_date = entry_date or self.date
            currency_code = self._text(row.get("currency"))
            row_currency = currencies.get(currency_code.upper()) if currency_code else currency
            if currency_code and not row_currency:
                problems.append(_("Unknown currency %(currency)s.", currency=currency_code))
            reason = self._text(row.get("reason")) or self.reason
            problems += [problem for problem in (amount_problem, date_problem) if problem]
            problems += Entry._manual_value_errors(
                "opening",
                partner,
                amount if not amount_problem else 1.0,
                reason,
                company,
                row_currency or None,
            )
            if not date_problem:
                if entry_date not in date_problems:
                    date_problems[entry_date] = Entry._manual_date_errors(entry_date, company)
                problems += date_problems[entry_date]
            if partner:
                if partner.id in already_opened:
                    problems.append(already_opened[partner.id])
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
            problems = list(dict.fromkeys(p for p in problems if p != missing_customer))
            if problems:
                errors.extend(
                    _("Line %(line)s: %(problem)s", line=line, problem=problem) for problem in problems
                )
                continue
            if entry_date not in noons:
                # noon in the company's time zone keeps the entry on its day
                noons[entry_date] = local_noon(company, entry_date)
            vals_list.append(
                {
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "date": noons[entry_date],
                    "kind": "opening",
                    "amount_due": currency.round(amount),
                    "note": reason,
                    "user_id": self.env.uid,
                }
            )
            lines.append(line)
        return vals_list, errors, lines

    def _customer_problems(self, reference, found):
        _ = self.env._
        if not reference:
            return [_("The customer is missing.")]
        if not found:
            return [_("No customer has the reference or name %(customer)s.", customer=reference)]
        if len(found) > 1:
            return [
                _(
                    "Several customers have the reference or name %(customer)s; "
                    "use their internal reference.",
                    customer=reference,
                )
            ]
        return []

    def _match_customers(self, references):
        """{text: ids of the commercial customers whose internal reference, or
        else exact name, is that text}, with their companies read. In SQL: the
        ORM would build a record per matched customer."""
        references.discard("")
        if not references:
            return {}
        Partner = self.env["res.partner"].with_context(active_test=True)
        allowed = [("company_id", "in", [False, *self.env.user.company_ids.ids])]

        def matched(column, domain):
            found = {}
            query = Partner._search(domain)  # the user's access rules apply
            for text, commercial_id in self.env.execute_query(
                SQL(
                    "SELECT %s, commercial_partner_id FROM res_partner WHERE id IN %s",
                    SQL.identifier(column),
                    query.subselect(),
                )
            ):
                found.setdefault(text, []).append(commercial_id)
            return found

        by_ref = matched("ref", [("ref", "in", list(references)), *allowed])
        by_name = matched(
            "name", [("name", "in", list(references - by_ref.keys())), ("parent_id", "=", False), *allowed]
        )
        matches = {text: list(dict.fromkeys(ids)) for text, ids in {**by_name, **by_ref}.items()}
        Partner.browse({ids[0] for ids in matches.values() if len(ids) == 1}).fetch(["company_id"])
        return matches

    def _match_currencies(self, codes):
        codes = {code.upper() for code in codes if code}
        currencies = (
            self.env["res.currency"].with_context(active_test=False).search([("name", "in", list(codes))])
        )
        return {currency.name: currency for currency in currencies}

    def _customers_with_opening(self, partner_ids=None):
        """{customer id: name of their opening entry} in the import's company."""
        domain = [("company_id", "=", self.company_id.id), ("kind", "=", "opening")]
        if partner_ids is not None:
            domain.append(("partner_id", "in", list(partner_ids)))
        groups = (
            self.env["pos.customer.ledger.entry"].sudo()._read_group(domain, ["partner_id"], ["name:min"])
        )
        return {partner.id: name for partner, name in groups}

    def _opening_problems(self, opened):
        """{customer id: why they cannot get another opening balance}."""
        Partner = self.env["res.partner"]
        return {
            partner_id: self.env._(
                "%(customer)s already has an opening balance (%(entry)s); correct it with a new entry.",
                customer=Partner.browse(partner_id).display_name,
                entry=entry,
            )
            for partner_id, entry in opened.items()
        }

    def _parse_amount(self, value, currency):
        """(amount, None) or (0.0, why the value is not an amount the ledger takes)."""
        if isinstance(value, bool):
            value = None
        if not isinstance(value, (int, float)):
            value = AMOUNT_NOISE.sub("", self._text(value))
            if not value:
                return 0.0, self.env._("The amount is missing.")
            if value.startswith("(") and value.endswith(")"):
                value = "-" + value[1:-1]  # accountants' negative
        error = amount_error(self.env, value, currency)
        return (0.0, error) if error else (float(value), None)

    def _parse_date(self, value):
        """(date or None when empty, None) or (None, why it is not a ledger date)."""
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            text = self._text(value)
            if not text:
                return None, None
            match = DATE_PATTERN.fullmatch(text)
            try:
                value = date(*map(int, match.groups()))
            except (AttributeError, ValueError):
                return None, self.env._("%(value)s is not a date; write it as YYYY-MM-DD.", value=text)
        return (None, error) if (error := date_error(self.env, value)) else (value, None)
