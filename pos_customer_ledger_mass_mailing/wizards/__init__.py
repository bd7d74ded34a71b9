from . import ledger_segment_export_wizard
