import pytz

from odoo import api, fields, models
from odoo.tools import SQL

VISIT_KINDS = ("sale", "refund")
COUNTERS = ("hour_counts", "weekday_counts", "payment_method_counts")


class PosCustomerLedgerPartnerStat(models.Model):
    """Running totals of one customer's ledger in one company.

    Kept up to date by each posting with one upsert, so reading a customer's
    balance never scans their history.
    """

    _name = "pos.customer.ledger.partner.stat"
    _description = "Customer Ledger Balance"
    _log_access = False
    _order = "balance desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id")
    balance = fields.Monetary(readonly=True, help="What the customer owes.")
    order_count = fields.Integer(string="Orders", readonly=True)
    total_spent = fields.Monetary(readonly=True, help="Sales net of refunds.")
    avg_basket = fields.Monetary(string="Average Basket", compute="_compute_avg_basket")
    first_date = fields.Datetime(string="First Visit", readonly=True)
    last_date = fields.Datetime(string="Last Visit", readonly=True, index=True)
    # visit profile: a visit is a day with a sale, in the company's time zone
    visit_count = fields.Integer(string="Visits", readonly=True)
    last_visit_day = fields.Date(readonly=True)
    interval_sum = fields.Float(readonly=True, help="Days between the first and the last visit.")
    interval_sq_sum = fields.Float(readonly=True, help="Sum of the squared days between visits.")
    hour_counts = fields.Json(readonly=True, help="Sales per local hour of the day.")
    weekday_counts = fields.Json(readonly=True, help="Sales per weekday, Monday is 0.")
    payment_method_counts = fields.Json(
        readonly=True, help="Sales per payment method, by the method that paid most of each."
    )
    statement_sent_date = fields.Date(
        string="Statement Emailed On",
        readonly=True,
        help="When the customer was last emailed their statement.",
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique (partner_id, company_id)",
            "A customer has one ledger balance per company.",
        ),
    ]

    @api.depends("total_spent", "order_count")
    def _compute_avg_basket(self):
        for stat in self:
            stat.avg_basket = stat.total_spent / stat.order_count if stat.order_count else 0.0

    @api.model
    def _apply_entry_sql(self, vals):
        """SQL CTE body adding one entry to its customer's totals and visit
        profile.

        Runs in the posting statement after the ``chain`` CTE, and only if the
        chain moved. A sale dated before the customer's last visit (a till that
        syncs late) leaves the visit intervals to the nightly recompute.
        """
        is_visit = vals["kind"] in VISIT_KINDS
        is_sale = vals["kind"] == "sale"
        local = self._local_datetime(vals["company_id"], fields.Datetime.to_datetime(vals["date"]))
        counts = {
            "hour_counts": SQL("jsonb_build_object(%s, 1)", str(local.hour)),
            "weekday_counts": SQL("jsonb_build_object(%s, 1)", str(local.weekday())),
            "payment_method_counts": SQL(
                """COALESCE((SELECT jsonb_build_object(payment_method_id::text, 1) FROM pos_payment
                              WHERE pos_order_id = %s ORDER BY amount DESC, id LIMIT 1), '{}'::jsonb)""",
                vals.get("pos_order_id"),
            ),
        }
        empty = SQL("'{}'::jsonb")
        return SQL(
            """
            INSERT INTO pos_customer_ledger_partner_stat AS stat
                (partner_id, company_id, balance, order_count, total_spent, first_date, last_date,
                 visit_count, last_visit_day, interval_sum, interval_sq_sum,
                 hour_counts, weekday_counts, payment_method_counts)
            SELECT %(partner)s, chain.company_id, %(due)s, %(orders)s, %(spent)s,
                   %(visit)s::timestamp, %(visit)s::timestamp,
                   %(orders)s, %(day)s::date, 0, 0, %(hours)s, %(weekdays)s, %(methods)s
              FROM chain
            ON CONFLICT (partner_id, company_id) DO UPDATE SET
                balance = stat.balance + EXCLUDED.balance,
                order_count = stat.order_count + EXCLUDED.order_count,
                total_spent = stat.total_spent + EXCLUDED.total_spent,
                first_date = LEAST(stat.first_date, EXCLUDED.first_date),
                last_date = GREATEST(stat.last_date, EXCLUDED.last_date),
                visit_count = COALESCE(stat.visit_count, 0)
                    + COALESCE((EXCLUDED.last_visit_day > COALESCE(stat.last_visit_day, '-infinity'))::int, 0),
                interval_sum = COALESCE(stat.interval_sum, 0) + CASE WHEN EXCLUDED.last_visit_day > stat.last_visit_day
                    THEN EXCLUDED.last_visit_day - stat.last_visit_day ELSE 0 END,
                interval_sq_sum = COALESCE(stat.interval_sq_sum, 0) + CASE WHEN EXCLUDED.last_visit_day > stat.last_visit_day
                    THEN (EXCLUDED.last_visit_day - stat.last_visit_day) ^ 2 ELSE 0 END,
                last_visit_day = GREATEST(stat.last_visit_day, EXCLUDED.last_visit_day),
                hour_counts = %(merge_hours)s,
                weekday_counts = %(merge_weekdays)s,
                payment_method_counts = %(merge_methods)s
            """,
            partner=vals["partner_id"],
            due=vals.get("amount_due") or 0.0,
            orders=1 if is_sale else 0,
            spent=(vals.get("amount_total") or 0.0) if is_visit else 0.0,
            visit=vals["date"] if is_visit else None,
            day=local.date() if is_sale else None,
            hours=counts["hour_counts"] if is_sale else empty,
            weekdays=counts["weekday_counts"] if is_sale else empty,
            methods=counts["payment_method_counts"] if is_sale else empty,
            merge_hours=self._merge_counts_sql("hour_counts"),
            merge_weekdays=self._merge_counts_sql("weekday_counts"),
            merge_methods=self._merge_counts_sql("payment_method_counts"),
        )

    @api.model
    def _merge_counts_sql(self, column):
        return SQL(
            """COALESCE(stat.%(column)s, '{}'::jsonb) || COALESCE((
                   SELECT jsonb_object_agg(key, COALESCE((stat.%(column)s ->> key)::int, 0) + value::int)
                     FROM jsonb_each_text(EXCLUDED.%(column)s)), '{}'::jsonb)""",
            column=SQL.identifier(column),
        )

    @api.model
    def _local_datetime(self, company_id, utc_datetime):
        tz = self.env["res.company"].browse(company_id).partner_id.tz or "UTC"
        return pytz.utc.localize(utc_datetime).astimezone(pytz.timezone(tz)).replace(tzinfo=None)

    @api.model
    def _recompute_from_entries(self, company_ids=None):
        """Rebuild the totals from the entries in one set-based pass."""
        self.env["pos.customer.ledger.entry"].flush_model()
        company_filter = SQL("company_id = ANY(%s)", list(company_ids)) if company_ids else SQL("TRUE")
        # an upsert, not a rebuild: the rows keep their ids and mailing dates
        self.env.cr.execute(
            SQL(
                """
                WITH upserted AS (
                    INSERT INTO pos_customer_ledger_partner_stat AS stat
                        (partner_id, company_id, balance, order_count, total_spent, first_date, last_date)
                    SELECT partner_id, company_id,
                           SUM(amount_due),
                           COUNT(*) FILTER (WHERE kind = 'sale'),
                           COALESCE(SUM(amount_total) FILTER (WHERE kind = ANY(%(visits)s)), 0),
                           MIN(date) FILTER (WHERE kind = ANY(%(visits)s)),
                           MAX(date) FILTER (WHERE kind = ANY(%(visits)s))
                      FROM pos_customer_ledger_entry
                     WHERE %(company_filter)s
                     GROUP BY partner_id, company_id
                    ON CONFLICT (partner_id, company_id) DO UPDATE SET
                        balance = EXCLUDED.balance,
                        order_count = EXCLUDED.order_count,
                        total_spent = EXCLUDED.total_spent,
                        first_date = EXCLUDED.first_date,
                        last_date = EXCLUDED.last_date
                    RETURNING stat.id
                )
                DELETE FROM pos_customer_ledger_partner_stat
                 WHERE %(company_filter)s AND id NOT IN (SELECT id FROM upserted)
                """,
                visits=list(VISIT_KINDS),
                company_filter=company_filter,
            )
        )
        self.invalidate_model(flush=False)

    @api.model
    def _recompute_visit_profiles(self, partner_ids=None):
        """Rebuild the visit profile columns from the sales in the ledger, in one
        statement."""
        self.env["pos.customer.ledger.entry"].flush_model()
        entry_filter = SQL("entry.partner_id = ANY(%s)", list(partner_ids)) if partner_ids else SQL("TRUE")
        stat_filter = SQL("stat.partner_id = ANY(%s)", list(partner_ids)) if partner_ids else SQL("TRUE")
        self.env.execute_query(
            SQL(
                """
                WITH sales AS (
                    SELECT entry.partner_id, entry.company_id, entry.pos_order_id,
                           entry.date AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(company_partner.tz, 'UTC') AS local
                      FROM pos_customer_ledger_entry entry
                      JOIN res_company company ON company.id = entry.company_id
                      JOIN res_partner company_partner ON company_partner.id = company.partner_id
                     WHERE entry.kind = 'sale' AND %(entry_filter)s
                ), days AS (
                    SELECT partner_id, company_id, local::date AS day FROM sales GROUP BY 1, 2, 3
                ), gaps AS (
                    SELECT partner_id, company_id, day,
                           day - lag(day) OVER (PARTITION BY partner_id, company_id ORDER BY day) AS gap
                      FROM days
                ), visits AS (
                    SELECT partner_id, company_id, COUNT(*) AS visit_count, MAX(day) AS last_visit_day,
                           COALESCE(SUM(gap), 0) AS interval_sum, COALESCE(SUM(gap ^ 2), 0) AS interval_sq_sum
                      FROM gaps GROUP BY 1, 2
                ), hours AS (
                    SELECT partner_id, company_id, jsonb_object_agg(hour, n) AS counts
                      FROM (SELECT partner_id, company_id, extract(hour FROM local)::int::text AS hour, COUNT(*) AS n
                              FROM sales GROUP BY 1, 2, 3) per_hour
                     GROUP BY 1, 2
                ), weekdays AS (
                    SELECT partner_id, company_id, jsonb_object_agg(weekday, n) AS counts
                      FROM (SELECT partner_id, company_id, (extract(isodow FROM local)::int - 1)::text AS weekday,
                                   COUNT(*) AS n
                              FROM sales GROUP BY 1, 2, 3) per_weekday
                     GROUP BY 1, 2
                ), main_methods AS (
                    SELECT DISTINCT ON (payment.pos_order_id)
                           sales.partner_id, sales.company_id, payment.payment_method_id
                      FROM sales JOIN pos_payment payment ON payment.pos_order_id = sales.pos_order_id
                     ORDER BY payment.pos_order_id, payment.amount DESC, payment.id
                ), methods AS (
                    SELECT partner_id, company_id, jsonb_object_agg(method, n) AS counts
                      FROM (SELECT partner_id, company_id, payment_method_id::text AS method, COUNT(*) AS n
                              FROM main_methods GROUP BY 1, 2, 3) per_method
                     GROUP BY 1, 2
                )
                UPDATE pos_customer_ledger_partner_stat stat
                   SET visit_count = COALESCE(visits.visit_count, 0),
                       last_visit_day = visits.last_visit_day,
                       interval_sum = COALESCE(visits.interval_sum, 0),
                       interval_sq_sum = COALESCE(visits.interval_sq_sum, 0),
                       hour_counts = COALESCE(hours.counts, '{}'::jsonb),
                       weekday_counts = COALESCE(weekdays.counts, '{}'::jsonb),
                       payment_method_counts = COALESCE(methods.counts, '{}'::jsonb)
                  FROM pos_customer_ledger_partner_stat target
                  LEFT JOIN visits USING (partner_id, company_id)
                  LEFT JOIN hours USING (partner_id, company_id)
                  LEFT JOIN weekdays USING (partner_id, company_id)
                  LEFT JOIN methods USING (partner_id, company_id)
                 WHERE stat.id = target.id AND %(stat_filter)s
                """,
                entry_filter=entry_filter,
                stat_filter=stat_filter,
            )
        )
        self.invalidate_model(flush=False)
