import base64
import io
from datetime import date, timedelta

import xlsxwriter

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

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
