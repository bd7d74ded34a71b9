import json
import logging

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools.access import ledger_right
from ..tools.entry_hash import hash_matches_sql
from ..tools.planner import NO_JIT, planner_settings
from .pos_customer_ledger_closing import ANCHOR_AMOUNTS, KIND_TOTALS

_logger = logging.getLogger(__name__)


class PosCustomerLedgerEntry(models.Model):
    """Verification of the chain: hashes, links, gaps and closed months."""

    # one file per concern of the entry model, as the layout asks
    _inherit = "pos.customer.ledger.entry"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    @ledger_right("audit")
    def verify_chain(self, company=None):
        """Walk each company's chain from its start and recompute every hash.

        Returns ``{ok, checked, first_broken_id, message}``; stops at the first
        broken entry. Rows are read in keyset batches, so memory stays flat.
        Each company's outcome is recorded on its chain head.
        """
        companies = company or self.env.companies
        if isinstance(companies, int):
            companies = self.env["res.company"].browse(companies)
        # the outcome is recorded on the chain head: only the caller's own companies
        if not self.env.su and companies - self.env.user.company_ids:
            raise AccessError(self.env._("You can verify the ledger of your own companies only."))
        self.flush_model()
        checked = 0
        for chain_company in companies:
            result = self._verify_company_chain(chain_company)
            self.env["pos.customer.ledger.chain"]._record_verification(chain_company, result)
            checked += result["checked"]
            if not result["ok"]:
                return dict(result, checked=checked)
        return {
            "ok": True,
            "checked": checked,
            "first_broken_id": False,
            "message": self.env._("The ledger is intact: %(count)s entries verified.", count=checked),
        }

    def _verify_company_chain(self, company):
        """Check one company's chain (_verify_company_links), then every closed
        month's frozen figures and chain hash against the entries
        (_anchor_problems), in one more pass."""
        result = self._verify_company_links(company)
        if not result["ok"]:
            return result
        closings = (
            self.env["pos.customer.ledger.closing"]
            .sudo()
            .search([("company_id", "=", company.id), ("state", "=", "closed")], order="date_from")
        )
        problems = self._anchor_problems(company, closings._anchor_data())
        if problems:
            return dict(result, ok=False, message="\n".join(problems))
        return result

    def _verify_company_links(self, company):
        """Check one company's chain of entries in a single pass of PostgreSQL.

        PostgreSQL rebuilds each entry's canonical content, hashes it and
        compares it and the link with the entry before; only the first broken
        entry comes back, so memory stays flat whatever the ledger's size. The
        chain must end where its head says.
        """
        problems = self.env.execute_query(
            SQL(
                """
                SELECT id, name, position, problem FROM (
                    SELECT e.id, e.name, e.sequence_number, row_number() OVER chain AS position,
                           CASE
                               WHEN e.sequence_number <> row_number() OVER chain THEN 'gap'
                               WHEN COALESCE(e.previous_hash, '')
                                    <> COALESCE(lag(e.entry_hash) OVER chain, '') THEN 'link'
                               WHEN NOT %(hash_matches)s THEN 'content'
                           END AS problem
                      FROM pos_customer_ledger_entry e
                     WHERE e.company_id = %(company)s
                    WINDOW chain AS (ORDER BY e.sequence_number)
                ) checked
                WHERE problem IS NOT NULL
                ORDER BY sequence_number
                LIMIT 1
                """,
                hash_matches=hash_matches_sql("e"),
                company=company.id,
            )
        )
        failure = problems and problems[0]
        if failure:
            expected = failure[2]
            checked = expected - 1
            failure = (failure[0], failure[3], failure[1])
        else:
            [(checked, previous_hash)] = self.env.execute_query(
                SQL(
                    """
                    SELECT COUNT(*), (SELECT entry_hash FROM pos_customer_ledger_entry
                                       WHERE company_id = %(company)s ORDER BY sequence_number DESC LIMIT 1)
                      FROM pos_customer_ledger_entry WHERE company_id = %(company)s
                    """,
                    company=company.id,
                )
            )
            expected = checked + 1
        if failure:
            entry_id, problem, name = failure
            messages = {
                "gap": self.env._(
                    "Entry %(name)s: sequence number %(missing)s is missing before it; an entry was deleted.",
                    name=name,
                    missing=expected,
                ),
                "link": self.env._(
                    "Entry %(name)s: broken link; it does not follow the entry before it.", name=name
                ),
                "content": self.env._(
                    "Entry %(name)s: changed content; it no longer matches its hash.", name=name
                ),
            }
            return {
                "ok": False,
                "checked": checked,
                "first_broken_id": entry_id,
                "message": messages[problem],
            }
        [head] = self.env.execute_query(
            SQL(
                "SELECT COALESCE(MAX(last_sequence), 0), MAX(last_hash) FROM pos_customer_ledger_chain "
                "WHERE company_id = %s",
                company.id,
            )
        )
        if head[0] != expected - 1 or (head[0] and head[1] != previous_hash):
            return {
                "ok": False,
                "checked": checked,
                "first_broken_id": False,
                "message": self.env._(
                    "%(company)s: the chain ends at sequence number %(last)s but %(head)s entries were "
                    "posted; the last entries are missing.",
                    company=company.name,
                    last=expected - 1,
                    head=head[0],
                ),
            }
        return {
            "ok": True,
            "checked": checked,
            "first_broken_id": False,
            "message": self.env._("The ledger is intact: %(count)s entries verified.", count=checked),
        }

    @api.model
    def _anchor_problems(self, company, anchors):
        """What differs between the company's chain and ``anchors``, the frozen
        figures of closed months (see pos.customer.ledger.closing._anchor_data):
        one translated message per anchor that does not match.

        A closing froze the hash of the chain's last entry and the month's
        figures; a history rewritten before it, even re-hashed to the chain's
        head, no longer gives them. One pass over the entries: each falls in the
        bucket of the last anchor starting before it (width_bucket over the
        sorted starts) and is counted in that month when dated before its end;
        a month's opening balance sums the buckets before it.
        """
        if not anchors:
            return []
        self.flush_model()
        with planner_settings(self.env.cr, **NO_JIT):  # misjudging the buckets, JIT compiles for seconds
            rows = self._anchor_rows(company, anchors)
        return [
            problem
            for row in rows
            if (problem := self._anchor_problem(company, row["frozen"], row["recomputed"], row["entry_hash"]))
        ]

    @api.model
    def _anchor_rows(self, company, anchors):
        """Per anchor, in month order: its figures (frozen), the same recomputed
        from the entries, and the hash of the entry at its last sequence number."""
        return self.env.execute_query_dict(
            SQL(
                """
                WITH anchor AS (
                    SELECT anchor.*, row_number() OVER (ORDER BY anchor.period_start) AS rank
                      FROM jsonb_to_recordset(%(anchors)s::jsonb) AS anchor(
                           month text, period_start timestamp, period_end timestamp,
                           %(amount_columns)s, entry_count integer, first_sequence integer,
                           last_sequence integer, last_hash text)
                ), bucketed AS (
                    SELECT width_bucket(e.date, (SELECT array_agg(period_start ORDER BY rank) FROM anchor))
                           AS bucket, e.date, e.kind, e.amount_due, e.sequence_number
                      FROM pos_customer_ledger_entry e
                     WHERE e.company_id = %(company)s
                ), per_bucket AS (
                    SELECT b.bucket, SUM(b.amount_due) AS total,
                           COUNT(*) FILTER (WHERE b.date < a.period_end) AS entry_count,
                           MIN(b.sequence_number) FILTER (WHERE b.date < a.period_end) AS first_sequence,
                           %(kind_sums)s
                      FROM bucketed b
                      LEFT JOIN anchor a ON a.rank = b.bucket
                     GROUP BY b.bucket
                ), recomputed AS (
                    SELECT a.rank,
                           COALESCE(SUM(p.total) FILTER (WHERE p.bucket < a.rank), 0) AS opening_balance,
                           COALESCE(SUM(p.entry_count) FILTER (WHERE p.bucket = a.rank), 0) AS entry_count,
                           COALESCE(MIN(p.first_sequence) FILTER (WHERE p.bucket = a.rank), 0)
                           AS first_sequence,
                           %(recomputed_totals)s
                      FROM anchor a
                      LEFT JOIN per_bucket p ON p.bucket <= a.rank
                     GROUP BY a.rank
                )
                SELECT to_jsonb(a) AS frozen, to_jsonb(r) AS recomputed, last_entry.entry_hash
                  FROM anchor a
                  JOIN recomputed r ON r.rank = a.rank
                  LEFT JOIN pos_customer_ledger_entry last_entry
                    ON last_entry.company_id = %(company)s AND last_entry.sequence_number = a.last_sequence
                 ORDER BY a.rank
                """,
                anchors=json.dumps(anchors),
                amount_columns=SQL(", ").join(
                    SQL("%s numeric", SQL.identifier(name)) for name in ANCHOR_AMOUNTS
                ),
                company=company.id,
                kind_sums=SQL(", ").join(
                    SQL(
                        "SUM(b.amount_due) FILTER (WHERE b.date < a.period_end AND b.kind = %s) AS %s",
                        kind,
                        SQL.identifier(total),
                    )
                    for kind, total in KIND_TOTALS.items()
                ),
                recomputed_totals=SQL(", ").join(
                    SQL(
                        "COALESCE(SUM(p.%(total)s) FILTER (WHERE p.bucket = a.rank), 0) AS %(total)s",
                        total=SQL.identifier(total),
                    )
                    for total in KIND_TOTALS.values()
                ),
            )
        )

    @api.model
    def _anchor_problem(self, company, frozen, recomputed, last_entry_hash):
        _ = self.env._
        currency = company.currency_id
        Closing = self.env["pos.customer.ledger.closing"]
        recomputed["closing_balance"] = recomputed["opening_balance"] + sum(
            recomputed[total] for total in KIND_TOTALS.values()
        )
        differences = []
        sequence = frozen["last_sequence"]
        if sequence and last_entry_hash is None:
            differences.append(
                _(
                    "no entry has sequence number %(sequence)s, where the chain stood at closing",
                    sequence=sequence,
                )
            )
        elif sequence and last_entry_hash != frozen["last_hash"]:
            differences.append(
                _(
                    "the entry at sequence number %(sequence)s no longer has the chain hash frozen "
                    "at closing: the history up to it was rewritten",
                    sequence=sequence,
                )
            )
        for name in ("entry_count", "first_sequence", *ANCHOR_AMOUNTS):
            if name in ANCHOR_AMOUNTS:
                if not currency.compare_amounts(float(frozen[name]), float(recomputed[name])):
                    continue
                values = currency.format(float(frozen[name])), currency.format(float(recomputed[name]))
            elif frozen[name] == recomputed[name]:
                continue
            else:
                values = frozen[name], recomputed[name]
            differences.append(
                _(
                    "%(figure)s %(frozen)s at closing, %(recomputed)s in the entries",
                    figure=Closing._fields[name]._description_string(self.env),
                    frozen=values[0],
                    recomputed=values[1],
                )
            )
        if not differences:
            return None
        return _(
            "Closing %(month)s of %(company)s does not match the ledger: %(differences)s.",
            month=frozen["month"],
            company=company.name,
            differences="; ".join(differences),
        )

    @api.model
    def _cron_verify_chain(self):
        """Verify every company's chain; the outcome is recorded on each chain head."""
        # every company's, whoever runs the scheduled action
        Entry = self.sudo()
        for company in Entry.env["res.company"].search([]):
            result = Entry.verify_chain(company)
            if not result["ok"]:
                _logger.error("Customer ledger integrity check failed: %s", result["message"])
