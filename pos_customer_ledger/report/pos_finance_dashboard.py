from datetime import timedelta

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.access import ledger_right
from ..tools.dates import company_today, company_tz_name, day_start, local_date_sql, month_range
from ..tools.posting_rules import LEDGER_STATES

TOP = 5
TREND_DAYS = 30


class PosFinanceDashboard(models.AbstractModel):
    """The figures of the shop owner's morning screen, read from the orders of
    the days shown (by their indexed date), not from the whole history."""

    _name = "pos.finance.dashboard"
    _description = "POS Finance Dashboard"

    @api.model
    @ledger_right("audit")
    def get_dashboard_data(self, config_id=None):
        """The dashboard of the current company, or of one of its shops."""
        company = self.env.company
        config = self.env["pos.config"].browse(config_id or [])
        if config and (not config.exists() or config.sudo().company_id != company):
            raise UserError(self.env._("Choose a shop of the current company."))
        today = company_today(company)
        first, last = month_range(today)
        month = self._figures(company, config, first, today)
        target = (
            self.env["pos.finance.target"]
            .search(
                [("company_id", "=", company.id), ("config_id", "=", config.id), ("categ_id", "=", False)],
                limit=1,
            )
            .filtered(lambda target: target.month == first)
        )
        dues = self.env["pos.customer.ledger.aging"].get_aged_dues(today)
        buckets = ["not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90"]
        return {
            "company": company.name,
            "shop": config.sudo().name or "",
            "shops": [{"id": shop.id, "name": shop.name} for shop in self._shops(company)],
            "currency": {
                "symbol": company.currency_id.symbol,
                "position": company.currency_id.position,
                "digits": company.currency_id.decimal_places,
            },
            "today": {"date": str(today), **self._figures(company, config, today, today)},
            "last_week": {
                "date": str(today - timedelta(days=7)),
                **self._figures(company, config, today - timedelta(days=7), today - timedelta(days=7)),
            },
            "month": {
                **month,
                "target": target.revenue_target,
                "achieved": target.revenue_achieved,
                "forecast": target.revenue_forecast if target else 0.0,
                "margin_target": target.margin_target,
                "days_left": (last - today).days,
            },
            "top_products": self._top(company, config, first, today, "product"),
            "top_categories": self._top(company, config, first, today, "category"),
            "margin_trend": self._margin_trend(company, config, today),
            "cash_differences": self._cash_differences(company, config, today),
            "dues": {
                "total": sum(row["balance"] for row in dues),
                "customers": sum(1 for row in dues if row["balance"] > 0),
                "buckets": {bucket: sum(row[bucket] for row in dues) for bucket in buckets},
            },
        }

    def _shops(self, company):
        return self.env["pos.config"].sudo().search([("company_id", "=", company.id)])

    def _orders_sql(self, company, config, date_from, date_to):
        """WHERE of the company's (or shop's) orders of the days ``date_from`` to ``date_to``."""
        return SQL(
            "o.company_id = %s AND o.state IN %s AND o.date_order >= %s AND o.date_order < %s %s",
            company.id,
            LEDGER_STATES,
            day_start(company, date_from),
            day_start(company, date_to + timedelta(days=1)),
            SQL("AND s.config_id = %s", config.id) if config else SQL(),
        )

    def _figures(self, company, config, date_from, date_to):
        """Revenue untaxed, margin, orders, customers (new ones among them) and
        the average basket of the days, as pos.finance.report counts them."""
        self.env.flush_all()
        (row,) = self.env.execute_query_dict(
            SQL(
                """
                WITH orders AS (
                    SELECT o.id, o.partner_id, o.date_order, COALESCE(NULLIF(o.currency_rate, 0), 1) AS rate,
                           lines.revenue, lines.total, lines.cost
                      FROM pos_order o
                      JOIN pos_session s ON s.id = o.session_id
                      CROSS JOIN LATERAL (
                          SELECT SUM(l.price_subtotal) AS revenue, SUM(l.price_subtotal_incl) AS total,
                                 SUM(COALESCE(l.total_cost, 0)) AS cost, COUNT(*) AS lines
                            FROM pos_order_line l WHERE l.order_id = o.id
                      ) lines
                     WHERE %(orders)s AND lines.lines > 0
                )
                SELECT COALESCE(SUM(revenue / rate), 0) AS revenue,
                       COALESCE(SUM((revenue - cost) / rate), 0) AS margin,
                       COALESCE(SUM(total / rate), 0) AS total,
                       COUNT(*) AS orders,
                       COUNT(DISTINCT customer.commercial_partner_id) AS customers,
                       COUNT(DISTINCT customer.commercial_partner_id) FILTER (
                           WHERE stat.first_date >= %(start)s) AS new_customers
                  FROM orders
                  LEFT JOIN res_partner customer ON customer.id = orders.partner_id
                  LEFT JOIN pos_customer_ledger_partner_stat stat
                         ON stat.partner_id = customer.commercial_partner_id AND stat.company_id = %(company)s
                """,
                orders=self._orders_sql(company, config, date_from, date_to),
                start=day_start(company, date_from),
                company=company.id,
            )
        )
        row["basket"] = row["total"] / row["orders"] if row["orders"] else 0.0
        row["margin_percent"] = 100 * row["margin"] / row["revenue"] if row["revenue"] else 0.0
        return row

    def _top(self, company, config, date_from, date_to, by):
        """The TOP products (``by`` "product") or categories of the days by revenue untaxed."""
        if by == "product":
            key, name = SQL("l.product_id"), SQL("t.name ->> %s", self.env.lang or "en_US")
        else:
            key, name = SQL("t.categ_id"), SQL("category.complete_name")
        rate = SQL("COALESCE(NULLIF(o.currency_rate, 0), 1)")
        self.env.flush_all()
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT %(key)s AS id, MIN(COALESCE(%(name)s, t.name ->> 'en_US')) AS name,
                       SUM(l.price_subtotal / %(rate)s) AS revenue,
                       SUM((l.price_subtotal - COALESCE(l.total_cost, 0)) / %(rate)s) AS margin
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                  JOIN pos_order_line l ON l.order_id = o.id
                  JOIN product_product pp ON pp.id = l.product_id
                  JOIN product_template t ON t.id = pp.product_tmpl_id
                  JOIN product_category category ON category.id = t.categ_id
                 WHERE %(orders)s
                 GROUP BY 1
                 ORDER BY 3 DESC
                 LIMIT %(top)s
                """,
                key=key,
                name=name,
                rate=rate,
                orders=self._orders_sql(company, config, date_from, date_to),
                top=TOP,
            )
        )
        if by == "product":
            # variants of one product are told apart by their attributes
            names = {
                product.id: product.display_name
                for product in self.env["product.product"].sudo().browse([row["id"] for row in rows])
            }
            for row in rows:
                row["name"] = names[row["id"]]
        return rows

    def _margin_trend(self, company, config, today):
        """Revenue, margin and margin (%) of each of the last days, oldest first: one query."""
        first = today - timedelta(days=TREND_DAYS)
        rate = SQL("COALESCE(NULLIF(o.currency_rate, 0), 1)")
        self.env.flush_all()
        by_day = {
            day: (revenue, margin)
            for day, revenue, margin in self.env.execute_query(
                SQL(
                    """
                    SELECT %(day)s, SUM(l.price_subtotal / %(rate)s),
                           SUM((l.price_subtotal - COALESCE(l.total_cost, 0)) / %(rate)s)
                      FROM pos_order o
                      JOIN pos_session s ON s.id = o.session_id
                      JOIN pos_order_line l ON l.order_id = o.id
                     WHERE %(orders)s
                     GROUP BY 1
                    """,
                    day=local_date_sql(SQL("o.date_order"), company_tz_name(company)),
                    rate=rate,
                    orders=self._orders_sql(company, config, first, today - timedelta(days=1)),
                )
            )
        }
        trend = []
        for back in range(TREND_DAYS, 0, -1):
            day = today - timedelta(days=back)
            revenue, margin = by_day.get(day, (0.0, 0.0))
            trend.append(
                {
                    "date": str(day),
                    "revenue": revenue,
                    "margin": margin,
                    "margin_percent": 100 * margin / revenue if revenue else 0.0,
                }
            )
        return trend

    def _cash_differences(self, company, config, today):
        """The sessions closed in the last days with a cash difference, latest first."""
        Report = self.env["pos.finance.report"].sudo()
        domain = [
            ("company_id", "=", company.id),
            ("cash_difference", "!=", 0),
            ("date", ">=", today - timedelta(days=TREND_DAYS)),
        ]
        if config:
            domain.append(("config_id", "=", config.id))
        rows = Report.search_read(
            domain, ["session_id", "config_id", "date", "cash_difference"], order="date desc"
        )
        return [
            {
                "session": row["session_id"][1] if row["session_id"] else "",
                "shop": row["config_id"][1] if row["config_id"] else "",
                "date": str(row["date"]),
                "difference": row["cash_difference"],
            }
            for row in rows
        ]
