from . import report_ledger_xlsx_abstract
from . import customer_statement
from . import ledger_segment_xlsx
from . import pos_customer_ledger_aging
from . import pos_customer_ledger_promotion
from . import ledger_aging_xlsx
from . import ledger_closing_xlsx
from . import ledger_promotion_xlsx
