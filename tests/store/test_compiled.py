"""The Store's Ibis backend compiles each distinct expression once per process (store/compiled.py).

Rules under test: an expression built again (on the same Store or another one over the same file) is
served from the cache and gives the same result; a table recreated with another schema (other columns,
or another type) is compiled again and read right, never through the old SQL; expressions over
in-memory tables are not kept; the cache stays within its bound; parameters are part of the key.
"""

from __future__ import annotations

import ibis
import pytest

from centric.store import compiled
from centric.store.connection import Store


@pytest.fixture
def store(tmp_path):
    compiled.clear()
    with Store(tmp_path / "c.duckdb") as s:
        s.con.execute("CREATE TABLE t (a INTEGER)")
        s.con.execute("INSERT INTO t VALUES (1), (2), (3)")
        yield s


def _delta(before: dict) -> dict:
    now = compiled.compile_counts()
    return {k: now[k] - before[k] for k in now}


def _query(db):
    t = db.table("t")
    return t.filter(t.a > 1).order_by("a")


def test_an_expression_built_again_is_compiled_once(store, tmp_path):
    before = compiled.compile_counts()
    first = store.ibis().execute(_query(store.ibis()))
    again = store.ibis().execute(_query(store.ibis()))  # a new expression object, equal in structure
    assert _delta(before) == {"compiled": 1, "reused": 1, "loaded": 0}
    assert first.equals(again) and list(first["a"]) == [2, 3]
    # another Store over the same file (a new run) finds it too
    store.close()
    with Store(tmp_path / "c.duckdb") as other:
        assert list(other.ibis().execute(_query(other.ibis()))["a"]) == [2, 3]
    assert _delta(before) == {"compiled": 1, "reused": 2, "loaded": 0}
    store.con = store._connect(again=True)  # the fixture closes it


def test_a_table_recreated_with_another_schema_is_compiled_again(store):
    db = store.ibis()
    assert list(db.execute(db.table("t")).columns) == ["a"]
    store.con.execute("DROP TABLE t")
    store.con.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
    store.con.execute("INSERT INTO t VALUES (7, 'x')")
    before = compiled.compile_counts()
    rows = db.execute(db.table("t"))  # stale SQL would select column a only
    assert list(rows.columns) == ["a", "b"] and rows.iloc[0].tolist() == [7, "x"]
    assert _delta(before)["compiled"] == 1
    # the same column name with another type: the new type's SQL (a length of text, not of a number)
    store.con.execute("DROP TABLE t")
    store.con.execute("CREATE TABLE t (a VARCHAR)")
    store.con.execute("INSERT INTO t VALUES ('hello')")
    t = db.table("t")
    assert db.execute(t.select(n=t.a.length()))["n"].tolist() == [5]


def test_store_writes_use_the_cache_and_stay_right(store):
    store.con.execute("CREATE TABLE out (a INTEGER)")
    before = compiled.compile_counts()
    store.replace_table("out", _query(store.ibis()))
    store.replace_table("out", _query(store.ibis()))
    assert _delta(before) == {"compiled": 1, "reused": 1, "loaded": 0}
    assert store.count("out") == 2


def test_memtables_are_not_kept(store):
    import pandas as pd

    before = compiled.compile_counts()
    for values in ([1], [1]):
        mem = ibis.memtable(pd.DataFrame({"a": values}))
        assert store.ibis().execute(mem.join(store.ibis().table("t"), "a"))["a"].tolist() == [1]
    assert _delta(before) == {"compiled": 2, "reused": 0, "loaded": 0}
    assert len(compiled._sql) == 0


def test_parameters_are_part_of_the_key(store):
    db = store.ibis()
    t = db.table("t")
    low = ibis.param("int64")
    expr = t.filter(t.a > low).a.sum()
    assert db.execute(expr, params={low: 1}) == 5
    assert db.execute(expr, params={low: 2}) == 3
    assert db.execute(expr, params={low: 1}) == 5


def test_the_cache_is_bounded(store, monkeypatch):
    monkeypatch.setattr(compiled, "MAX_ENTRIES", 3)
    t = store.ibis().table("t")
    for n in range(6):
        assert store.ibis().execute(t.filter(t.a > n).count()) == max(0, 3 - n)
    assert len(compiled._sql) == 3
    before = compiled.compile_counts()
    store.ibis().execute(t.filter(t.a > 5).count())  # the most recent is still kept
    store.ibis().execute(t.filter(t.a > 0).count())  # the oldest is not
    assert _delta(before) == {"compiled": 1, "reused": 1, "loaded": 0}


