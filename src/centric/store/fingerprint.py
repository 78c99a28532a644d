"""What a table holds, in two numbers: its rows and a digest of its content.

Rule: the digest is the sum (as HUGEINT, so it never overflows) of DuckDB's hash of every whole row
(named by an alias no column of the table shadows: `row_alias`),
so it changes when a row is added, removed or any value of a row changes, and it does not depend on
the order rows were written in. Two tables with the same rows have the same digest; a different
content gives the same digest only by a 64-bit hash collision. One scan per table, no sort: it is
the cheap test an incremental `centric run` makes before deciding what to recompute
(services/run_ledger.py). Only identifiers go into the SQL text, through `ident`.
"""

from __future__ import annotations

from centric.store.sqltext import ident


def row_alias(con, table: str, database: str | None = None) -> str:
    """An alias for `table` that names its whole row in SQL (`hash(alias)`): "t" unless the table has a
    column of that name (DuckDB resolves a column first, case-insensitively: `hash(t)` over
    customer_summary, which has a column T, hashed that one column, not the row), then "t_", "t__"..."""
    where = "table_name = ?" + (" AND database_name = ?" if database else "")
    columns = {r[0].lower() for r in con.execute(f"SELECT column_name FROM duckdb_columns() WHERE {where}",
                                                  [table, *([database] if database else [])]).fetchall()}
    return _free_alias(columns)


def _free_alias(columns: set[str]) -> str:
    """"t", "t_", "t__"...: the first that is none of `columns` (lower case)."""
    alias = "t"
    while alias in columns:
        alias += "_"
    return alias


def _aliases(con, tables) -> dict[str, str]:
    """`row_alias` of several tables from one catalog query."""
    columns: dict[str, set] = {table: set() for table in tables}
    found = con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE list_contains(?, table_name)",
                        [list(tables)]).fetchall()
    for table, column in found:
        columns[table].add(column.lower())
    return {table: _free_alias(names) for table, names in columns.items()}


def digest(con, table: str, row: str | None = None) -> list:
    """[rows, digest as a decimal string] of `table` ([0, "0"] when empty); `row`: its `row_alias`."""
    row = row or row_alias(con, table)
    rows, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash({row})::HUGEINT), 0)::VARCHAR FROM {ident(table)} AS {row}").fetchone()
    return [int(rows), str(total)]


def digests(con, tables) -> dict[str, list]:
    aliases = _aliases(con, tables)
    return {table: digest(con, table, aliases[table]) for table in tables}


def digest_from(con, table: str, position: int) -> list:
    """[rows, digest] of the rows of `table` stored at or after `position` (DuckDB's rowid): with the
    whole table's digest, what was there before `position` is known without reading it again."""
    row = row_alias(con, table)
    rows, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash({row})::HUGEINT), 0)::VARCHAR FROM {ident(table)} AS {row} "
        "WHERE rowid >= ?", [int(position)]).fetchone()
    return [int(rows), str(total)]


def end_position(con, table: str) -> int:
    """One past the highest rowid of `table` (0 when empty): rows appended later are stored from here."""
    return int(con.execute(f"SELECT coalesce(max(rowid), -1) + 1 FROM {ident(table)}").fetchone()[0])
