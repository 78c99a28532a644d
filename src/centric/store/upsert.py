"""Merge validated rows into a canonical table on its natural key.

Counts what happened to each row: inserted (new key), updated (key known, values differ) or
unchanged (key known, values equal), so that loading the same file twice changes nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from centric.schema import Table
from centric.store.sqltext import ident


@dataclass
class MergeCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: "MergeCounts") -> "MergeCounts":
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


def merge(con, table: Table, source: str, columns: list[str]) -> MergeCounts:
    """Upsert `source` (a table or view with `columns`, unique on the key) into `table`."""
    target = ident(table.name)
    cols = ", ".join(ident(c) for c in columns)
    if not con.execute(f"SELECT EXISTS (SELECT 1 FROM {target})").fetchone()[0]:
        n = con.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {source}").fetchone()[0]
        return MergeCounts(inserted=n)
    on = " AND ".join(f"t.{ident(k)} IS NOT DISTINCT FROM s.{ident(k)}" for k in table.key)
    same = " AND ".join(
        f"t.{ident(c)}::VARCHAR IS NOT DISTINCT FROM s.{ident(c)}::VARCHAR" if table.column(c).kind == "json"
        else f"t.{ident(c)} IS NOT DISTINCT FROM s.{ident(c)}"
        for c in columns if c not in table.key
    ) or "true"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _merge AS SELECT s.*, "
        f"CASE WHEN t._present IS NULL THEN 'insert' WHEN {same} THEN 'same' ELSE 'update' END AS _action "
        f"FROM {source} s LEFT JOIN (SELECT *, true AS _present FROM {target}) t ON {on} "
    )
    counts = dict(con.execute("SELECT _action, count(*) FROM _merge GROUP BY ALL").fetchall())
    if counts.get("update"):
        match = " AND ".join(f"{target}.{ident(k)} IS NOT DISTINCT FROM m.{ident(k)}" for k in table.key)
        con.execute(f"DELETE FROM {target} USING _merge m WHERE m._action = 'update' AND {match}")
    if counts.get("update") or counts.get("insert"):
        con.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM _merge WHERE _action <> 'same'")
    con.execute("DROP TABLE _merge")
    return MergeCounts(counts.get("insert", 0), counts.get("update", 0), counts.get("same", 0))
