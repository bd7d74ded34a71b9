from odoo import fields, models
from odoo.tools import SQL

# a cash move in a "round" amount: a whole multiple of this many currency units
ROUND_CASH_UNITS = 10


class PosCustomerLedgerAuditRule(models.Model):
    _inherit = "pos.customer.ledger.audit.rule"  # pylint: disable=consider-merging-classes-inherited

    # ----------------------------------------------------------- cash rules

    def _cash_config_sql(self, config):
        """The shop ``config`` (SQL) belongs to the rule's company and counts cash."""
        return SQL(
            """EXISTS (SELECT 1 FROM pos_config c WHERE c.id = %s AND c.company_id = %s)
               AND EXISTS (
                   SELECT 1 FROM pos_config_pos_payment_method_rel r
                     JOIN pos_payment_method m ON m.id = r.pos_payment_method_id
                    WHERE r.pos_config_id = %s AND m.is_cash_count
               )""",
            config,
            self.company_id.id,
            config,
        )

    def _audit_opening_differs_from_closing(self, date_from, date_to):
        start, end = self._period(date_from, date_to)
        # the previous session of a shop is its last closed one before it (one regular session
        # is open per shop at a time); rescue sessions count no cash at opening
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT s.id AS session_id, s.name, s.config_id, s.user_id, s.start_at AS date,
                       COALESCE(s.cash_register_balance_start, 0) AS opening,
                       p.name AS previous, COALESCE(p.cash_register_balance_end_real, 0) AS closing
                  FROM pos_session s
                  JOIN LATERAL (
                      SELECT p.name, p.cash_register_balance_end_real
                        FROM pos_session p
                       WHERE p.config_id = s.config_id AND p.id < s.id AND p.state = 'closed'
                         AND p.rescue IS NOT TRUE
                       ORDER BY p.id DESC
                       LIMIT 1
                  ) p ON TRUE
                 WHERE s.start_at >= %s AND s.start_at < %s AND s.rescue IS NOT TRUE AND %s
                   AND ABS(COALESCE(s.cash_register_balance_start, 0)
                           - COALESCE(p.cash_register_balance_end_real, 0)) > %s
                 ORDER BY s.id
                """,
                start,
                end,
                self._cash_config_sql(SQL("s.config_id")),
                self.threshold_amount,
            )
        )
        return [
            self._finding(
                row,
                f"session:{row['session_id']}",
                self.env._(
                    "Session %(session)s opened with %(opening)s of cash counted, but session %(previous)s "
                    "closed with %(closing)s: a difference of %(difference)s.",
                    session=row["name"],
                    opening=self._money(row["opening"]),
                    previous=row["previous"],
                    closing=self._money(row["closing"]),
                    difference=self._money(row["opening"] - row["closing"]),
                ),
                (round(row["opening"], 2), round(row["closing"], 2)),
            )
            for row in rows
        ]

    def _cash_moves_sql(self, date_from, date_to):
        """The cash put into and taken out of the company's sessions in the period (SQL)."""
        start, end = self._period(date_from, date_to)
        # pos.session.try_cash_in_out labels its statement line "<session>-<in/out>-<reason>";
        # the session's other statement lines (cash sales, closing difference) have other labels
        return SQL(
            """
            SELECT l.id AS line_id, s.id AS session_id, s.name AS session_name, s.config_id,
                   l.create_uid AS user_id, l.create_date AS date, l.amount,
                   BTRIM(REGEXP_REPLACE(SUBSTR(l.payment_ref, LENGTH(s.name) + 2), '^[^-]*-', '')) AS reason
              FROM account_bank_statement_line l
              JOIN pos_session s ON s.id = l.pos_session_id
             WHERE l.company_id = %s AND l.create_date >= %s AND l.create_date < %s
               AND LEFT(l.payment_ref, LENGTH(s.name) + 1) = s.name || '-'
            """,
            self.company_id.id,
            start,
            end,
        )

    def _audit_cash_move_unexplained(self, date_from, date_to):
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH moves AS (%s), checked AS (
                    SELECT *, reason = '' AS no_reason,
                           %s > 0 AND ABS(amount) > %s AS above,
                           amount <> 0 AND MOD(ABS(amount), %s) = 0 AS round_amount
                      FROM moves
                )
                SELECT * FROM checked WHERE no_reason OR above OR round_amount
                 ORDER BY line_id
                """,
                self._cash_moves_sql(date_from, date_to),
                self.threshold_amount,
                self.threshold_amount,
                ROUND_CASH_UNITS,
            )
        )
        findings = []
        for row in rows:
            why = []
            if row["no_reason"]:
                why.append(self.env._("no reason given"))
            if row["above"]:
                why.append(self.env._("above %(threshold)s", threshold=self._money(self.threshold_amount)))
            if row["round_amount"]:
                why.append(
                    self.env._(
                        "a round amount (a multiple of %(units)s)", units=self._money(ROUND_CASH_UNITS)
                    )
                )
            if row["amount"] > 0:
                message = self.env._(
                    "%(amount)s of cash put into session %(session)s (reason: %(reason)s): %(why)s.",
                    amount=self._money(row["amount"]),
                    session=row["session_name"],
                    reason=row["reason"] or "-",
                    why=", ".join(why),
                )
            else:
                message = self.env._(
                    "%(amount)s of cash taken out of session %(session)s (reason: %(reason)s): %(why)s.",
                    amount=self._money(-row["amount"]),
                    session=row["session_name"],
                    reason=row["reason"] or "-",
                    why=", ".join(why),
                )
            findings.append(
                self._finding(
                    row,
                    f"cash_move:{row['line_id']}",
                    message,
                    (round(row["amount"], 2), row["no_reason"], row["above"], row["round_amount"]),
                )
            )
        return findings

    def _audit_session_open_long(self, date_from, date_to):
        start, end = self._period(date_from, date_to)
        # a session still open counts until the end of the period (or now, if sooner)
        until = min(end, fields.Datetime.now())
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH sessions AS (
                    SELECT s.id AS session_id, s.name, s.config_id, s.user_id, s.start_at AS date,
                           s.state = 'closed' AS closed, s.stop_at,
                           CASE WHEN s.state = 'closed' THEN s.stop_at ELSE %s END - s.start_at AS open_for
                      FROM pos_session s
                      JOIN pos_config c ON c.id = s.config_id
                     WHERE c.company_id = %s AND s.start_at < %s
                       AND (s.state <> 'closed' OR s.stop_at >= %s)
                )
                SELECT *, EXTRACT(EPOCH FROM open_for) / 86400 AS days FROM sessions
                 WHERE open_for > make_interval(days => %s)
                 ORDER BY session_id
                """,
                until,
                self.company_id.id,
                end,
                start,
                self.threshold_days,
            )
        )
        findings = []
        for row in rows:
            if row["closed"]:
                message = self.env._(
                    "Session %(session)s was open for %(days)s days before it was closed "
                    "(more than %(threshold)s).",
                    session=row["name"],
                    days=format(row["days"], ".1f"),
                    threshold=self.threshold_days,
                )
            else:
                message = self.env._(
                    "Session %(session)s has been open for %(days)s days and is not closed yet "
                    "(more than %(threshold)s).",
                    session=row["name"],
                    days=format(row["days"], ".1f"),
                    threshold=self.threshold_days,
                )
            findings.append(
                self._finding(row, f"session:{row['session_id']}", message, (row["closed"], row["stop_at"]))
            )
        return findings

    # ------------------------------------------------------- receipt rules

    def _audit_rescue_session_order(self, date_from, date_to):
        # Odoo 18 opens no rescue session any more: it moves an order synced after its session
        # closed into the shop's open session, where it is dated before the session opened
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT o.id AS order_id, o.name, o.partner_id, o.session_id, s.config_id, o.user_id,
                       o.date_order AS date, o.amount_total, s.name AS session_name,
                       s.rescue IS TRUE AS rescue, s.start_at
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                 WHERE %s
                   AND (s.rescue IS TRUE OR o.date_order < s.start_at - make_interval(secs => %s))
                 ORDER BY o.id
                """,
                self._order_scope(date_from, date_to),
                self.threshold_seconds,
            )
        )
        findings = []
        for row in rows:
            if row["rescue"]:
                message = self.env._(
                    "Order %(order)s of %(amount)s landed in the rescue session %(session)s.",
                    order=row["name"],
                    amount=self._money(row["amount_total"]),
                    session=row["session_name"],
                )
            else:
                message = self.env._(
                    "Order %(order)s of %(amount)s, rung up on %(date)s, landed in session %(session)s "
                    "opened on %(start)s: its own session was closed when it reached the server.",
                    order=row["name"],
                    amount=self._money(row["amount_total"]),
                    date=self._local_time(row["date"]),
                    session=row["session_name"],
                    start=self._local_time(row["start_at"]),
                )
            findings.append(
                self._finding(
                    row,
                    f"order:{row['order_id']}",
                    message,
                    (row["session_id"], round(row["amount_total"], 2)),
                )
            )
        return findings

    def _local_time(self, moment):
        tz = self.company_id.partner_id.tz or "UTC"
        return fields.Datetime.context_timestamp(self.with_context(tz=tz), moment).strftime("%Y-%m-%d %H:%M")

    def _audit_large_change(self, date_from, date_to):
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT o.id AS order_id, o.name, o.partner_id, o.session_id, s.config_id, o.user_id,
                       o.date_order AS date, o.amount_total, -SUM(p.amount) AS change
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                  JOIN pos_payment p ON p.pos_order_id = o.id AND p.is_change
                 WHERE %s
                 GROUP BY o.id, s.config_id
                HAVING (%s > 0 AND -SUM(p.amount) > %s)
                    OR (%s > 0 AND o.amount_total > 0 AND -SUM(p.amount) > o.amount_total * %s / 100)
                 ORDER BY o.id
                """,
                self._order_scope(date_from, date_to),
                self.threshold_amount,
                self.threshold_amount,
                self.threshold_percent,
                self.threshold_percent,
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "Order %(order)s of %(amount)s gave %(change)s of change (%(percent)s%% of the total).",
                    order=row["name"],
                    amount=self._money(row["amount_total"]),
                    change=self._money(row["change"]),
                    percent=format(row["change"] * 100 / row["amount_total"], ".0f")
                    if row["amount_total"]
                    else "-",
                ),
                (round(row["change"], 2), round(row["amount_total"], 2)),
            )
            for row in rows
        ]

    def _audit_receipt_reprint(self, date_from, date_to):
        # the till counts the receipts it prints of an order (pos.order.nb_print), nothing more
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT o.id AS order_id, o.name, o.partner_id, o.session_id, s.config_id, o.user_id,
                       o.date_order AS date, o.amount_total, o.nb_print
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                 WHERE %s AND o.nb_print > %s
                 ORDER BY o.id
                """,
                self._order_scope(date_from, date_to),
                max(self.threshold_count, 1),
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "The receipt of order %(order)s of %(amount)s was printed %(count)s times.",
                    order=row["name"],
                    amount=self._money(row["amount_total"]),
                    count=row["nb_print"],
                ),
                (row["nb_print"],),
            )
            for row in rows
        ]
