from odoo import fields, models
from odoo.tools import SQL


class PosCustomerLedgerChain(models.Model):
    """Head of a company's ledger: the last sequence number handed out.

    Every posting updates this one row, so concurrent postings for a company
    queue on its row lock and sequence numbers stay gapless and unique.
    """

    _name = "pos.customer.ledger.chain"
    _description = "Customer Ledger Chain Head"
    _log_access = False
    _rec_name = "company_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    last_sequence = fields.Integer(readonly=True)

    _sql_constraints = [
        ("company_uniq", "unique (company_id)", "A company has exactly one ledger chain."),
    ]

    def _reserve_sequence_sql(self, company_id):
        """SQL taking the company's next sequence number, as ``last_sequence``.

        The row stays locked until the transaction ends, so concurrent postings
        for a company queue here; one whose snapshot predates a concurrent
        commit fails with a serialization error, which Odoo's RPC layer retries.
        """
        return SQL(
            """
            INSERT INTO pos_customer_ledger_chain AS chain (company_id, last_sequence)
            VALUES (%(company)s, 1)
            ON CONFLICT (company_id) DO UPDATE SET last_sequence = chain.last_sequence + 1
            RETURNING last_sequence
            """,
            company=company_id,
        )
