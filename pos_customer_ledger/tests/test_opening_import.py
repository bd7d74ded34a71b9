import base64
import io
import re
import resource
import tracemalloc
import zipfile
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest.mock import patch

import xlsxwriter

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..models import pos_customer_ledger_import
from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestOpeningImport(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.ref = "C-001"
        cls.other_customer.ref = "C-002"
        cls.third = cls.env["res.partner"].create({"name": "张三", "ref": "C-003"})
        cls.manager = new_test_user(
            cls.env,
            login="ledger_import_manager",
            groups="point_of_sale.group_pos_manager,base.group_partner_manager",
        )
        cls.today = fields.Date.context_today(cls.env.user)

    def _import(self, content, filename="balances.csv", user=None, **values):
        if isinstance(content, str):
            content = content.encode()
        wizard = (
            self.env["pos.customer.ledger.opening.import.wizard"]
            .with_user(user or self.manager)
            .create({"file": base64.b64encode(content), "filename": filename, **values})
        )
        action = wizard.action_import()
        return self.Entry.search(action["domain"], order="sequence_number")

    def _xlsx(self, rows):
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet()
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for row_index, row in enumerate(rows):
            for column_index, value in enumerate(row):
                if isinstance(value, date):
                    sheet.write_datetime(row_index, column_index, value, date_format)
                else:
                    sheet.write(row_index, column_index, value)
        workbook.close()
        return buffer.getvalue()

    def _state(self):
        return (
            self.Entry.search_count([("company_id", "=", self.company.id)]),
            self.env["pos.customer.ledger.chain"]
            .search([("company_id", "=", self.company.id)])
            .last_sequence,
        )

    def test_csv_import_posts_one_opening_entry_per_row(self):
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        entries = self._import(
            "customer,amount,date,reason\n"
            "C-001,120.50,2026-01-31,Old till balance\n"
            '张三,"-1,000.00",,\n'
            "Other Customer,15,2026/2/1,\n"
        )
        self.assertRecordValues(
            entries,
            [
                {"partner_id": self.customer.id, "kind": "opening", "amount_due": 120.5, "balance": 131.2},
                {"partner_id": self.third.id, "kind": "opening", "amount_due": -1000.0, "balance": -1000.0},
                {
                    "partner_id": self.other_customer.id,
                    "kind": "opening",
                    "amount_due": 15.0,
                    "balance": 15.0,
                },
            ],
        )
        self.assertEqual(entries.mapped("note")[0], "Old till balance")
        self.assertEqual(entries[1].note, "Opening balance carried over from the previous system")
        local_dates = [fields.Datetime.context_timestamp(self.manager, e.date).date() for e in entries]
        self.assertEqual(local_dates, [date(2026, 1, 31), self.today, date(2026, 2, 1)])
        self.assertFalse(entries.move_id)
        self.assertEqual(entries.user_id, self.manager)
        self.assertAlmostEqual(self.customer.ledger_balance, 131.2)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_xlsx_import_with_chinese_headers(self):
        content = self._xlsx(
            [
                ["客户", "金额", "日期", "备注", "币种"],
                ["C-001", 88.8, date(2026, 3, 1), "旧系统余额", self.company.currency_id.name],
                [],
            ]
        )
        entries = self._import(content, filename="期初余额.xlsx")
        self.assertRecordValues(
            entries, [{"partner_id": self.customer.id, "amount_due": 88.8, "note": "旧系统余额"}]
        )

    def test_bad_rows_reject_the_whole_file_and_name_every_line(self):
        other_company_customer = self.env["res.partner"].create(
            {"name": "Elsewhere", "ref": "X-9", "company_id": self.setup_other_company()["company"].id}
        )
        self.manager.company_ids |= other_company_customer.company_id
        foreign = self.env["res.currency"].search(
            [("id", "!=", self.company.currency_id.id), ("active", "in", (True, False))], limit=1
        )
        self.company.fiscalyear_lock_date = self.today - timedelta(days=10)
        locked = (self.today - timedelta(days=20)).isoformat()
        before = self._state()
        content = (
            "customer,amount,date,currency\n"
            "C-001,10,,\n"  # line 2: valid
            "Nobody,10,,\n"  # 3: unknown customer
            "C-002,abc,,\n"  # 4: not an amount
            "C-003,0,,\n"  # 5: zero
            f"X-9,10,,\n"  # 6: another company's customer
            f"C-002,10,,{foreign.name}\n"  # 7: foreign currency
            f"C-003,10,{locked},\n"  # 8: locked period
            "C-001,5,31/12/2025,\n"  # 9: bad date, and C-001 twice
            ",10,,\n"  # 10: no customer
        )
        with self.assertRaises(UserError) as refused:
            self._import(content)
        message = str(refused.exception)
        expected = {
            3: "No customer has the reference or name Nobody",
            4: "abc is not an amount",
            5: "The amount cannot be zero",
            6: "belongs to another company",
            7: "must be in",
            8: "locked accounting period",
            9: "is not a date",
            10: "The customer is missing",
        }
        for line, text in expected.items():
            with self.subTest(line=line):
                self.assertRegex(message, rf"Line {line}: [^\n]*{text}")
        self.assertRegex(message, r"Line 9: [^\n]*also on line 2")
        self.assertNotIn("Line 2:", message)
        self.assertEqual(self._state(), before)

    def test_malformed_files_are_refused(self):
        before = self._state()
        cases = {
            "missing: amount": ("customer,total\nC-001,10\n", "a.csv"),
            "file is empty": ("", "a.csv"),
            "no rows below its header": ("customer,amount\n", "a.csv"),
            "neither an XLSX file nor a CSV": (b"\x00\x01\xff\xfe\x00garbage", "a.csv"),
            "not a readable XLSX file": (b"PK\x05\x06" + b"\x00" * 18, "a.xlsx"),
        }
        for text, (content, filename) in cases.items():
            with self.subTest(text), self.assertRaisesRegex(UserError, text):
                self._import(content, filename=filename)
        self.assertEqual(self._state(), before)

    def test_importing_the_same_file_twice_posts_it_once(self):
        content = "customer;amount\nC-001;40\nC-002;60\n"
        self.assertEqual(len(self._import(content)), 2)
        before = self._state()
        with self.assertRaisesRegex(UserError, r"Line 2: [^\n]*already has an opening balance"):
            self._import(content)
        self.assertEqual(self._state(), before)
        self.assertAlmostEqual(self.customer.ledger_balance, 40.0)

    def test_gb18030_csv_from_chinese_excel(self):
        content = "客户,金额\n张三,66\n".encode("gb18030")
        entries = self._import(content)
        self.assertRecordValues(entries, [{"partner_id": self.third.id, "amount_due": 66.0}])

    def test_only_managers_import(self):
        cashier = new_test_user(
            self.env, login="ledger_import_cashier", groups="point_of_sale.group_pos_user"
        )
        with self.assertRaises(AccessError):
            self._import("customer,amount\nC-001,10\n", user=cashier)

    # ---------------------------------------------------------- bounded reading

    @contextmanager
    def _memory_cap(self, megabytes):
        """Fail with MemoryError, rather than exhaust the machine, when the code
        under test allocates more than ``megabytes`` beyond what the process has."""
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * resource.getpagesize()
        cap = mapped + megabytes * 1024 * 1024
        resource.setrlimit(
            resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard)
        )
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

    def test_xlsx_declaring_a_huge_sheet_is_read_as_the_rows_it_holds(self):
        content = self._xlsx([["customer", "amount"], ["C-001", 12.5], ["C-002", -3]])
        source, patched = io.BytesIO(content), io.BytesIO()
        with zipfile.ZipFile(source) as archive, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as out:
            for info in archive.infolist():
                data = archive.read(info.filename)
                if info.filename == "xl/worksheets/sheet1.xml":
                    data, count = re.subn(
                        rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data
                    )
                    self.assertEqual(count, 1)
                out.writestr(info, data)
        self.assertLess(len(patched.getvalue()), 10000)
        tracemalloc.start()
        try:
            with self._memory_cap(1024):
                entries = self._import(patched.getvalue(), filename="huge.xlsx")
            _size, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        self.assertRecordValues(
            entries,
            [
                {"partner_id": self.customer.id, "amount_due": 12.5},
                {"partner_id": self.other_customer.id, "amount_due": -3.0},
            ],
        )
        self.assertLess(
            peak, 64 * 1024 * 1024, "reading a 3-row sheet must not allocate for its declared size"
        )

    def test_files_beyond_the_limits_are_refused(self):
        before = self._state()
        # a long file is read to its end in the background only
        imported = self._queue(
            ("customer,amount\n" + "C-001,1\n" * (pos_customer_ledger_import.MAX_ROWS + 1)).encode(), "a.csv"
        )
        self._run_cron()
        self.assertEqual(imported.state, "failed")
        self.assertIn("The file has more than 200000 rows", imported.message)
        with (
            patch.object(pos_customer_ledger_import, "MAX_FILE_MB", 0.0001),
            self.assertRaisesRegex(UserError, "files of at most 0.0001 MB"),
        ):
            self._import("customer,amount\n" + "C-001,1\n" * 20)
        with (
            patch.object(pos_customer_ledger_import, "MAX_UNPACKED_MB", 0.001),
            self.assertRaisesRegex(UserError, "unpacks to more than"),
        ):
            self._import(self._xlsx([["customer", "amount"], ["C-001", 1]]), filename="a.xlsx")
        self.assertEqual(self._state(), before)

    def test_bad_dates_and_amounts_are_named_by_line(self):
        before = self._state()
        self.env["res.partner"].create([{"name": f"Row {n}", "ref": f"R-{n}"} for n in range(2, 12)])
        content = (
            "customer,amount,date\n"
            "R-2,10,2026-01-05 10:30\n"  # 2: valid, with a time of day
            "R-3,10,2026-01-05 foo\n"  # 3: free text after the date
            "R-4,10,1900-01-01\n"  # 4: implausible
            "R-5,10,9999-12-31\n"  # 5: implausible
            "R-6,nan,\n"  # 6
            "R-7,inf,\n"  # 7
            "R-8,1e20,\n"  # 8: beyond what the columns store exactly
            'R-9,"-1,000,000,000,000,000",\n'  # 9
            "R-10,NaN,2026-02-30\n"  # 10: both, and no such day
            "R-11,1.5,\n"  # 11: valid
        )
        with self.assertRaises(UserError) as refused:
            self._import(content)
        message = str(refused.exception)
        expected = {
            3: "2026-01-05 foo is not a date",
            4: "1900-01-01 is not a plausible date",
            5: "9999-12-31 is not a plausible date",
            6: "nan is not an amount",
            7: "inf is not an amount",
            8: "1e20 is too large",
            9: "is too large",
            10: "NaN is not an amount",  # quoted as written
        }
        for line, text in expected.items():
            with self.subTest(line=line):
                self.assertRegex(message, rf"Line {line}: [^\n]*{re.escape(text)}")
        self.assertRegex(message, r"Line 10: 2026-02-30 is not a date")
        self.assertNotRegex(message, r"Line (2|11):")
        self.assertEqual(self._state(), before)

    def test_xlsx_dates_and_amounts_are_checked_like_text(self):
        content = self._xlsx(
            [
                ["customer", "amount", "date"],
                ["C-001", 5, date(1900, 1, 1)],
                ["C-002", 1e20, date(2026, 1, 2)],
                ["C-003", 7, datetime(2026, 1, 3, 9, 30)],
            ]
        )
        with self.assertRaises(UserError) as refused:
            self._import(content, filename="a.xlsx")
        message = str(refused.exception)
        self.assertRegex(message, r"Line 2: [^\n]*is not a plausible date")
        self.assertRegex(message, r"Line 3: [^\n]*is too large")
        self.assertNotIn("Line 4:", message)

    # ---------------------------------------------------------- background

    def _queue(self, content, filename="balances.xlsx"):
        """Upload ``content`` as the manager, with background imports from 3 rows on."""
        wizard = (
            self.env["pos.customer.ledger.opening.import.wizard"]
            .with_user(self.manager)
            .create({"file": base64.b64encode(content), "filename": filename})
        )
        with patch.object(pos_customer_ledger_import, "BACKGROUND_ROWS", 2):
            action = wizard.action_import()
        self.assertEqual(action["res_model"], "pos.customer.ledger.import")
        return self.env["pos.customer.ledger.import"].browse(action["res_id"])

    def _run_cron(self):
        """Run the scheduled action as the scheduler does: again while it reports
        work remaining (its first run marks the import running)."""
        cron = self.env.ref("pos_customer_ledger.ir_cron_opening_import")
        for _run in range(3):
            cron.method_direct_trigger()
            if not self.env["pos.customer.ledger.import"].search_count(
                [("state", "in", ("queued", "running"))]
            ):
                return
        self.fail("the scheduled action did not finish the import")

    def test_long_files_are_imported_by_the_scheduled_action(self):
        cron = self.env.ref("pos_customer_ledger.ir_cron_opening_import")
        before_sale = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        content = self._xlsx(
            [
                ["customer", "amount", "reason"],
                ["C-001", 120.5, "Tab\there, line\nbreak and back\\slash"],
                ["C-002", -40, None],
                ["张三", 15, None],
            ]
        )
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        imported = self._queue(content)
        self.assertEqual(imported.state, "queued")
        self.assertEqual(imported.create_uid, self.manager)
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1)
        self.assertFalse(self.Entry.search_count([("kind", "=", "opening")]))

        self._run_cron()
        self.assertRecordValues(imported, [{"state": "done", "row_count": 3, "entry_count": 3}])
        entries = self.Entry.search(imported.with_user(self.manager).action_view_entries()["domain"])
        self.assertRecordValues(
            entries.sorted("sequence_number"),
            [
                {
                    "partner_id": self.customer.id,
                    "amount_due": 120.5,
                    "balance": 131.2,
                    "note": "Tab\there, line\nbreak and back\\slash",
                },
                {
                    "partner_id": self.other_customer.id,
                    "amount_due": -40.0,
                    "balance": -40.0,
                    "note": "Opening balance carried over from the previous system",
                },
                {
                    "partner_id": self.third.id,
                    "amount_due": 15.0,
                    "balance": 15.0,
                    "note": "Opening balance carried over from the previous system",
                },
            ],
        )
        self.assertEqual(entries.user_id, self.manager)
        self.assertEqual(
            max(entries.mapped("sequence_number")), self.entries_of(before_sale).sequence_number + 3
        )
        self.assertAlmostEqual(self.customer.ledger_balance, 131.2)
        self.assertAlmostEqual(self.third.ledger_balance, 15.0)
        after_sale = self.sync(self.third, payments=[(self.pay_later_pm, 10.7)])
        self.assertAlmostEqual(self.entries_of(after_sale).balance, 25.7)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_a_bad_row_fails_the_background_import_and_writes_nothing(self):
        before = self._state()
        imported = self._queue(
            self._xlsx([["customer", "amount"], ["C-001", 10], ["Nobody", 5], ["C-002", "NaN"]])
        )
        self._run_cron()
        self.assertEqual(imported.state, "failed")
        self.assertRegex(imported.message, r"Line 3: [^\n]*No customer has the reference or name Nobody")
        self.assertRegex(imported.message, r"Line 4: [^\n]*is not an amount")
        self.assertEqual(self._state(), before)
        self.assertFalse(self.customer.ledger_balance)

    def test_an_import_cut_off_while_running_is_reported(self):
        imported = self._queue(
            self._xlsx([["customer", "amount"], ["C-001", 10], ["C-002", 5], ["C-003", 1]])
        )
        cron = self.env.ref("pos_customer_ledger.ir_cron_opening_import")
        cron.method_direct_trigger()
        self.assertEqual(imported.state, "running")
        # as a worker killed mid-import leaves it
        imported.sudo().date_started = fields.Datetime.now() - timedelta(hours=2)
        cron.method_direct_trigger()
        self.assertEqual(imported.state, "failed")
        self.assertIn("interrupted", imported.message)
        self.assertFalse(self.Entry.search_count([("kind", "=", "opening")]))

    def test_imports_are_seen_by_their_company_and_managers_only(self):
        imported = self._queue(
            self._xlsx([["customer", "amount"], ["C-001", 10], ["C-002", 5], ["C-003", 1]])
        )
        other = self.setup_other_company()["company"]
        colleague = self.company_user(
            "ledger_import_colleague", "base.group_user,pos_customer_ledger.group_ledger_manager"
        )
        elsewhere = new_test_user(
            self.env,
            login="ledger_import_elsewhere",
            groups="base.group_user,pos_customer_ledger.group_ledger_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        auditor = self.company_user(
            "ledger_import_auditor", "base.group_user,pos_customer_ledger.group_ledger_auditor"
        )
        Import = self.env["pos.customer.ledger.import"]
        self.assertEqual(Import.with_user(colleague).search([]), imported)
        self.assertFalse(Import.with_user(elsewhere).search([]))
        with self.assertRaises(AccessError):
            Import.with_user(auditor).search([])
        with self.assertRaises(AccessError):
            imported.with_user(self.manager).write({"state": "done"})
