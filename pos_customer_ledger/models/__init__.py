from . import pos_config
from . import pos_customer_ledger_chain
from . import pos_customer_ledger_entry
from . import pos_customer_ledger_partner_stat
from . import pos_order
from . import res_company
from . import res_config_settings
from . import res_partner
