from . import report_ledger_xlsx_abstract
from . import customer_statement
from . import pos_customer_ledger_aging
from . import pos_customer_ledger_promotion
