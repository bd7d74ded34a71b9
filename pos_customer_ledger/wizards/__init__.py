from . import ledger_statement_wizard
