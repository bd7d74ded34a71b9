from . import pos_customer_ledger_anonymization
