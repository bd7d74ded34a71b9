import threading

import psycopg2

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.pos_customer_ledger.tools.entry_hash import HASHED_FIELDS

from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestLedgerIntegrity(LedgerTestCommon):
    def setUp(self):
        super().setUp()
        self.orders = (
            self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
            | self.sync(self.other_customer, qty=2)
            | self.sync(self.customer, qty=3, payments=[(self.pay_later_pm, 32.1)])
            | self.sync(self.other_customer)
        )
        self.entries = self.entries_of(self.orders).sorted("sequence_number")

    def _sql(self, query, *args):
        self.env.flush_all()
        self.env.cr.execute(SQL(query, *args))
        self.env.invalidate_all()

    def test_entries_form_a_hash_chain(self):
        self.assertEqual(self.entries.mapped("sequence_number"), [1, 2, 3, 4])
        self.assertEqual(self.entries[0].previous_hash, "")
        for previous, entry in zip(self.entries[:-1], self.entries[1:], strict=True):
            self.assertEqual(entry.previous_hash, previous.entry_hash)
        self.assertEqual(len(set(self.entries.mapped("entry_hash"))), 4)
        self.assertTrue(all(len(h) == 64 for h in self.entries.mapped("entry_hash")))

    def test_clean_ledger_verifies(self):
        result = self.Entry.verify_chain(self.company)
        self.assertEqual(
            result,
            {
                "ok": True,
                "checked": 4,
                "first_broken_id": False,
                "message": "The ledger is intact: 4 entries verified.",
            },
        )

    def test_any_text_and_amount_verifies(self):
        # posting hashes in Python, verification in PostgreSQL: both must agree
        notes = [
            'quote " backslash \\ slash /',
            "line\nbreak\ttab\r\x01\x1f\x7f",
            "欠款 ¥ 😀 \u2028 é",
            " padded ",
        ]
        for amount, note in zip((0.01, -1234567.89, 999999999999.99, 0.1 + 0.2), notes, strict=True):
            self.Entry.post_manual_entry("opening", self.customer, amount, fields.Date.today(), note)
        self.assertTrue(self.Entry.verify_chain(self.company)["ok"])
        self._sql("UPDATE pos_customer_ledger_entry SET note = note || ' ' WHERE note LIKE 'line%%'")
        result = self.Entry.verify_chain(self.company)
        self.assertIn("changed content", result["message"])

    def test_changed_amount_is_reported(self):
        tampered = self.entries[2]
        self._sql("UPDATE pos_customer_ledger_entry SET amount_total = 1 WHERE id = %s", tampered.id)
        result = self.Entry.verify_chain(self.company)
        self.assertFalse(result["ok"])
        self.assertEqual(result["first_broken_id"], tampered.id)
        self.assertEqual(result["checked"], 2)
        self.assertIn(tampered.name, result["message"])
        self.assertIn("changed content", result["message"])

    def test_rehashed_entry_breaks_the_next_link(self):
        """A forger who also recomputes the changed entry's hash breaks the next link."""
        tampered = self.entries[1]
        values = tampered.read([*HASHED_FIELDS, "previous_hash", "hash_digits"], load=None)[0]
        values["amount_total"] = 1.0
        forged_hash = self.Entry._compute_entry_hash(values)
        self._sql(
            "UPDATE pos_customer_ledger_entry SET amount_total = 1, entry_hash = %s WHERE id = %s",
            forged_hash,
            tampered.id,
        )
        result = self.Entry.verify_chain(self.company)
        self.assertEqual(result["first_broken_id"], self.entries[2].id)
        self.assertIn("broken link", result["message"])

    def test_broken_link_is_reported(self):
        self._sql(
            "UPDATE pos_customer_ledger_entry SET previous_hash = 'x' WHERE id = %s", self.entries[3].id
        )
        result = self.Entry.verify_chain(self.company)
        self.assertEqual(result["first_broken_id"], self.entries[3].id)
        self.assertIn("broken link", result["message"])

    def test_deleted_entry_is_reported_as_a_gap(self):
        self._sql("DELETE FROM pos_customer_ledger_entry WHERE id = %s", self.entries[1].id)
        result = self.Entry.verify_chain(self.company)
        self.assertFalse(result["ok"])
        self.assertEqual(result["first_broken_id"], self.entries[2].id)
        self.assertIn("sequence number 2 is missing", result["message"])

    def test_deleted_last_entry_is_reported(self):
        self._sql("DELETE FROM pos_customer_ledger_entry WHERE id = %s", self.entries[3].id)
        result = self.Entry.verify_chain(self.company)
        self.assertFalse(result["ok"])
        self.assertIn("last entries are missing", result["message"])

    def test_hashes_and_sequence_cannot_be_changed_through_the_orm(self):
        entry = self.entries[0].sudo()
        for vals in (
            {"entry_hash": "0" * 64},
            {"previous_hash": ""},
            {"sequence_number": 99},
            {"partner_id": self.other_customer.id},
            {"date": "2020-01-01 00:00:00"},
        ):
            with self.assertRaises(UserError):
                entry.write(vals)

    def test_auditor_runs_the_check_and_prints_it(self):
        wizard = self.env["pos.customer.ledger.verify.wizard"].create({"company_ids": self.company.ids})
        wizard.action_verify()
        self.assertTrue(wizard.result_ok)
        self.assertEqual(wizard.checked, 4)
        action = wizard.with_context(discard_logo_check=True).action_print()
        self.assertEqual(action["report_name"], "pos_customer_ledger.report_ledger_verification")
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "pos_customer_ledger.report_ledger_verification", wizard.ids
        )
        self.assertIn(b"4 entries verified", html)

    def test_daily_check_records_the_outcome(self):
        cron = self.env.ref("pos_customer_ledger.ir_cron_verify_ledger_chain")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
        self._sql("UPDATE pos_customer_ledger_entry SET amount_due = 0 WHERE id = %s", self.entries[0].id)
        self.Entry._cron_verify_chain()
        chain = self.env["pos.customer.ledger.chain"].search([("company_id", "=", self.company.id)])
        self.assertFalse(chain.verified_ok)
        self.assertIn(self.entries[0].name, chain.verified_message)


