from odoo import api, fields, models
from odoo.tools import SQL

from ..models.pos_customer_segment_history import RFM_SEGMENTS
from ..models.pos_finance_fact import DIMENSIONS as DIMENSIONS_SUMMED
from ..models.pos_finance_fact import FACTS as SUMMED
from ..tools.planner import planner_settings
from ..tools.posting_rules import pays_later_sql

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
# the report's sums of the POS's lines, orders and payments: the summary's, with the
# payments taken shown as sold on account for the methods that pay later
FACTS = [*(name for name in SUMMED if name not in ("payment_in", "cash_difference")), "pay_later_amount"]
# figures a large report reads once: no JIT, sorts in memory; nested loops stay,
# for the indexes that find the open sessions' few orders
FINANCE_REPORT = {"jit": "off", "work_mem": "64MB"}


# (column, SQL type, value in a branch that has none) of the report's union
DIMENSIONS = [
    ("id", "bigint", "NULL"),
    ("date", "date", "NULL"),
    ("hour", "integer", "NULL"),
    ("weekday", "varchar", "NULL"),
    ("company_id", "integer", "NULL"),
    ("config_id", "integer", "NULL"),
    ("session_id", "integer", "NULL"),
    ("user_id", "integer", "NULL"),
    ("cashier", "varchar", "NULL"),
    ("partner_id", "integer", "NULL"),
    ("segment", "varchar", "NULL"),
    ("categ_id", "integer", "NULL"),
    ("payment_method_id", "integer", "NULL"),
    ("cash_reason", "varchar", "NULL"),
]
COLUMNS = [
    *DIMENSIONS,
    *((name, "numeric", "0") for name in FACTS),
    ("margin_percent", "numeric", "NULL"),
    ("order_count", "integer", "0"),
    ("customer_count", "integer", "0"),
    ("new_customer_count", "integer", "0"),
    ("average_basket", "numeric", "NULL"),
    *(
        (name, "numeric", "0")
        for name in ("settlement_amount", "deposit_amount", "cash_in", "cash_out", "cash_difference")
    ),
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
    user_id = fields.Many2one("res.users", string="User", readonly=True)
    cashier = fields.Char(
        readonly=True,
        help="The employee who rang the order up when Point of Sale HR records one, else the user.",
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    segment = fields.Selection(RFM_SEGMENTS, string="Customer Segment", readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    payment_method_id = fields.Many2one("pos.payment.method", string="Payment Method", readonly=True)
    cash_reason = fields.Char(string="Cash Move Reason", readonly=True)

    revenue_untaxed = fields.Monetary(readonly=True, help="Net of refunds.")
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
        readonly=True, aggregator="avg", help="Revenue per order, taxes included."
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
    cash_in = fields.Monetary(readonly=True, help="Cash put into the sessions.")
    cash_out = fields.Monetary(readonly=True, help="Cash taken out of the sessions.")
    cash_difference = fields.Monetary(
        readonly=True, help="Counted less expected cash at the sessions' closing."
    )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        # the figures come from many models' tables, which the ORM cannot tell: all are written first
        self.env.flush_all()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    @api.model
    def _read_group(self, *args, **kwargs):
        # JIT would compile this query's many expressions longer than it runs them
        with planner_settings(self.env.cr, **FINANCE_REPORT):
            return super()._read_group(*args, **kwargs)

    @api.model
    def search_fetch(self, *args, **kwargs):
        with planner_settings(self.env.cr, **FINANCE_REPORT):
            return super().search_fetch(*args, **kwargs)

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
        # every branch gives each column the same type: PostgreSQL then flattens the union and
        # computes only the columns a query reads
        def row(spec, values):
            return SQL(", ").join(
                SQL("(%s)::%s AS %s", values.get(name, SQL(default)), SQL(sql_type), SQL.identifier(name))
                for name, sql_type, default in spec
            )

        def branch(values, source):
            return SQL("SELECT %s %s", row(COLUMNS, values), source)

        tz = SQL("COALESCE(company_partner.tz, 'UTC')")

        def local(column):
            return SQL("(%s AT TIME ZONE 'UTC' AT TIME ZONE %s)", column, tz)

        def moment(column):
            return {
                "date": SQL("%s::date", local(column)),
                "hour": SQL("EXTRACT(HOUR FROM %s)", local(column)),
                "weekday": SQL("EXTRACT(ISODOW FROM %s)", local(column)),
            }

        def with_tz(company_column):
            return SQL(
                "JOIN res_company company ON company.id = %s "
                "JOIN res_partner company_partner ON company_partner.id = company.partner_id",
                SQL(company_column),
            )

        # closed sessions summed once (pos.finance.fact), the others read line by line
        pos_rows = SQL(
            """
            SELECT f.id::bigint * 8 + 6 AS id, %(stored)s FROM pos_finance_fact f
            UNION ALL
            SELECT * FROM (%(live)s) live
            """,
            stored=SQL(", ").join(
                SQL.identifier("f", name) for name in [*DIMENSIONS_SUMMED, *SUMMED, "order_count"]
            ),
            live=self.env["pos.finance.fact"]._rows_sql(SQL("s.finance_summarized IS NOT TRUE")),
        )
        # with pos_hr the till records the employee who rang the order up
        has_employee = "employee_id" in self.env["pos.order"]._fields
        pos_values = {
            name: SQL("f.%s", SQL.identifier(name))
            for name in (
                "id",
                "date",
                "hour",
                "weekday",
                "company_id",
                "config_id",
                "session_id",
                "user_id",
                "partner_id",
                "categ_id",
                "payment_method_id",
                *SUMMED,
                "order_count",
            )
            if name != "payment_in"
        }
        pos_values.update(
            cashier=SQL("COALESCE(employee.name, cashier_partner.name)")
            if has_employee
            else SQL("cashier_partner.name"),
            segment=SQL("customer.rfm_segment ->> f.company_id::text"),
            pay_later_amount=SQL(
                "CASE WHEN f.payment_method_id IS NOT NULL AND %s THEN f.payment_in ELSE 0 END",
                pays_later_sql("journal"),
            ),
            margin_percent=SQL("100 * f.margin / NULLIF(f.revenue_untaxed, 0)"),
            customer_count=SQL("f.order_count"),
            new_customer_count=SQL(
                "f.order_count * COALESCE((%s::date = f.date)::int, 0)", local(SQL("stat.first_date"))
            ),
            average_basket=SQL("f.revenue_total"),
        )
        # every join below is on a unique key and optional: PostgreSQL drops those a query does not read
        pos_joins = SQL(
            """
            FROM (%(rows)s) f
            LEFT JOIN res_company company ON company.id = f.company_id
            LEFT JOIN res_partner company_partner ON company_partner.id = company.partner_id
            LEFT JOIN res_users cashier_user ON cashier_user.id = f.user_id
            LEFT JOIN res_partner cashier_partner ON cashier_partner.id = cashier_user.partner_id
            %(employee_join)s
            LEFT JOIN res_partner customer ON customer.id = f.partner_id
            LEFT JOIN pos_customer_ledger_partner_stat stat
                   ON stat.partner_id = f.partner_id AND stat.company_id = f.company_id
            LEFT JOIN pos_payment_method method ON method.id = f.payment_method_id
            LEFT JOIN account_journal journal ON journal.id = method.journal_id
            """,
            rows=pos_rows,
            employee_join=(
                SQL("LEFT JOIN hr_employee employee ON employee.id = f.employee_id")
                if has_employee
                else SQL()
            ),
        )
        settled = SQL("LEAST(-e.amount_due, GREATEST(e.balance - e.amount_due, 0))")
        return SQL(" UNION ALL ").join(
            [
                branch(pos_values, pos_joins),
                # payments into customer accounts: dues settled first, the rest a deposit
                branch(
                    {
                        **moment(SQL("e.date")),
                        "id": SQL("e.id::bigint * 8 + 3"),
                        "company_id": SQL("e.company_id"),
                        "config_id": SQL("e.config_id"),
                        "session_id": SQL("e.session_id"),
                        "user_id": SQL("e.user_id"),
                        "partner_id": SQL("e.partner_id"),
                        "segment": SQL("customer.rfm_segment ->> e.company_id::text"),
                        "settlement_amount": settled,
                        "deposit_amount": SQL("-e.amount_due - %s", settled),
                    },
                    SQL(
                        "FROM pos_customer_ledger_entry e %s "
                        "JOIN res_partner customer ON customer.id = e.partner_id "
                        "WHERE e.kind = 'payment' AND e.amount_due < 0",
                        with_tz("e.company_id"),
                    ),
                ),
                # cash put in or taken out: pos.session.try_cash_in_out labels it "<session>-<in/out>-<why>"
                branch(
                    {
                        **moment(SQL("line.create_date")),
                        "id": SQL("line.id::bigint * 8 + 4"),
                        "company_id": SQL("line.company_id"),
                        "config_id": SQL("s.config_id"),
                        "session_id": SQL("s.id"),
                        "user_id": SQL("line.create_uid"),
                        "cash_reason": SQL(
                            "BTRIM(REGEXP_REPLACE(SUBSTR(line.payment_ref, LENGTH(s.name) + 2), %s, ''))",
                            "^[^-]*-",
                        ),
                        "cash_in": SQL("GREATEST(line.amount, 0)"),
                        "cash_out": SQL("GREATEST(-line.amount, 0)"),
                    },
                    SQL(
                        "FROM account_bank_statement_line line "
                        "JOIN pos_session s ON s.id = line.pos_session_id  %s "
                        "WHERE LEFT(line.payment_ref, LENGTH(s.name) + 1) = s.name || '-'",
                        with_tz("line.company_id"),
                    ),
                ),
            ]
        )
