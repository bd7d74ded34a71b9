"""The checks every amount and date that enters the ledger passes, in one place:
the till, settlements, adjustments and imports all call these."""

import math
from datetime import date as date_type
from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import DEFAULT_SERVER_DATE_FORMAT

# A float carries 15 significant digits, but Odoo's float_round (which adds an
# epsilon) keeps only 14: 9999999999999.95 rounds to ...96. Beyond
# 10**(14 - decimals) cents change on the way to and from the numeric columns.
SIGNIFICANT_DIGITS = 14
# Dates a shop's ledger can plausibly hold: nothing before this, nothing later
# than a day after now (tills' clocks drift).
EARLIEST_DATE = datetime(2000, 1, 1)
FUTURE_MARGIN = timedelta(days=1)


# res.currency.rounding has at most 6 decimals: every currency stores an amount below this exactly
ANY_CURRENCY_MAX_AMOUNT = 10 ** (SIGNIFICANT_DIGITS - 6)


def max_amount(currency):
    return 10 ** (SIGNIFICANT_DIGITS - currency.decimal_places)


def fits_any_currency(amount):
    """Whether ``amount`` is a number that every currency stores exactly: then
    checking it needs no currency."""
    return (
        isinstance(amount, (int, float))
        and not isinstance(amount, bool)
        and abs(amount) < ANY_CURRENCY_MAX_AMOUNT
    )


def amount_error(env, amount, currency):
    """Why ``amount`` cannot enter the ledger in ``currency``, or None. The
    message quotes the amount as it was given."""
    _ = env._
    given = amount
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        try:
            amount = float(amount)
        except (TypeError, ValueError):
            return _("%(amount)s is not an amount.", amount=given)
    if not math.isfinite(amount):
        return _("%(amount)s is not an amount.", amount=given)
    if abs(amount) >= max_amount(currency):
        return _(
            "%(amount)s is too large: amounts in %(currency)s must stay below %(limit)s.",
            amount=given,
            currency=currency.name,
            limit=currency.format(max_amount(currency)),
        )
    return None


def check_amount(env, amount, currency):
    """``amount`` as a float rounded to ``currency``; a translated UserError
    when it is not a finite number the ledger stores exactly."""
    error = amount_error(env, amount, currency)
    if error:
        raise UserError(error)
    return currency.round(float(amount))


def date_error(env, value):
    """Why ``value`` (a date or datetime, UTC) cannot be a ledger date, or None."""
    _ = env._
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date_type):
        moment = datetime.combine(value, datetime.min.time())
    else:
        return _("%(value)s is not a date.", value=value)
    latest = fields.Datetime.now() + FUTURE_MARGIN
    if moment < EARLIEST_DATE or moment > latest:
        return _(
            "%(value)s is not a plausible date: ledger dates run from %(earliest)s to %(latest)s.",
            value=fields.Datetime.to_string(moment) if isinstance(value, datetime) else value,
            earliest=fields.Date.to_string(EARLIEST_DATE.date()),
            latest=fields.Date.to_string(latest.date()),
        )
    return None


def check_date(env, value):
    """A translated UserError unless ``value`` is a plausible ledger date."""
    error = date_error(env, value)
    if error:
        raise UserError(error)
    return value


def day_error(env, value):
    """Why ``value`` cannot be the day of a ledger entry, or None. Text must be
    exactly 'YYYY-MM-DD': Odoo's own parsing drops whatever follows."""
    if isinstance(value, str):
        try:
            value = datetime.strptime(value, DEFAULT_SERVER_DATE_FORMAT).date()
        except ValueError:
            return env._("%(value)s is not a date.", value=value)
    return date_error(env, value)


def check_day(env, value):
    """``value`` as a date; a translated UserError unless it is a plausible day."""
    error = day_error(env, value)
    if error:
        raise UserError(error)
    return fields.Date.to_date(value)
