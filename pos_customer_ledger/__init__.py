from . import models
from . import report
from . import wizards


def uninstall_hook(env):
    env.cr.execute("DROP FUNCTION IF EXISTS pos_customer_ledger_apply_preferences(integer[])")
