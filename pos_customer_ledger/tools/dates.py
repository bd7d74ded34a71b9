"""What "a day" is for the ledger.

A day, a month and "overdue" are counted in the company's time zone (the time zone of
the company's partner, UTC when it has none), whoever runs the report or presses the
button: two users in different time zones must close the same month and print the
same statement. Entry dates are stored as naive UTC datetimes, as Odoo stores them.
"""

import calendar
from datetime import date, datetime, time, timedelta

import pytz

from odoo import fields
from odoo.tools import SQL


def company_tz_name(company):
    """The name of the time zone the ledger of ``company`` counts days in."""
    return company.partner_id.tz or "UTC"


def company_tz(company):
    return pytz.timezone(company_tz_name(company))


def to_utc(company, local):
    """Naive UTC datetime of the naive ``local`` datetime in the company's time zone."""
    return company_tz(company).localize(local).astimezone(pytz.utc).replace(tzinfo=None)


def day_start(company, day):
    """Naive UTC datetime at which the company's ``day`` begins."""
    return to_utc(company, datetime.combine(day, time.min))


def day_range(company, date_from, date_to):
    """Half-open [start, end) in naive UTC covering the company's days ``date_from``..``date_to``."""
    return day_start(company, date_from), day_start(company, date_to + timedelta(days=1))


def local_noon(company, day):
    """Naive UTC datetime of noon of the company's ``day`` (manual entries dated by day)."""
    return to_utc(company, datetime.combine(day, time(12)))


def local_datetime(company, value):
    """Naive datetime in the company's time zone of the naive UTC datetime ``value``."""
    value = fields.Datetime.to_datetime(value)
    return pytz.utc.localize(value).astimezone(company_tz(company)).replace(tzinfo=None)


def local_date(company, value):
    """The company's day on which the naive UTC datetime ``value`` falls."""
    return local_datetime(company, value).date()


def company_today(company):
    return local_date(company, fields.Datetime.now())


def month_range(day):
    """First and last day of the month of ``day``."""
    last = calendar.monthrange(day.year, day.month)[1]
    return date(day.year, day.month, 1), date(day.year, day.month, last)


def local_date_sql(column, tz_name):
    """SQL for the day, in time zone ``tz_name``, of the naive UTC timestamp ``column``."""
    return SQL("(%s AT TIME ZONE 'UTC' AT TIME ZONE %s)::date", column, tz_name)
