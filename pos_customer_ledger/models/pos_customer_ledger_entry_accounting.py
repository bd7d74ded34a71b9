from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round

from ..tools.access import ledger_right
from ..tools.dates import company_today, day_range, local_noon
from ..tools.planner import LARGE_REPORTS, planner_settings
from ..tools.posting_rules import is_paid_now_journal, overpayment_error, pays_beyond_dues, pays_later_sql
from ..tools.validation import check_amount, check_day


class PosCustomerLedgerEntry(models.Model):
    """The ledger and accounting: receivable items, settlements and their
    reversals, deposits, settling dues, and the comparison with the journals."""

    # one file per concern of the entry model, as the layout asks
    _inherit = "pos.customer.ledger.entry"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _pos_receivable_lines_sql(self, lines=None):
        """Posted customer receivable journal items that come from the POS or the
        ledger, as (line_id, company_id, partner_id, session_id, date, balance);
        with ``lines`` (journal items), only those among them.

        They are the items of session moves, POS invoices and credit notes, the
        POS's own payment moves and statement lines, and ledger adjustments,
        on a customer's account (not the POS's own receivable accounts).
        Reconciliations among them are POS bookkeeping; a reconciliation with
        any other item settles or raises the customer's dues.
        """

        # Given items are read by key, and only their moves' origins: the
        # reconciliation hook runs this in every invoiced till sync, where a
        # filter on the moves alone let the planner walk every receivable item
        # of the account, the shop's whole history.
        move_ids = lines.move_id.ids if lines is not None else None

        def moves(table, move, session, condition):
            """(move_id, session_id) of the rows of ``table`` that meet ``condition``."""
            return SQL(
                "SELECT %s AS move_id, %s AS session_id FROM %s WHERE %s %s",
                SQL.identifier(move),
                SQL.identifier(session) if session else SQL("NULL"),
                SQL.identifier(table),
                condition,
                SQL("AND %s = ANY(%s)", SQL.identifier(move), move_ids) if lines is not None else SQL(),
            )

        origins = SQL("\n UNION ALL ").join(
            [
                moves("pos_session", "move_id", "id", SQL("move_id IS NOT NULL")),
                moves("pos_order", "account_move", "session_id", SQL("account_move IS NOT NULL")),
                moves("pos_payment", "account_move_id", "session_id", SQL("account_move_id IS NOT NULL")),
                moves("account_payment", "move_id", "pos_session_id", SQL("pos_session_id IS NOT NULL")),
                moves(
                    "account_bank_statement_line",
                    "move_id",
                    "pos_session_id",
                    SQL("pos_session_id IS NOT NULL"),
                ),
                moves(
                    "pos_customer_ledger_entry",
                    "move_id",
                    None,
                    SQL("kind = 'adjustment' AND move_id IS NOT NULL"),
                ),
                moves(
                    "pos_customer_ledger_entry",
                    "move_id",
                    None,
                    SQL("kind = 'payment' AND source_key LIKE %s AND move_id IS NOT NULL", "deposit:%"),
                ),
            ]
        )
        return SQL(
            """
            SELECT line.id AS line_id, line.company_id, partner.commercial_partner_id AS partner_id,
                   origin.session_id, line.date, line.balance::float8 AS balance
              FROM account_move_line line
              JOIN res_partner partner ON partner.id = line.partner_id
              JOIN account_account account ON account.id = line.account_id
              JOIN (
                    SELECT move_id, MIN(session_id) AS session_id FROM (%(origins)s) moves
                    GROUP BY move_id
              ) origin ON origin.move_id = line.move_id
             WHERE account.account_type = 'asset_receivable' AND line.parent_state = 'posted' %(lines)s
               AND line.account_id NOT IN (
                    SELECT account_default_pos_receivable_account_id FROM res_company
                     WHERE account_default_pos_receivable_account_id IS NOT NULL
                    UNION
                    SELECT receivable_account_id FROM pos_payment_method
                     WHERE receivable_account_id IS NOT NULL
               )
            """,
            origins=origins,
            lines=SQL("AND line.id = ANY(%s)", lines.ids) if lines is not None else SQL(),
        )

    @api.model
    def _pay_later_payments_sql(self, order_id):
        """The payments on the customer account of the POS order whose id is the
        SQL expression ``order_id``, as (amount): a correlated subquery, one
        probe of the payment index per order."""
        return SQL(
            """
            SELECT payment.amount
              FROM pos_payment payment
              JOIN pos_payment_method method ON method.id = payment.payment_method_id
              LEFT JOIN account_journal method_journal ON method_journal.id = method.journal_id
             WHERE payment.pos_order_id = %s AND %s
            """,
            order_id,
            pays_later_sql("method_journal"),
        )

    @api.model
    def _post_settlements(self, partials):
        """Post a payment entry for each reconciliation between a customer's POS
        receivable and anything else: a payment, a credit note, a refund paid out."""
        if not partials:
            return self.browse()
        self.env.flush_all()
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH tracked AS (%(tracked)s)
                SELECT partial.id, partial.amount::float8 AS amount, partial.max_date,
                       COALESCE(debit_pos.company_id, credit_pos.company_id) AS company_id,
                       COALESCE(debit_pos.partner_id, credit_pos.partner_id) AS partner_id,
                       COALESCE(debit_pos.session_id, credit_pos.session_id) AS session_id,
                       COALESCE(debit_pos.line_id, credit_pos.line_id) AS receivable_line_id,
                       debit_pos.line_id IS NOT NULL AS settles_dues,
                       other_move.id AS other_move_id, other_move.name AS other_move_name,
                       session.config_id
                  FROM account_partial_reconcile partial
                  LEFT JOIN tracked debit_pos ON debit_pos.line_id = partial.debit_move_id
                  LEFT JOIN tracked credit_pos ON credit_pos.line_id = partial.credit_move_id
                  JOIN account_move_line other ON other.id = CASE WHEN debit_pos.line_id IS NULL
                       THEN partial.debit_move_id ELSE partial.credit_move_id END
                  JOIN account_move other_move ON other_move.id = other.move_id
                  LEFT JOIN pos_session session
                    ON session.id = COALESCE(debit_pos.session_id, credit_pos.session_id)
                 WHERE partial.id = ANY(%(ids)s)
                   AND (debit_pos.line_id IS NULL) <> (credit_pos.line_id IS NULL)
                   AND partial.amount <> 0
                   AND NOT EXISTS (SELECT 1 FROM pos_customer_ledger_entry entry
                                    WHERE entry.source_key = 'partial:' || partial.id)
                 ORDER BY partial.id
                """,
                tracked=self._pos_receivable_lines_sql(partials.debit_move_id | partials.credit_move_id),
                ids=partials.ids,
            )
        )
        vals_list = []
        for row in rows:
            company = self.env["res.company"].browse(row["company_id"])
            due = company.currency_id.round(-row["amount"] if row["settles_dues"] else row["amount"])
            vals_list.append(
                {
                    "company_id": row["company_id"],
                    "partner_id": row["partner_id"],
                    "date": local_noon(company, row["max_date"]),
                    "kind": "payment",
                    "session_id": row["session_id"],
                    "config_id": row["config_id"],
                    "user_id": self.env.uid,
                    "amount_total": -due,
                    "amount_due": due,
                    "move_id": row["other_move_id"],
                    "receivable_line_id": row["receivable_line_id"],
                    "note": self.env._("Reconciled with %(move)s", move=row["other_move_name"]),
                    "source_key": f"partial:{row['id']}",
                }
            )
        return self._post(vals_list)

    @api.model
    def _post_settlement_reversals(self, partial_ids):
        """Reverse the payment entries of reconciliations that were undone."""
        keys = [f"partial:{partial_id}" for partial_id in partial_ids]
        if not keys:
            return self.browse()
        self.env.flush_all()
        settlements = self.search(
            [("source_key", "in", keys), ("kind", "=", "payment")], order="sequence_number"
        )
        reversed_keys = set(
            self.search(
                [("source_key", "in", [f"{key}:reversal" for key in settlements.mapped("source_key")])]
            ).mapped("source_key")
        )
        now = fields.Datetime.now()
        return self._post(
            [
                {
                    "company_id": entry.company_id.id,
                    "partner_id": entry.partner_id.id,
                    "date": now,
                    "kind": "payment",
                    "session_id": entry.session_id.id,
                    "config_id": entry.config_id.id,
                    "user_id": self.env.uid,
                    "amount_total": -entry.amount_total,
                    "amount_due": -entry.amount_due,
                    "move_id": entry.move_id.id,
                    "note": self.env._(
                        "Reverses %(entry)s: the reconciliation was undone.", entry=entry.name
                    ),
                    "source_key": f"{entry.source_key}:reversal",
                }
                for entry in settlements
                if f"{entry.source_key}:reversal" not in reversed_keys
            ]
        )

    @api.model
    @ledger_right("audit")
    def reconcile_with_accounting(self, date=None, partner_ids=None):
        """Compare the ledger with the journals, per customer and POS session.

        Ledger: the dues of every entry but opening balances (those are booked
        by the accountant's opening entry). Journals: the POS customer
        receivables (see _pos_receivable_lines_sql) net of their settlements by
        other items, plus, for sessions not booked yet, their customer-account
        payments. Both as of ``date`` (default today). Returns one dict per
        disagreement: company_id, partner_id, session_id, ledger_amount,
        accounting_amount, difference. An empty list means they agree.
        """
        date = fields.Date.to_date(date) if date else company_today(self.env.company)
        self.env.flush_all()
        with planner_settings(self.env.cr, **LARGE_REPORTS):
            rows = self.env.execute_query_dict(
                SQL(
                    """
                    SELECT compared.*, currency.rounding
                      FROM (%s) compared
                      JOIN res_company company ON company.id = compared.company_id
                      JOIN res_currency currency ON currency.id = company.currency_id
                     WHERE ABS(compared.ledger_amount - compared.accounting_amount) >= currency.rounding / 2
                     ORDER BY compared.company_id, compared.partner_id, compared.session_id NULLS FIRST
                    """,
                    self._dues_comparison_sql(date, partner_ids),
                )
            )
        return [
            {
                "company_id": row["company_id"],
                "partner_id": row["partner_id"],
                "session_id": row["session_id"] or False,
                "ledger_amount": float_round(row["ledger_amount"], precision_rounding=row["rounding"]),
                "accounting_amount": float_round(
                    row["accounting_amount"], precision_rounding=row["rounding"]
                ),
                "difference": float_round(
                    row["ledger_amount"] - row["accounting_amount"], precision_rounding=row["rounding"]
                ),
            }
            for row in rows
        ]

    @api.model
    def _dues_comparison_sql(self, date, partner_ids=None):
        """Ledger and journal dues per company, customer and session as of ``date``:
        (company_id, partner_id, session_id, ledger_amount, accounting_amount)."""
        until = day_range(self.env.company, date, date)[1]
        companies = self.env.companies.ids
        partners = (
            self.env["res.partner"].browse(partner_ids).commercial_partner_id.ids if partner_ids else None
        )

        def for_partners(column):
            return (
                SQL("AND %s = ANY(%s)", SQL.identifier(*column.split(".")), partners) if partners else SQL()
            )

        return SQL(
            """
            WITH tracked AS (
                SELECT * FROM (%(tracked)s) pos_lines
                 WHERE company_id = ANY(%(companies)s) AND date <= %(date)s %(tracked_partners)s
            ), settled AS (
                -- reconciliations of a POS receivable with an item from elsewhere
                SELECT tracked.line_id, -SUM(partial.amount)::float8 AS amount
                  FROM account_partial_reconcile partial
                  JOIN tracked ON tracked.line_id = partial.debit_move_id
                  LEFT JOIN tracked other ON other.line_id = partial.credit_move_id
                 WHERE other.line_id IS NULL AND partial.max_date <= %(date)s
                 GROUP BY tracked.line_id
                UNION ALL
                SELECT tracked.line_id, SUM(partial.amount)::float8
                  FROM account_partial_reconcile partial
                  JOIN tracked ON tracked.line_id = partial.credit_move_id
                  LEFT JOIN tracked other ON other.line_id = partial.debit_move_id
                 WHERE other.line_id IS NULL AND partial.max_date <= %(date)s
                 GROUP BY tracked.line_id
            ), unbooked AS (
                SELECT session.id FROM pos_session session
                  JOIN pos_config config ON config.id = session.config_id
                  LEFT JOIN account_move move ON move.id = session.move_id AND move.state = 'posted'
                 WHERE config.company_id = ANY(%(companies)s)
                   AND (move.id IS NULL OR move.date > %(date)s)
            ), accounting AS (
                SELECT company_id, partner_id, session_id, balance AS amount FROM tracked
                UNION ALL
                SELECT tracked.company_id, tracked.partner_id, tracked.session_id, settled.amount
                  FROM settled JOIN tracked ON tracked.line_id = settled.line_id
                UNION ALL
                SELECT o.company_id, partner.commercial_partner_id, o.session_id,
                       pay_later.amount::float8
                  FROM unbooked
                  JOIN pos_order o ON o.session_id = unbooked.id
                  JOIN res_partner partner ON partner.id = o.partner_id
                  CROSS JOIN LATERAL (%(pay_later)s) pay_later
                 WHERE o.account_move IS NULL AND o.date_order < %(until)s
                   %(order_partners)s
            ), journals AS (
                SELECT company_id, partner_id, COALESCE(session_id, 0) AS session_key,
                       SUM(amount) AS amount
                  FROM accounting GROUP BY 1, 2, 3
            ), ledger AS (
                SELECT company_id, partner_id, COALESCE(session_id, 0) AS session_key,
                       SUM(amount_due)::float8 AS amount
                  FROM pos_customer_ledger_entry entry
                 WHERE kind <> 'opening' AND company_id = ANY(%(companies)s) AND date < %(until)s
                       %(entry_partners)s
                 GROUP BY 1, 2, 3
            )
            SELECT company_id, partner_id, NULLIF(session_key, 0) AS session_id,
                   COALESCE(ledger.amount, 0) AS ledger_amount,
                   COALESCE(journals.amount, 0) AS accounting_amount
              FROM ledger
              FULL JOIN journals USING (company_id, partner_id, session_key)
            """,
            tracked=self._pos_receivable_lines_sql(),
            pay_later=self._pay_later_payments_sql(SQL("o.id")),
            companies=companies,
            date=date,
            until=until,
            tracked_partners=for_partners("partner_id"),
            order_partners=for_partners("partner.commercial_partner_id"),
            entry_partners=for_partners("entry.partner_id"),
        )

    @api.model
    @ledger_right("settle")
    def settle_dues(self, partner, amount, journal, date=None, memo=None):
        """Take money from a customer: post a customer payment of ``amount``, in
        the currency of ``journal``, and reconcile it with their open POS
        receivables, oldest first; the reconciliations post the ledger's payment
        entries. A payment beyond those dues is a deposit that leaves the
        customer in credit (see _post_deposits), unless the company refuses
        payments beyond the dues. Returns the payment entries."""
        _ = self.env._
        partner = partner.commercial_partner_id
        company = journal.company_id
        currency = company.currency_id
        amount = check_amount(self.env, amount, journal.currency_id or currency)
        date = check_day(self.env, date) if date else company_today(company)
        receivable = partner.with_company(company).property_account_receivable_id
        open_lines = self._open_dues_lines(partner, company, receivable)
        owed = sum(open_lines.mapped("amount_residual"))
        # compared and posted in the company's currency, at the payment date's rate
        company_amount = (journal.currency_id or currency)._convert(
            amount or 0.0, currency, company, date, round=True
        )
        errors = []
        if currency.compare_amounts(company_amount, 0.0) <= 0:
            errors.append(_("The amount to settle must be positive."))
        elif company.ledger_refuse_overpayment:
            # the lock held until commit: two settlements cannot both take the same dues
            balance = (
                self.env["pos.customer.ledger.chain"]
                .sudo()
                ._lock_head(company.id, partner.id)
                .partner_balance
            )
            if pays_beyond_dues(currency, company_amount, balance):
                errors.append(overpayment_error(self.env, partner, balance, company_amount, currency))
        if not is_paid_now_journal(journal):
            errors.append(_("Dues are settled in a cash or bank journal."))
        if errors:
            raise UserError("\n".join(errors))
        with self.env.cr.savepoint():
            payment = (
                self.env["account.payment"]
                .sudo()
                .with_company(company)
                .create(
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": partner.id,
                        "amount": amount,
                        "journal_id": journal.id,
                        "date": date,
                        "memo": memo or _("Settlement of customer ledger dues"),
                    }
                )
            )
            payment.action_post()
            payment_lines = payment.move_id.line_ids.filtered(lambda line: line.account_id == receivable)
            if not payment_lines:
                raise UserError(
                    _(
                        "The journal %(journal)s books no entry for customer payments; set its outstanding "
                        "receipts account.",
                        journal=journal.display_name,
                    )
                )
            if pays_beyond_dues(currency, -sum(payment_lines.mapped("balance")), owed):
                # posted first: the payment's receivable item is then the ledger's
                # own, and its reconciliations with the dues post nothing more
                self._post_deposits(payment.move_id)
            if open_lines:
                (payment_lines | open_lines).reconcile()
            return self.search(
                [("move_id", "=", payment.move_id.id), ("kind", "=", "payment")], order="sequence_number"
            )

    @api.model
    def _post_deposits(self, moves):
        """Post each customer payment in ``moves`` that goes beyond the dues as
        one payment entry for its whole amount, once ('deposit:<move id>').

        Its receivable item then counts among the ledger's own (see
        _pos_receivable_lines_sql), like a till settlement's: its
        reconciliations with POS dues, now or later, move nothing in the
        ledger, and what is left of it is the customer's credit."""
        self.env.flush_all()
        posted = set(
            self.search([("source_key", "in", [f"deposit:{move.id}" for move in moves])]).mapped("source_key")
        )
        vals_list = []
        for move in moves:
            if f"deposit:{move.id}" in posted:
                continue
            partner = move.partner_id.commercial_partner_id
            receivable = partner.with_company(move.company_id).property_account_receivable_id
            lines = move.line_ids.filtered_domain([("account_id", "=", receivable.id)])
            due = move.company_id.currency_id.round(sum(lines.mapped("balance")))
            vals_list.append(
                {
                    "company_id": move.company_id.id,
                    "partner_id": partner.id,
                    "date": local_noon(move.company_id, move.date),
                    "kind": "payment",
                    "user_id": self.env.uid,
                    "amount_total": -due,
                    "amount_due": due,
                    "move_id": move.id,
                    "receivable_line_id": lines[:1].id,
                    "note": self.env._("Payment %(move)s beyond the dues: a deposit", move=move.name),
                    "source_key": f"deposit:{move.id}",
                }
            )
        return self._post(vals_list)

    @api.model
    def _open_dues_lines(self, partner, company, receivable):
        self.env.flush_all()
        line_ids = [
            line_id
            for (line_id,) in self.env.execute_query(
                SQL(
                    """
                    SELECT pos_lines.line_id FROM (%s) pos_lines
                      JOIN account_move_line line ON line.id = pos_lines.line_id
                     WHERE pos_lines.partner_id = %s AND pos_lines.company_id = %s
                       AND line.account_id = %s AND line.amount_residual > 0
                    """,
                    self._pos_receivable_lines_sql(),
                    partner.id,
                    company.id,
                    receivable.id,
                )
            )
        ]
        return self.env["account.move.line"].sudo().browse(line_ids).sorted(lambda line: (line.date, line.id))

    @api.model
    def _link_receivable_lines(self, line_by_order):
        """Link the sale and refund entries of orders to their receivable items."""
        if not line_by_order:
            return
        self.env.flush_all()
        self.env.execute_query(
            SQL(
                """
                UPDATE pos_customer_ledger_entry entry SET receivable_line_id = link.line_id
                  FROM unnest(%s::int[], %s::int[]) AS link(order_id, line_id)
                 WHERE entry.pos_order_id = link.order_id AND entry.receivable_line_id IS NULL
                """,
                list(line_by_order),
                list(line_by_order.values()),
            )
        )
        self.invalidate_model(["receivable_line_id"], flush=False)
