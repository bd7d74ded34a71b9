import logging
import threading

from psycopg2.extras import Json

from odoo import api, fields, models
from odoo.modules.registry import Registry
from odoo.tools import SQL

from ..tools.dates import company_today, company_tz_name
from ..tools.planner import PROFILE_REBUILD, planner_settings
from .pos_customer_preference import FOLLOWER

_logger = logging.getLogger(__name__)

# the rebuild's parts, which write different tables: methods of this model taking partner_ids
REBUILD_PARTS = ("_rebuild_preferences", "_rebuild_habits_and_rfm")
RFM_FIELDS = ["rfm_segment", "rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score"]
# (segment, recency scores, frequency scores): the usual RFM map on R and F
SEGMENT_RULES = [
    ("champions", (5,), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalist", (4, 5), (2, 3)),
    ("new", (5,), (1,)),
    ("promising", (4,), (1,)),
    ("need_attention", (3,), (3,)),
    ("about_to_sleep", (3,), (1, 2)),
    ("cant_lose", (1, 2), (5,)),
    ("at_risk", (1, 2), (3, 4)),
    ("hibernating", (1, 2), (1, 2)),
]
# Quintiles need customers to rank: below this many scored customers, a company's
# scores come from fixed thresholds relative to its own visit rhythm instead
RFM_QUANTILE_MIN_CUSTOMERS = 50
# the shop's rhythm when no customer has visited twice yet (days)
RFM_DEFAULT_RHYTHM_DAYS = 7
SEGMENT_CASE = SQL(
    "CASE %s END",
    SQL(" ").join(
        SQL("WHEN r = ANY(%s) AND f = ANY(%s) THEN %s", list(recency), list(frequency), code)
        for code, recency, frequency in SEGMENT_RULES
    ),
)


class PosCustomerLedgerProfile(models.AbstractModel):
    """What the ledger knows of its customers beyond their totals, rebuilt
    from the ledger: favourite products, visit habits and RFM segments.

    Postings keep habits up to date one sale at a time, and favourites follow
    the ledger within minutes (pos.customer.preference._follow_ledger); the
    nightly rebuild (``res.partner.ledger_recompute_profiles``) recomputes
    them in a few set-based statements, and scores RFM. A day is the
    company's day, as at posting.
    """

    _name = "pos.customer.ledger.profile"
    _description = "Customer Ledger Profile Rebuild"

    @api.model
    def _rebuild(self, partner_ids=None):
        """Rebuild the profiles of the customers ``partner_ids`` (their
        commercial partners; None: every customer) in a few set-based statements.

        A rebuild of every customer from a transaction that has written
        nothing (the scheduled action, an RPC call) runs its two parts,
        preferences and habits with RFM, at the same time on two connections,
        each committing its own (the caller's transaction keeps its snapshot
        and does not see the results); otherwise it runs in the caller's
        transaction.
        """
        if partner_ids is not None:
            partner_ids = self.env["res.partner"].browse(partner_ids).commercial_partner_id.ids
        if partner_ids is None and self._can_run_in_parallel():
            _logger.info("Customer profile rebuild: parts in parallel on their own connections")
            self._run_in_parallel()
            return
        _logger.info("Customer profile rebuild: in the calling transaction")
        # postings update the same rows: hold them off until this commits
        self.env["pos.customer.ledger.chain"].sudo()._lock_heads()
        with planner_settings(self.env.cr, **PROFILE_REBUILD):
            for part in REBUILD_PARTS:
                getattr(self, part)(partner_ids)

    @api.model
    def _rebuild_preferences(self, partner_ids):
        Preference = self.env["pos.customer.preference"].sudo()
        Preference._recompute(partner_ids)
        if partner_ids is None:
            # every customer is rebuilt from the ledger as this transaction sees it
            self.env["pos.customer.ledger.progress"].sudo()._advance_to_heads(FOLLOWER)

    @api.model
    def _rebuild_habits_and_rfm(self, partner_ids):
        self.sudo()._recompute_visit_profiles(partner_ids)
        # a rebuild of every customer has just computed the RFM facts of all
        self.sudo()._score_rfm(partner_ids, from_visit_profiles=partner_ids is None)

    @api.model
    def _can_run_in_parallel(self):
        """Other connections see only committed data: true when this
        transaction has nothing of its own to show them, and the calling thread
        does not hold the registry lock (module loading, Odoo's test runner),
        without which the parts' threads could not open an environment."""
        if self.pool.in_test_mode() or Registry._lock._is_owned():
            return False
        self.env.flush_all()
        return self.env.execute_query(SQL("SELECT pg_current_xact_id_if_assigned() IS NULL"))[0][0]

    @api.model
    def _run_in_parallel(self):
        """Rebuild every customer's profiles with each part of REBUILD_PARTS in
        its own thread, connection and transaction. The parts write different
        tables; each holds off postings with a shared lock on the chain heads
        until it commits. The first error is raised once all have ended; the
        parts that succeeded stay committed, each complete."""
        errors = []

        def run(part):
            current = threading.current_thread()
            current.dbname, current.uid = self.env.cr.dbname, self.env.uid
            try:
                with self.pool.cursor() as cr:
                    # a repeatable-read snapshot taken before the lock wait would
                    # fail on the head a posting has just moved; once the lock is
                    # held nothing the rebuild reads can change
                    cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                    env = self.env(cr=cr)
                    env["pos.customer.ledger.chain"].sudo()._lock_heads(shared=True)
                    with planner_settings(cr, **PROFILE_REBUILD):
                        getattr(env[self._name], part)(None)
            except Exception as error:  # raised again below, in the caller's thread
                _logger.exception("Customer profile rebuild: %s failed", part)
                errors.append(error)

        threads = [threading.Thread(target=run, args=(part,), name=part) for part in REBUILD_PARTS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    # ------------------------------------------------------------ habits

    @api.model
    def _recompute_visit_profiles(self, partner_ids=None):
        """Rebuild the visit profile columns of the customers' ledger balances
        from the sales in the ledger: the profiles are computed into a
        temporary table first (a plain query, which PostgreSQL may run in
        parallel, unlike an UPDATE), then only the rows that differ are
        written. The table also holds each customer's recency, frequency and
        monetary facts, which the RFM scoring reads when every customer was
        rebuilt."""
        Stat = self.env["pos.customer.ledger.partner.stat"]
        self.env["pos.customer.ledger.entry"].flush_model()
        self.env["res.company"].flush_model(["ledger_rfm_window_days"])
        Stat.flush_model()
        entry_filter = SQL("entry.partner_id = ANY(%s)", list(partner_ids)) if partner_ids else SQL("TRUE")
        # per company, as constants: cheaper per sale than a join
        zones, windows = [], []
        for company in self.env["res.company"].sudo().with_context(active_test=False).search([]):
            zones.append(SQL("WHEN %s THEN %s", company.id, company_tz_name(company)))
            windows.append(SQL("WHEN %s THEN %s::timestamp", company.id, company._ledger_rfm_window_start()))
        since = SQL("CASE entry.company_id %s END", SQL(" ").join(windows))
        self.env.cr.execute("DROP TABLE IF EXISTS pos_customer_ledger_visit_profile")
        self.env.cr.execute(
            SQL(
                """
                CREATE TEMPORARY TABLE pos_customer_ledger_visit_profile ON COMMIT DROP AS
                WITH sales AS (
                    SELECT partner_id, company_id, date, amount_total, in_window, local::date AS day,
                           extract(hour FROM local)::int AS hour,
                           extract(isodow FROM local)::int AS weekday
                      FROM (SELECT entry.partner_id, entry.company_id, entry.date, entry.amount_total,
                                   entry.date >= %(since)s AS in_window,
                                   entry.date AT TIME ZONE 'UTC'
                                   AT TIME ZONE CASE entry.company_id %(zones)s ELSE 'UTC' END AS local
                              FROM pos_customer_ledger_entry entry
                             WHERE entry.kind = 'sale' AND %(entry_filter)s) local_sales
                ), gaps AS (
                    -- a second sale on the same day is a gap of 0: it adds nothing to the sums;
                    -- in date order, as local days follow it and the ledger's index holds it
                    SELECT *, day - lag(day) OVER (PARTITION BY partner_id, company_id ORDER BY date) AS gap
                      FROM sales
                ), visits AS (
                    SELECT partner_id, company_id,
                           1 + COUNT(*) FILTER (WHERE gap > 0) AS visit_count,
                           MAX(day) AS last_visit_day,
                           COALESCE(SUM(gap), 0)::float AS interval_sum,
                           COALESCE(SUM(gap ^ 2), 0)::float AS interval_sq_sum,
                           %(hour_counts)s AS hours,
                           %(weekday_counts)s AS weekdays,
                           -- recency, frequency and monetary facts for the RFM scoring
                           MAX(date) FILTER (WHERE in_window) AS rfm_last_sale,
                           COUNT(*) FILTER (WHERE in_window) AS rfm_frequency,
                           SUM(amount_total) FILTER (WHERE in_window) AS rfm_monetary
                      FROM gaps GROUP BY partner_id, company_id
                ), refunds AS (
                    -- refunds count in the monetary value only; they are few, found by index
                    SELECT entry.partner_id, entry.company_id, SUM(entry.amount_total) AS amount
                      FROM pos_customer_ledger_entry entry
                     WHERE entry.kind = 'refund' AND entry.date >= %(since)s AND %(entry_filter)s
                     GROUP BY entry.partner_id, entry.company_id
                ), method_counts AS (
                    SELECT partner_id, company_id, jsonb_object_agg(method::text, n) AS methods
                      FROM (SELECT entry.partner_id, entry.company_id, payment.payment_method_id AS method,
                                   COUNT(*) AS n
                              FROM pos_customer_ledger_entry entry
                              JOIN pos_payment payment ON payment.pos_order_id = entry.pos_order_id
                             WHERE entry.kind = 'sale' AND %(entry_filter)s
                             GROUP BY 1, 2, 3) per_method
                     GROUP BY partner_id, company_id
                )
                    SELECT target.id, target.partner_id, target.company_id, visits.rfm_last_sale,
                           visits.rfm_frequency,
                           visits.rfm_monetary + COALESCE(refunds.amount, 0) AS rfm_monetary,
                           COALESCE(visits.visit_count, 0) AS visit_count, visits.last_visit_day,
                           COALESCE(visits.interval_sum, 0) AS interval_sum,
                           COALESCE(visits.interval_sq_sum, 0) AS interval_sq_sum,
                           COALESCE(to_jsonb(visits.hours), %(no_hours)s) AS hour_counts,
                           COALESCE(to_jsonb(visits.weekdays), %(no_weekdays)s) AS weekday_counts,
                           COALESCE(method_counts.methods, '{}'::jsonb) AS payment_method_counts
                      FROM pos_customer_ledger_partner_stat target
                      LEFT JOIN visits USING (partner_id, company_id)
                      LEFT JOIN refunds USING (partner_id, company_id)
                      LEFT JOIN method_counts USING (partner_id, company_id)
                     WHERE %(target_filter)s
                """,
                entry_filter=entry_filter,
                since=since,
                zones=SQL(" ").join(zones),
                hour_counts=SQL(
                    "ARRAY[%s]::int[]",
                    SQL(", ").join(SQL("COUNT(*) FILTER (WHERE hour = %s)", h) for h in range(24)),
                ),
                weekday_counts=SQL(
                    "ARRAY[%s]::int[]",
                    SQL(", ").join(SQL("COUNT(*) FILTER (WHERE weekday = %s)", d + 1) for d in range(7)),
                ),
                no_hours=Json([0] * 24),
                no_weekdays=Json([0] * 7),
                target_filter=SQL("target.partner_id = ANY(%s)", list(partner_ids))
                if partner_ids
                else SQL("TRUE"),
            )
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE pos_customer_ledger_partner_stat stat
                   SET visit_count = profiles.visit_count,
                       last_visit_day = profiles.last_visit_day,
                       interval_sum = profiles.interval_sum,
                       interval_sq_sum = profiles.interval_sq_sum,
                       hour_counts = profiles.hour_counts,
                       weekday_counts = profiles.weekday_counts,
                       payment_method_counts = profiles.payment_method_counts
                  FROM pos_customer_ledger_visit_profile profiles
                 WHERE stat.id = profiles.id
                   AND (stat.visit_count, stat.last_visit_day, stat.interval_sum, stat.interval_sq_sum,
                        stat.hour_counts, stat.weekday_counts, stat.payment_method_counts)
                       IS DISTINCT FROM
                       (profiles.visit_count, profiles.last_visit_day, profiles.interval_sum,
                        profiles.interval_sq_sum, profiles.hour_counts, profiles.weekday_counts,
                        profiles.payment_method_counts)
                """
            )
        )
        Stat.invalidate_model(flush=False)

    # --------------------------------------------------------------- RFM

    @api.model
    def _score_rfm(self, partner_ids=None, from_visit_profiles=False):
        """Score recency, frequency and monetary value 1-5, map R and F to a segment,
        and record the customers whose segment changed: one statement per
        company, so that each customer's scores are one JSON key to set rather
        than an aggregate over their companies.

        With RFM_QUANTILE_MIN_CUSTOMERS customers or more who bought in the
        company's window, by quintile among them (ties share the lower score).
        Quintiles over a handful of customers are meaningless, so a smaller base
        is scored on fixed thresholds: recency in multiples of the shop's rhythm
        (the median of its customers' usual intervals between visits: within 1,
        2, 4, 8 rhythms scores 5 to 2), frequency in sales in the window (12+,
        6+, 3+, 2, 1) and monetary value against the median customer's (2x,
        1.25x, 0.8x, 0.5x). Customers with ledgered sales, none of them in the
        window, score 1-1-1. ``from_visit_profiles``: read the facts from
        the table the visit profile rebuild of every customer left, instead of
        scanning the ledger again.
        """
        Partner = self.env["res.partner"]
        self.env["pos.customer.ledger.entry"].flush_model()
        self.env["res.company"].flush_model(["ledger_rfm_window_days"])
        Partner.flush_model(RFM_FIELDS)
        companies = self.env.execute_query(
            SQL("SELECT company_id FROM pos_customer_ledger_chain ORDER BY company_id")
        )
        for (company_id,) in companies:
            company = self.env["res.company"].browse(company_id)
            self._score_rfm_company(company, partner_ids, from_visit_profiles)
        Partner.invalidate_model(RFM_FIELDS)
        self.env["pos.customer.segment.history"].invalidate_model()

    @api.model
    def _score_rfm_company(self, company, partner_ids, from_visit_profiles):
        if from_visit_profiles:
            facts = SQL(
                """
                SELECT partner_id, company_id, rfm_last_sale AS last_sale, rfm_frequency AS frequency,
                       rfm_monetary AS monetary
                  FROM pos_customer_ledger_visit_profile
                 WHERE company_id = %s AND rfm_frequency > 0
                """,
                company.id,
            )
        else:
            facts = SQL(
                """
                SELECT entry.partner_id, entry.company_id,
                       MAX(entry.date) FILTER (WHERE entry.kind = 'sale') AS last_sale,
                       COUNT(*) FILTER (WHERE entry.kind = 'sale') AS frequency,
                       SUM(entry.amount_total) AS monetary
                  FROM pos_customer_ledger_entry entry
                 WHERE entry.company_id = %(company)s AND entry.kind IN ('sale', 'refund')
                   AND entry.date >= %(since)s
                 GROUP BY entry.partner_id, entry.company_id
                HAVING COUNT(*) FILTER (WHERE entry.kind = 'sale') > 0
                """,
                company=company.id,
                since=company._ledger_rfm_window_start(),
            )
        self.env.execute_query(
            SQL(
                """
                WITH facts AS (%(facts)s), base AS (
                    SELECT COUNT(*) >= %(quantile_min)s AS quantiles,
                           percentile_cont(0.5) WITHIN GROUP (ORDER BY monetary) AS median_monetary
                      FROM facts
                ), rhythm AS (
                    SELECT GREATEST(1, COALESCE(percentile_cont(0.5) WITHIN GROUP
                               (ORDER BY interval_sum / (visit_count - 1)), %(default_rhythm)s)) AS days
                      FROM pos_customer_ledger_partner_stat
                     WHERE company_id = %(company)s AND visit_count > 1
                ), scored AS (
                    SELECT partner_id,
                           CASE WHEN base.quantiles
                                THEN LEAST(5, 1 + FLOOR(5 * percent_rank() OVER (ORDER BY last_sale)))
                                ELSE 6 - width_bucket(
                                    GREATEST(0, EXTRACT(EPOCH FROM %(now)s - last_sale) / 86400.0),
                                    ARRAY[0, rhythm.days, 2 * rhythm.days, 4 * rhythm.days, 8 * rhythm.days])
                           END::int AS r,
                           CASE WHEN base.quantiles
                                THEN LEAST(5, 1 + FLOOR(5 * percent_rank() OVER (ORDER BY frequency)))
                                ELSE width_bucket(frequency, ARRAY[1, 2, 3, 6, 12])
                           END::int AS f,
                           CASE WHEN base.quantiles
                                THEN LEAST(5, 1 + FLOOR(5 * percent_rank() OVER (ORDER BY monetary)))
                                WHEN base.median_monetary <= 0 THEN 3
                                ELSE 1 + width_bucket((monetary / base.median_monetary)::float,
                                                      ARRAY[0.5, 0.8, 1.25, 2]::float[])
                           END::int AS m
                      FROM facts CROSS JOIN base CROSS JOIN rhythm
                ), customers AS (
                    SELECT stat.partner_id,
                           COALESCE(scored.r, 1) AS r, COALESCE(scored.f, 1) AS f, COALESCE(scored.m, 1) AS m
                      FROM pos_customer_ledger_partner_stat stat
                      LEFT JOIN scored ON scored.partner_id = stat.partner_id
                     WHERE stat.company_id = %(company)s AND stat.order_count > 0 AND %(partner_filter)s
                ), segmented AS (
                    SELECT *, %(segment_case)s AS segment FROM customers
                ), moves AS (
                    INSERT INTO pos_customer_segment_history
                        (partner_id, company_id, date, segment, previous_segment,
                         recency_score, frequency_score, monetary_score)
                    SELECT segmented.partner_id, %(company)s, %(today)s, segmented.segment,
                           partner.rfm_segment ->> %(key)s, r, f, m
                      FROM segmented JOIN res_partner partner ON partner.id = segmented.partner_id
                     WHERE (partner.rfm_segment ->> %(key)s) IS DISTINCT FROM segmented.segment
                )
                UPDATE res_partner partner
                   SET rfm_segment = COALESCE(partner.rfm_segment, '{}'::jsonb)
                                     || jsonb_build_object(%(key)s, segmented.segment),
                       rfm_recency_score = COALESCE(partner.rfm_recency_score, '{}'::jsonb)
                                           || jsonb_build_object(%(key)s, segmented.r),
                       rfm_frequency_score = COALESCE(partner.rfm_frequency_score, '{}'::jsonb)
                                             || jsonb_build_object(%(key)s, segmented.f),
                       rfm_monetary_score = COALESCE(partner.rfm_monetary_score, '{}'::jsonb)
                                            || jsonb_build_object(%(key)s, segmented.m)
                  FROM segmented
                 WHERE partner.id = segmented.partner_id
                   AND (partner.rfm_segment ->> %(key)s, (partner.rfm_recency_score ->> %(key)s)::int,
                        (partner.rfm_frequency_score ->> %(key)s)::int,
                        (partner.rfm_monetary_score ->> %(key)s)::int)
                       IS DISTINCT FROM (segmented.segment, segmented.r, segmented.f, segmented.m)
                """,
                facts=facts,
                quantile_min=RFM_QUANTILE_MIN_CUSTOMERS,
                default_rhythm=RFM_DEFAULT_RHYTHM_DAYS,
                now=fields.Datetime.now(),
                company=company.id,
                key=str(company.id),
                today=company_today(company),
                partner_filter=SQL("stat.partner_id = ANY(%s)", list(partner_ids))
                if partner_ids
                else SQL("TRUE"),
                segment_case=SEGMENT_CASE,
            )
        )
