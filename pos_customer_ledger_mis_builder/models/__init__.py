from . import pos_finance_target
