from . import ledger_adjustment_wizard
from . import ledger_aging_wizard
from . import ledger_backfill_wizard
from . import ledger_opening_import_wizard
from . import ledger_segment_export_wizard
from . import ledger_statement_wizard
from . import ledger_verify_wizard