def test_a_moment_keeps_the_sql_across_values_and_reads_like_a_literal(store):
    """`Store.moment`: a query over a bound point in time compiles once for every value (the observation
    end moves each day), reads what the same query over a literal reads, and is still bound after the
    Store reopened its connection (`released`)."""
    import datetime as dt

    from centric.queries.customer_summary import customer_summary

    store.con.execute("INSERT INTO orders (order_id, customer_id, ordered_at, status, currency, total, "
                      "merchandise, returned, net_merchandise) VALUES "
                      "('o1', 'c1', '2024-01-01 10:00', 'completed', 'EUR', 10, 10, 0, 10), "
                      "('o2', 'c1', '2024-02-01 10:00', 'completed', 'EUR', 20, 20, 0, 20), "
                      "('o3', 'c2', '2024-03-01 10:00', 'completed', 'EUR', 5, 5, 0, 5)")
    db = store.ibis()
    before = compiled.compile_counts()
    for end in (dt.datetime(2024, 2, 15), dt.datetime(2024, 3, 5, 12), dt.datetime(2024, 6, 1)):
        bound = db.execute(customer_summary(db.table("orders"), store.moment("end", end)).order_by("customer_id"))
        literal = db.execute(customer_summary(db.table("orders"), end).order_by("customer_id"))
        assert bound.equals(literal) and (bound["observed_until"] == end).all()
    assert _delta(before)["compiled"] == 1 + 3  # the bound query once; the literal one per value
    at = store.moment("end", dt.datetime(2024, 2, 15))
    with store.released():
        pass
    rows = store.ibis().execute(customer_summary(store.ibis().table("orders"), at))
    assert rows["customer_id"].tolist() == ["c1"] and rows["T"].tolist() == [45.0]


# --- kept across processes (compiled.persisted) -------------------------------------------------------


def _digest(store, expr, limit=None, params=None):
    return compiled._persisted_digest(store.ibis(), expr, limit, params, False)


def test_the_digest_is_the_same_in_another_process(store, tmp_path):
    """Python's hash differs per process (PYTHONHASHSEED); the digest must not."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import datetime as dt, ibis
        from centric.store import compiled
        from centric.store.connection import Store
        with Store({str(tmp_path / "c.duckdb")!r}) as s:
            t = s.ibis().table("t")
            e = t.filter((t.a > 1) & (ibis.literal(dt.datetime(2024, 1, 2, 3)) < s.moment("end", None))).order_by("a")
            print(compiled._persisted_digest(s.ibis(), e, 7, None, False))
    """)
    store.close()
    seen = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**__import__("os").environ, "PYTHONHASHSEED": seed}).stdout.strip()
            for seed in ("1", "2")}
    assert len(seen) == 1 and len(seen.pop()) == 64


def test_the_digest_tells_apart_what_changes_the_sql(store):
    import datetime as dt

    store.con.execute("CREATE TABLE u (a BIGINT)")
    db = store.ibis()
    t, u = db.table("t"), db.table("u")
    variants = [t.filter(t.a > 1), t.filter(t.a > 1.0), t.filter(t.a > ibis.literal(1, "int64")),
                u.filter(u.a > 1),  # same name and column, another type
                t.filter(t.a > 2), t.filter(t.a >= 1), t.filter(t.a > 1).select("a"),
                t.filter(t.a.cast("timestamp") < dt.datetime(2024, 1, 1)),
                t.filter(t.a.cast("timestamp") < dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)),
                t.filter(t.a.cast("timestamp") < store.moment("one", None)),
                t.filter(t.a.cast("timestamp") < store.moment("two", None))]
    digests = [_digest(store, e) for e in variants]
    assert None not in digests and len(set(digests)) == len(digests)
    assert _digest(store, variants[0], limit=5) not in digests
    # built again: the same digest; an in-memory table: none
    assert _digest(store, db.table("t").filter(db.table("t").a > 1)) == digests[0]
    assert _digest(store, ibis.memtable({"a": [1]}).count()) is None


