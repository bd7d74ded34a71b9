from unittest.mock import patch

import psycopg2

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import LedgerTestCommon


@tagged("post_install", "-at_install")
class TestLedgerPosting(LedgerTestCommon):
    def test_cash_sale_from_till_posts_one_entry(self):
        order = self.sync(self.customer, qty=2)
        entry = self.entries_of(order)
        self.assertEqual(len(entry), 1)
        self.assertRecordValues(
            entry,
            [
                {
                    "kind": "sale",
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "session_id": self.pos_session.id,
                    "config_id": self.config.id,
                    "user_id": self.env.uid,
                    "amount_untaxed": 20.0,
                    "amount_tax": 1.4,
                    "amount_total": 21.4,
                    "amount_due": 0.0,
                    "balance": 0.0,
                    "date": order.date_order,
                }
            ],
        )
        self.assertRegex(entry.name, r"^LEDG/\d{4}/\d{6}$")
        self.assertTrue(entry.name.endswith(f"{entry.sequence_number:06d}"))

    def test_order_without_customer_is_not_posted(self):
        order = self.sync(False)
        self.assertEqual(order.state, "paid")
        self.assertFalse(self.entries_of(order))

    def test_pay_later_raises_dues_and_balance_runs(self):
        first = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)])
        second = self.sync(self.customer, qty=3, payments=[(self.cash_pm1, 12.1), (self.pay_later_pm, 20.0)])
        entries = self.entries_of(first) | self.entries_of(second)
        self.assertEqual(entries.sorted("sequence_number").mapped("amount_due"), [10.7, 20.0])
        self.assertEqual(entries.sorted("sequence_number").mapped("balance"), [10.7, 30.7])
        self.assertEqual(
            entries.sorted("sequence_number").mapped("sequence_number"),
            [min(entries.mapped("sequence_number")), max(entries.mapped("sequence_number"))],
        )
        self.assertEqual(max(entries.mapped("sequence_number")) - min(entries.mapped("sequence_number")), 1)
        self.assertAlmostEqual(self.customer.ledger_balance, 30.7)
        self.assertEqual(self.customer.search([("ledger_balance", ">", 30)]) & self.customer, self.customer)
        self.assertFalse(self.customer.search([("ledger_balance", ">", 31)]) & self.customer)

    def test_contact_posts_to_commercial_partner(self):
        order = self.sync(self.customer_contact, payments=[(self.pay_later_pm, 10.7)])
        self.assertEqual(self.entries_of(order).partner_id, self.customer)
        self.assertAlmostEqual(self.customer_contact.ledger_balance, 10.7)
        self.assertAlmostEqual(self.customer.ledger_balance, 10.7)

    def test_resync_and_repeated_hooks_never_duplicate(self):
        data = self.create_ui_order_data([(self.product, 1)], customer=self.customer)
        self.env["pos.order"].sync_from_ui([data])
        self.env["pos.order"].sync_from_ui([dict(data)])
        order = self.env["pos.order"].search([("uuid", "=", data["uuid"])])
        chain = self.env["pos.customer.ledger.chain"].search([("company_id", "=", self.company.id)])
        head = chain.last_sequence
        order.action_pos_order_paid()
        order._process_saved_order(False)
        self.assertFalse(order._ledger_post())
        self.assertEqual(len(self.entries_of(order)), 1)
        self.assertEqual(self.customer.ledger_order_count, 1)
        chain.invalidate_recordset()
        self.assertEqual(chain.last_sequence, head, "the chain did not move for an order posted before")
        self.follow_preferences()
        preference = self.env["pos.customer.preference"].search(
            [("partner_id", "=", self.customer.id), ("product_id", "=", self.product.id)]
        )
        self.assertEqual(preference.qty, 1)

    def test_database_refuses_a_second_entry_for_an_order(self):
        entry = self.entries_of(self.sync(self.customer))
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    SQL(
                        """
                        INSERT INTO pos_customer_ledger_entry
                            (name, sequence_number, company_id, partner_id, date, kind,
                             pos_order_id)
                        SELECT name || '-dup', sequence_number + 1000, company_id, partner_id,
                               date, kind, pos_order_id
                          FROM pos_customer_ledger_entry WHERE id = %s
                        """,
                        entry.id,
                    )
                )

    def test_posting_failure_is_raised_not_swallowed(self):
        data = self.create_ui_order_data([(self.product, 1)], customer=self.customer)
        with (
            patch.object(
                type(self.env["pos.order"]),
                "_prepare_ledger_postings",
                side_effect=UserError("ledger down"),
            ),
            self.assertRaisesRegex(UserError, "ledger down"),
            mute_logger("odoo.addons.point_of_sale.models.pos_order"),
        ):
            self.env["pos.order"].sync_from_ui([data])

    def test_refund_posts_negative_entry_linked_to_refunded_order(self):
        order = self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.4)])
        refund = self.sync_refund(order, self.pay_later_pm)
        entry = self.entries_of(refund)
        self.assertRecordValues(
            entry,
            [
                {
                    "kind": "refund",
                    "refunded_order_id": order.id,
                    "amount_total": -21.4,
                    "amount_tax": -1.4,
                    "amount_untaxed": -20.0,
                    "amount_due": -21.4,
                    "balance": 0.0,
                }
            ],
        )
        self.assertEqual(self.customer.ledger_total_spent, 0.0)
        self.assertEqual(self.customer.ledger_order_count, 1)

    def test_invoice_at_sale_and_later_are_linked(self):
        invoiced_now = self.sync(self.customer, is_invoiced=True)
        self.assertTrue(invoiced_now.account_move)
        self.assertEqual(self.entries_of(invoiced_now).move_id, invoiced_now.account_move)

        invoiced_later = self.sync(self.customer)
        self.assertFalse(self.entries_of(invoiced_later).move_id)
        invoiced_later.action_pos_order_invoice()
        self.assertEqual(invoiced_later.state, "invoiced")
        self.assertEqual(self.entries_of(invoiced_later).move_id, invoiced_later.account_move)

    def test_backend_payment_posts_entry(self):
        order = self.env["pos.order"].create(
            {
                "session_id": self.pos_session.id,
                "partner_id": self.customer.id,
                "lines": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.product.id,
                            "qty": 1,
                            "price_unit": 10.0,
                            "tax_ids": [(6, 0, self.taxes["tax7"].ids)],
                            "price_subtotal": 10.0,
                            "price_subtotal_incl": 10.7,
                        },
                    )
                ],
                "amount_tax": 0.7,
                "amount_total": 10.7,
                "amount_paid": 0.0,
                "amount_return": 0.0,
            }
        )
        context = {"active_id": order.id, "active_ids": order.ids}
        payment = (
            self.env["pos.make.payment"]
            .with_context(**context)
            .create({"payment_method_id": self.bank_pm1.id})
        )
        payment.with_context(**context).check()
        self.assertEqual(order.state, "paid")
        self.assertRecordValues(self.entries_of(order), [{"kind": "sale", "amount_total": 10.7}])

    def test_entries_survive_session_closing(self):
        orders = self.sync(self.customer, payments=[(self.pay_later_pm, 10.7)]) | self.sync(
            self.other_customer
        )
        before = self.entries_of(orders).read(["amount_total", "amount_due", "balance", "sequence_number"])
        self.close_session()
        self.assertEqual(self.pos_session.state, "closed")
        self.assertEqual(
            self.entries_of(orders).read(["amount_total", "amount_due", "balance", "sequence_number"]), before
        )

    def test_partner_statistics_follow_every_posting(self):
        self.sync(self.customer, qty=1, days_ago=10)
        self.sync(self.customer, qty=3, days_ago=2)
        last = self.sync(self.customer, qty=2)
        self.sync_refund(last, self.cash_pm1)
        self.sync(self.other_customer, qty=5)
        partner = self.customer
        self.assertEqual(partner.ledger_order_count, 3)
        self.assertAlmostEqual(partner.ledger_total_spent, 42.8)  # 10.7 * (1 + 3 + 2 - 2)
        self.assertAlmostEqual(partner.ledger_avg_basket, 42.8 / 3, places=2)
        entries = self.Entry.search([("partner_id", "=", partner.id)])
        self.assertEqual(partner.ledger_first_date, min(entries.mapped("date")))
        self.assertEqual(partner.ledger_last_date, max(entries.mapped("date")))

        # the incremental totals equal a full rebuild from the entries
        Stat = self.env["pos.customer.ledger.partner.stat"]
        fields_ = ["partner_id", "balance", "order_count", "total_spent", "first_date", "last_date"]
        domain = [("company_id", "=", self.company.id)]
        incremental = Stat.search(domain, order="partner_id").read(fields_)
        Stat._recompute_from_entries(self.company.ids)
        rebuilt = Stat.search(domain, order="partner_id").read(fields_)
        self.assertEqual([dict(r, id=0) for r in incremental], [dict(r, id=0) for r in rebuilt])

    def test_entries_are_read_only_even_for_superuser(self):
        entry = self.entries_of(self.sync(self.customer)).sudo()
        with self.assertRaises(UserError):
            entry.write({"amount_total": 1.0})
        with self.assertRaises(UserError):
            entry.unlink()
        with self.assertRaises(UserError):
            self.Entry.sudo().create(
                {
                    "name": "X",
                    "sequence_number": 99999,
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                    "date": entry.date,
                    "kind": "sale",
                }
            )

    def test_ledger_smart_button_opens_customer_entries(self):
        order = self.sync(self.customer_contact)
        action = self.customer_contact.action_open_ledger_entries()
        self.assertEqual(self.Entry.search(action["domain"]), self.entries_of(order))
