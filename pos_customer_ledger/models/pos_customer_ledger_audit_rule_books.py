from odoo import models
from odoo.tools import SQL

from .pos_customer_ledger_closing import ANCHOR_AMOUNTS

# entries posted from a POS order (pos.order._ledger_posting): the till's kinds,
# a session, and no accounting event behind them (those have a source_key)
POS_ENTRY_KINDS = ("sale", "refund", "payment")


class PosCustomerLedgerAuditRule(models.Model):
    """The rules on the ledger and the books: entries against their orders, the
    chain, month closings and the accounting."""

    _inherit = "pos.customer.ledger.audit.rule"  # pylint: disable=consider-merging-classes-inherited

    def _ledger_entries(self):
        """The entry model in this rule's company alone (the verification and
        accounting comparisons read env.company and env.companies)."""
        return (
            self.env["pos.customer.ledger.entry"]
            .sudo()
            .with_company(self.company_id)
            .with_context(allowed_company_ids=self.company_id.ids)
        )

    def _audit_entry_mismatch(self, date_from, date_to):
        start, end = self._period(date_from, date_to)
        # an entry holds its order's total converted at the order's rate and
        # rounded (pos.order._ledger_posting): less than a unit of the smallest
        # coin apart is that rounding, not a change
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT * FROM (
                    SELECT compared.*,
                           order_partner_id IS DISTINCT FROM partner_id AS customer_changed,
                           ABS(amount_total - order_total) >= %(rounding)s AS total_changed
                      FROM (
                        SELECT e.id AS entry_id, e.name AS entry, e.partner_id, e.session_id, e.config_id,
                               e.user_id, e.date, e.sequence_number, e.pos_order_id AS posted_order_id,
                               e.amount_total, o.id AS order_id, o.name AS order_name,
                               o.amount_total / COALESCE(NULLIF(o.currency_rate, 0), 1) AS order_total,
                               buyer.commercial_partner_id AS order_partner_id,
                               owner.name AS order_customer, entry_customer.name AS entry_customer
                          FROM pos_customer_ledger_entry e
                          JOIN res_partner entry_customer ON entry_customer.id = e.partner_id
                          LEFT JOIN pos_order o ON o.id = e.pos_order_id
                          LEFT JOIN res_partner buyer ON buyer.id = o.partner_id
                          LEFT JOIN res_partner owner ON owner.id = buyer.commercial_partner_id
                         WHERE e.company_id = %(company)s AND e.date >= %(start)s AND e.date < %(end)s
                           AND e.kind IN %(kinds)s AND e.session_id IS NOT NULL AND e.source_key IS NULL
                    ) compared
                ) checked
                 WHERE order_id IS NULL OR customer_changed OR total_changed
                 ORDER BY sequence_number
                """,
                company=self.company_id.id,
                start=start,
                end=end,
                kinds=POS_ENTRY_KINDS,
                rounding=self.currency_id.rounding,
            )
        )
        findings = []
        for row in rows:
            if not row["order_id"]:
                message = self.env._(
                    "Entry %(entry)s of %(amount)s was posted from a POS order that is no longer "
                    "linked to it or no longer exists.",
                    entry=row["entry"],
                    amount=self._money(row["amount_total"]),
                )
                figures = (row["posted_order_id"],)
            else:
                differences = []
                if row["customer_changed"]:
                    differences.append(
                        self.env._(
                            "its customer is now %(order_customer)s, the entry's %(entry_customer)s",
                            order_customer=row["order_customer"] or self.env._("none"),
                            entry_customer=row["entry_customer"],
                        )
                    )
                if row["total_changed"]:
                    differences.append(
                        self.env._(
                            "its total is now %(order_total)s, the entry's %(entry_total)s",
                            order_total=self._money(row["order_total"]),
                            entry_total=self._money(row["amount_total"]),
                        )
                    )
                message = self.env._(
                    "Order %(order)s no longer matches its ledger entry %(entry)s: %(differences)s.",
                    order=row["order_name"],
                    entry=row["entry"],
                    differences="; ".join(differences),
                )
                figures = (
                    row["order_id"],
                    row["order_partner_id"],
                    self.currency_id.round(row["order_total"]),
                )
            findings.append(
                self._finding(row, f"entry:{row['entry_id']}", message, figures, entry_id=row["entry_id"])
            )
        return findings

    def _audit_chain_break(self, date_from, date_to):
        """The whole chain, whatever the period: a break anywhere makes every later balance doubtful."""
        result = self._ledger_entries()._verify_company_links(self.company_id)
        if result["ok"]:
            return []
        entry = self.env["pos.customer.ledger.entry"].sudo().browse(result["first_broken_id"])
        row = {
            "partner_id": entry.partner_id.id,
            "session_id": entry.session_id.id,
            "config_id": entry.config_id.id,
            "order_id": entry.pos_order_id.id,
            "date": entry.date,
        }
        return [
            self._finding(
                row,
                f"chain:{self.company_id.id}",
                result["message"],
                # the first broken entry, and how far the chain holds before it
                (result["first_broken_id"], result["checked"]),
                entry_id=entry.id,
            )
        ]

    def _audit_closing_mismatch(self, date_from, date_to):
        """Every closed month that starts by the end of the period."""
        closings = (
            self.env["pos.customer.ledger.closing"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("state", "=", "closed"),
                    ("date_from", "<=", date_to),
                ],
                order="date_from",
            )
        )
        if not closings:
            return []
        Entry = self._ledger_entries()
        # one pass over the entries for all months, in the closings' order
        rows = Entry._anchor_rows(self.company_id, closings._anchor_data())
        findings = []
        for closing, row in zip(closings, rows, strict=True):
            problem = Entry._anchor_problem(
                self.company_id, row["frozen"], row["recomputed"], row["entry_hash"]
            )
            if not problem:
                continue
            recomputed = row["recomputed"]  # with its closing balance, from _anchor_problem
            findings.append(
                self._finding(
                    {"date": closing.period_end},
                    f"closing:{closing.id}",
                    problem,
                    (
                        row["entry_hash"],
                        recomputed["entry_count"],
                        recomputed["first_sequence"],
                        *(self.currency_id.round(float(recomputed[name])) for name in ANCHOR_AMOUNTS),
                    ),
                )
            )
        return findings

    def _audit_ledger_accounting_difference(self, date_from, date_to):
        """As of the last day of the period, per customer (their sessions together)."""
        Entry = self._ledger_entries()
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT compared.partner_id, partner.name AS customer,
                       SUM(compared.ledger_amount) AS ledger_amount,
                       SUM(compared.accounting_amount) AS accounting_amount
                  FROM (%(compared)s) compared
                  JOIN res_partner partner ON partner.id = compared.partner_id
                 WHERE compared.company_id = %(company)s
                 GROUP BY compared.partner_id, partner.name
                HAVING ABS(SUM(compared.ledger_amount) - SUM(compared.accounting_amount)) > %(threshold)s
                 ORDER BY compared.partner_id
                """,
                compared=Entry._dues_comparison_sql(date_to),
                company=self.company_id.id,
                # never below half a cent: less is rounding
                threshold=max(self.threshold_amount, self.currency_id.rounding / 2),
            )
        )
        currency = self.currency_id
        findings = []
        for row in rows:
            ledger, accounting = (
                currency.round(row["ledger_amount"]),
                currency.round(row["accounting_amount"]),
            )
            findings.append(
                self._finding(
                    row,
                    f"customer:{row['partner_id']}",
                    self.env._(
                        "On %(date)s %(customer)s owes %(ledger)s in the customer ledger and "
                        "%(accounting)s in accounting: %(difference)s apart.",
                        date=date_to,
                        customer=row["customer"],
                        ledger=self._money(ledger),
                        accounting=self._money(accounting),
                        difference=self._money(ledger - accounting),
                    ),
                    (ledger, accounting),
                )
            )
        return findings
