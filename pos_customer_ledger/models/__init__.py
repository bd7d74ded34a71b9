from . import (
    pos_config,
    pos_customer_ledger_chain,
    pos_customer_ledger_entry,
    pos_customer_ledger_partner_stat,
    pos_order,
    res_partner,
)
