from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.posting_rules import LEDGER_STATES

# the facts of the POS's lines, orders and payments, summed per row
FACTS = [
    "revenue_untaxed",
    "amount_tax",
    "revenue_total",
    "refund_amount",
    "discount_amount",
    "cogs",
    "margin",
    "payment_amount",
    "payment_in",
    "cash_difference",
]
# what a row is the sum of: a session's sales of one hour, cashier, customer,
# product category and payment method
DIMENSIONS = [
    "session_id",
    "company_id",
    "config_id",
    "user_id",
    "employee_id",
    "partner_id",
    "date",
    "hour",
    "weekday",
    "categ_id",
    "payment_method_id",
]
SUMMARY_BATCH = 50  # sessions per transaction of the cron
# the fields the summary reads, per model: a change to one of them in a summarized
# session sends the session back to the live figures until the cron sums it again
SUMMARIZED_FIELDS = {
    "pos.order": {
        "state",
        "partner_id",
        "date_order",
        "user_id",
        "employee_id",
        "currency_rate",
        "session_id",
        "company_id",
    },
    "pos.order.line": {
        "order_id",
        "product_id",
        "qty",
        "price_unit",
        "discount",
        "price_subtotal",
        "price_subtotal_incl",
        "total_cost",
    },
    "pos.payment": {"pos_order_id", "payment_method_id", "amount"},
}


