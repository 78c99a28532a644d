"""What an incremental publish of the read snapshot needs from the workspace database: the rows
appended to a table since the last publish, the customers whose consent records changed since it,
and a patch of one snapshot table (store/snapshot.py applies it inside its atomic publish).

Rules:
- Rows appended since the last publish are those stored at or after the position (DuckDB's rowid)
  the table ended at then. That they are the only change is proved, not assumed: the table's digest
  now (store/fingerprint.py, the run ledger's) minus the digest of the rows from that position must
  equal the digest recorded at the last publish, with the row counts likewise; an update, a
  deletion (an erasure) or a rewrite fails the test and the caller publishes the table whole.
- The consent changes are the customers with a consents row in the workspace and not in the
  published snapshot's copy, or the other way round (rows compared whole); none when the consents'
  digest equals the one recorded when that copy was published.
- Staged key sets are TEMP tables of this connection (the Ibis backend reads them by name); a patch
  deletes the snapshot rows whose key column is in a staged set and inserts the patch's rows.
Only identifiers go into SQL text, through `ident`; values are bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from centric.store.fingerprint import digest_from, end_position
from centric.store.snapshot import snapshot_path
from centric.store.sqltext import constant, ident


@dataclass
class Patch:
    """Replace a snapshot table's rows named by `keys` (column -> staged TEMP table holding that column)
    with `rows` (an Ibis expression over the store's tables giving the new rows for those keys)."""

    rows: object
    keys: dict

    def apply(self, con, table_sql: str, rows_sql: str) -> None:
        where = " OR ".join(f"{ident(column)} IN (SELECT {ident(column)} FROM {ident(staged)})"
                            for column, staged in self.keys.items())
        con.execute(f"DELETE FROM {table_sql} WHERE {where}")
        con.execute(f"INSERT INTO {table_sql} BY NAME {rows_sql}")


def end_of(store, table: str) -> int:
    """Where rows appended to `table` from now on will be stored (one past its highest rowid)."""
    return end_position(store.con, table)


def only_appended(store, table: str, before: dict | None, now: list) -> bool:
    """Whether `table` (whose [rows, digest] is `now`) holds exactly what it held at `before`
    ({"rows", "digest", "end"}, recorded at the last publish) plus rows stored from `before["end"]`."""
    if not before or "end" not in before:
        return False
    rows, total = digest_from(store.con, table, before["end"])
    return now[0] - rows == int(before["rows"]) and int(now[1]) - int(total) == int(before["digest"])


def stage_appended(store, name: str, table: str, position: int) -> None:
    """TEMP table `name`: the rows of `table` stored at or after `position`."""
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS SELECT * FROM {ident(table)} WHERE rowid >= ?",
                      [int(position)])


def stage_appended_keys(store, name: str, column: str, positions: dict) -> None:
    """TEMP table `name` (`column`): the distinct values of `column` in the rows of each table of
    `positions` ({table: position}) stored at or after its position."""
    parts = " UNION ".join(f"SELECT {ident(column)} FROM {ident(table)} WHERE rowid >= ?" for table in positions)
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS {parts}", [int(p) for p in positions.values()])


def stage(store, name: str, expr) -> None:
    """TEMP table `name` holding the result of an Ibis expression over the store's tables."""
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS {store.ibis().compile(expr)}")


def stage_consent_changes(store, workspace, name: str, unchanged: bool = False) -> bool:
    """TEMP table `name` (customer_id): customers whose consents rows differ between the workspace and
    the published snapshot. False (nothing staged) when the snapshot's copy cannot be compared.
    `unchanged`: the caller proved the consents equal to the published copy (the digest recorded at the
    last publish): the set is empty, staged without reading either copy."""
    import duckdb

    con = store.con
    if unchanged:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS SELECT DISTINCT customer_id FROM main.consents "
                    "LIMIT 0")
        return True
    con.execute(f"ATTACH {constant(str(snapshot_path(workspace)))} AS centric_published (READ_ONLY)")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS SELECT DISTINCT customer_id FROM ("
            "(SELECT * FROM main.consents EXCEPT ALL SELECT * FROM centric_published.main.consents) UNION ALL "
            "(SELECT * FROM centric_published.main.consents EXCEPT ALL SELECT * FROM main.consents))")
        return True
    except duckdb.Error:  # the published copy lacks the table or has other columns (an older centric)
        return False
    finally:
        con.execute("DETACH centric_published")


def drop_staged(store, names) -> None:
    for name in names:
        store.con.execute(f"DROP TABLE IF EXISTS temp.main.{ident(name)}")
