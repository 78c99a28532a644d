"""The identities table and its splits (the rule is in queries/identity.py).

`rebuild_identities` recomputes the whole table from events, customers and identity_splits in one
transaction: it is derived data, cheap to rebuild, so a merge or a split never leaves a stale row (on
DuckDB only the rows that differ are written: Store ChangedRows).
"""

from __future__ import annotations

import datetime as dt


def rebuild_identities(store) -> int:
    """Recompute `identities`; returns its rows. On DuckDB only the rows that changed are written (a day's
    events seldom link a new visitor: on the demo shop none of the 60,000 rows moved, and writing them
    whole, then checkpointing them, cost 0.25 s of CPU each run)."""
    from centric.queries.identity import identities
    from centric.store.connection import ChangedRows

    db = store.ibis()
    rows = identities(db.table("events"), db.table("customers"), db.table("identity_splits"))
    return store.replace_table("identities", ChangedRows(rows) if getattr(store, "engine", "duckdb") == "duckdb" else rows)


def links_between(store, anonymous_id: str, customer_id: str | None = None) -> list[tuple[str, int]]:
    """(customer_id, links) for every customer an anonymous id is linked to (or only `customer_id`)."""
    rows = store.con.execute(
        "SELECT customer_id, count(*) FROM events WHERE anonymous_id = ? AND customer_id IS NOT NULL "
        "AND (? IS NULL OR customer_id = ?) GROUP BY customer_id ORDER BY customer_id",
        [anonymous_id, customer_id, customer_id]).fetchall()
    return [(r[0], int(r[1])) for r in rows]


def record_split(store, anonymous_id: str, customer_id: str, note: str | None = None,
                 at: dt.datetime | None = None) -> None:
    with store.transaction() as con:
        con.execute("DELETE FROM identity_splits WHERE anonymous_id = ? AND customer_id = ?",
                    [anonymous_id, customer_id])
        con.execute("INSERT INTO identity_splits VALUES (?, ?, ?, ?)",
                    [anonymous_id, customer_id, at or dt.datetime.now(), note])


def remove_split(store, anonymous_id: str, customer_id: str) -> int:
    with store.transaction() as con:
        return con.execute("DELETE FROM identity_splits WHERE anonymous_id = ? AND customer_id = ?",
                           [anonymous_id, customer_id]).fetchone()[0]


def identities_of(store, any_id: str):
    """Every identities row of the customer that `any_id` (a customer id, anonymous id or e-mail)
    resolves to, as a DataFrame (empty when nothing matches)."""
    return store.query_df(
        "WITH who AS (SELECT DISTINCT customer_id FROM identities WHERE id_value = ? OR id_value = lower(trim(?))) "
        "SELECT i.* FROM identities i JOIN who USING (customer_id) ORDER BY i.customer_id, i.id_type, i.id_value, "
        "i.valid_from NULLS FIRST", [any_id, any_id])