def test_a_run_in_a_new_process_reads_the_sql_the_last_one_kept(store, tmp_path):
    """Within `persisted`, what the process has not compiled is read from the file (same SQL as a compile),
    new compiles are added to it, and the file keeps what was used first."""
    import json
    import os

    from ibis.backends.duckdb import Backend

    path = tmp_path / compiled.PERSISTED_FILE
    db = store.ibis()
    t = db.table("t")
    queries = [t.filter(t.a > n).order_by("a") for n in range(3)]
    with compiled.persisted(path):
        first = [db.execute(q) for q in queries[:2]]
    saved = json.loads(path.read_text())
    assert len(saved["entries"]) == 2 and os.stat(path).st_mode & 0o777 == 0o600
    compiled.clear()  # as a new process finds it
    before = compiled.compile_counts()
    with compiled.persisted(path):
        again = [db.execute(q) for q in queries]
    assert _delta(before) == {"compiled": 1, "reused": 0, "loaded": 2}
    assert all(a.equals(b) for a, b in zip(first, again))
    for q in queries:  # what the file holds is what Ibis compiles
        digest = _digest(store, q)
        assert json.loads(path.read_text())["entries"][digest] == Backend.compile(db, q)
    # a file of another Ibis version, or not JSON, is ignored (compiled again, then written over)
    path.write_text(json.dumps({**saved, "ibis": "0.0"}))
    compiled.clear()
    before = compiled.compile_counts()
    with compiled.persisted(path):
        db.execute(queries[0])
    path.write_text("{not json")
    compiled.clear()
    with compiled.persisted(path):
        db.execute(queries[0])
    assert _delta(before)["loaded"] == 0 and _delta(before)["compiled"] == 2
    assert list(json.loads(path.read_text())["entries"]) == [_digest(store, queries[0])]


def test_an_erasure_during_a_run_keeps_the_file_from_being_written_back(store, tmp_path):
    """An erasure requested over the API runs inside `centric run` (the privacy_requests step): the file
    it removes must not come back at the end of the run, with what was read or compiled before."""
    import threading

    path = tmp_path / compiled.PERSISTED_FILE
    t = store.ibis().table("t")
    with compiled.persisted(path):
        store.ibis().execute(t.filter(t.a > 1).count())
    assert path.exists()
    compiled.clear()
    with compiled.persisted(path):
        store.ibis().execute(t.filter(t.a > 1).count())
        store.ibis().execute(t.filter(t.a > 2).count())  # new: the file would be rewritten
        eraser = threading.Thread(target=compiled.forget_persisted, args=(path,))  # from another thread
        eraser.start()
        eraser.join()
        assert not path.exists()
        store.ibis().execute(t.filter(t.a > 3).count())
    assert not path.exists()


def test_runs_in_two_threads_keep_their_own_files(tmp_path):
    import json
    import threading

    compiled.clear()
    files = {name: tmp_path / f"{name}.json" for name in ("a", "b")}
    barrier = threading.Barrier(2)

    def run(name: str, bound: int):
        with Store(tmp_path / f"{name}.duckdb") as s:
            s.con.execute("CREATE TABLE t (a INTEGER)")
            t = s.ibis().table("t")
            with compiled.persisted(files[name]):
                barrier.wait()  # both contexts open at once
                s.ibis().execute(t.filter(t.a > bound).count())
                barrier.wait()

    threads = [threading.Thread(target=run, args=("a", 101)), threading.Thread(target=run, args=("b", 202))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = {name: " ".join(json.loads(path.read_text())["entries"].values()) for name, path in files.items()}
    assert "101" in texts["a"] and "202" not in texts["a"]
    assert "202" in texts["b"] and "101" not in texts["b"]


def test_a_file_others_can_write_is_not_read(store, tmp_path):
    import os

    path = tmp_path / compiled.PERSISTED_FILE
    t = store.ibis().table("t")
    with compiled.persisted(path):
        store.ibis().execute(t.filter(t.a > 1).count())
    os.chmod(path, 0o666)
    compiled.clear()
    before = compiled.compile_counts()
    with compiled.persisted(path):
        store.ibis().execute(t.filter(t.a > 1).count())
    assert _delta(before)["loaded"] == 0 and _delta(before)["compiled"] == 1
    assert os.stat(path).st_mode & 0o777 == 0o600  # written again, private
