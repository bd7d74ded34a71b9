"""Who may do what with the customer ledger: one table, one check.

Every public method the addon defines or adds to Odoo's models is decorated
with ``@ledger_right(RIGHT)``; ``tests/test_access_sweep.py`` fails when one
is not, and calls each through RPC as every kind of user.
"""

import functools

from odoo.exceptions import AccessError

USER = "pos_customer_ledger.group_ledger_user"
AUDITOR = "pos_customer_ledger.group_ledger_auditor"
MANAGER = "pos_customer_ledger.group_ledger_manager"

# right -> the ledger group that holds it (the groups imply each other:
# manager > auditor > user)
RIGHTS = {
    "view": USER,  # a customer's ledger, card and dues; the ledger's own screens
    "settle": USER,  # take a settlement of dues
    "audit": AUDITOR,  # statements, aged dues, reconciliation, verification, analyses, exports
    "manage": MANAGER,  # post, import, close, rebuild, anonymise
}


def _refusal(env, right):
    _ = env._
    return {
        "view": _("Only customer ledger users can see the customer ledger."),
        "settle": _("Only customer ledger users can settle a customer's dues."),
        "audit": _("Only customer ledger auditors and managers can do this."),
        "manage": _("Only customer ledger managers can do this."),
    }[right]


def has_ledger_right(env, right):
    """Whether the environment's user holds ``right``; superuser code always does.
    Portal and public users never do, whatever groups they were given."""
    if env.su:
        return True
    user = env.user
    return user._is_internal() and user.has_group(RIGHTS[right])


def check_ledger_right(env, right):
    """Raise a translated AccessError unless the user holds ``right``."""
    if not has_ledger_right(env, right):
        raise AccessError(_refusal(env, right))


def ledger_right(right):
    """Decorator of a public method: refuse callers without ``right`` before
    anything else runs, arguments included."""
    if right not in RIGHTS:
        raise ValueError(f"Unknown ledger right {right!r}")

    def decorate(method):
        @functools.wraps(method)
        def checked(self, *args, **kwargs):
            check_ledger_right(self.env, right)
            return method(self, *args, **kwargs)

        checked._ledger_right = right
        return checked

    return decorate