class PosFinanceFact(models.Model):
    """The finance figures of closed POS sessions, summed once when the session
    closes: what ``pos.finance.report`` reads for them instead of every order
    line. Sessions still open, and closed ones whose orders, products or
    customers changed since (see ``_unsummarize``), are read live."""

    _name = "pos.finance.fact"
    _description = "POS Finance Summary"
    _log_access = False

    session_id = fields.Many2one("pos.session", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    config_id = fields.Many2one("pos.config", string="Shop", readonly=True)
    user_id = fields.Many2one("res.users", readonly=True)
    # hr.employee when Point of Sale HR is installed, which this addon does not need
    employee_id = fields.Integer(string="Employee", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    date = fields.Date(readonly=True, index=True)
    hour = fields.Integer(readonly=True)
    weekday = fields.Char(readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    payment_method_id = fields.Many2one("pos.payment.method", string="Payment Method", readonly=True)
    revenue_untaxed = fields.Monetary(readonly=True)
    amount_tax = fields.Monetary(string="Tax", readonly=True)
    revenue_total = fields.Monetary(string="Revenue", readonly=True)
    refund_amount = fields.Monetary(string="Refunds", readonly=True)
    discount_amount = fields.Monetary(string="Discounts", readonly=True)
    cogs = fields.Monetary(string="Cost of Goods Sold", readonly=True)
    margin = fields.Monetary(readonly=True)
    payment_amount = fields.Monetary(string="Payments", readonly=True)
    payment_in = fields.Monetary(
        string="Payments Taken", readonly=True, help="The payments taken, refunds paid out left aside."
    )
    cash_difference = fields.Monetary(
        readonly=True, help="Counted less expected cash at the session's closing."
    )
    order_count = fields.Integer(string="Orders", readonly=True)

    @api.model
    def _rows_sql(self, sessions):
        """SQL of the figures of the POS sessions ``sessions`` (a condition on
        ``s``, their pos_session row): one row per line sold, per order, per
        payment and per closing with a cash difference, with this model's
        columns and ``id``, unique across them. Amounts are in the company's
        currency, days and hours the company's."""

        def row(values):
            return SQL(", ").join(
                SQL("(%s)::%s AS %s", values.get(name, SQL(default)), SQL(sql_type), SQL.identifier(name))
                for name, sql_type, default in [
                    ("id", "bigint", "NULL"),
                    ("order_id", "integer", "NULL"),
                    ("categ_id", "integer", "NULL"),
                    ("payment_method_id", "integer", "NULL"),
                    *((name, "numeric", "0") for name in FACTS),
                    ("order_count", "integer", "0"),
                ]
            )

        local = SQL("(o.date_order AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(company_partner.tz, 'UTC'))")
        has_employee = "employee_id" in self.env["pos.order"]._fields
        orders = SQL(
            """
            SELECT o.id, o.session_id, o.company_id, s.config_id, o.user_id, %(employee)s AS employee_id,
                   buyer.commercial_partner_id AS partner_id, %(local)s::date AS date,
                   EXTRACT(HOUR FROM %(local)s)::integer AS hour,
                   EXTRACT(ISODOW FROM %(local)s)::varchar AS weekday,
                   COALESCE(NULLIF(o.currency_rate, 0), 1) AS rate
              FROM pos_order o
              JOIN pos_session s ON s.id = o.session_id
              JOIN res_company company ON company.id = o.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
              LEFT JOIN res_partner buyer ON buyer.id = o.partner_id
             WHERE o.state IN %(states)s AND %(sessions)s
            """,
            employee=SQL("o.employee_id") if has_employee else SQL("NULL::integer"),
            local=local,
            states=LEDGER_STATES,
            sessions=sessions,
        )
        facts = SQL(
            """
            SELECT %(line)s
              FROM pos_order_line l
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template t ON t.id = pp.product_tmpl_id
             WHERE l.order_id IN (SELECT id FROM sessions_orders)
            UNION ALL
            SELECT %(order)s FROM pos_order o WHERE o.id IN (SELECT id FROM sessions_orders)
            UNION ALL
            SELECT %(payment)s FROM pos_payment p WHERE p.pos_order_id IN (SELECT id FROM sessions_orders)
            """,
            line=row(
                {
                    "id": SQL("l.id::bigint * 8"),
                    "order_id": SQL("l.order_id"),
                    "categ_id": SQL("t.categ_id"),
                    "revenue_untaxed": SQL("l.price_subtotal"),
                    "amount_tax": SQL("l.price_subtotal_incl - l.price_subtotal"),
                    "revenue_total": SQL("l.price_subtotal_incl"),
                    "refund_amount": SQL("CASE WHEN l.qty < 0 THEN -l.price_subtotal_incl ELSE 0 END"),
                    "discount_amount": SQL(
                        "CASE WHEN l.qty > 0 THEN l.qty * l.price_unit * l.discount / 100 ELSE 0 END"
                    ),
                    "cogs": SQL("COALESCE(l.total_cost, 0)"),
                    "margin": SQL("l.price_subtotal - COALESCE(l.total_cost, 0)"),
                }
            ),
            order=row(
                {
                    "id": SQL("o.id::bigint * 8 + 1"),
                    "order_id": SQL("o.id"),
                    # an order of no products settles dues: no sale
                    "order_count": SQL("EXISTS (SELECT FROM pos_order_line l WHERE l.order_id = o.id)::int"),
                }
            ),
            payment=row(
                {
                    "id": SQL("p.id::bigint * 8 + 2"),
                    "order_id": SQL("p.pos_order_id"),
                    "payment_method_id": SQL("p.payment_method_id"),
                    "payment_amount": SQL("p.amount"),
                    "payment_in": SQL("GREATEST(p.amount, 0)"),
                }
            ),
        )
        # most orders are in the company's currency: no numeric division for them
        converted = SQL(", ").join(
            SQL("CASE WHEN o.rate = 1 THEN f.%s ELSE f.%s / o.rate END AS %s", *[SQL.identifier(name)] * 3)
            for name in FACTS
        )
        closing_local = SQL("(s.stop_at AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(company_partner.tz, 'UTC'))")
        closing = {
            "session_id": SQL("s.id"),
            "company_id": SQL("config.company_id"),
            "config_id": SQL("s.config_id"),
            "user_id": SQL("s.user_id"),
            "date": SQL("%s::date", closing_local),
            "hour": SQL("EXTRACT(HOUR FROM %s)::integer", closing_local),
            "weekday": SQL("EXTRACT(ISODOW FROM %s)::varchar", closing_local),
            "cash_difference": SQL("closing.difference"),
        }
        # counted less expected (the opening, the cash moves and the cash taken); Odoo books the
        # difference as a statement line of its own, which is not a cash move
        difference = SQL(
            """
            COALESCE(s.cash_register_balance_end_real, 0) - COALESCE(s.cash_register_balance_start, 0)
            - COALESCE((SELECT SUM(p.amount)
                          FROM pos_payment p
                          JOIN pos_payment_method method ON method.id = p.payment_method_id
                          JOIN pos_order o ON o.id = p.pos_order_id
                         WHERE p.session_id = s.id AND method.is_cash_count AND o.state IN %(states)s), 0)
            - COALESCE((SELECT SUM(line.amount)
                          FROM account_bank_statement_line line
                         WHERE line.pos_session_id = s.id
                           AND LEFT(line.payment_ref, LENGTH(s.name) + 1) = s.name || '-'), 0)
            """,
            states=LEDGER_STATES,
        )
        return SQL(
            """
            WITH sessions_orders AS MATERIALIZED (%(orders)s)
            SELECT f.id, %(dimensions)s, %(converted)s, f.order_count
              FROM (%(facts)s) f
              JOIN sessions_orders o ON o.id = f.order_id
            UNION ALL
            SELECT s.id::bigint * 8 + 5, %(closing)s, 0
              FROM pos_session s
              JOIN pos_config config ON config.id = s.config_id
              JOIN res_company company ON company.id = config.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
             CROSS JOIN LATERAL (SELECT %(difference)s AS difference) closing
             WHERE s.state = 'closed' AND closing.difference <> 0 AND %(sessions)s
            """,
            orders=orders,
            facts=facts,
            dimensions=SQL(", ").join(
                SQL.identifier("f" if name in ("categ_id", "payment_method_id") else "o", name)
                for name in DIMENSIONS
            ),
            converted=converted,
            closing=SQL(", ").join(
                SQL("%s::%s", closing.get(name, SQL("NULL")), SQL(sql_type))
                for name, sql_type in [
                    *((name, "integer") for name in DIMENSIONS[:6]),
                    ("date", "date"),
                    ("hour", "integer"),
                    ("weekday", "varchar"),
                    ("categ_id", "integer"),
                    ("payment_method_id", "integer"),
                    *((name, "numeric") for name in FACTS),
                ]
            ),
            difference=difference,
            sessions=sessions,
        )

    @api.model
    def _summarize(self, sessions):
        """Sum the figures of the closed ``sessions`` not summarized yet, and
        mark them summarized. Sessions another transaction is summarizing are
        left to it. Returns the sessions summarized."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM pos_session
                 WHERE id = ANY(%s) AND state = 'closed' AND finance_summarized IS NOT TRUE
                 ORDER BY id
                   FOR NO KEY UPDATE SKIP LOCKED
                """,
                sessions.ids,
            )
        )
        ids = [session_id for (session_id,) in self.env.cr.fetchall()]
        if not ids:
            return sessions.browse()
        columns = SQL(", ").join(SQL.identifier(name) for name in [*DIMENSIONS, *FACTS, "order_count"])
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM pos_finance_fact WHERE session_id = ANY(%(ids)s);
                INSERT INTO pos_finance_fact (%(columns)s)
                SELECT %(dimensions)s, %(sums)s
                  FROM (%(rows)s) r
                 GROUP BY %(dimensions)s;
                UPDATE pos_session SET finance_summarized = TRUE WHERE id = ANY(%(ids)s);
                """,
                ids=ids,
                columns=columns,
                dimensions=SQL(", ").join(SQL.identifier(name) for name in DIMENSIONS),
                sums=SQL(", ").join(SQL("SUM(%s)", SQL.identifier(name)) for name in [*FACTS, "order_count"]),
                rows=self._rows_sql(SQL("s.id = ANY(%s)", ids)),
            )
        )
        self.env["pos.session"].invalidate_model(["finance_summarized"])
        self.invalidate_model()
        return sessions.browse(ids)

    @api.model
    def _unsummarize(self, sessions):
        """Send the summarized ``sessions`` back to the live figures, their
        summary dropped, and have the cron sum them again."""
        # the session rows first: a summary being written of them is waited for, then dropped
        self.env.cr.execute(
            SQL(
                "UPDATE pos_session SET finance_summarized = FALSE WHERE id = ANY(%s) AND finance_summarized "
                "RETURNING id",
                sessions.ids,
            )
        )
        ids = [session_id for (session_id,) in self.env.cr.fetchall()]
        if ids:
            self.env.cr.execute(SQL("DELETE FROM pos_finance_fact WHERE session_id = ANY(%s)", ids))
            self.env["pos.session"].invalidate_model(["finance_summarized"])
            self.invalidate_model()
            self.env.ref("pos_customer_ledger.ir_cron_summarize_finance")._trigger()

    @api.model
    def _unsummarize_changed(self, records, vals, sessions):
        """After a write of ``vals`` to ``records`` (POS orders, lines or
        payments of ``sessions``): the summarized sessions among them go back
        to the live figures when a field the summary reads changed."""
        if SUMMARIZED_FIELDS[records._name].isdisjoint(vals):
            return
        # the flag is the administrators' to see, the change may be a cashier's
        summarized = sessions.sudo().filtered(
            lambda session: session.state == "closed" and session.finance_summarized
        )
        if summarized:
            self.sudo()._unsummarize(summarized)

    @api.model
    def _unsummarize_orders(self, where, *params):
        """``_unsummarize`` the sessions of the pos_order rows ``o`` that match ``where``."""
        self.env["pos.order.line"].flush_model(["order_id", "product_id"])
        self.env["pos.order"].flush_model(["session_id", "partner_id", "company_id"])
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT o.session_id FROM pos_order o JOIN pos_session s ON s.id = o.session_id "
                "WHERE s.finance_summarized AND %s",
                SQL(where, *params),
            )
        )
        session_ids = [session_id for (session_id,) in self.env.cr.fetchall()]
        if session_ids:
            self._unsummarize(self.env["pos.session"].browse(session_ids))

    @api.model
    def _cron_summarize(self):
        """Sum a batch of the closed sessions not summarized yet; the cron runs
        again while some are left."""
        Session = self.env["pos.session"].sudo()
        domain = [("state", "=", "closed"), ("finance_summarized", "!=", True)]
        done = self._summarize(Session.search(domain, order="id", limit=SUMMARY_BATCH))
        self.env["ir.cron"]._notify_progress(done=len(done), remaining=Session.search_count(domain))
