from odoo import models
from odoo.tools import SQL

from ..tools.statistics import MAD_FACTOR, MEAN_AD_FACTOR, chi_square, chi_square_p_value
from .pos_customer_ledger_audit_rule_cash import ROUND_CASH_UNITS

# "just under a threshold": the last tenth below it, compared with the tenth before
CLUSTER_BAND = 0.1
# digit tests look at amounts of at least this many currency units: a whole unit digit
DIGIT_MIN_AMOUNT = 10
# an order's total in company currency: shops of a company may sell in others
COMPANY_AMOUNT = "%s.amount_total / COALESCE(NULLIF(%s.currency_rate, 0), 1)"


class PosCustomerLedgerAuditRule(models.Model):
    """Statistical audit rules: cashiers compared with the other cashiers of
    their shop, amounts clustering under an approval threshold, digit tests."""

    _inherit = "pos.customer.ledger.audit.rule"  # pylint: disable=consider-merging-classes-inherited

    def _company_amount_sql(self, alias):
        o = SQL.identifier(alias)
        return SQL(COMPANY_AMOUNT, o, o)

    def _shop_scope_sql(self, date_from, date_to):
        """Orders ``o`` of the period with their session ``s``."""
        return SQL(
            "pos_order o JOIN pos_session s ON s.id = o.session_id WHERE %s",
            self._order_scope(date_from, date_to),
        )

    # ------------------------------------------------------ outlying cashiers

    def _cashier_outliers(self, figures, two_sided=False):
        """The cashiers whose rate (``numerator / denominator``) is an outlier
        among the cashiers of their shop: a robust z-score (median and MAD)
        above the threshold score, among cashiers with at least the threshold
        count of orders, in shops with at least three such cashiers.
        ``figures`` selects per shop and cashier: config_id, cashier, user_id,
        orders, numerator, denominator."""
        score = SQL("ABS(score)") if two_sided else SQL("score")
        return self.env.execute_query_dict(
            SQL(
                """
                WITH figures AS (%(figures)s), rated AS (
                    SELECT *, numerator::float / denominator AS rate
                      FROM figures WHERE orders >= %(min_orders)s AND denominator > 0
                ), shop AS (
                    SELECT config_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY rate) AS median
                      FROM rated GROUP BY config_id HAVING COUNT(*) >= 3
                ), spread AS (
                    SELECT r.config_id, sh.median,
                           percentile_cont(0.5) WITHIN GROUP (ORDER BY ABS(r.rate - sh.median)) AS mad,
                           AVG(ABS(r.rate - sh.median)) AS mean_ad
                      FROM rated r JOIN shop sh ON sh.config_id = r.config_id
                     GROUP BY r.config_id, sh.median
                ), scored AS (
                    SELECT r.*, sp.median,
                           CASE WHEN sp.mad > 0 THEN %(mad_factor)s * (r.rate - sp.median) / sp.mad
                                WHEN sp.mean_ad > 0
                                THEN (r.rate - sp.median) / (%(mean_ad_factor)s * sp.mean_ad)
                           END AS score
                      FROM rated r JOIN spread sp ON sp.config_id = r.config_id
                )
                SELECT scored.*, c.name AS config_name
                  FROM scored JOIN pos_config c ON c.id = scored.config_id
                 WHERE %(score)s > %(threshold)s
                 ORDER BY config_id, cashier
                """,
                figures=figures,
                min_orders=max(self.threshold_count, 1),
                mad_factor=MAD_FACTOR,
                mean_ad_factor=MEAN_AD_FACTOR,
                score=score,
                threshold=self.threshold_score,
            )
        )

    def _cashier_finding(self, row, date_from, date_to, message, figures):
        is_user = row["cashier"].startswith("user:")
        row.update(date=None, user_id=row["user_id"] if is_user else None)
        return self._finding(
            row, f"cashier:{row['config_id']}:{row['cashier']}:{date_from}:{date_to}", message, figures
        )

    def _outlier_words(self, row, date_from, date_to):
        """The words every outlier message shares."""
        return {
            "cashier": self._cashier_name(row["cashier"]),
            "shop": row["config_name"],
            "date_from": date_from,
            "date_to": date_to,
            "score": format(row["score"], ".1f"),
        }

    def _audit_cashier_outlier(self, date_from, date_to):
        rows = self._cashier_outliers(
            SQL(
                """
                SELECT s.config_id, %s AS cashier, MIN(o.user_id) AS user_id, COUNT(*) AS orders,
                       COUNT(refund.order_id) AS numerator, COUNT(*) AS denominator
                  FROM %s
                 GROUP BY 1, 2
                """,
                self._cashier_sql("o"),
                # one pass over the refunded lines, not a lookup per order
                SQL(
                    "pos_order o JOIN pos_session s ON s.id = o.session_id "
                    "LEFT JOIN (SELECT DISTINCT order_id FROM pos_order_line WHERE qty < 0) refund "
                    "ON refund.order_id = o.id WHERE %s",
                    self._order_scope(date_from, date_to),
                ),
            )
        )
        return [
            self._cashier_finding(
                row,
                date_from,
                date_to,
                self.env._(
                    "%(cashier)s refunded %(refunds)s of %(orders)s orders (%(rate)s%%) at %(shop)s from "
                    "%(date_from)s to %(date_to)s, against a median of %(median)s%% among the shop's "
                    "cashiers: a robust z-score of %(score)s.",
                    **self._outlier_words(row, date_from, date_to),
                    refunds=row["numerator"],
                    orders=row["orders"],
                    rate=format(row["rate"] * 100, ".1f"),
                    median=format(row["median"] * 100, ".1f"),
                ),
                (row["orders"], row["numerator"]),
            )
            for row in rows
        ]

    def _audit_cashier_outlier_discount(self, date_from, date_to):
        # line discounts, and lines sold at a negative price (global discounts, rewards),
        # against the list price of what was sold; a shop sells in one currency
        rows = self._cashier_outliers(
            SQL(
                """
                SELECT s.config_id, %s AS cashier, MIN(o.user_id) AS user_id, COUNT(DISTINCT o.id) AS orders,
                       SUM(CASE WHEN l.price_unit > 0 THEN l.price_unit * l.qty * l.discount / 100
                                ELSE -l.price_unit * l.qty END) AS numerator,
                       SUM(l.price_unit * l.qty) FILTER (WHERE l.price_unit > 0) AS denominator
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                  JOIN pos_order_line l ON l.order_id = o.id AND l.qty > 0
                 WHERE %s
                 GROUP BY 1, 2
                """,
                self._cashier_sql("o"),
                self._order_scope(date_from, date_to),
            )
        )
        return [
            self._cashier_finding(
                row,
                date_from,
                date_to,
                self.env._(
                    "%(cashier)s gave %(rate)s%% of the list price of their sales in discounts over "
                    "%(orders)s orders at %(shop)s from %(date_from)s to %(date_to)s, against a median of "
                    "%(median)s%% among the shop's cashiers: a robust z-score of %(score)s.",
                    **self._outlier_words(row, date_from, date_to),
                    orders=row["orders"],
                    rate=format(row["rate"] * 100, ".1f"),
                    median=format(row["median"] * 100, ".1f"),
                ),
                (row["orders"], round(row["numerator"], 2), round(row["denominator"], 2)),
            )
            for row in rows
        ]

    def _audit_cashier_outlier_void(self, date_from, date_to):
        if not self.threshold_seconds:
            return []
        rows = self._cashier_outliers(
            SQL(
                """
                SELECT s.config_id, %(cashier)s AS cashier, MIN(o.user_id) AS user_id, COUNT(*) AS orders,
                       COUNT(void.id) AS numerator, COUNT(*) AS denominator
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                  LEFT JOIN (
                      -- refunds of the cashier's own sale, soon after it: the till's post-voids
                      SELECT DISTINCT r.id
                        FROM pos_order r
                        JOIN pos_order_line l ON l.order_id = r.id
                        JOIN pos_order_line ol ON ol.id = l.refunded_orderline_id
                        JOIN pos_order sale ON sale.id = ol.order_id
                       WHERE %(refund_scope)s AND %(sale_cashier)s = %(refund_cashier)s
                         AND r.date_order <= sale.date_order + make_interval(secs => %(seconds)s)
                  ) void ON void.id = o.id
                 WHERE %(scope)s
                 GROUP BY 1, 2
                """,
                cashier=self._cashier_sql("o"),
                refund_scope=self._order_scope(date_from, date_to, "r"),
                sale_cashier=self._cashier_sql("sale"),
                refund_cashier=self._cashier_sql("r"),
                seconds=self.threshold_seconds,
                scope=self._order_scope(date_from, date_to),
            )
        )
        return [
            self._cashier_finding(
                row,
                date_from,
                date_to,
                self.env._(
                    "%(cashier)s refunded their own sale within %(seconds)s seconds %(voids)s times in "
                    "%(orders)s orders (%(rate)s%%) at %(shop)s from %(date_from)s to %(date_to)s, against "
                    "a median of %(median)s%% among the shop's cashiers: a robust z-score of %(score)s.",
                    **self._outlier_words(row, date_from, date_to),
                    seconds=self.threshold_seconds,
                    voids=row["numerator"],
                    orders=row["orders"],
                    rate=format(row["rate"] * 100, ".1f"),
                    median=format(row["median"] * 100, ".1f"),
                ),
                (row["orders"], row["numerator"]),
            )
            for row in rows
        ]

    def _audit_cashier_outlier_ticket(self, date_from, date_to):
        rows = self._cashier_outliers(
            SQL(
                """
                SELECT s.config_id, %s AS cashier, MIN(o.user_id) AS user_id, COUNT(*) AS orders,
                       SUM(%s) FILTER (WHERE o.amount_total > 0) AS numerator,
                       COUNT(*) FILTER (WHERE o.amount_total > 0) AS denominator
                  FROM %s
                 GROUP BY 1, 2
                """,
                self._cashier_sql("o"),
                self._company_amount_sql("o"),
                self._shop_scope_sql(date_from, date_to),
            ),
            two_sided=True,
        )
        return [
            self._cashier_finding(
                row,
                date_from,
                date_to,
                self.env._(
                    "%(cashier)s rang up an average sale of %(ticket)s over %(sales)s sales at %(shop)s from "
                    "%(date_from)s to %(date_to)s, against a median of %(median)s among the shop's "
                    "cashiers: a robust z-score of %(score)s.",
                    **self._outlier_words(row, date_from, date_to),
                    ticket=self._money(row["rate"]),
                    sales=row["denominator"],
                    median=self._money(row["median"]),
                ),
                (row["denominator"], round(row["numerator"], 2)),
            )
            for row in rows
        ]

    # ----------------------------------------- amounts under an approval threshold

    def _clusters_under(self, values, threshold):
        """Per shop and cashier, the values just under ``threshold`` (its last
        tenth) when there are at least the threshold count of them and at least
        the threshold score times as many as in the tenth before. ``values``
        selects config_id, cashier, user_id, value."""
        return self.env.execute_query_dict(
            SQL(
                """
                WITH v AS (%(values)s), counted AS (
                    SELECT config_id, cashier, MIN(user_id) AS user_id,
                           COUNT(*) FILTER (WHERE value >= %(upper)s AND value < %(threshold)s) AS just_under,
                           COUNT(*) FILTER (WHERE value >= %(lower)s AND value < %(upper)s) AS before,
                           COUNT(*) AS total
                      FROM v GROUP BY config_id, cashier
                )
                SELECT counted.*, c.name AS config_name
                  FROM counted JOIN pos_config c ON c.id = counted.config_id
                 WHERE just_under >= %(min_count)s AND just_under >= %(ratio)s * GREATEST(before, 1)
                 ORDER BY config_id, cashier
                """,
                values=values,
                threshold=threshold,
                upper=threshold * (1 - CLUSTER_BAND),
                lower=threshold * (1 - 2 * CLUSTER_BAND),
                min_count=max(self.threshold_count, 1),
                ratio=self.threshold_score,
            )
        )

    def _audit_refund_under_threshold(self, date_from, date_to):
        if not self.threshold_amount:
            return []
        rows = self._clusters_under(
            SQL(
                "SELECT s.config_id, %s AS cashier, o.user_id, -(%s) AS value FROM %s AND o.amount_total < 0",
                self._cashier_sql("o"),
                self._company_amount_sql("o"),
                self._shop_scope_sql(date_from, date_to),
            ),
            self.threshold_amount,
        )
        return [
            self._cashier_finding(
                row,
                date_from,
                date_to,
                self.env._(
                    "%(cashier)s rang up %(just_under)s of %(total)s refunds at %(shop)s from "
                    "%(date_from)s to %(date_to)s between %(lower)s and the approval threshold of "
                    "%(threshold)s, against %(before)s in the tenth below.",
                    cashier=self._cashier_name(row["cashier"]),
                    just_under=row["just_under"],
                    total=row["total"],
                    shop=row["config_name"],
                    date_from=date_from,
                    date_to=date_to,
                    lower=self._money(self.threshold_amount * (1 - CLUSTER_BAND)),
                    threshold=self._money(self.threshold_amount),
                    before=row["before"],
                ),
                (row["just_under"], row["before"], row["total"]),
            )
            for row in rows
        ]

    def _audit_discount_under_cap(self, date_from, date_to):
        if not self.threshold_percent:
            return []
        rows = self._clusters_under(
            SQL(
                """SELECT s.config_id, %s AS cashier, o.user_id, l.discount AS value
                     FROM pos_order o
                     JOIN pos_session s ON s.id = o.session_id
                     JOIN pos_order_line l ON l.order_id = o.id AND l.qty > 0 AND l.discount > 0
                    WHERE %s""",
                self._cashier_sql("o"),
                self._order_scope(date_from, date_to),
            ),
            self.threshold_percent,
        )
        return [
            self._cashier_finding(
                row,
                date_from,
                date_to,
                self.env._(
                    "%(cashier)s gave %(just_under)s of %(total)s line discounts at %(shop)s from "
                    "%(date_from)s to %(date_to)s between %(lower)s%% and the approval threshold of "
                    "%(threshold)s%%, against %(before)s in the tenth below.",
                    cashier=self._cashier_name(row["cashier"]),
                    just_under=row["just_under"],
                    total=row["total"],
                    shop=row["config_name"],
                    date_from=date_from,
                    date_to=date_to,
                    lower=format(self.threshold_percent * (1 - CLUSTER_BAND), "g"),
                    threshold=format(self.threshold_percent, "g"),
                    before=row["before"],
                ),
                (row["just_under"], row["before"], row["total"]),
            )
            for row in rows
        ]

    # ------------------------------------------------------------ digit tests

    def _digit_sql(self, amount):
        return SQL("MOD(FLOOR(ABS(%s))::bigint, 10)::int", amount)

    def _digit_finding(self, counts, expected, digits):
        """(chi-square, p-value, the most over-represented digit, its share,
        its expected share) of ``counts`` {digit: n} against ``expected``
        {digit: share} over ``digits``."""
        observed = [counts.get(digit, 0) for digit in digits]
        shares = [expected[digit] for digit in digits]
        statistic = chi_square(observed, shares)
        total = sum(observed)
        digit = max(digits, key=lambda d: counts.get(d, 0) / total - expected[d])
        return (
            statistic,
            chi_square_p_value(statistic, len(digits) - 1),
            digit,
            counts.get(digit, 0) / total,
            expected[digit],
        )

    def _audit_refund_last_digit(self, date_from, date_to):
        amount = self._company_amount_sql("o")
        # refund totals per cashier; the shop's sold lines say which digits its prices give
        rows = self.env.execute_query(
            SQL(
                """
                SELECT s.config_id, %(cashier)s, MIN(o.user_id), %(digit)s, COUNT(*)
                  FROM %(scope)s AND o.amount_total < 0 AND ABS(%(amount)s) >= %(min)s
                 GROUP BY 1, 2, 4
                 UNION ALL
                SELECT s.config_id, NULL, NULL, %(line_digit)s, COUNT(*)
                  FROM pos_order o
                  JOIN pos_session s ON s.id = o.session_id
                  JOIN pos_order_line l ON l.order_id = o.id AND l.qty > 0
                 WHERE %(order_scope)s
                   AND l.price_subtotal_incl / COALESCE(NULLIF(o.currency_rate, 0), 1) >= %(min)s
                 GROUP BY 1, 4
                """,
                cashier=self._cashier_sql("o"),
                digit=self._digit_sql(amount),
                scope=self._shop_scope_sql(date_from, date_to),
                amount=amount,
                min=DIGIT_MIN_AMOUNT,
                line_digit=self._digit_sql(
                    SQL("l.price_subtotal_incl / COALESCE(NULLIF(o.currency_rate, 0), 1)")
                ),
                order_scope=self._order_scope(date_from, date_to),
            )
        )
        sold, refunds, users = {}, {}, {}
        for config_id, cashier, user_id, digit, count in rows:
            if cashier is None:
                sold.setdefault(config_id, {})[digit] = count
            else:
                refunds.setdefault((config_id, cashier), {})[digit] = count
                users[config_id, cashier] = user_id
        digits = range(10)
        configs = self.env["pos.config"].sudo().browse({config_id for config_id, _cashier in refunds})
        findings = []
        for (config_id, cashier), counts in sorted(refunds.items()):
            total = sum(counts.values())
            if total < max(self.threshold_count, 1):
                continue
            # one more of each digit: a digit the shop's sales never gave is not impossible
            base = {digit: sold.get(config_id, {}).get(digit, 0) + 1 for digit in digits}
            base_total = sum(base.values())
            expected = {digit: count / base_total for digit, count in base.items()}
            statistic, p_value, digit, share, expected_share = self._digit_finding(counts, expected, digits)
            if p_value * 100 >= self.threshold_percent:
                continue
            row = {"config_id": config_id, "cashier": cashier, "user_id": users[config_id, cashier]}
            findings.append(
                self._cashier_finding(
                    row,
                    date_from,
                    date_to,
                    self.env._(
                        "%(share)s%% of the %(count)s refunds %(cashier)s rang up at %(shop)s from "
                        "%(date_from)s to %(date_to)s end in the unit digit %(digit)s, against "
                        "%(expected)s%% of the shop's sold lines: a chi-square of %(statistic)s, "
                        "a %(p_value)s%% chance for amounts like the shop's sales.",
                        share=format(share * 100, ".0f"),
                        count=total,
                        cashier=self._cashier_name(cashier),
                        shop=configs.browse(config_id).name,
                        date_from=date_from,
                        date_to=date_to,
                        digit=digit,
                        expected=format(expected_share * 100, ".0f"),
                        statistic=format(statistic, ".1f"),
                        p_value=format(p_value * 100, ".2g"),
                    ),
                    (total, round(statistic, 2)),
                )
            )
        return findings

    def _audit_cash_out_last_digit(self, date_from, date_to):
        # the unit digit of cash taken out, 1 to 9: round amounts (a 0) are the business of
        # cash_move_unexplained and, for whole amounts, the only ones that end in 0
        rows = self.env.execute_query(
            SQL(
                """
                SELECT config_id, %s AS digit, COUNT(*)
                  FROM (%s) moves
                 WHERE amount < 0 AND ABS(amount) >= %s AND MOD(ABS(amount), %s) <> 0
                 GROUP BY 1, 2
                """,
                self._digit_sql(SQL("amount")),
                self._cash_moves_sql(date_from, date_to),
                DIGIT_MIN_AMOUNT,
                ROUND_CASH_UNITS,
            )
        )
        per_shop = {}
        for config_id, digit, count in rows:
            if digit:
                per_shop.setdefault(config_id, {})[digit] = count
        digits = range(1, 10)
        expected = dict.fromkeys(digits, 1 / 9)
        configs = self.env["pos.config"].sudo().browse(list(per_shop))
        findings = []
        for config_id, counts in sorted(per_shop.items()):
            total = sum(counts.values())
            if total < max(self.threshold_count, 1):
                continue
            statistic, p_value, digit, share, expected_share = self._digit_finding(counts, expected, digits)
            if p_value * 100 >= self.threshold_percent:
                continue
            findings.append(
                self._finding(
                    {"config_id": config_id},
                    f"shop:{config_id}:{date_from}:{date_to}",
                    self.env._(
                        "%(share)s%% of the %(count)s cash outs at %(shop)s from %(date_from)s to "
                        "%(date_to)s end in the unit digit %(digit)s, against %(expected)s%% for amounts "
                        "paid out as they come: a chi-square of %(statistic)s, a %(p_value)s%% chance for "
                        "such amounts.",
                        share=format(share * 100, ".0f"),
                        count=total,
                        shop=configs.browse(config_id).name,
                        date_from=date_from,
                        date_to=date_to,
                        digit=digit,
                        expected=format(expected_share * 100, ".0f"),
                        statistic=format(statistic, ".1f"),
                        p_value=format(p_value * 100, ".2g"),
                    ),
                    (total, round(statistic, 2)),
                )
            )
        return findings
