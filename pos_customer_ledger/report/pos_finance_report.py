from odoo import api, fields, models
from odoo.tools import SQL

from ..models.pos_customer_segment_history import RFM_SEGMENTS
from ..tools.posting_rules import LEDGER_STATES, pays_later_sql

WEEKDAYS = [
    ("1", "Monday"),
    ("2", "Tuesday"),
    ("3", "Wednesday"),
    ("4", "Thursday"),
    ("5", "Friday"),
    ("6", "Saturday"),
    ("7", "Sunday"),
]
# figures of the report that are ratios or distinct counts: summed, they would be wrong
RATIOS = {
    "margin_percent:avg": "100 * SUM(%(margin)s) / NULLIF(SUM(%(revenue_untaxed)s), 0)",
    "average_basket:avg": "SUM(%(revenue_total)s) / NULLIF(SUM(%(order_count)s), 0)",
    "customer_count:sum": "COUNT(DISTINCT %(partner_id)s) FILTER (WHERE %(order_count)s > 0)",
    "new_customer_count:sum": "COUNT(DISTINCT %(partner_id)s) FILTER (WHERE %(new_customer_count)s > 0)",
}
# the facts of the POS's lines, orders and payments, in the order's currency
FACTS = [
    "revenue_untaxed",
    "amount_tax",
    "revenue_total",
    "refund_amount",
    "discount_amount",
    "cogs",
    "margin",
    "payment_amount",
    "pay_later_amount",
]


