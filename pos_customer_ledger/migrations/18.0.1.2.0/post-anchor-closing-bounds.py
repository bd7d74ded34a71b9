from datetime import datetime, time, timedelta

import pytz

from odoo.tools import SQL


def migrate(cr, version):
    """Closings now keep the UTC bounds their figures were taken over, for the
    integrity check: recompute them as action_close did, in the time zone of
    the user who closed the month."""
    cr.execute(
        SQL(
            """
            SELECT closing.id, closing.date_from, closing.date_to, partner.tz
              FROM pos_customer_ledger_closing closing
              LEFT JOIN res_users users ON users.id = closing.closed_by_id
              LEFT JOIN res_partner partner ON partner.id = users.partner_id
             WHERE closing.state = 'closed' AND closing.period_start IS NULL
            """
        )
    )
    for closing_id, date_from, date_to, tz_name in cr.fetchall():
        tz = pytz.timezone(tz_name or "UTC")

        def to_utc(day, tz=tz):
            return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

        cr.execute(
            SQL(
                "UPDATE pos_customer_ledger_closing SET period_start = %s, period_end = %s WHERE id = %s",
                to_utc(date_from),
                to_utc(date_to + timedelta(days=1)),
                closing_id,
            )
        )
