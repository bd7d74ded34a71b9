{
    "name": "POS Customer Ledger - Email Marketing",
    "summary": "Turn a customer segment of the POS customer ledger into a mailing list",
    "version": "18.0.1.0.0",
    "category": "Marketing/Email Marketing",
    "author": "pos_customer_ledger contributors",
    "website": "https://github.com/pos-customer-ledger/pos_customer_ledger",
    "license": "LGPL-3",
    "depends": ["pos_customer_ledger", "mass_mailing"],
    "data": [
        "wizards/ledger_segment_export_wizard_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
