from odoo import api, fields, models
from odoo.tools import SQL


class PosCustomerLedgerProgress(models.Model):
    """How far a follower of the ledger has read each company's chain: the
    sequence number of the last entry it has taken into account.

    Followers (the customers' preferences) catch up in scheduled batches
    rather than in the till's sync. Sequence numbers are assigned under the
    chain lock, which is held until commit, so a follower that has seen
    sequence N has seen every entry before it: nothing is skipped.
    """

    _name = "pos.customer.ledger.progress"
    _description = "Customer Ledger Follower Progress"
    _log_access = False
    _rec_name = "follower"

    follower = fields.Selection([("preferences", "Customer Preferences")], required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    last_sequence = fields.Integer(string="Followed Up To", readonly=True, aggregator=None)

    _sql_constraints = [
        (
            "follower_company_uniq",
            "unique (follower, company_id)",
            "A follower has one progress per company.",
        ),
    ]

    @api.model
    def _behind(self, follower):
        """[(company id, last sequence followed, last sequence posted)] of the
        companies whose ledger has entries ``follower`` has not followed yet."""
        return self.env.execute_query(
            SQL(
                """
                SELECT chain.company_id, COALESCE(progress.last_sequence, 0), chain.last_sequence
                  FROM pos_customer_ledger_chain chain
                  LEFT JOIN pos_customer_ledger_progress progress
                    ON progress.company_id = chain.company_id AND progress.follower = %(follower)s
                 WHERE chain.last_sequence > COALESCE(progress.last_sequence, 0)
                 ORDER BY chain.company_id
                """,
                follower=follower,
            )
        )

    @api.model
    def _advance(self, follower, company_id, sequence):
        """Record that ``follower`` has followed the company's ledger up to ``sequence``."""
        self.env.execute_query(
            SQL(
                """
                INSERT INTO pos_customer_ledger_progress (follower, company_id, last_sequence)
                VALUES (%(follower)s, %(company)s, %(sequence)s)
                ON CONFLICT (follower, company_id)
                DO UPDATE SET last_sequence = GREATEST(pos_customer_ledger_progress.last_sequence,
                                                       EXCLUDED.last_sequence)
                """,
                follower=follower,
                company=company_id,
                sequence=sequence,
            )
        )
        self.invalidate_model()

    @api.model
    def _advance_to_heads(self, follower):
        """Record that ``follower`` is up to date with every company's ledger as
        this transaction sees it (after a full rebuild, or an upgrade)."""
        for company_id, _followed, head in self._behind(follower):
            self._advance(follower, company_id, head)
