{
    "name": "POS Customer Ledger - MIS Builder",
    "summary": "The shops' monthly P&L as a MIS Builder report, with the POS targets as its budget",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "pos_customer_ledger contributors",
    "website": "https://github.com/pos-customer-ledger/pos_customer_ledger",
    "license": "LGPL-3",
    "depends": ["pos_customer_ledger", "mis_builder_budget"],
    "data": [
        "data/mis_report_pos_pnl.xml",
    ],
    "auto_install": True,
    "installable": True,
}
