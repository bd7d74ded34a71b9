"""The ledger's business rules, each written once, with its SQL form next to
its Python form where set-based code needs it: which POS orders post, what
is paid later (on the customer account), what an order's entry is, when a
customer owes, and when a payment goes beyond what the customer owes."""

from odoo.tools import SQL

# POS order states whose orders are posted to their customer's ledger
LEDGER_STATES = ("paid", "done", "invoiced")
# Journal types of the payment methods paid at once; any other method (no
# journal, or another type) is paid later, on the customer account, as in
# pos.payment.method._compute_type.
PAID_NOW_JOURNAL_TYPES = ("cash", "bank")


def posts_order(order):
    """Whether the POS ``order`` is posted to the ledger."""
    return bool(order.partner_id) and order.state in LEDGER_STATES


def posts_order_sql(alias):
    """SQL form of posts_order on the pos_order row ``alias``."""
    return SQL(
        "%s IN %s AND %s IS NOT NULL",
        SQL.identifier(alias, "state"),
        LEDGER_STATES,
        SQL.identifier(alias, "partner_id"),
    )


def is_pay_later(method):
    """Whether a payment with the pos.payment.method ``method`` goes on the customer account."""
    return method.type == "pay_later"


def pays_later_sql(journal_alias):
    """SQL form of is_pay_later on the account_journal row ``journal_alias`` of the
    payment method, joined with LEFT JOIN (a method without journal pays later)."""
    journal_type = SQL.identifier(journal_alias, "type")
    return SQL(
        "(%s IS NULL OR %s NOT IN %s)",
        journal_type,
        journal_type,
        PAID_NOW_JOURNAL_TYPES,
    )


def is_paid_now_journal(journal):
    """Whether money taken in ``journal`` is paid at once (settlements of dues need such a journal)."""
    return journal.type in PAID_NOW_JOURNAL_TYPES


def pos_order_kind(has_lines, refunded_order_id, amount_total, amount_due):
    """Kind of a POS order's entry. An order without products that lowers the
    customer's dues is a settlement of dues taken at the till."""
    if not has_lines and amount_due < 0:
        return "payment"
    return "refund" if refunded_order_id or amount_total < 0 else "sale"


def owes(currency, balance):
    """Whether a customer whose balance is ``balance`` (in ``currency``) owes
    the shop: the balance is positive beyond half the currency's rounding (it
    rounds to a positive amount; less is a rounding residue)."""
    return currency.compare_amounts(balance, 0.0) > 0


def owes_sql(balance, rounding):
    """SQL form of owes on the SQL expressions ``balance`` and ``rounding`` (the
    currency's)."""
    return SQL("%s >= %s / 2", balance, rounding)


def owes_domain(currency, field="balance"):
    """Domain form of owes on the monetary ``field`` in ``currency``."""
    return [(field, ">=", currency.rounding / 2)]


def pays_beyond_dues(currency, amount, owed):
    """Whether paying ``amount`` into the account of a customer who owes ``owed``
    leaves them in credit."""
    return currency.compare_amounts(amount, owed) > 0


def overpayment_error(env, partner, owed, amount, currency):
    """Why a payment beyond the dues is refused, in a company that takes no deposits."""
    return env._(
        "%(customer)s owes %(owed)s; %(amount)s cannot be paid into the customer account: "
        "this company refuses payments beyond the dues.",
        customer=partner.display_name,
        owed=currency.format(max(owed, 0.0)),
        amount=currency.format(amount),
    )
