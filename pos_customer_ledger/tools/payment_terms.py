"""When a pay-later sale falls due: as an invoice of that day with the
customer's payment terms would, so that aged dues agree with Odoo's.

Odoo dates each line of a term with account.payment.term.line._get_due_date
and an invoice falls due on the latest of them (account.move's
invoice_date_due). term_due_date_sql is that, set-based; tests/test_aging.py
holds it to Odoo's account.payment.term._compute_terms for every delay type.
"""

from odoo.tools import SQL


def _end_of_month(day):
    return SQL("(date_trunc('month', (%s)::timestamp) + interval '1 month - 1 day')::date", day)


def term_due_date_sql(term_id, day):
    """SQL: the date a sale on ``day`` (a date) falls due under the
    account.payment.term ``term_id`` (an id, may be NULL); ``day`` itself
    when there is no term or it has no lines."""
    shifted = SQL("(%s + line.nb_days)", day)
    # relativedelta(months=1, day=n): the next month, on its n-th day at most
    next_month = SQL("(date_trunc('month', %s::timestamp) + interval '1 month')::date", shifted)
    days_next_month = SQL(
        "CASE WHEN line.days_next_month IS NULL THEN 0 "
        "WHEN line.days_next_month ~ '^\\s*[0-9]+\\s*$' THEN trim(line.days_next_month)::int "
        "ELSE 1 END"
    )
    return SQL(
        """COALESCE((
            SELECT MAX(CASE line.delay_type
                WHEN 'days_after_end_of_month' THEN %(end_of_month)s + line.nb_days
                WHEN 'days_after_end_of_next_month' THEN %(end_of_next_month)s + line.nb_days
                WHEN 'days_end_of_month_on_the' THEN CASE
                    WHEN %(days_next_month)s = 0 THEN %(end_of_shifted_month)s
                    ELSE %(next_month)s + LEAST(%(days_next_month)s, %(next_month_length)s) - 1
                END
                ELSE %(shifted)s
            END)
              FROM account_payment_term_line line
             WHERE line.payment_id = %(term_id)s
        ), %(day)s)""",
        end_of_month=_end_of_month(day),
        end_of_next_month=_end_of_month(SQL("(%s + interval '1 month')", day)),
        days_next_month=days_next_month,
        end_of_shifted_month=_end_of_month(shifted),
        next_month=next_month,
        next_month_length=SQL("EXTRACT(day FROM %s)::int", _end_of_month(next_month)),
        shifted=shifted,
        term_id=term_id,
        day=day,
    )
