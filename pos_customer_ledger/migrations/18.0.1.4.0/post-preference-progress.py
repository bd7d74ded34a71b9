from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Postings kept the preferences current until now: they follow the ledger
    from its present heads on, rather than rebuilding every customer once."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["pos.customer.ledger.progress"]._advance_to_heads("preferences")
