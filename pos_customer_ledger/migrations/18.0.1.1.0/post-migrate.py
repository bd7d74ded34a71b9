from odoo.tools.sql import drop_index


def migrate(cr, version):
    # the kind now leads the covering index pos_customer_ledger_entry_kind_partner_date_idx
    drop_index(cr, "pos_customer_ledger_entry__kind_index", "pos_customer_ledger_entry")