@tagged("post_install", "-at_install")
class TestLedgerConcurrency(TransactionCase):
    """Two cursors post for one company at once; the chain stays gapless and unforked.

    A plain TransactionCase: the test's own transaction must hold no row locks
    that the workers' committed transactions would wait for.
    """

    POSTS_PER_WORKER = 5

    def _post_in_own_transaction(self, company_id, partner_id, barrier, errors):
        registry = Registry(self.env.cr.dbname)
        try:
            barrier.wait()
            for _i in range(self.POSTS_PER_WORKER):
                while True:  # retried like Odoo's RPC layer retries serialization failures
                    try:
                        with registry.cursor() as cr:
                            env = api.Environment(cr, SUPERUSER_ID, {})
                            env["pos.customer.ledger.entry"]._post([self._vals(env, company_id, partner_id)])
                        break
                    except psycopg2.errors.SerializationFailure:
                        continue
        except Exception as error:  # reported by the main thread
            errors.append(error)

    def _vals(self, env, company_id, partner_id):
        return {
            "company_id": company_id,
            "partner_id": partner_id,
            "date": "2026-03-01 12:00:00",
            "kind": "sale",
            "amount_total": 5.0,
            "amount_due": 5.0,
        }

    def test_concurrent_postings_keep_one_chain(self):
        if Registry._lock._is_owned():
            self.skipTest(
                "Odoo's runner holds the registry lock while it runs the tests: threads cannot "
                "open environments; ./dev.sh test (pytest-odoo) runs this"
            )
        registry = Registry(self.env.cr.dbname)
        company = self.env.ref("base.main_company")
        Chain = self.env["pos.customer.ledger.chain"]
        head = Chain.search_read([("company_id", "=", company.id)], ["last_sequence", "last_hash"])
        before = self.env["pos.customer.ledger.entry"].search_count([("company_id", "=", company.id)])
        # committed data, visible to the workers' cursors; removed at the end
        with registry.cursor() as cr:
            partner_id = (
                api.Environment(cr, SUPERUSER_ID, {})["res.partner"].create({"name": "Concurrent"}).id
            )
        try:
            barrier, errors = threading.Barrier(2), []
            workers = [
                threading.Thread(
                    target=self._post_in_own_transaction, args=(company.id, partner_id, barrier, errors)
                )
                for _i in range(2)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(120)
            self.assertFalse(errors)
            with registry.cursor() as cr:
                Entry = api.Environment(cr, SUPERUSER_ID, {})["pos.customer.ledger.entry"]
                result = Entry.verify_chain(Entry.env["res.company"].browse(company.id))
                self.assertTrue(result["ok"], result["message"])
                self.assertEqual(result["checked"], before + 2 * self.POSTS_PER_WORKER)
                entries = Entry.search([("partner_id", "=", partner_id)], order="sequence_number")
                self.assertEqual(
                    entries.mapped("sequence_number"),
                    list(range(before + 1, before + 2 * self.POSTS_PER_WORKER + 1)),
                )
                self.assertEqual(entries.mapped("balance"), [5.0 * n for n in range(1, len(entries) + 1)])
        finally:
            with registry.cursor() as cr:
                for table in ("pos_customer_ledger_entry", "pos_customer_ledger_partner_stat"):
                    cr.execute(SQL("DELETE FROM %s WHERE partner_id = %s", SQL.identifier(table), partner_id))
                if head:
                    cr.execute(
                        SQL(
                            "UPDATE pos_customer_ledger_chain SET last_sequence = %s, last_hash = %s "
                            "WHERE company_id = %s",
                            head[0]["last_sequence"],
                            head[0]["last_hash"],
                            company.id,
                        )
                    )
                else:
                    cr.execute(SQL("DELETE FROM pos_customer_ledger_chain WHERE company_id = %s", company.id))
                api.Environment(cr, SUPERUSER_ID, {})["res.partner"].browse(partner_id).unlink()
