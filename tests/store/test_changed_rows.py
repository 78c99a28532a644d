"""Store.replace_tables with a ChangedRows value (store/connection.py): the table ends up holding exactly
the expression's rows, as a whole replace gives, while only the rows that differ are deleted and inserted.

Rules under test: random old and new contents (NULLs, lists, duplicate rows, values cast to the table's
types) end equal to a whole replace as multisets; unchanged rows keep their place (nothing is written when
nothing changed); the write is all or nothing with the other tables of the same call.
"""

from __future__ import annotations

import random

import ibis
import pandas as pd
import pytest

from centric.store.connection import ChangedRows, Store


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "c.duckdb") as s:
        # a column named T, as customer_summary has: the row's alias in SQL must not be shadowed by it
        s.con.execute('CREATE TABLE t (k VARCHAR, n BIGINT, "T" DOUBLE, tags VARCHAR[])')
        s.con.execute('CREATE TABLE src (k VARCHAR, n INTEGER, "T" DOUBLE, tags VARCHAR[])')
        yield s


def _rows(rng: random.Random, n: int) -> list[tuple]:
    pool = [(f"k{rng.randrange(6)}", rng.choice([None, 1, 2, 3]), rng.choice([None, 0.5, 1.5]),
             rng.choice([None, [], ["a"], ["a", "b"]])) for _ in range(8)]
    return [rng.choice(pool) for _ in range(n)]  # drawn from a small pool: duplicates happen


def _fill(store, table: str, rows) -> None:
    store.con.execute(f"DELETE FROM {table}")
    if rows:
        store.con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", rows)


def _content(store, table: str) -> list:
    return sorted(map(repr, store.con.execute(f"SELECT * FROM {table}").fetchall()))


@pytest.mark.parametrize("seed", range(10))
def test_changed_rows_end_as_a_whole_replace(store, seed):
    rng = random.Random(seed)
    _fill(store, "t", _rows(rng, rng.randrange(0, 15)))
    _fill(store, "src", _rows(rng, rng.randrange(0, 15)))
    store.replace_table("t", ChangedRows(store.ibis().table("src")))
    got = _content(store, "t")
    store.replace_table("t", store.ibis().table("src"))  # the whole replace
    assert got == _content(store, "t")


def test_only_the_rows_that_differ_are_written(store):
    _fill(store, "src", [("a", 1, 0.5, ["x"]), ("b", 2, None, None), ("b", 2, None, None)])
    store.replace_table("t", store.ibis().table("src"))
    place = dict(store.con.execute("SELECT k || n::VARCHAR, rowid FROM t WHERE k = 'a'").fetchall())
    store.replace_table("t", ChangedRows(store.ibis().table("src")))
    assert store.con.execute("SELECT max(rowid) FROM t").fetchone()[0] == 2  # nothing deleted or appended
    _fill(store, "src", [("a", 1, 0.5, ["x"]), ("b", 2, None, None), ("c", 3, 1.5, [])])
    store.replace_table("t", ChangedRows(store.ibis().table("src")))
    assert dict(store.con.execute("SELECT k || n::VARCHAR, rowid FROM t WHERE k = 'a'").fetchall()) == place
    assert _content(store, "t") == sorted(map(repr, [("a", 1, 0.5, ["x"]), ("b", 2, None, None), ("c", 3, 1.5, [])]))


def test_a_row_differing_only_outside_column_t_is_rewritten(store):
    _fill(store, "t", [("a", 1, 0.5, ["x"])])
    _fill(store, "src", [("a", 2, 0.5, ["x"])])
    store.replace_table("t", ChangedRows(store.ibis().table("src")))
    assert _content(store, "t") == [repr(("a", 2, 0.5, ["x"]))]


def test_the_digest_reads_the_whole_row_of_a_table_with_a_column_t(store):
    from centric.store.fingerprint import digest

    _fill(store, "t", [("a", 1, 0.5, ["x"])])
    before = digest(store.con, "t")
    store.con.execute("UPDATE t SET n = 2")  # T unchanged
    assert digest(store.con, "t") != before


def test_a_failing_write_leaves_every_table_as_it_was(store):
    _fill(store, "t", [("a", 1, 0.5, ["x"])])
    before = _content(store, "t")
    bad = ibis.memtable(pd.DataFrame({"k": ["z"], "n": [1], "T": [1.0], "tags": [["q"]]}))
    with pytest.raises(Exception):
        store.replace_tables({"t": ChangedRows(bad), "no_such_table": store.ibis().table("src")})
    assert _content(store, "t") == before
