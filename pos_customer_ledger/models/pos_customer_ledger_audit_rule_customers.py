import hashlib
from datetime import timedelta

from odoo import models
from odoo.tools import SQL

from ..tools.dates import day_start

# shortest phone number (in digits) compared, and how many of its last digits
# compare (a country code typed or not: "+86 138 0013 8000" is "13800138000")
PHONE_MIN_DIGITS = 7
PHONE_DIGITS = 9
# the session of a till's receipt number "Order 00012-001-0004"
REFERENCE_SESSION = "([0-9]{1,9})-[0-9]+-[0-9]+$"
# gaps in receipt numbering shown in a flag's message
SHOWN_GAPS = 10


class PosCustomerLedgerAuditRule(models.Model):
    """Audit rules on customers, their accounts and the till's receipts."""

    _inherit = "pos.customer.ledger.audit.rule"  # pylint: disable=consider-merging-classes-inherited

    def _overdue_candidates(self, date_to):
        """The customers who may have dues more than the threshold days overdue
        at the end of ``date_to``. A due falls due on its entry's day or later,
        so such a due is older than the last threshold days; payments settle
        the oldest dues first, so it is still open only if the customer owes
        more than all the dues of those last days. One pass over the customers'
        totals and the entries of the last days, where the aged dues read every
        due of every customer who owes."""
        company = self.company_id
        until = day_start(company, date_to + timedelta(days=1))
        recent = day_start(company, date_to - timedelta(days=self.threshold_days))
        return [
            partner_id
            for (partner_id,) in self.env.execute_query(
                SQL(
                    """
                    SELECT stat.partner_id
                      FROM pos_customer_ledger_partner_stat stat
                      LEFT JOIN (
                          SELECT partner_id,
                                 SUM(amount_due) FILTER (WHERE date >= %(until)s) AS since,
                                 SUM(amount_due) FILTER (WHERE date < %(until)s AND amount_due > 0) AS recent
                            FROM pos_customer_ledger_entry
                           WHERE company_id = %(company)s AND date >= %(recent)s
                           GROUP BY partner_id
                      ) latest ON latest.partner_id = stat.partner_id
                     WHERE stat.company_id = %(company)s
                       AND stat.balance - COALESCE(latest.since, 0) - COALESCE(latest.recent, 0)
                           >= %(half_cent)s
                    """,
                    until=until,
                    recent=recent,
                    company=company.id,
                    half_cent=company.currency_id.rounding / 2,
                )
            )
        ]

    def _audit_unsettled_pay_later(self, date_from, date_to):
        partner_ids = self._overdue_candidates(date_to)
        if not partner_ids:
            return []
        # the aged dues' open items: payments settle the oldest dues first, due dates by payment terms
        Aging = self.env["pos.customer.ledger.aging"].with_context(allowed_company_ids=self.company_id.ids)
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT items.entry_id, items.partner_id, items.due_date, items.open_amount,
                       %(date_to)s::date - items.due_date AS days_overdue,
                       e.amount_due, e.pos_order_id AS order_id, e.session_id, e.config_id, e.user_id,
                       e.date, COALESCE(o.name, e.name) AS name, p.name AS customer
                  FROM (%(items)s) items
                  JOIN pos_customer_ledger_entry e ON e.id = items.entry_id
                  JOIN res_partner p ON p.id = items.partner_id
                  LEFT JOIN pos_order o ON o.id = e.pos_order_id
                 WHERE e.kind = 'sale' AND items.open_amount >= %(half_cent)s
                   AND %(date_to)s::date - items.due_date > %(days)s
                 ORDER BY items.entry_id
                """,
                date_to=date_to,
                items=Aging._open_items_sql(date_to, partner_ids),
                half_cent=self.company_id.currency_id.rounding / 2,
                days=self.threshold_days,
            )
        )
        return [
            self._finding(
                row,
                f"entry:{row['entry_id']}",
                self.env._(
                    "%(customer)s still owes %(open)s of the pay-later sale %(order)s (%(amount)s), "
                    "due on %(due)s: %(days)s days overdue on %(date)s.",
                    customer=row["customer"],
                    open=self._money(row["open_amount"]),
                    order=row["name"],
                    amount=self._money(row["amount_due"]),
                    due=row["due_date"],
                    days=row["days_overdue"],
                    date=date_to,
                ),
                (round(row["open_amount"], 2),),
                entry_id=row["entry_id"],
            )
            for row in rows
        ]

    def _audit_over_credit_limit(self, date_from, date_to):
        company = self.company_id
        if not company.account_use_credit_limit:
            return []
        Partner = self.env["res.partner"].sudo().with_company(company)
        # a customer without a limit of their own has the company's default (ir.default)
        default_limit = Partner._fields["credit_limit"].get_company_dependent_fallback(Partner) or 0.0
        start, end = self._period(date_from, date_to)
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT e.id AS entry_id, e.partner_id, e.pos_order_id AS order_id, e.session_id,
                       e.config_id, e.user_id, e.date, e.amount_due, e.balance,
                       COALESCE(o.name, e.name) AS name, p.name AS customer, lim.credit_limit
                  FROM pos_customer_ledger_entry e
                  JOIN res_partner p ON p.id = e.partner_id
                  LEFT JOIN pos_order o ON o.id = e.pos_order_id
                 CROSS JOIN LATERAL (
                       SELECT COALESCE((p.credit_limit ->> %(company_key)s)::numeric, %(default)s)
                                  AS credit_limit
                 ) lim
                 WHERE e.company_id = %(company)s AND e.date >= %(start)s AND e.date < %(end)s
                   AND e.kind = 'sale' AND e.amount_due > 0
                   -- Odoo: a limit of 0 is no limit
                   AND lim.credit_limit > 0 AND e.balance > lim.credit_limit
                 ORDER BY e.id
                """,
                company_key=str(company.id),
                default=default_limit,
                company=company.id,
                start=start,
                end=end,
            )
        )
        return [
            self._finding(
                row,
                f"entry:{row['entry_id']}",
                self.env._(
                    "After the sale %(order)s of %(amount)s on account, %(customer)s owed %(balance)s, "
                    "above their credit limit of %(limit)s.",
                    order=row["name"],
                    amount=self._money(row["amount_due"]),
                    customer=row["customer"],
                    balance=self._money(row["balance"]),
                    limit=self._money(row["credit_limit"]),
                ),
                (round(row["balance"], 2), round(row["credit_limit"], 2)),
                entry_id=row["entry_id"],
            )
            for row in rows
        ]

    def _audit_duplicate_customers(self, date_from, date_to):
        _start, end = self._period(date_from, date_to)
        # contacts of one customer share its phone and e-mail: compare commercial partners
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH members AS (
                    SELECT p.id, p.commercial_partner_id AS partner_id, p.email, p.email_normalized,
                           p.phone, p.mobile, st.id IS NOT NULL AS has_ledger
                      FROM res_partner p
                      LEFT JOIN pos_customer_ledger_partner_stat st
                        ON st.partner_id = p.commercial_partner_id AND st.company_id = %(company)s
                     WHERE p.active AND (p.company_id IS NULL OR p.company_id = %(company)s)
                       AND p.create_date < %(end)s
                       AND NOT EXISTS (
                           SELECT 1 FROM res_company c WHERE c.partner_id = p.commercial_partner_id
                       )
                ), keys AS (
                    SELECT 'email' AS kind, LOWER(TRIM(COALESCE(m.email_normalized, m.email))) AS value,
                           m.email AS shown, m.partner_id, m.has_ledger
                      FROM members m
                     WHERE m.email IS NOT NULL AND TRIM(m.email) <> ''
                    UNION ALL
                    SELECT 'phone', RIGHT(n.digits, %(phone_digits)s), n.number, m.partner_id, m.has_ledger
                      FROM members m
                     CROSS JOIN LATERAL (VALUES (m.phone), (m.mobile)) AS numbers (number)
                     CROSS JOIN LATERAL (SELECT REGEXP_REPLACE(numbers.number, '[^0-9]', '', 'g') AS digits,
                                                numbers.number) n
                     WHERE LENGTH(n.digits) >= %(phone_min)s
                ), groups AS (
                    SELECT kind, value, ARRAY_AGG(DISTINCT partner_id ORDER BY partner_id) AS partner_ids,
                           MIN(shown) AS shown
                      FROM keys
                     GROUP BY kind, value
                    -- one of them at least is a customer of the company's ledger
                    HAVING COUNT(DISTINCT partner_id) > 1 AND BOOL_OR(has_ledger)
                )
                SELECT DISTINCT ON (g.partner_ids) g.kind, g.value, g.shown, g.partner_ids,
                       g.partner_ids[1] AS partner_id,
                       (SELECT STRING_AGG(p.name, ', ' ORDER BY p.id) FROM res_partner p
                         WHERE p.id = ANY(g.partner_ids)) AS customers
                  FROM groups g
                 -- the same customers sharing a phone and an e-mail: one finding, on the e-mail
                 ORDER BY g.partner_ids, g.kind, g.value
                """,
                company=self.company_id.id,
                end=end,
                phone_digits=PHONE_DIGITS,
                phone_min=PHONE_MIN_DIGITS,
            )
        )
        findings = []
        for row in rows:
            row["date"] = None
            if row["kind"] == "email":
                message = self.env._(
                    "%(count)s customers share the e-mail address %(email)s: %(customers)s.",
                    count=len(row["partner_ids"]),
                    email=row["shown"],
                    customers=row["customers"],
                )
            else:
                message = self.env._(
                    "%(count)s customers share the phone number %(phone)s: %(customers)s.",
                    count=len(row["partner_ids"]),
                    phone=row["shown"],
                    customers=row["customers"],
                )
            # the shared value, not the customers, names the group (hashed: no phone number in keys)
            value = hashlib.sha256(row["value"].encode()).hexdigest()[:16]
            findings.append(
                self._finding(
                    row,
                    f"customers:{row['kind']}:{value}",
                    message,
                    (row["kind"], row["partner_ids"]),
                )
            )
        return findings

    def _audit_refund_soon_after_sale(self, date_from, date_to):
        if not self.threshold_seconds:
            return []
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT r.id AS order_id, r.name, r.partner_id, r.session_id, s.config_id, r.user_id,
                       r.date_order AS date, %(cashier)s AS cashier, SUM(l.price_subtotal_incl) AS amount,
                       STRING_AGG(DISTINCT o.name, ', ') AS origins,
                       MIN(EXTRACT(EPOCH FROM r.date_order - o.date_order)) AS seconds
                  FROM pos_order r
                  JOIN pos_session s ON s.id = r.session_id
                  JOIN pos_order_line l ON l.order_id = r.id
                  JOIN pos_order_line ol ON ol.id = l.refunded_orderline_id
                  JOIN pos_order o ON o.id = ol.order_id
                 WHERE %(scope)s AND %(sale_cashier)s = %(cashier)s
                   AND r.date_order <= o.date_order + make_interval(secs => %(seconds)s)
                 GROUP BY r.id, s.config_id
                 ORDER BY r.id
                """,
                cashier=self._cashier_sql("r"),
                sale_cashier=self._cashier_sql("o"),
                scope=self._order_scope(date_from, date_to, "r"),
                seconds=self.threshold_seconds,
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "%(cashier)s refunded %(amount)s of %(origins)s with %(order)s, "
                    "%(seconds)s seconds after ringing the sale up.",
                    cashier=self._cashier_name(row["cashier"]),
                    amount=self._money(-row["amount"]),
                    origins=row["origins"],
                    order=row["name"],
                    seconds=max(int(row["seconds"]), 0),
                ),
                (round(row["amount"], 2), row["origins"]),
            )
            for row in rows
        ]

    def _audit_manual_price(self, date_from, date_to):
        # prices are in the order's currency, sales prices in the company's: convert at the order's rate
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH lines AS (
                    SELECT o.id AS order_id, o.name, o.partner_id, o.session_id, s.config_id, o.user_id,
                           o.date_order AS date, l.qty,
                           l.price_unit / COALESCE(NULLIF(o.currency_rate, 0), 1) AS price,
                           pt.list_price + COALESCE((
                               SELECT SUM(v.price_extra)
                                 FROM product_variant_combination c
                                 JOIN product_template_attribute_value v
                                   ON v.id = c.product_template_attribute_value_id
                                WHERE c.product_product_id = pp.id
                           ), 0) AS list_price
                      FROM pos_order o
                      JOIN pos_session s ON s.id = o.session_id
                      JOIN pos_config c ON c.id = s.config_id
                      JOIN pos_order_line l ON l.order_id = o.id
                      JOIN product_product pp ON pp.id = l.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                     -- a tip is keyed in too: its amount is no price
                     WHERE %(scope)s AND l.price_type = 'manual' AND l.qty > 0
                       AND l.product_id IS DISTINCT FROM c.tip_product_id
                )
                SELECT order_id, name, partner_id, session_id, config_id, user_id, date,
                       COUNT(*) AS line_count, MAX(100 * (1 - price / list_price)) AS cut,
                       SUM((list_price - price) * qty) AS amount
                  FROM lines
                 WHERE list_price > 0 AND price < list_price * (1 - %(percent)s / 100.0)
                 GROUP BY order_id, name, partner_id, session_id, config_id, user_id, date
                 ORDER BY order_id
                """,
                scope=self._order_scope(date_from, date_to),
                percent=self.threshold_percent,
            )
        )
        return [
            self._finding(
                row,
                f"order:{row['order_id']}",
                self.env._(
                    "Order %(order)s has %(count)s line(s) whose price was keyed in by hand up to "
                    "%(cut)s%% below the sales price (threshold %(threshold)s%%): %(amount)s less.",
                    order=row["name"],
                    count=row["line_count"],
                    cut=format(row["cut"], ".1f"),
                    threshold=format(self.threshold_percent, "g"),
                    amount=self._money(row["amount"]),
                ),
                (row["line_count"], round(row["amount"], 2)),
            )
            for row in rows
        ]

    def _audit_receipt_numbering(self, date_from, date_to):
        start, end = self._period(date_from, date_to)
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH closed AS (
                    SELECT s.id AS session_id, s.name, s.config_id, s.user_id, s.stop_at AS date, s.start_at
                      FROM pos_session s
                      JOIN pos_config c ON c.id = s.config_id
                     WHERE s.state = 'closed' AND s.stop_at >= %(start)s AND s.stop_at < %(end)s
                       AND c.company_id = %(company)s
                ), later AS (
                    -- a till that syncs after its session closed puts its orders in a later session
                    -- of the shop; the receipt number still names the session that numbered them
                    SELECT s.id, s.config_id, s.start_at
                      FROM pos_session s
                     WHERE s.config_id IN (SELECT config_id FROM closed)
                       AND s.start_at >= (SELECT MIN(start_at) FROM closed) AND s.start_at < %(end)s
                ), orders AS (
                    -- every order the till numbered, cancelled ones included; only an order
                    -- dated before its session opened can be late: its number is read then
                    SELECT CASE WHEN o.date_order <= later.start_at THEN COALESCE((
                               SELECT named.id FROM pos_session named
                                WHERE named.config_id = later.config_id
                                  AND named.id = SUBSTRING(o.pos_reference FROM %(ref_session)s)::int
                           ), o.session_id) ELSE o.session_id END AS session_id,
                           o.sequence_number, o.pos_reference
                      FROM pos_order o
                      JOIN later ON later.id = o.session_id
                ), numbers AS (
                    SELECT session_id, sequence_number AS number,
                           LAG(sequence_number, 1, 0) OVER (PARTITION BY session_id ORDER BY sequence_number)
                               AS previous
                      FROM (SELECT DISTINCT session_id, sequence_number FROM orders
                             WHERE sequence_number > 0 AND session_id IN (SELECT session_id FROM closed)) used
                ), gaps AS (
                    SELECT session_id, SUM(number - previous - 1) AS missing,
                           ARRAY_AGG(ARRAY[previous + 1, number - 1] ORDER BY number) AS ranges
                      FROM numbers
                     WHERE number - previous > 1
                     GROUP BY session_id
                ), duplicates AS (
                    SELECT session_id, ARRAY_AGG(pos_reference ORDER BY pos_reference) AS refs
                      FROM (SELECT session_id, pos_reference FROM orders
                             WHERE pos_reference IS NOT NULL
                             GROUP BY session_id, pos_reference HAVING COUNT(*) > 1) twice
                     GROUP BY session_id
                )
                SELECT closed.session_id, closed.name, closed.config_id, closed.user_id, closed.date,
                       COALESCE(gaps.missing, 0) AS missing, gaps.ranges,
                       COALESCE(duplicates.refs, ARRAY[]::varchar[]) AS refs
                  FROM closed
                  LEFT JOIN gaps ON gaps.session_id = closed.session_id
                  LEFT JOIN duplicates ON duplicates.session_id = closed.session_id
                 WHERE COALESCE(gaps.missing, 0) > %(count)s OR duplicates.refs IS NOT NULL
                 ORDER BY closed.session_id
                """,
                start=start,
                end=end,
                company=self.company_id.id,
                count=self.threshold_count,
                ref_session=REFERENCE_SESSION,
            )
        )
        findings = []
        for row in rows:
            ranges = [str(low) if low == high else f"{low}-{high}" for low, high in row["ranges"] or []]
            if len(ranges) > SHOWN_GAPS:
                ranges = [*ranges[:SHOWN_GAPS], "…"]
            findings.append(
                self._finding(
                    row,
                    f"session:{row['session_id']}",
                    self.env._(
                        "Session %(session)s: %(missing)s receipt number(s) missing (%(gaps)s); "
                        "%(count)s receipt number(s) used more than once (%(duplicates)s).",
                        session=row["name"],
                        missing=row["missing"],
                        gaps=", ".join(ranges) or "-",
                        count=len(row["refs"]),
                        duplicates=", ".join(row["refs"]) or "-",
                    ),
                    (row["missing"], row["refs"]),
                )
            )
        return findings
