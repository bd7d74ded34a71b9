from datetime import datetime
from typing import NamedTuple

from odoo import fields, models
from odoo.tools import SQL


class ChainHead(NamedTuple):
    """A company's locked chain head, as _lock_head reads it."""

    last_sequence: int
    last_hash: str
    partner_balance: float  # the customer's balance in the company; 0.0 without a customer
    closed_until: datetime | None  # end of the last closed period
    tz: str  # the company's time zone, in which a visit's day and hour are counted


class PosCustomerLedgerChain(models.Model):
    """Head of a company's ledger: the last sequence number and hash.

    Every posting locks and advances this one row, so concurrent postings for
    a company queue here and the chain gets neither gaps nor forks.
    """

    _name = "pos.customer.ledger.chain"
    _description = "Customer Ledger Chain"
    _log_access = False
    _rec_name = "company_id"

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    last_sequence = fields.Integer(readonly=True)
    last_hash = fields.Char(readonly=True)
    verified_date = fields.Datetime(string="Last Verification", readonly=True)
    verified_ok = fields.Boolean(string="Intact", readonly=True)
    verified_count = fields.Integer(string="Entries Verified", readonly=True)
    verified_message = fields.Char(string="Verification Result", readonly=True)
    closed_until = fields.Datetime(
        readonly=True, help="End of the last closed period: no entry is dated before it any more."
    )

    _sql_constraints = [
        ("company_uniq", "unique (company_id)", "A company has exactly one ledger chain."),
    ]

    def _lock_head(self, company_id, partner_id):
        """Lock the company's chain and return its head (ChainHead), with the
        balance of customer ``partner_id`` (None: no customer).

        The lock lasts until the transaction ends. A transaction whose snapshot
        predates a concurrent commit on the row fails with a serialization
        error, which Odoo's RPC layer retries.
        """
        query = self._head_sql(SQL("%s", company_id), SQL("%s", partner_id))
        rows = self.env.execute_query(query)
        if not rows:
            self.env.execute_query(
                SQL(
                    """
                    INSERT INTO pos_customer_ledger_chain (company_id, last_sequence, last_hash)
                    VALUES (%s, 0, '') ON CONFLICT (company_id) DO NOTHING
                    """,
                    company_id,
                )
            )
            rows = self.env.execute_query(query)
        return ChainHead(*rows[0])

    def _head_sql(self, company, partner):
        """SQL query locking the chain of ``company`` and reading its head, the
        columns of ChainHead, with the balance of customer ``partner`` (SQL
        expressions: a LATERAL subquery locks the head along with what another
        query reads). No row when the company has no chain yet."""
        return SQL(
            """
            SELECT chain.last_sequence, chain.last_hash, COALESCE(stat.balance, 0), chain.closed_until,
                   COALESCE(company_partner.tz, 'UTC')
              FROM pos_customer_ledger_chain chain
              JOIN res_company company ON company.id = chain.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
              LEFT JOIN pos_customer_ledger_partner_stat stat
                ON stat.company_id = chain.company_id AND stat.partner_id = %(partner)s
             WHERE chain.company_id = %(company)s
               FOR UPDATE OF chain
            """,
            company=company,
            partner=partner,
        )

    def _lock_heads(self, company_ids=None, shared=False):
        """Hold off postings (of ``company_ids`` or all companies) until the
        transaction ends, for rebuilds that postings also update. ``shared``:
        rebuilds running side by side on other connections do not wait for
        each other."""
        company_filter = SQL("company_id = ANY(%s)", list(company_ids)) if company_ids else SQL("TRUE")
        self.env.execute_query(
            SQL(
                "SELECT id FROM pos_customer_ledger_chain WHERE %s ORDER BY company_id %s",
                company_filter,
                SQL("FOR SHARE") if shared else SQL("FOR UPDATE"),
            )
        )

    def _advance_sql(self, company_id, sequence, entry_hash, condition=None):
        """SQL CTE body moving the locked head to the new entry; yields ``company_id``.

        Yields nothing if the head is not where the caller left it, or if
        ``condition`` does not hold.
        """
        return SQL(
            """
            UPDATE pos_customer_ledger_chain
               SET last_sequence = %(sequence)s, last_hash = %(hash)s
             WHERE company_id = %(company)s AND last_sequence = %(sequence)s - 1 AND %(condition)s
            RETURNING company_id
            """,
            company=company_id,
            sequence=sequence,
            hash=entry_hash,
            condition=condition or SQL("TRUE"),
        )

    def _record_verification(self, company, result):
        self.sudo().search([("company_id", "=", company.id)]).write(
            {
                "verified_date": fields.Datetime.now(),
                "verified_ok": result["ok"],
                "verified_count": result["checked"],
                "verified_message": result["message"],
            }
        )
