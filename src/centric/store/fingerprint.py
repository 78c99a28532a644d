"""What a table holds, in two numbers: its rows and a digest of its content.

Rule: the digest is the sum (as HUGEINT, so it never overflows) of DuckDB's hash of every whole row,
so it changes when a row is added, removed or any value of a row changes, and it does not depend on
the order rows were written in. Two tables with the same rows have the same digest; a different
content gives the same digest only by a 64-bit hash collision. One scan per table, no sort: it is
the cheap test an incremental `centric run` makes before deciding what to recompute
(services/run_ledger.py). Only identifiers go into the SQL text, through `ident`.
"""

from __future__ import annotations

from centric.store.sqltext import ident


def digest(con, table: str) -> list:
    """[rows, digest as a decimal string] of `table` ([0, "0"] when empty)."""
    rows, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM {ident(table)} AS t").fetchone()
    return [int(rows), str(total)]


def digests(con, tables) -> dict[str, list]:
    return {table: digest(con, table) for table in tables}


def digest_from(con, table: str, position: int) -> list:
    """[rows, digest] of the rows of `table` stored at or after `position` (DuckDB's rowid): with the
    whole table's digest, what was there before `position` is known without reading it again."""
    rows, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM {ident(table)} AS t WHERE rowid >= ?",
        [int(position)]).fetchone()
    return [int(rows), str(total)]


def end_position(con, table: str) -> int:
    """One past the highest rowid of `table` (0 when empty): rows appended later are stored from here."""
    return int(con.execute(f"SELECT coalesce(max(rowid), -1) + 1 FROM {ident(table)}").fetchone()[0])
