"""The erasure records and suppression: what remains of an erased person, and the door it closes.

Rule: an erased id is kept only as sha256(secret ':' id) (id_hash, HASH_SQL; the secret is
the workspace's, so the hashes cannot be checked against a list of known e-mails elsewhere). Any row
that arrives later carrying such an id is dropped before it is loaded or quarantined (quarantine
would keep the value) and only counted.
"""

from __future__ import annotations

import hashlib

from centric.store.sqltext import constant, ident

# The one rule for the form an id is hashed in, written twice: in Python (normalise, id_hash) and in
# SQL (HASH_SQL, over a text expression x; the secret is its bound parameter). Change both together.
# SQL's trim() takes off spaces only: it is given every character Python's str.strip() takes off.
_WHITESPACE = constant("".join(c for c in map(chr, range(0x3001)) if c.isspace()))
HASH_SQL = ("sha256(? || ':' || CASE WHEN contains({x}, '@') THEN lower(trim({x}, " + _WHITESPACE + ")) "
            "ELSE trim({x}, " + _WHITESPACE + ") END)")


def normalise(value: str) -> str:
    """The form an id is hashed in: trimmed, and lower-cased when it holds an @ (an e-mail)."""
    value = value.strip()
    return value.lower() if "@" in value else value


def id_hash(secret: str, value) -> str:
    """sha256 of 'secret:id' over the normalised id, as 64 hex digits: what HASH_SQL computes."""
    return hashlib.sha256(f"{secret}:{normalise(str(value))}".encode()).hexdigest()

# input table -> its columns that carry a person's id (and the order id lines are matched by)
SUPPRESSED_COLUMNS = ("customer_id", "user_id", "anonymous_id", "email", "order_id")


def has_erasures(con) -> bool:
    if getattr(con, "engine", None) == "spark":  # a Spark workspace's Store (store/spark_store.py)
        return con.has_rows("erasures")
    con = getattr(con, "con", con)  # a Store, or its connection
    return con.execute("SELECT EXISTS (SELECT 1 FROM erasures)").fetchone()[0]


def record(con, rows: list[tuple[str, str]], subject_hash: str, request_id: str | None) -> int:
    """Add (id_hash, id_kind) rows of one erasure; an id already recorded is not added twice."""
    con = getattr(con, "con", con)  # a Store, or its connection
    first: dict[str, str] = {}
    for hashed, kind in rows:
        first.setdefault(hashed, kind)
    if not first:
        return 0
    return con.execute(
        "INSERT INTO erasures SELECT h, k, ?, ?, now() AT TIME ZONE 'UTC' FROM "
        "(SELECT unnest(?::VARCHAR[]) AS h, unnest(?::VARCHAR[]) AS k) WHERE h NOT IN (SELECT id_hash FROM erasures)",
        [subject_hash, request_id, list(first), list(first.values())]).fetchone()[0]


def earlier(con, subject_hash: str) -> tuple | None:
    """(erased_at, request_id) of an earlier erasure of this subject, if any."""
    con = getattr(con, "con", con)  # a Store, or its connection
    return con.execute("SELECT min(erased_at), any_value(request_id) FROM erasures WHERE subject_hash = ? "
                       "HAVING count(*) > 0", [subject_hash]).fetchone()


def subject_of(con, id_hash: str) -> str | None:
    """The subject_hash of the erasure an id's hash belongs to."""
    con = getattr(con, "con", con)  # a Store, or its connection
    row = con.execute("SELECT any_value(subject_hash) FROM erasures WHERE id_hash = ?", [id_hash]).fetchone()
    return row[0] if row else None


def suppressed_hashes(con, hashes: list[str]) -> set[str]:
    """Which of these hashes are of erased ids."""
    con = getattr(con, "con", con)  # a Store, or its connection
    if not hashes:
        return set()
    return {r[0] for r in con.execute("SELECT id_hash FROM erasures WHERE list_contains(?::VARCHAR[], id_hash)",
                                      [hashes]).fetchall()}


def erased_condition(expressions: list[str], secret: str) -> tuple[str, list]:
    """A SQL condition (and its parameters) true when any of these text expressions, hashed with the
    secret, is an erased id. The expressions are centric's own SQL (columns, JSON paths), never values."""
    tests = [f"({x} IS NOT NULL AND {HASH_SQL.format(x=x)} IN (SELECT id_hash FROM erasures))" for x in expressions]
    return " OR ".join(tests), [secret] * len(tests)


def drop_erased_rows(con, table: str, expressions: list[str], secret: str) -> int:
    """Delete the rows of a staging table for which `erased_condition` holds; returns how many."""
    con = getattr(con, "con", con)  # a Store, or its connection
    if not expressions or not has_erasures(con):
        return 0
    condition, params = erased_condition(expressions, secret)
    return con.execute(f"DELETE FROM {ident(table)} WHERE {condition}", params).fetchone()[0]


def drop_suppressed(con, table: str, columns: list[str], secret: str) -> int:
    """Delete the rows of a staging table that carry an erased id in any of `columns`; returns how many."""
    checked = [f"CAST({ident(c)} AS VARCHAR)" for c in SUPPRESSED_COLUMNS if c in columns]
    return drop_erased_rows(con, table, checked, secret)


def all_hashes(con) -> set[str]:
    con = getattr(con, "con", con)  # a Store, or its connection
    return {r[0] for r in con.execute("SELECT id_hash FROM erasures").fetchall()}
