from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from ..tools import dates
from ..tools.access import ledger_right
from ..tools.planner import LARGE_REPORTS, planner_settings
from ..tools.posting_rules import LEDGER_STATES

REPEAT_DAYS = 30


class PosCustomerLedgerPromotion(models.AbstractModel):
    """Did a promotion work? Its POS orders against all the company's POS
    orders of a comparison period, from set-based queries only.

    A promotion is a pricelist (orders sold with it) or, when pos_loyalty is
    installed, a loyalty or discount program (orders with one of its reward
    lines). pos_loyalty stays optional: its models are looked up at runtime.
    """

    _name = "pos.customer.ledger.promotion"
    _description = "Promotion Effectiveness"

    # ------------------------------------------------------------------
    # Promotion and periods
    # ------------------------------------------------------------------

    @api.model
    def _loyalty_available(self):
        return "loyalty.program" in self.env and "reward_id" in self.env["pos.order.line"]._fields

    @api.model
    def _promotion_models(self):
        """The kinds of promotion this database can report on: (model, label)."""
        models_ = [("product.pricelist", self.env._("Pricelist"))]
        if self._loyalty_available():
            models_.append(("loyalty.program", self.env._("Loyalty or Discount Program")))
        return models_

    @api.model
    def _setup_hints(self):
        """What to enable or define before the report has a promotion to show:
        empty when the company has a pricelist with prices of its own or an
        active program."""
        _ = self.env._
        company_domain = [("company_id", "in", (False, self.env.company.id))]
        Pricelist = self.env["product.pricelist"].sudo()
        if Pricelist.search_count([*company_domain, ("item_ids", "!=", False)], limit=1):
            return []
        if self._loyalty_available() and self.env["loyalty.program"].sudo().search_count(
            [*company_domain, ("active", "=", True)], limit=1
        ):
            return []
        hints = [_("No promotion is defined yet: there is nothing to measure.")]
        if not self.env.user.has_group("product.group_product_pricelist"):
            hints.append(
                _(
                    "For a price promotion, enable Flexible Pricelists in Point of Sale > Configuration > "
                    "Settings (Pricing), create a pricelist with its promotional prices and make it "
                    "available in the point of sale."
                )
            )
        else:
            hints.append(
                _(
                    "For a price promotion, create a pricelist with its promotional prices in Point of "
                    "Sale > Products > Pricelists and make it available in the point of sale."
                )
            )
        if not self._loyalty_available():
            hints.append(
                _(
                    "For discounts, coupons, buy-x-get-y or loyalty programs, enable Promotions, Coupons, "
                    "Gift Card & Loyalty Program in Point of Sale > Configuration > Settings (it installs "
                    "the POS loyalty module), then create the program."
                )
            )
        else:
            hints.append(
                _(
                    "For discounts, coupons, buy-x-get-y or loyalty programs, create the program in Point "
                    "of Sale > Products > Discount & Loyalty."
                )
            )
        return hints

    @api.model
    def _get_promotion(self, promotion):
        """The promotion record from a record or a "model,id" reference."""
        if not promotion:
            raise UserError(self.env._("Choose the promotion to report on: a pricelist or a program."))
        if isinstance(promotion, models.BaseModel):
            model, record_id = promotion._name, promotion.id
        else:
            model, _sep, record_id = str(promotion).partition(",")
            record_id = int(record_id) if record_id.strip().isdigit() else 0
        if model not in dict(self._promotion_models()):
            raise UserError(
                self.env._(
                    "A promotion is a pricelist or, with the POS loyalty module installed, a loyalty "
                    "or discount program; %(promotion)s is neither.",
                    promotion=promotion,
                )
            )
        record = self.env[model].sudo().browse(record_id).exists()
        if not record:
            raise UserError(self.env._("The chosen promotion no longer exists."))
        if record.company_id and record.company_id != self.env.company:
            raise UserError(
                self.env._(
                    "%(promotion)s belongs to %(company)s; switch to that company to report on it.",
                    promotion=record.display_name,
                    company=record.company_id.name,
                )
            )
        return record

    @api.model
    def _default_dates(self, promotion):
        """A program's own dates; a pricelist has none."""
        if promotion and promotion._name == "loyalty.program":
            return promotion.sudo().date_from, promotion.sudo().date_to
        return False, False

    @api.model
    def _default_baseline(self, date_from, date_to):
        """The period of the same length that ends the day before the promotion."""
        if not date_from or not date_to or date_to < date_from:
            return False, False
        baseline_to = date_from - timedelta(days=1)
        return baseline_to - (date_to - date_from), baseline_to

    @api.model
    def _check_periods(self, date_from, date_to, baseline_from, baseline_to):
        _ = self.env._
        if not date_from or not date_to:
            raise UserError(_("Set the first and last day of the promotion."))
        if date_to < date_from:
            raise UserError(_("The promotion ends before it starts."))
        if not baseline_from or not baseline_to:
            raise UserError(_("Set the first and last day of the comparison period."))
        if baseline_to < baseline_from:
            raise UserError(_("The comparison period ends before it starts."))
        if baseline_from <= date_to and date_from <= baseline_to:
            raise UserError(_("The comparison period must not overlap the promotion."))

    @api.model
    def _utc_bounds(self, date_from, date_to):
        """[start, end) in UTC of the company's days from ``date_from`` to ``date_to``."""
        return dates.day_range(self.env.company, date_from, date_to)

    # ------------------------------------------------------------------
    # Queries
    # ------------------------------------------------------------------

    @api.model
    def _period_orders_sql(self, date_from, date_to, promotion=None):
        """Ids of the company's paid, posted or invoiced POS orders of the
        period; with ``promotion``, only those of that promotion."""
        start, end = self._utc_bounds(date_from, date_to)
        query = SQL(
            """
            SELECT id FROM pos_order
             WHERE company_id = %(company)s AND date_order >= %(start)s AND date_order < %(end)s
               AND state = ANY(%(states)s)
            """,
            company=self.env.company.id,
            start=start,
            end=end,
            states=list(LEDGER_STATES),
        )
        if not promotion:
            return query
        if promotion._name == "product.pricelist":
            return SQL("%s AND pricelist_id = %s", query, promotion.id)
        rewards = self.env["loyalty.reward"].sudo().with_context(active_test=False)
        reward_ids = rewards.search([("program_id", "=", promotion.id)]).ids
        return SQL(
            "%s AND id IN (SELECT order_id FROM pos_order_line WHERE reward_id = ANY(%s))",
            query,
            reward_ids,
        )

    @api.model
    def _segment_sql(self, alias):
        """The customer's RFM segment in the current company (a company-dependent field)."""
        return self.env["res.partner"]._field_to_sql(alias, "rfm_segment")

    @api.model
    def _order_figures(self, orders_sql):
        """Per (has customer, segment): orders, revenue, margin, customers, in company currency."""
        return self.env.execute_query_dict(
            SQL(
                """
                WITH orders AS (%(orders)s),
                margins AS (
                    SELECT line.order_id, SUM(line.price_subtotal - line.total_cost) AS margin
                      FROM pos_order_line line
                      JOIN product_product product ON product.id = line.product_id
                      JOIN product_template template ON template.id = product.product_tmpl_id
                     WHERE line.order_id IN (SELECT id FROM orders)
                       -- as pos.order.line._compute_margin: combos carry no margin
                       AND line.is_total_cost_computed AND template.type <> 'combo'
                     GROUP BY line.order_id
                )
                SELECT commercial.id IS NOT NULL AS has_customer, %(segment)s AS segment,
                       COUNT(*) FILTER (WHERE ord.amount_total >= 0) AS orders,
                       COALESCE(SUM((ord.amount_total - ord.amount_tax)
                                    / COALESCE(NULLIF(ord.currency_rate, 0), 1)), 0) AS revenue,
                       COALESCE(SUM(margins.margin / COALESCE(NULLIF(ord.currency_rate, 0), 1)), 0)
                           AS margin,
                       COUNT(DISTINCT commercial.id) AS customers
                  FROM orders
                  JOIN pos_order ord ON ord.id = orders.id
                  LEFT JOIN margins ON margins.order_id = ord.id
                  LEFT JOIN res_partner partner ON partner.id = ord.partner_id
                  LEFT JOIN res_partner commercial ON commercial.id = partner.commercial_partner_id
                 GROUP BY 1, 2
                """,
                orders=orders_sql,
                segment=self._segment_sql("commercial"),
            )
        )

    @api.model
    def _new_customer_figures(self, orders_sql):
        """Per segment: customers whose first-ever POS order with the company
        is one of ``orders``, and how many of them ordered again within
        REPEAT_DAYS days of it (refunds do not count)."""
        company = self.env.company.id
        states = list(LEDGER_STATES)
        return self.env.execute_query_dict(
            SQL(
                """
                WITH orders AS (%(orders)s),
                customers AS (
                    SELECT DISTINCT partner.commercial_partner_id AS id
                      FROM orders
                      JOIN pos_order ord ON ord.id = orders.id
                      JOIN res_partner partner ON partner.id = ord.partner_id
                ),
                firsts AS (
                    SELECT DISTINCT ON (partner.commercial_partner_id)
                           partner.commercial_partner_id AS customer, ord.id, ord.date_order
                      FROM customers
                      JOIN res_partner partner ON partner.commercial_partner_id = customers.id
                      JOIN pos_order ord ON ord.partner_id = partner.id
                     WHERE ord.company_id = %(company)s AND ord.state = ANY(%(states)s)
                     ORDER BY partner.commercial_partner_id, ord.date_order, ord.id
                )
                SELECT %(segment)s AS segment, COUNT(*) AS new_customers,
                       COUNT(*) FILTER (WHERE EXISTS (
                           SELECT 1
                             FROM res_partner partner
                             JOIN pos_order ord ON ord.partner_id = partner.id
                            WHERE partner.commercial_partner_id = firsts.customer
                              AND ord.company_id = %(company)s AND ord.state = ANY(%(states)s)
                              AND ord.id <> firsts.id AND ord.amount_total >= 0
                              AND ord.date_order >= firsts.date_order
                              AND ord.date_order <= firsts.date_order + make_interval(days => %(days)s)
                       )) AS returned
                  FROM firsts
                  JOIN res_partner commercial ON commercial.id = firsts.customer
                 WHERE firsts.id IN (SELECT id FROM orders)
                 GROUP BY 1
                """,
                orders=orders_sql,
                company=company,
                states=states,
                days=REPEAT_DAYS,
                segment=self._segment_sql("commercial"),
            )
        )

    # ------------------------------------------------------------------
    # The report
    # ------------------------------------------------------------------

    @api.model
    def _segment_labels(self):
        return dict(self.env["res.partner"]._fields["rfm_segment"]._description_selection(self.env))

    @api.model
    @ledger_right("audit")
    def get_promotion_effectiveness(
        self, promotion, date_from=None, date_to=None, baseline_date_from=None, baseline_date_to=None
    ):
        """Promotion against comparison period, for the current company.

        :param promotion: a product.pricelist or loyalty.program record, or its
            "model,id" reference
        :param date_from, date_to: the promotion's first and last day
            (default: the program's own dates)
        :param baseline_date_from, baseline_date_to: the comparison period
            (default: as many days, ending the day before the promotion)
        :return: dict with the periods, ``metrics`` (key, label, promotion,
            baseline, uplift in percent or None, per_day), ``segments`` and ``notes``
        """
        promotion = self._get_promotion(promotion)
        default_from, default_to = self._default_dates(promotion)
        date_from = fields.Date.to_date(date_from) or default_from
        date_to = fields.Date.to_date(date_to) or default_to
        default_baseline = self._default_baseline(date_from, date_to)
        baseline_from = fields.Date.to_date(baseline_date_from) or default_baseline[0]
        baseline_to = fields.Date.to_date(baseline_date_to) or default_baseline[1]
        self._check_periods(date_from, date_to, baseline_from, baseline_to)

        self.env.flush_all()
        promotion_sql = self._period_orders_sql(date_from, date_to, promotion)
        baseline_sql = self._period_orders_sql(baseline_from, baseline_to)
        with planner_settings(self.env.cr, **LARGE_REPORTS):
            figures = {
                "promotion": self._order_figures(promotion_sql),
                "baseline": self._order_figures(baseline_sql),
            }
            newcomers = {
                "promotion": self._new_customer_figures(promotion_sql),
                "baseline": self._new_customer_figures(baseline_sql),
            }
        days = {
            "promotion": (date_to - date_from).days + 1,
            "baseline": (baseline_to - baseline_from).days + 1,
        }
        currency = self.env.company.currency_id
        return {
            "promotion": {"model": promotion._name, "id": promotion.id, "name": promotion.display_name},
            "company_id": self.env.company.id,
            "currency_id": currency.id,
            "date_from": date_from,
            "date_to": date_to,
            "days": days["promotion"],
            "baseline_date_from": baseline_from,
            "baseline_date_to": baseline_to,
            "baseline_days": days["baseline"],
            "metrics": self._metrics(figures, newcomers, days, currency),
            "segments": self._segments(figures, newcomers, days, currency),
            "notes": self._empty_notes(promotion, figures, date_from, date_to) + self._notes(promotion),
        }

    @api.model
    def _empty_notes(self, promotion, figures, date_from, date_to):
        """An empty report says why and what to enable rather than showing zeros."""
        if any(row["orders"] for row in figures["promotion"]):
            return []
        return [
            self.env._(
                "No POS order of the company used %(promotion)s from %(start)s to %(end)s: check the "
                "promotion's dates and that the point of sale offers it (a pricelist available in the "
                "point of sale's settings, a program active for the point of sale).",
                promotion=promotion.display_name,
                start=format_date(self.env, date_from),
                end=format_date(self.env, date_to),
            ),
            *self._setup_hints(),
        ]

    @api.model
    def _uplift(self, promotion, baseline):
        if not baseline:
            return None
        return round((promotion / baseline - 1) * 100, 2)

    @api.model
    def _metrics(self, figures, newcomers, days, currency):
        _ = self.env._
        totals = {}
        for period in ("promotion", "baseline"):
            rows = figures[period]
            orders = sum(row["orders"] for row in rows)
            revenue = sum(float(row["revenue"]) for row in rows)
            new = sum(row["new_customers"] for row in newcomers[period])
            totals[period] = {
                "revenue": revenue,
                "orders": orders,
                "basket": revenue / orders if orders else 0.0,
                "margin": sum(float(row["margin"]) for row in rows),
                "customers": sum(row["customers"] for row in rows),
                "new_customers": new,
                "repeat_rate": 100.0 * sum(row["returned"] for row in newcomers[period]) / new
                if new
                else 0.0,
            }
        # (key, label, compared per day, rounding)
        specs = [
            ("revenue", _("Revenue (untaxed, all orders)"), True, currency.round),
            ("orders", _("Orders (all, refunds excluded)"), True, int),
            ("basket", _("Average basket (untaxed, all orders)"), False, currency.round),
            ("margin", _("Margin (all orders)"), True, currency.round),
            ("customers", _("Customers (orders with a customer)"), True, int),
            ("new_customers", _("New customers"), True, int),
            (
                "repeat_rate",
                _("Repeat rate of new customers within %(days)s days, in percent", days=REPEAT_DAYS),
                False,
                lambda value: round(value, 2),
            ),
        ]
        metrics = []
        for key, label, per_day, rounding in specs:
            promotion, baseline = totals["promotion"][key], totals["baseline"][key]
            if per_day:
                uplift = self._uplift(promotion / days["promotion"], baseline / days["baseline"])
            else:
                uplift = self._uplift(promotion, baseline)
            metrics.append(
                {
                    "key": key,
                    "label": label,
                    "promotion": rounding(promotion),
                    "baseline": rounding(baseline),
                    "uplift": uplift,
                    "per_day": per_day,
                }
            )
        return metrics

    @api.model
    def _segments(self, figures, newcomers, days, currency):
        """Rows per customer segment (as the customer is segmented today),
        then customers without a segment, then anonymous orders."""
        _ = self.env._
        labels = self._segment_labels()
        rows = {}

        def row_of(has_customer, segment):
            if (has_customer, segment) not in rows:
                if segment:
                    label = labels.get(segment, segment)
                else:
                    label = _("No segment") if has_customer else _("No customer (anonymous orders)")
                rows[(has_customer, segment)] = {
                    "segment": segment or False,
                    "has_customer": has_customer,
                    "label": label,
                    "promotion_orders": 0,
                    "promotion_revenue": 0.0,
                    "promotion_customers": 0,
                    "new_customers": 0,
                    "baseline_orders": 0,
                    "baseline_revenue": 0.0,
                }
            return rows[(has_customer, segment)]

        # segment order first, then no segment, then anonymous orders
        for key in [(True, segment) for segment in labels] + [(True, None), (False, None)]:
            row_of(*key)
        for period in ("promotion", "baseline"):
            for figure in figures[period]:
                row = row_of(figure["has_customer"], figure["segment"])
                row[f"{period}_orders"] += figure["orders"]
                row[f"{period}_revenue"] += float(figure["revenue"])
                if period == "promotion":
                    row["promotion_customers"] += figure["customers"]
        for figure in newcomers["promotion"]:
            row_of(True, figure["segment"])["new_customers"] += figure["new_customers"]
        result = []
        for row in rows.values():
            if not (
                row["promotion_orders"]
                or row["baseline_orders"]
                or row["promotion_revenue"]
                or row["baseline_revenue"]
            ):
                continue
            row["revenue_uplift"] = self._uplift(
                row["promotion_revenue"] / days["promotion"], row["baseline_revenue"] / days["baseline"]
            )
            row["promotion_revenue"] = currency.round(row["promotion_revenue"])
            row["baseline_revenue"] = currency.round(row["baseline_revenue"])
            result.append(row)
        return result

    @api.model
    def _notes(self, promotion):
        _ = self.env._
        if promotion._name == "product.pricelist":
            scope = _(
                "Promotion orders: the company's POS orders sold with this pricelist during the promotion."
            )
        else:
            scope = _(
                "Promotion orders: the company's POS orders with a reward of this program "
                "during the promotion."
            )
        return [
            scope,
            _(
                "Comparison: all the company's POS orders of the comparison period, "
                "whatever their pricelist or rewards."
            ),
            _(
                "Revenue, orders, average basket and margin count every paid, posted or invoiced order, "
                "anonymous ones included; refunds reduce revenue and margin but are not counted as "
                "orders. Amounts are untaxed, in the company currency."
            ),
            _(
                "Totals are compared per day, as the periods may differ in length; the average basket "
                "and the repeat rate are compared as they are."
            ),
            _(
                "New customers: customers whose first-ever POS order with the company is a promotion "
                "order (for the comparison period, an order of that period). Repeat rate: the share of "
                "them who ordered again within %(days)s days of that first order.",
                days=REPEAT_DAYS,
            ),
            _("Segments are the customers' current RFM segments."),
        ]

    # ------------------------------------------------------------------
    # XLSX
    # ------------------------------------------------------------------

    @api.model
    @ledger_right("audit")
    def promotion_effectiveness_xlsx(
        self, promotion, date_from=None, date_to=None, baseline_date_from=None, baseline_date_to=None
    ):
        """The promotion effectiveness report as XLSX bytes."""
        promotion = self._get_promotion(promotion)
        values = {
            "date_from": date_from,
            "date_to": date_to,
            "baseline_date_from": baseline_date_from,
            "baseline_date_to": baseline_date_to,
        }
        # what is not given, the wizard defaults as the report does
        wizard = self.env["pos.customer.ledger.promotion.wizard"].create(
            {
                "promotion_ref": f"{promotion._name},{promotion.id}",
                **{name: value for name, value in values.items() if value},
            }
        )
        return wizard._render_xlsx()
