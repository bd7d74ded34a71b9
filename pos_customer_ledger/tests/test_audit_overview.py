"""Issue 14: the auditor's overview: flags to review, the oldest first, the last
audit run, chain verification and reconciliation with accounting, per company."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import AuditTestCommon


@tagged("post_install", "-at_install")
class TestAuditOverview(AuditTestCommon):
    def overview(self, user=None):
        Overview = self.env["pos.customer.ledger.audit.overview"].with_user(user or self.auditor)
        Overview = Overview.with_context(allowed_company_ids=self.company.ids)
        return Overview.search([("company_id", "=", self.company.id)])

    def test_overview(self):
        overview = self.overview()
        self.assertEqual(len(overview), 1)
        self.assertEqual(overview.to_review_count, 0)
        self.assertFalse(overview.reconciled_date)
        lost = self.sync(self.customer)
        blind = self.sync(self.customer, qty=-1, payments=[(self.cash_pm1, -10.7)])
        self.env["pos.customer.ledger.entry"].sudo().verify_chain(self.company)
        self.drop_entries(lost)
        first = self.audit("missing_ledger_entry")
        second = self.audit("refund_without_origin", "ledger_accounting_difference")
        self.env.flush_all()
        self.env.invalidate_all()
        overview = self.overview()
        flags = first | second
        self.assertEqual(overview.to_review_count, len(flags))
        critical = flags.filtered(lambda flag: flag.severity == "critical")
        self.assertEqual(overview.critical_count, len(critical))
        self.assertEqual(overview.oldest_flag_date, min(flags.mapped("create_date")))
        self.assertEqual(overview.last_run_date, max(second.run_id.mapped("run_date")))
        self.assertTrue(overview.verified_date)
        self.assertTrue(overview.verified_ok)
        # the lost entry's dues are booked in accounting, not in the ledger: no difference for a cash sale
        self.assertTrue(overview.reconciled_date)
        self.assertEqual(overview.reconciliation_difference_count, 0)
        # the oldest flags first; a reviewed flag leaves the overview
        self.assertEqual(overview.oldest_flag_ids, flags.sorted(lambda flag: (flag.create_date, flag.id)))
        blind_flag = flags.filtered(lambda flag: flag.pos_order_id == blind)
        blind_flag.with_user(self.auditor).write({"review_note": "Customer brought the receipt"})
        blind_flag.with_user(self.auditor).action_dismiss()
        self.env.flush_all()
        self.env.invalidate_all()
        overview = self.overview()
        self.assertEqual(overview.to_review_count, len(flags) - 1)
        self.assertNotIn(blind_flag, overview.oldest_flag_ids)
        # the chain verified again after the entry was lost: broken
        self.env["pos.customer.ledger.entry"].sudo().verify_chain(self.company)
        self.env.invalidate_all()
        overview = self.overview()
        self.assertFalse(overview.verified_ok)
        self.assertTrue(overview.verified_message)
        action = overview.action_open_flags()
        self.assertEqual(action["res_model"], "pos.customer.ledger.flag")
        self.assertEqual(
            self.env["pos.customer.ledger.flag"].search(action["domain"] + [("state", "=", "open")]),
            flags - blind_flag,
        )

    def test_overview_views(self):
        views = (
            self.env["pos.customer.ledger.audit.overview"]
            .with_user(self.auditor)
            .get_views([(False, "kanban"), (False, "form")])
        )
        self.assertIn('name="action_open_flags"', views["views"]["kanban"]["arch"])
        self.assertIn("oldest_flag_ids", views["views"]["form"]["arch"])

    def test_overview_access(self):
        """Cashiers see no overview; another company's auditor sees only their company's."""
        with self.assertRaises(AccessError):
            self.overview(self.cashier)
        other = self.env["res.company"].create({"name": "Audit Overview Company"})
        auditor = self.env["res.users"].create(
            {
                "name": "Overview Auditor",
                "login": "audit_overview_auditor",
                "company_id": other.id,
                "company_ids": [Command.set(other.ids)],
                "groups_id": [Command.link(self.env.ref("pos_customer_ledger.group_ledger_auditor").id)],
            }
        )
        Overview = self.env["pos.customer.ledger.audit.overview"].with_user(auditor)
        self.assertEqual(Overview.search([]).company_id, other)
        with self.assertRaises(AccessError):
            self.overview().with_user(auditor).read(["to_review_count"])
