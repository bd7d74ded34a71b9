"""Amounts in messages, written as res.currency.format writes them."""

import ast

from odoo.tools import float_round, get_lang

from odoo.addons.base.models.res_lang import intersperse

NBSP = "\N{NO-BREAK SPACE}"


def money_formatter(env, currency):
    """A function writing an amount exactly as ``currency.format(amount)``
    (odoo.tools.format_amount) does in the language of ``env``, which looks the
    language up on every amount: an audit writes thousands of messages."""
    lang = get_lang(env)
    grouping = ast.literal_eval(lang.grouping)
    thousands, point = lang.thousands_sep or "", lang.decimal_point
    digits, rounding = currency.decimal_places, currency.rounding
    symbol, before = currency.symbol or "", currency.position == "before"

    def money(amount):
        text = f"{float_round(amount + 0.0, precision_rounding=rounding):.{digits}f}"
        integral, _dot, decimals = text.partition(".")
        number = intersperse(integral, grouping, thousands)[0]
        if decimals:
            number = f"{number}{point}{decimals}"
        number = number.replace(" ", NBSP).replace("-", "-\N{ZERO WIDTH NO-BREAK SPACE}")
        return f"{symbol}{NBSP}{number}" if before else f"{number}{NBSP}{symbol}"

    return money
