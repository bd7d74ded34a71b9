import base64
import io
import json
from datetime import datetime, time, timedelta

import openpyxl
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command, fields
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.service.model import get_public_method
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import SQL
from odoo.tools.pdf import PdfReader

from ..tools import dates
from .common import LedgerTestCommon

MANAGER_GROUPS = "base.group_user,pos_customer_ledger.group_ledger_manager"
AUDITOR_GROUPS = "base.group_user,pos_customer_ledger.group_ledger_auditor"


@tagged("post_install", "-at_install")
class TestLedgerClosing(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Closing = cls.env["pos.customer.ledger.closing"]
        cls.this_month = fields.Date.context_today(cls.env.user).replace(day=1)
        cls.last_month = cls.this_month - relativedelta(months=1)

    def setUp(self):
        super().setUp()
        # two sales last month (one on account), one this month
        days_into_month = (fields.Date.context_today(self.env.user) - self.this_month).days
        self.old = self.sync(
            self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=days_into_month + 10
        )
        self.old_cash = self.sync(self.other_customer, qty=2, days_ago=days_into_month + 5)
        self.new = self.sync(self.customer, qty=3, payments=[(self.pay_later_pm, 32.1)])

    def _close(self, month=None):
        closing = self.Closing.create({"date_from": month or self.last_month})
        closing.action_close()
        return closing

    def rpc(self, user, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` as ``user`` calls it over JSON-RPC (call_kw)."""
        records = self.env[model].with_user(user)
        get_public_method(records, method)
        return call_kw(records, method, list(args), kwargs)

    def rewrite_history(self, entry, amount_due):
        """What a forger with SQL access does: change an entry's dues and the
        customer's later balances, then re-hash every entry from it to the chain's
        head with the addon's own hash SQL, and move the head."""
        self.env.flush_all()
        cr, company = self.env.cr, entry.company_id
        delta = amount_due - entry.amount_due
        cr.execute(
            SQL(
                "UPDATE pos_customer_ledger_entry SET amount_due = amount_due + %(delta)s, "
                "amount_total = amount_total + %(delta)s WHERE id = %(id)s",
                delta=delta,
                id=entry.id,
            )
        )
        cr.execute(
            SQL(
                "UPDATE pos_customer_ledger_entry SET balance = balance + %s "
                "WHERE partner_id = %s AND company_id = %s AND sequence_number >= %s",
                delta,
                entry.partner_id.id,
                company.id,
                entry.sequence_number,
            )
        )
        entry_hash = self.Entry._entry_hash_sql("e")
        cr.execute(
            SQL(
                "SELECT MAX(sequence_number) FROM pos_customer_ledger_entry WHERE company_id = %s", company.id
            )
        )
        for sequence in range(entry.sequence_number, cr.fetchone()[0] + 1):
            cr.execute(
                SQL(
                    """
                    UPDATE pos_customer_ledger_entry e
                       SET previous_hash = COALESCE((SELECT entry_hash FROM pos_customer_ledger_entry p
                                                      WHERE p.company_id = e.company_id
                                                        AND p.sequence_number = e.sequence_number - 1), '')
                     WHERE e.company_id = %(company)s AND e.sequence_number = %(sequence)s;
                    UPDATE pos_customer_ledger_entry e SET entry_hash = %(hash)s
                     WHERE e.company_id = %(company)s AND e.sequence_number = %(sequence)s
                    """,
                    company=company.id,
                    sequence=sequence,
                    hash=entry_hash,
                )
            )
        cr.execute(
            SQL(
                """
                UPDATE pos_customer_ledger_chain chain
                   SET last_hash = (SELECT entry_hash FROM pos_customer_ledger_entry entry
                                     WHERE entry.company_id = chain.company_id
                                       AND entry.sequence_number = chain.last_sequence)
                 WHERE company_id = %s
                """,
                company.id,
            )
        )
        self.env.invalidate_all()

    def test_closing_freezes_the_month(self):
        closing = self._close()
        entries = self.entries_of(self.old | self.old_cash)
        self.assertRecordValues(
            closing,
            [
                {
                    "state": "closed",
                    "opening_balance": 0.0,
                    "sale_total": 10.7,
                    "closing_balance": 10.7,
                    "entry_count": 2,
                    "first_sequence": min(entries.mapped("sequence_number")),
                    "last_sequence": 3,
                    "last_hash": self.entries_of(self.new).entry_hash,
                    "closed_by_id": self.env.uid,
                }
            ],
        )
        # the month's dues are still in an open session: booked at closing, they tie
        self.assertEqual(
            (closing.ledger_pos_dues, closing.gl_receivable, closing.difference), (10.7, 10.7, 0.0)
        )
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            closing.date_from = self.last_month - relativedelta(months=1)
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            closing.unlink()
        with self.assertRaisesRegex(UserError, "already closed"):
            self._close(self.last_month - relativedelta(months=1))

    def test_no_entry_is_dated_in_a_closed_month(self):
        self._close()
        in_closed_month = self.last_month + timedelta(days=3)
        with self.assertRaisesRegex(UserError, "closed ledger period"):
            self.Entry.post_manual_entry("opening", self.customer, 5.0, in_closed_month, "Late")
        # a till that syncs a sale of the closed month late: recorded at the start of the open month
        days_ago = (fields.Date.context_today(self.env.user) - in_closed_month).days
        late = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=days_ago)
        entry = self.entries_of(late)
        local = fields.Datetime.context_timestamp(self.env.user, entry.date)
        self.assertEqual((local.date(), local.hour, local.minute), (self.this_month, 0, 0))
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_difference_with_the_general_ledger_is_shown(self):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE pos_customer_ledger_entry SET amount_due = 11.7 WHERE pos_order_id = %s", [self.old.id]
        )
        self.env.invalidate_all()
        closing = self._close()
        self.assertEqual(
            (closing.ledger_pos_dues, closing.gl_receivable, closing.difference), (11.7, 10.7, 1.0)
        )

    def test_xlsx_adds_up(self):
        closing = self._close()
        closing.action_export_xlsx()
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", closing._name), ("res_id", "=", closing.id)]
        )
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas))).active
        values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
        parts = [
            "Opening balance",
            "Customer-account sales",
            "Customer-account refunds",
            "Payments",
            "Adjustments",
            "Opening balances carried over",
        ]
        self.assertAlmostEqual(sum(values[label] for label in parts), values["Closing balance"])
        self.assertEqual(values["Closing balance"], 10.7)
        self.assertEqual(values["Hash of the chain's last entry"], closing.last_hash)

    def test_the_current_month_cannot_be_closed(self):
        with self.assertRaisesRegex(UserError, "not over yet"):
            self._close(self.this_month)

    def test_closing_an_unfinished_month_leaves_no_draft(self):
        """The form saves before its button runs: a month not over is refused on
        save, so no open month is left behind, nor can an open one be moved to it."""
        manager = self.company_user("closing_form_manager", MANAGER_GROUPS)
        form = Form(self.Closing.with_user(manager))
        form.date_from = self.this_month
        with self.assertRaisesRegex(UserError, "not over yet"), self.env.cr.savepoint():
            form.save()
        self.assertFalse(self.Closing.search([("date_from", "=", self.this_month)]))
        closing = self.Closing.with_user(manager).create({"date_from": self.last_month})
        with self.assertRaisesRegex(UserError, "not over yet"), self.env.cr.savepoint():
            closing.date_from = self.this_month
        self.assertEqual(closing.date_from, self.last_month)

    def test_xlsx_has_each_customers_balances(self):
        """A sheet per closing lists each customer's opening, movements and
        closing balance, adding up to the closing's figures."""
        month_before = self.last_month - relativedelta(months=1)
        days_ago = (fields.Date.context_today(self.env.user) - (month_before + timedelta(days=3))).days
        self.sync(self.other_customer, payments=[(self.pay_later_pm, 10.7)], days_ago=days_ago)
        closing = self._close()
        workbook = openpyxl.load_workbook(io.BytesIO(closing.export_xlsx()))
        self.assertEqual(workbook.sheetnames, [closing.name, f"{closing.name} customers"])
        rows = list(workbook[f"{closing.name} customers"].iter_rows(values_only=True))
        self.assertEqual(rows[0], ("Customer", "Opening balance", "Movements", "Closing balance"))
        self.assertEqual(
            sorted(rows[1:-1]),
            sorted([(self.customer.name, 0, 10.7, 10.7), (self.other_customer.name, 10.7, 0, 10.7)]),
        )
        self.assertEqual(rows[-1], ("Total", 10.7, 10.7, 21.4))
        self.assertAlmostEqual(rows[-1][1], closing.opening_balance)
        self.assertAlmostEqual(rows[-1][3], closing.closing_balance)

    def test_integrity_print_shows_the_last_hash_and_sequence(self):
        closing = self._close()
        self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        auditor = self.company_user("closing_print_auditor", AUDITOR_GROUPS)
        wizard = self.env["pos.customer.ledger.verify.wizard"].with_user(auditor).create({})
        wizard.action_verify()
        wizard.with_context(discard_logo_check=True).action_print()
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "pos_customer_ledger.report_ledger_verification", wizard.ids
        )
        head = self.env["pos.customer.ledger.chain"].search([("company_id", "=", self.company.id)])
        self.assertNotEqual(head.last_hash, closing.last_hash)
        for text in (head.last_hash, closing.last_hash, f"Last closed month {closing.name}"):
            self.assertIn(text.encode(), html)
        self.assertIn(f">{closing.last_sequence}<".encode(), html)
        self.assertIn(f">{head.last_sequence}<".encode(), html)

    def test_only_managers_close(self):
        auditor = new_test_user(
            self.env,
            login="closing_auditor",
            groups="base.group_user,pos_customer_ledger.group_ledger_auditor",
        )
        with self.assertRaises(AccessError):
            self.Closing.with_user(auditor).create({"date_from": self.last_month})
        closing = self.Closing.create({"date_from": self.last_month})
        with self.assertRaises(AccessError):
            closing.with_user(auditor).action_close()

    @freeze_time("2026-03-15 10:00:00")
    def test_month_bounds(self):
        closing = self.Closing.new({"date_from": "2026-02-01"})
        self.assertEqual(closing.date_to, fields.Date.to_date("2026-02-28"))
        self.assertEqual(closing.name, "2026-02")

    def test_closings_change_only_through_the_closing_action(self):
        """Through RPC as a ledger manager: no state, figure or hash can be made
        up at creation or written; only the month is editable, and the real
        closing still works."""
        manager = self.company_user("closing_rpc_manager", MANAGER_GROUPS)
        model = self.Closing._name
        editable_at_creation = {"date_from", "company_id"}
        # every stored field, the frozen figures and the ORM's own columns alike
        for name, field in self.Closing._fields.items():
            if not field.store or name in editable_at_creation or name == "id":
                continue
            with self.subTest(field=name), self.assertRaisesRegex(UserError, "only by closing the month"):
                self.rpc(manager, model, "create", {"date_from": self.last_month, name: False})
        forged = {
            "date_from": self.last_month,
            "state": "closed",
            "last_sequence": 3,
            "last_hash": "0" * 64,
            "sale_total": 999.0,
        }
        with self.assertRaisesRegex(UserError, "last_hash, last_sequence, sale_total, state"):
            self.rpc(manager, model, "create", forged)
        self.assertFalse(self.Closing.search([("date_from", "=", self.last_month)]))
        # a default_* leaked into the context sets nothing either
        closing_id = self.rpc(
            manager,
            model,
            "create",
            {"date_from": self.last_month - relativedelta(months=1)},
            context={"default_state": "closed", "default_last_hash": "0" * 64, "default_sale_total": 9.0},
        )
        closing = self.Closing.browse(closing_id)
        self.assertRecordValues(closing, [{"state": "draft", "last_hash": False, "sale_total": 0.0}])
        for name, field in self.Closing._fields.items():
            if not field.store or name in ("date_from", "id"):
                continue
            with self.subTest(field=name), self.assertRaisesRegex(UserError, "only by closing the month"):
                self.rpc(manager, model, "write", closing.ids, {name: False})
        with self.assertRaisesRegex(UserError, "only by closing the month"):
            self.rpc(manager, model, "write", closing.ids, {"state": "closed", "last_hash": "0" * 64})
        with self.assertRaisesRegex(AccessError, "cannot be called remotely"):
            self.rpc(manager, model, "_freeze", closing.ids, {"state": "closed"})
        self.assertEqual(closing.state, "draft")
        # the month is editable while open, and the real closing works
        self.rpc(manager, model, "write", closing.ids, {"date_from": self.last_month})
        self.rpc(manager, model, "action_close", closing.ids)
        self.assertRecordValues(
            closing,
            [
                {
                    "state": "closed",
                    "sale_total": 10.7,
                    "last_sequence": 3,
                    "last_hash": self.entries_of(self.new).entry_hash,
                    "closed_by_id": manager.id,
                }
            ],
        )
        # closed: nothing changes, nothing is deleted
        for vals in ({"date_from": self.this_month}, {"state": "draft"}, {"last_hash": "0" * 64}):
            with self.assertRaisesRegex(UserError, "cannot be changed"):
                self.rpc(manager, model, "write", closing.ids, vals)
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            self.rpc(manager, model, "unlink", closing.ids)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_a_copy_is_an_open_month(self):
        closing = self._close()
        copy = closing.copy({"date_from": self.last_month - relativedelta(months=3)})
        self.assertRecordValues(
            copy, [{"state": "draft", "last_hash": False, "sale_total": 0.0, "closed_by_id": False}]
        )

    def test_verification_checks_every_closing(self):
        """Two closed months verify; a history rewritten before a closing and
        re-hashed up to the chain's head no longer does."""
        month_before = self.last_month - relativedelta(months=1)
        days_ago = (fields.Date.context_today(self.env.user) - (month_before + timedelta(days=3))).days
        older = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=days_ago)
        first, second = self._close(month_before), self._close()
        self.assertRecordValues(
            first | second,
            [
                {"entry_count": 1, "opening_balance": 0.0, "sale_total": 10.7, "last_sequence": 4},
                {"entry_count": 2, "opening_balance": 10.7, "sale_total": 10.7, "last_sequence": 4},
            ],
        )
        late = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)], days_ago=days_ago)
        self.assertEqual(
            self.Entry.verify_chain(self.company),
            {
                "ok": True,
                "checked": 5,
                "first_broken_id": False,
                "message": "The ledger is intact: 5 entries verified.",
            },
        )
        self.assertGreaterEqual(self.entries_of(late).date, second.period_end)
        # the forger changes the older month's sale and re-hashes everything after it
        self.rewrite_history(self.entries_of(older), 1.0)
        result = self.Entry.verify_chain(self.company)
        self.assertFalse(result["ok"])
        problems = result["message"].split("\n")
        self.assertEqual(len(problems), 2, result["message"])
        self.assertIn(f"Closing {first.name} of {self.company.name} does not match the ledger", problems[0])
        self.assertIn(
            "the entry at sequence number 4 no longer has the chain hash frozen at closing", problems[0]
        )
        self.assertIn("Customer-Account Sales $\xa010.70 at closing, $\xa01.00 in the entries", problems[0])
        self.assertIn(f"Closing {second.name}", problems[1])
        self.assertIn("Opening Balance $\xa010.70 at closing, $\xa01.00 in the entries", problems[1])
        chain = self.env["pos.customer.ledger.chain"].search([("company_id", "=", self.company.id)])
        self.assertFalse(chain.verified_ok)

    def test_verification_reports_a_missing_anchor_entry(self):
        closing = self._close()
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE pos_customer_ledger_closing SET last_sequence = 99 WHERE id = %s", closing.id)
        )
        self.env.invalidate_all()
        result = self.Entry.verify_chain(self.company)
        self.assertIn("no entry has sequence number 99", result["message"])

    def test_anchor_file_round_trip_and_forged_history(self):
        """The anchors an auditor exported catch a history rewritten in SQL,
        closings included, that the database alone can no longer see."""
        closing = self._close()
        auditor = self.company_user("anchor_auditor", AUDITOR_GROUPS)
        # from the closings list, through RPC
        action = self.rpc(auditor, self.Closing._name, "action_export_anchors", [])
        self.assertEqual(action["type"], "ir.actions.act_url")
        wizard_id = int(action["url"].split("/")[4])
        wizard = self.env["pos.customer.ledger.verify.wizard"].browse(wizard_id)
        exported = base64.b64decode(wizard.download_file)
        self.assertTrue(wizard.download_filename.endswith(".json"))
        data = json.loads(exported)
        self.assertEqual(
            data["anchors"],
            [
                {
                    "company_id": self.company.id,
                    "company": self.company.name,
                    "currency": self.company.currency_id.name,
                    "month": closing.name,
                    "period_start": fields.Datetime.to_string(closing.period_start),
                    "period_end": fields.Datetime.to_string(closing.period_end),
                    "entry_count": 2,
                    "first_sequence": 1,
                    "last_sequence": 3,
                    "opening_balance": "0.00",
                    "sale_total": "10.70",
                    "refund_total": "0.00",
                    "payment_total": "0.00",
                    "adjustment_total": "0.00",
                    "opening_total": "0.00",
                    "closing_balance": "10.70",
                    "last_hash": closing.last_hash,
                }
            ],
        )
        Wizard = self.env["pos.customer.ledger.verify.wizard"].with_user(auditor)

        def check(content):
            wizard = Wizard.create(
                {
                    "company_ids": [Command.set(self.company.ids)],
                    "anchor_file": base64.b64encode(content),
                    "anchor_filename": "anchors.json",
                }
            )
            wizard.action_verify()
            return wizard

        checked = check(exported)
        self.assertRecordValues(
            checked,
            [
                {
                    "result_ok": True,
                    "anchor_count": 1,
                    "anchor_result": "The 1 anchors of the file match the ledger.",
                }
            ],
        )
        # the forger rewrites the month's sale, re-hashes to the head, and makes
        # the closing row agree: the database alone sees nothing
        self.rewrite_history(self.entries_of(self.old), 1.0)
        self.env.cr.execute(
            SQL(
                "UPDATE pos_customer_ledger_closing SET last_hash = %s, sale_total = 1, closing_balance = 1 "
                "WHERE id = %s",
                self.entries_of(self.new).entry_hash,
                closing.id,
            )
        )
        self.env.invalidate_all()
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])
        checked = check(exported)
        self.assertFalse(checked.result_ok)
        self.assertIn(f"Closing {closing.name} of {self.company.name}", checked.anchor_result)
        self.assertIn("no longer has the chain hash frozen at closing", checked.anchor_result)
        self.assertIn(
            "Customer-Account Sales $\xa010.70 at closing, $\xa01.00 in the entries", checked.anchor_result
        )
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "pos_customer_ledger.report_ledger_verification", checked.ids
        )
        self.assertIn(b"no longer has the chain hash", html)

    def test_bad_anchor_files_are_refused(self):
        closing = self._close()
        auditor = self.company_user("bad_anchor_auditor", AUDITOR_GROUPS)
        anchor = json.loads(self.Closing._anchor_file(self.company))["anchors"][0]

        def anchor_file(*anchors, **changes):
            anchors = [each | changes for each in anchors or [anchor]]
            return json.dumps(
                {"format": "pos_customer_ledger.closing_anchors", "version": 1, "anchors": anchors}
            ).encode()

        other_company = self.env["res.company"].create({"name": "Other Shop"})
        auditor.company_ids = [Command.link(other_company.id)]
        cases = [
            (b"\x89PNG not json", "not a file of closing anchors"),
            (json.dumps({"anchors": []}).encode(), "not a file of closing anchors"),
            (json.dumps([1, 2]).encode(), "not a file of closing anchors"),
            (b"[" * 100000, "not a file of closing anchors"),
            (anchor_file(last_hash="x" * 64), "anchor 1: last_hash is missing or not valid"),
            (anchor_file(sale_total="=1+1"), "anchor 1: sale_total is missing or not valid"),
            (anchor_file(sale_total=1e20), "anchor 1: sale_total is missing or not valid"),
            (anchor_file(last_sequence=-1), "anchor 1: last_sequence is missing or not valid"),
            (anchor_file(period_start="yesterday"), "anchor 1: period_start is missing or not valid"),
            (anchor_file(month=None), "anchor 1: month is missing or not valid"),
            (anchor_file(company_id=other_company.id), "check those companies too"),
            (
                json.dumps(
                    {
                        "format": "pos_customer_ledger.closing_anchors",
                        "version": 1,
                        "anchors": [anchor, anchor],
                    }
                ).encode(),
                "twice",
            ),
            (b" " * (5 * 1024 * 1024 + 1), "larger than 5 MB"),
        ]
        Wizard = self.env["pos.customer.ledger.verify.wizard"].with_user(auditor)
        for content, error in cases:
            wizard = Wizard.create(
                {
                    "company_ids": [Command.set(self.company.ids)],
                    "anchor_file": base64.b64encode(content),
                    "anchor_filename": "anchors.json",
                }
            )
            with self.subTest(error=error), self.assertRaisesRegex(UserError, error):
                wizard.action_verify()
            self.assertEqual(wizard.state, "new")
        self.assertEqual(closing.state, "closed")

    def test_anchor_export_needs_the_audit_right(self):
        self._close()
        clerk = self.company_user("anchor_clerk", "base.group_user")
        with self.assertRaises(AccessError):
            self.rpc(clerk, self.Closing._name, "action_export_anchors", [])
        user = self.company_user(
            "anchor_ledger_user", "base.group_user,pos_customer_ledger.group_ledger_user"
        )
        with self.assertRaises(AccessError):
            self.rpc(user, self.Closing._name, "action_export_anchors", [])
        wizard = self.env["pos.customer.ledger.verify.wizard"].create({"company_ids": self.company.ids})
        with self.assertRaises(AccessError):
            wizard.with_user(user).action_export_anchors()

    def test_closing_pdf_shows_the_chain_hash(self):
        closing = self._close()
        report = self.env.ref("pos_customer_ledger.action_report_ledger_closing")
        self.assertEqual(report.binding_model_id.model, self.Closing._name, "in the closing's Print menu")
        html, _type = self.env["ir.actions.report"]._render_qweb_html(report.report_name, closing.ids)
        self.assertIn(closing.last_hash.encode(), html)
        self.assertIn(self.company.name.encode(), html, "in the company's letterhead")
        self.assertIn(b"10.70", html)
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() != "ok":
            return
        pdf, _type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report.report_name, closing.ids)
        )
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf), strict=False).pages)
        self.assertIn(closing.last_hash, "".join(text.split()))

    def test_a_month_is_closed_in_the_company_time_zone(self):
        """A manager in New York closes a month of a company in Shanghai: the
        month runs from midnight to midnight in Shanghai."""
        self.company.partner_id.tz = "Asia/Shanghai"
        month = dates.company_today(self.company).replace(day=1) - relativedelta(months=1)
        manager = self.company_user("closing_tz_manager", MANAGER_GROUPS, tz="America/New_York")
        closing = self.Closing.with_user(manager).create({"date_from": month})
        closing.with_user(manager).action_close()
        # midnight in Shanghai is 16:00 UTC the day before (New York's would be 04:00 or 05:00 UTC)
        next_month = month + relativedelta(months=1)
        self.assertEqual(
            (closing.period_start, closing.period_end),
            (
                datetime.combine(month - timedelta(days=1), time(16)),
                datetime.combine(next_month - timedelta(days=1), time(16)),
            ),
        )
        chain = self.env["pos.customer.ledger.chain"].search([("company_id", "=", self.company.id)])
        self.assertEqual(chain.closed_until, closing.period_end)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_months_closed_before_keep_their_bounds(self):
        """A month closed in its closer's time zone, before the company's ruled,
        keeps its stored bounds; the next month starts where it ended, so no
        entry falls between two months and the next one can be closed."""
        first = self._close(self.last_month - relativedelta(months=1))
        stored = (first.period_start, first.period_end + timedelta(hours=5))
        # as the 18.0.1.2.0 migration left it for a closer in New York
        self.env.flush_all()
        self.env.execute_query(
            SQL("UPDATE pos_customer_ledger_closing SET period_end = %s WHERE id = %s", stored[1], first.id)
        )
        self.env.execute_query(
            SQL(
                "UPDATE pos_customer_ledger_chain SET closed_until = %s WHERE company_id = %s",
                stored[1],
                self.company.id,
            )
        )
        self.env.invalidate_all()
        second = self._close()
        self.assertEqual((first.period_start, first.period_end), stored)
        self.assertEqual(
            (second.period_start, second.period_end),
            (stored[1], dates.day_start(self.company, self.this_month)),
        )
        self.assertEqual((second.sale_total, second.closing_balance), (10.7, 10.7))
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])

    def test_xlsx_report_in_the_print_menu(self):
        """Print > Month Closing (XLSX): the figures of the PDF, one sheet per closing."""
        first, second = self._close(self.last_month - relativedelta(months=1)), self._close()
        report = self.env.ref("pos_customer_ledger.action_report_ledger_closing_xlsx")
        self.assertEqual((report.report_type, report.binding_model_id.model), ("xlsx", self.Closing._name))
        auditor = self.company_user("closing_xlsx_auditor", AUDITOR_GROUPS)
        Report = self.env["ir.actions.report"].with_user(auditor)
        content, _kind = Report._render_xlsx(report.report_name, (first | second).ids, None)
        book = openpyxl.load_workbook(io.BytesIO(content))
        self.assertEqual(
            book.sheetnames, [first.name, f"{first.name} customers", second.name, f"{second.name} customers"]
        )
        values = {row[0]: row[1] for row in book[second.name].iter_rows(values_only=True) if row[0]}
        html = self.env["ir.actions.report"]._render_qweb_html(
            "pos_customer_ledger.report_ledger_closing", second.ids
        )[0]
        for _title, lines in second._report_sections():
            for label, field_name, _role in lines:
                self.assertEqual(values[label], second[field_name], label)
                self.assertIn(label.encode(), html, label)
        self.assertEqual(values["Closing balance"], 10.7)
        self.assertEqual(values["Hash of the chain's last entry"], second.last_hash)
        # the report refuses who may not audit
        clerk = self.company_user("closing_xlsx_clerk", "base.group_user,point_of_sale.group_pos_user")
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(clerk)._render_xlsx(report.report_name, second.ids, None)

    def test_export_keeps_one_attachment(self):
        """A closing's export is the same file each time: one attachment, replaced."""
        closing = self._close()
        auditor = self.company_user("closing_export_auditor", AUDITOR_GROUPS)
        urls = {closing.with_user(auditor).action_export_xlsx()["url"] for _i in range(3)}
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", closing._name), ("res_id", "=", closing.id)]
        )
        self.assertEqual(len(attachments), 1)
        self.assertEqual(urls, {f"/web/content/{attachments.id}?download=true"})
        sheet = openpyxl.load_workbook(io.BytesIO(attachments.raw)).active
        self.assertIn(closing.last_hash, [row[1] for row in sheet.iter_rows(values_only=True)])