class PosFinanceReport(models.Model):
    """The shops' daily finance from the POS and the ledger, one row per fact:
    a line sold (revenue, tax, cost, discount), an order (orders, customers),
    a payment (the payment mix, each tender of a split one in its method), a
    payment into a customer account (settlement of dues, deposit beyond
    them), a cash move in or out of a session, a session's closing count.
    Amounts are in the company's currency, days and hours the company's."""

    _name = "pos.finance.report"
    _description = "POS Finance Report"
    _auto = False
    _order = "date desc"
    _rec_name = "date"

    date = fields.Date(readonly=True)
    hour = fields.Integer(readonly=True, aggregator=None, help="The company's hour of the day.")
    weekday = fields.Selection(WEEKDAYS, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    config_id = fields.Many2one("pos.config", string="Shop", readonly=True)
    session_id = fields.Many2one("pos.session", string="Session", readonly=True)
    user_id = fields.Many2one("res.users", string="Cashier", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    segment = fields.Selection(RFM_SEGMENTS, string="Customer Segment", readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    product_id = fields.Many2one("product.product", string="Product", readonly=True)
    payment_method_id = fields.Many2one("pos.payment.method", string="Payment Method", readonly=True)
    cash_reason = fields.Char(string="Cash Move Reason", readonly=True)

    revenue_untaxed = fields.Monetary(string="Revenue Untaxed", readonly=True, help="Net of refunds.")
    amount_tax = fields.Monetary(string="Tax", readonly=True)
    revenue_total = fields.Monetary(string="Revenue", readonly=True, help="Taxes included, net of refunds.")
    refund_amount = fields.Monetary(string="Refunds", readonly=True, help="Refunded lines, taxes included.")
    discount_amount = fields.Monetary(
        string="Discounts", readonly=True, help="Line discounts of the lines sold, before taxes."
    )
    cogs = fields.Monetary(
        string="Cost of Goods Sold",
        readonly=True,
        help="The lines' cost. With FIFO or average costing Odoo fills it when the session closes.",
    )
    margin = fields.Monetary(string="Gross Margin", readonly=True, help="Revenue untaxed less the cost.")
    margin_percent = fields.Float(
        string="Margin (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Gross margin over revenue untaxed.",
    )
    order_count = fields.Integer(string="Orders", readonly=True, help="Orders with products.")
    customer_count = fields.Integer(string="Customers", readonly=True, help="Distinct customers who bought.")
    new_customer_count = fields.Integer(
        string="New Customers", readonly=True, help="Customers who bought for the first time that day."
    )
    average_basket = fields.Monetary(
        string="Average Basket", readonly=True, aggregator="avg", help="Revenue per order, taxes included."
    )
    payment_amount = fields.Monetary(string="Payments", readonly=True)
    pay_later_amount = fields.Monetary(
        string="Sold on Account", readonly=True, help="Paid with a customer account payment method."
    )
    settlement_amount = fields.Monetary(
        string="Dues Settled", readonly=True, help="Paid into customer accounts against what they owed."
    )
    deposit_amount = fields.Monetary(
        string="Deposits", readonly=True, help="Paid into customer accounts beyond what they owed."
    )
    cash_in = fields.Monetary(string="Cash In", readonly=True, help="Cash put into the sessions.")
    cash_out = fields.Monetary(string="Cash Out", readonly=True, help="Cash taken out of the sessions.")
    cash_difference = fields.Monetary(
        string="Cash Difference", readonly=True, help="Counted less expected cash at the sessions' closing."
    )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        # the figures come from many models' tables, which the ORM cannot tell: all are written first
        self.env.flush_all()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec not in RATIOS:
            return super()._read_group_select(aggregate_spec, query)
        names = (
            "margin",
            "revenue_untaxed",
            "revenue_total",
            "order_count",
            "partner_id",
            "new_customer_count",
        )
        return SQL(
            RATIOS[aggregate_spec], **{name: self._field_to_sql(self._table, name, query) for name in names}
        )

    @property
    def _table_query(self):
        tz = SQL("COALESCE(company_partner.tz, 'UTC')")

        def local(column):
            return SQL("(%s AT TIME ZONE 'UTC' AT TIME ZONE %s)", column, tz)

        def dims(moment):
            return SQL(
                "%(day)s::date AS date, EXTRACT(HOUR FROM %(day)s)::int AS hour, "
                "EXTRACT(ISODOW FROM %(day)s)::varchar AS weekday",
                day=local(moment),
            )

        def nothing(*names):
            return SQL(", ").join(SQL("0::numeric AS %s", SQL.identifier(name)) for name in names)

        rate = SQL("COALESCE(NULLIF(o.currency_rate, 0), 1)")
        return SQL(
            """
            SELECT f.id, %(order_dims)s, o.company_id, s.config_id, o.session_id, o.user_id,
                   customer.id AS partner_id, customer.rfm_segment ->> o.company_id::text AS segment,
                   f.categ_id, f.product_id, f.payment_method_id, NULL::varchar AS cash_reason,
                   %(order_money)s,
                   100 * f.margin / NULLIF(f.revenue_untaxed, 0) AS margin_percent,
                   f.order_count, f.order_count AS customer_count,
                   CASE WHEN f.order_count = 1 AND %(first_day)s::date = %(order_day)s::date THEN 1 ELSE 0 END
                       AS new_customer_count,
                   f.revenue_total / %(rate)s AS average_basket,
                   %(no_ledger)s
              FROM (
                    SELECT l.id * 8 AS id, l.order_id, t.categ_id, l.product_id,
                           NULL::int AS payment_method_id,
                           l.price_subtotal AS revenue_untaxed,
                           l.price_subtotal_incl - l.price_subtotal AS amount_tax,
                           l.price_subtotal_incl AS revenue_total,
                           CASE WHEN l.qty < 0 THEN -l.price_subtotal_incl ELSE 0 END AS refund_amount,
                           CASE WHEN l.qty > 0 THEN l.qty * l.price_unit * l.discount / 100 ELSE 0 END
                               AS discount_amount,
                           COALESCE(l.total_cost, 0) AS cogs,
                           l.price_subtotal - COALESCE(l.total_cost, 0) AS margin,
                           0 AS payment_amount, 0 AS pay_later_amount, 0 AS order_count
                      FROM pos_order_line l
                      JOIN product_product pp ON pp.id = l.product_id
                      JOIN product_template t ON t.id = pp.product_tmpl_id
                    UNION ALL
                    SELECT o.id * 8 + 1, o.id, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                           (EXISTS (SELECT FROM pos_order_line l WHERE l.order_id = o.id))::int
                      FROM pos_order o
                    UNION ALL
                    SELECT p.id * 8 + 2, p.pos_order_id, NULL, NULL, p.payment_method_id, 0, 0, 0, 0, 0, 0, 0,
                           p.amount, CASE WHEN %(pays_later)s AND p.amount > 0 THEN p.amount ELSE 0 END, 0
                      FROM pos_payment p
                      JOIN pos_payment_method method ON method.id = p.payment_method_id
                      LEFT JOIN account_journal journal ON journal.id = method.journal_id
                   ) f
              JOIN pos_order o ON o.id = f.order_id
              JOIN pos_session s ON s.id = o.session_id
              JOIN res_company company ON company.id = o.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
              LEFT JOIN res_partner buyer ON buyer.id = o.partner_id
              LEFT JOIN res_partner customer ON customer.id = buyer.commercial_partner_id
              LEFT JOIN pos_customer_ledger_partner_stat stat
                     ON f.order_count = 1 AND stat.partner_id = customer.id AND stat.company_id = o.company_id
             WHERE o.state IN %(states)s

            UNION ALL

            -- payments into customer accounts: dues settled first, the rest a deposit
            SELECT e.id * 8 + 3, %(entry_dims)s, e.company_id, e.config_id, e.session_id, e.user_id,
                   e.partner_id, customer.rfm_segment ->> e.company_id::text, NULL, NULL, NULL, NULL,
                   %(no_money)s, NULL, 0, 0, 0, 0,
                   LEAST(-e.amount_due, GREATEST(e.balance - e.amount_due, 0)),
                   -e.amount_due - LEAST(-e.amount_due, GREATEST(e.balance - e.amount_due, 0)),
                   0, 0, 0
              FROM pos_customer_ledger_entry e
              JOIN res_company company ON company.id = e.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
              JOIN res_partner customer ON customer.id = e.partner_id
             WHERE e.kind = 'payment' AND e.amount_due < 0

            UNION ALL

            -- cash put in or taken out: pos.session.try_cash_in_out labels it "<session>-<in/out>-<reason>"
            SELECT line.id * 8 + 4, %(cash_dims)s, line.company_id, s.config_id, s.id, line.create_uid,
                   NULL, NULL, NULL, NULL, NULL,
                   BTRIM(REGEXP_REPLACE(SUBSTR(line.payment_ref, LENGTH(s.name) + 2), '^[^-]*-', '')),
                   %(no_money)s, NULL, 0, 0, 0, 0, 0, 0,
                   GREATEST(line.amount, 0), GREATEST(-line.amount, 0), 0
              FROM account_bank_statement_line line
              JOIN pos_session s ON s.id = line.pos_session_id
              JOIN res_company company ON company.id = line.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
             WHERE LEFT(line.payment_ref, LENGTH(s.name) + 1) = s.name || '-'

            UNION ALL

            SELECT s.id * 8 + 5, %(closing_dims)s, config.company_id, s.config_id, s.id, s.user_id,
                   NULL, NULL, NULL, NULL, NULL, NULL,
                   %(no_money)s, NULL, 0, 0, 0, 0, 0, 0, 0, 0, closing.difference
              FROM pos_session s
              JOIN pos_config config ON config.id = s.config_id
              JOIN res_company company ON company.id = config.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
              -- counted less expected (the opening, the cash moves and the cash taken); Odoo books
              -- the difference as a statement line of its own, which is not a cash move
              CROSS JOIN LATERAL (
                  SELECT COALESCE(s.cash_register_balance_end_real, 0)
                         - COALESCE(s.cash_register_balance_start, 0)
                         - COALESCE((SELECT SUM(p.amount)
                                       FROM pos_payment p
                                       JOIN pos_payment_method method ON method.id = p.payment_method_id
                                       JOIN pos_order o ON o.id = p.pos_order_id
                                      WHERE p.session_id = s.id AND method.is_cash_count
                                        AND o.state IN %(states)s), 0)
                         - COALESCE((SELECT SUM(line.amount)
                                       FROM account_bank_statement_line line
                                      WHERE line.pos_session_id = s.id
                                        AND LEFT(line.payment_ref, LENGTH(s.name) + 1) = s.name || '-'), 0)
                         AS difference
              ) closing
             WHERE s.state = 'closed' AND closing.difference <> 0
            """,
            order_dims=dims(SQL("o.date_order")),
            entry_dims=dims(SQL("e.date")),
            cash_dims=dims(SQL("line.create_date")),
            closing_dims=dims(SQL("s.stop_at")),
            order_money=SQL(", ").join(
                SQL("f.%s / %s AS %s", SQL.identifier(name), rate, SQL.identifier(name)) for name in FACTS
            ),
            rate=rate,
            first_day=local(SQL("stat.first_date")),
            order_day=local(SQL("o.date_order")),
            no_ledger=nothing(
                "settlement_amount", "deposit_amount", "cash_in", "cash_out", "cash_difference"
            ),
            no_money=SQL(", ").join(SQL("0") for _name in FACTS),
            pays_later=pays_later_sql("journal"),
            states=LEDGER_STATES,
        )
