"""The hash of a ledger entry, in its Python form (posting, backfill) and its SQL
form (verification in one pass), side by side, per hash version.

Each entry stores the version it was hashed with (hash_version) and the
decimals its amounts were hashed with (hash_digits), so that what an existing
hash covers never changes. A new version adds its content fields, a Python
function and an SQL function to VERSIONS here, and moves CURRENT_VERSION.
"""

import hashlib
import json
from typing import NamedTuple

from odoo.tools import SQL

JSON_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

# The content an entry's hash covers in version 1, in order. Amounts are hashed
# as text with the entry's hash_digits (the currency's decimals when it was
# posted) so that the value read back hashes the same.
V1_FIELDS = (
    "name",
    "sequence_number",
    "company_id",
    "partner_id",
    "date",
    "kind",
    "pos_order_id",
    "refunded_order_id",
    "session_id",
    "config_id",
    "user_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_due",
    "balance",
    "note",
)
V1_AMOUNTS = {"amount_untaxed", "amount_tax", "amount_total", "amount_due", "balance"}


def _v1_python(content, previous_hash, decimal_places):
    """SHA-256 over the version, the previous hash and a canonical JSON list of
    the content, in V1_FIELDS order.

    Amounts are text with ``decimal_places`` (+ 0.0 turns a -0.0 into the 0 read
    back); the date is 'YYYY-MM-DD HH:MM:SS'; empty links are null. Written out
    field by field: verification of a backfill runs this for every entry.
    """
    (name, sequence, company, partner, date, kind, order, refunded, session, config, user,
     untaxed, tax, total, due, balance, note) = content  # fmt: skip
    canonical = [
        name,
        sequence,
        company,
        partner,
        str(date)[:19],
        kind,
        order or None,
        refunded or None,
        session or None,
        config or None,
        user or None,
        f"{(untaxed or 0.0) + 0.0:.{decimal_places}f}",
        f"{(tax or 0.0) + 0.0:.{decimal_places}f}",
        f"{(total or 0.0) + 0.0:.{decimal_places}f}",
        f"{(due or 0.0) + 0.0:.{decimal_places}f}",
        f"{(balance or 0.0) + 0.0:.{decimal_places}f}",
        note or None,
    ]
    message = f"pos_customer_ledger.v1|{previous_hash or ''}|{JSON_ENCODER.encode(canonical)}"
    return hashlib.sha256(message.encode()).hexdigest()


def _v1_sql(alias):
    """The hash of _v1_python computed by PostgreSQL from the row ``alias``, with
    its own hash_digits; its JSON escaping of text is the same as Python's."""
    values = []
    for name in V1_FIELDS:
        column = SQL.identifier(alias, name)
        if name in V1_AMOUNTS:
            value = SQL(
                "to_json(round(COALESCE(%s, 0), %s)::text)::text",
                column,
                SQL.identifier(alias, "hash_digits"),
            )
        elif name == "date":
            value = SQL("to_json(to_char(%s, 'YYYY-MM-DD HH24:MI:SS'))::text", column)
        elif name == "note":
            value = SQL("COALESCE(to_json(NULLIF(%s, '')), 'null')::text", column)
        elif name in ("name", "kind"):
            value = SQL("to_json(%s)::text", column)
        else:
            value = SQL("COALESCE(%s::text, 'null')", column)
        values.append(value)
    canonical = SQL("'[' || %s || ']'", SQL(" || ',' || ").join(values))
    message = SQL(
        "%s || COALESCE(%s, '') || '|' || %s",
        "pos_customer_ledger.v1|",
        SQL.identifier(alias, "previous_hash"),
        canonical,
    )
    return SQL("encode(sha256(convert_to(%s, 'UTF8')), 'hex')", message)


class HashVersion(NamedTuple):
    fields: tuple  # the entry fields the hash covers, in order
    python: object  # (content, previous_hash, decimal_places) -> hex digest
    sql: object  # (row alias) -> SQL of the same digest


VERSIONS = {1: HashVersion(V1_FIELDS, _v1_python, _v1_sql)}
CURRENT_VERSION = 1
# what a new entry's hash covers
HASHED_FIELDS = VERSIONS[CURRENT_VERSION].fields


def _version(version):
    if version not in VERSIONS:
        raise NotImplementedError(f"Unknown ledger hash version {version}")
    return VERSIONS[version]


def hash_content(content, previous_hash, decimal_places, version=CURRENT_VERSION):
    """The hash of an entry given as the values of its version's fields, in order."""
    return _version(version).python(content, previous_hash, decimal_places)


def entry_hash(values, version=CURRENT_VERSION):
    """The hash of an entry given as a dict of its hashed fields, previous_hash and hash_digits."""
    hashed = _version(version)
    return hashed.python(
        [values[name] for name in hashed.fields], values["previous_hash"], values["hash_digits"]
    )


def entry_hash_sql(alias="e", version=CURRENT_VERSION):
    """SQL computing the hash of ``version`` for the entry row ``alias``."""
    return _version(version).sql(alias)


def hash_matches_sql(alias="e"):
    """SQL true when the row ``alias`` holds the hash its own hash_version computes;
    false for a version this code does not know."""
    return SQL(
        "CASE %s %s ELSE FALSE END",
        SQL.identifier(alias, "hash_version"),
        SQL(" ").join(
            SQL(
                "WHEN %s THEN %s IS NOT DISTINCT FROM %s",
                version,
                SQL.identifier(alias, "entry_hash"),
                hashed.sql(alias),
            )
            for version, hashed in VERSIONS.items()
        ),
    )
