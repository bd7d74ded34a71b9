from unittest.mock import patch

from psycopg2.extras import Json

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.pos_customer_ledger.models.pos_customer_preference import PosCustomerPreference

RFM_COLUMNS = ("rfm_segment", "rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score")


@tagged("post_install", "-at_install")
class TestProfileRebuildInParallel(TransactionCase):
    """The scheduled rebuild of every customer, on committed data: its parts run
    on their own connections and commit there.

    A plain TransactionCase whose own transaction writes nothing: everything
    happens in committed cursors (the test database's demo sales), and the
    segment scores and moves the rebuild adds are removed at the end.
    """

    def setUp(self):
        super().setUp()
        if Registry._lock._is_owned():
            self.skipTest(
                "Odoo's runner holds the registry lock while it runs the tests: threads cannot "
                "open environments; ./dev.sh test (pytest-odoo) runs this"
            )
        self.registry = Registry(self.env.cr.dbname)
        with self.registry.cursor() as cr:
            [(self.last_move, self.scores)] = api.Environment(cr, SUPERUSER_ID, {}).execute_query(
                SQL(
                    """
                    SELECT (SELECT COALESCE(MAX(id), 0) FROM pos_customer_segment_history),
                           (SELECT jsonb_agg(jsonb_build_array(id, %s)) FROM res_partner)
                    """,
                    SQL(", ").join(SQL.identifier(column) for column in RFM_COLUMNS),
                )
            )
        self.addCleanup(self._restore_scores)

    def _restore_scores(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM pos_customer_segment_history WHERE id > %s", [self.last_move])
            cr.execute(
                SQL(
                    """
                    UPDATE res_partner partner SET %s
                      FROM jsonb_array_elements(%s::jsonb) saved
                     WHERE partner.id = (saved ->> 0)::int
                    """,
                    SQL(", ").join(
                        SQL("%s = NULLIF(saved -> %s, 'null'::jsonb)", SQL.identifier(column), index)
                        for index, column in enumerate(RFM_COLUMNS, 1)
                    ),
                    Json(self.scores),
                )
            )

    def _corrupt(self):
        """Commit a wrong preference row and a wrong visit count for a customer of
        the demo sales."""
        with self.registry.cursor() as cr:
            rows = api.Environment(cr, SUPERUSER_ID, {}).execute_query(
                SQL(
                    """
                    SELECT stat.id, stat.partner_id, stat.company_id, product.id
                      FROM pos_customer_ledger_partner_stat stat, product_product product
                     WHERE stat.order_count > 0
                     ORDER BY stat.id, product.id LIMIT 1
                    """
                )
            )
            self.assertTrue(rows, "the test database has no ledgered demo sales")
            [(stat_id, partner_id, company_id, product_id)] = rows
            cr.execute(
                """
                INSERT INTO pos_customer_preference (partner_id, company_id, product_id, qty, amount, rank)
                VALUES (%s, %s, %s, 1000, 1000, 1)
                ON CONFLICT (partner_id, company_id, COALESCE(product_id, 0), COALESCE(categ_id, 0))
                DO UPDATE SET qty = pos_customer_preference.qty + 1000
                RETURNING id
                """,
                [partner_id, company_id, product_id],
            )
            pref_id = cr.fetchone()[0]
            cr.execute(
                "UPDATE pos_customer_ledger_partner_stat SET visit_count = visit_count + 1000 WHERE id = %s",
                [stat_id],
            )
        return pref_id, stat_id

    def _corrupted(self, pref_id, stat_id):
        """Read from yet another connection: only committed repairs show."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT COUNT(*) > 0 FROM pos_customer_preference WHERE id = %s AND qty >= 1000", [pref_id]
            )
            pref_corrupted = cr.fetchone()[0]
            cr.execute(
                "SELECT visit_count >= 1000 FROM pos_customer_ledger_partner_stat WHERE id = %s", [stat_id]
            )
            return pref_corrupted, cr.fetchone()[0]

    def test_parts_commit_on_their_own_connections(self):
        pref_id, stat_id = self._corrupt()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertTrue(env["pos.customer.ledger.profile"]._can_run_in_parallel())
            self.assertTrue(env["res.partner"].ledger_recompute_profiles())
            # this transaction is still open, yet both repairs and the scores are committed
            self.assertEqual(self._corrupted(pref_id, stat_id), (False, False))
            with self.registry.cursor() as other_cr:
                other_cr.execute(
                    """
                    SELECT COUNT(*) FROM pos_customer_ledger_partner_stat stat
                      JOIN res_partner partner ON partner.id = stat.partner_id
                     WHERE stat.order_count > 0
                       AND partner.rfm_segment ->> stat.company_id::text IS NULL
                    """
                )
                self.assertEqual(other_cr.fetchone()[0], 0, "a customer with sales has no segment")
            cr.rollback()

    def test_a_transaction_that_wrote_rebuilds_in_itself(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.partner"].create({"name": "Unsaved"})
            self.assertFalse(env["pos.customer.ledger.profile"]._can_run_in_parallel())
            cr.rollback()

    def test_a_failing_part_is_raised_and_the_other_stays_committed(self):
        pref_id, stat_id = self._corrupt()
        with (
            patch.object(PosCustomerPreference, "_recompute", side_effect=RuntimeError("disk full")),
            self.registry.cursor() as cr,
            self.assertRaisesRegex(RuntimeError, "disk full"),
        ):
            api.Environment(cr, SUPERUSER_ID, {})["res.partner"].ledger_recompute_profiles()
        self.assertEqual(self._corrupted(pref_id, stat_id), (True, False))
        with self.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["res.partner"].ledger_recompute_profiles()
        self.assertEqual(self._corrupted(pref_id, stat_id), (False, False))
