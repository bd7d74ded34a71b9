from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

from odoo.addons.pos_customer_ledger.tools.entry_hash import HASHED_FIELDS

# decimals a currency can have in Odoo (rounding down to 0.000001)
CANDIDATE_DIGITS = 6


def migrate(cr, version):
    """Freeze the decimals each posted entry was hashed with: its company
    currency's decimals, or, where those changed since posting (the entry no
    longer verifies with them), the decimals that reproduce its stored hash."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    Entry = env["pos.customer.ledger.entry"]
    env.execute_query(
        SQL(
            """
            UPDATE pos_customer_ledger_entry entry SET hash_digits = currency.decimal_places
              FROM res_company company JOIN res_currency currency ON currency.id = company.currency_id
             WHERE company.id = entry.company_id AND entry.hash_digits IS NULL
            """
        )
    )
    columns = SQL(", ").join(SQL.identifier("entry", name) for name in (*HASHED_FIELDS, "previous_hash"))
    env.execute_query(
        SQL(
            """
            UPDATE pos_customer_ledger_entry fixed SET hash_digits = found.digits
              FROM (SELECT candidate.id, MIN(candidate.hash_digits) AS digits
                      FROM (SELECT entry.id, entry.entry_hash, %(columns)s, digits.n AS hash_digits
                              FROM pos_customer_ledger_entry entry
                             CROSS JOIN generate_series(0, %(max_digits)s) AS digits(n)
                             WHERE entry.entry_hash IS DISTINCT FROM %(current_hash)s) candidate
                     WHERE candidate.entry_hash = %(candidate_hash)s
                     GROUP BY candidate.id) found
             WHERE fixed.id = found.id
            """,
            columns=columns,
            max_digits=CANDIDATE_DIGITS,
            current_hash=Entry._entry_hash_sql("entry"),
            candidate_hash=Entry._entry_hash_sql("candidate"),
        )
    )
