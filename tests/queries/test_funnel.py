"""Funnel levels equal ClickHouse's windowFunnel (a port of its algorithm) and a brute-force search,
on random event logs, for both query forms; and the same on DuckDB and PySpark."""

from __future__ import annotations

import datetime as dt
import itertools

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centric.queries.funnel import funnel_levels, funnel_users, with_user_keys

T0 = dt.datetime(2026, 1, 1)
NAMES = ["A", "B", "C", "X"]


def clickhouse_window_funnel(rows: list[tuple[int, str]], steps: list[str], window: int) -> int:
    """Port of ClickHouse's AggregateFunctionWindowFunnel::getEventLevel, default mode.

    rows: (timestamp, event name) of one user. Each row adds (timestamp, i + 1) for every step i it
    matches; the list is sorted by (timestamp, step); a step-1 entry restarts the chain start;
    entry i extends level i - 1 when its time is within `window` of that level's chain start."""
    entries = sorted((t, i + 1) for t, name in rows for i, step in enumerate(steps) if name == step)
    if not entries:
        return 0
    levels: list[tuple[int, int] | None] = [None] * len(steps)
    for t, idx in entries:
        i = idx - 1
        if i == 0:
            levels[0] = (t, t)
        elif levels[i - 1] is not None:
            first = levels[i - 1][0]
            if t <= first + window:
                levels[i] = (first, t)
                if i + 1 == len(steps):
                    return len(steps)
    for k in range(len(steps), 0, -1):
        if levels[k - 1] is not None:
            return k
    return 0


def brute_force(rows: list[tuple[int, str]], steps: list[str], window: int, exclusions=()) -> int:
    """The deepest k with events of steps 1..k at non-decreasing times, the last within `window` of the
    first, and no exclusion event after the first and at or before the last."""
    times = {s: sorted(t for t, name in rows if name == s) for s in set(steps)}
    excluded = sorted(t for t, name in rows if name in exclusions)
    best = 0
    for k in range(1, len(steps) + 1):
        for chain in itertools.product(*(times[s] for s in steps[:k])):
            if all(a <= b for a, b in zip(chain, chain[1:])) and chain[-1] - chain[0] <= window \
                    and not any(chain[0] < x <= chain[-1] for x in excluded):
                best = k
                break
        if best < k:
            break
    return best


def as_frame(rows_by_user: dict[str, list[tuple[int, str]]]) -> pd.DataFrame:
    recs = [{"event_id": f"e{i}", "occurred_at": T0 + dt.timedelta(seconds=t), "customer_id": user,
             "anonymous_id": None, "name": name, "channel": "web"}
            for i, (user, t, name) in enumerate((u, t, n) for u, rows in rows_by_user.items() for t, n in rows)]
    frame = pd.DataFrame(recs, columns=["event_id", "occurred_at", "customer_id", "anonymous_id", "name", "channel"])
    return frame.astype({"customer_id": "string", "anonymous_id": "string", "name": "string", "channel": "string"})


SCHEMA = ibis.schema({"event_id": "string", "occurred_at": "timestamp", "customer_id": "string",
                      "anonymous_id": "string", "name": "string", "channel": "string"})


EVENTS = "funnel_events"  # the table that holds the log of the example at hand (load_events)
_COMPILED: dict = {}


def load_events(con, frame: pd.DataFrame, name: str = EVENTS) -> None:
    """frame as the table `name` (replacing the previous example's), with the events' schema."""
    con.create_table(name, ibis.memtable(frame, schema=SCHEMA), overwrite=True)


def compiled(con, key, build) -> str:
    """The DuckDB SQL of build(), an Ibis query on tables of fixed names, built and compiled once per key.

    Hypothesis draws the same funnel (steps, window, exclusions, strategy) for many logs (some 30
    distinct funnels in 120 examples), and building and compiling the Ibis query, not running it, was
    most of these tests' time: each distinct query is compiled once and run on every log it meets."""
    if key not in _COMPILED:
        _COMPILED[key] = ibis.to_sql(build(), dialect="duckdb")
    return _COMPILED[key]


def run_query(con, key, build) -> pd.DataFrame:
    """What con.execute(build()) returns, for the tables as loaded now (see compiled)."""
    return con.raw_sql(compiled(con, key, build)).df()


def levels(con, frame: pd.DataFrame, steps, window, exclusions=(), strategy="asof") -> dict[str, int]:
    """Each user's level from funnel_users; funnel_levels (no ids, numbers only) must give the same
    levels, user for user as a multiset."""
    load_events(con, frame)
    key = (tuple(steps), window, tuple(exclusions), strategy)
    got = run_query(con, ("users", *key), lambda: funnel_users(con.table(EVENTS), steps, window, tuple(exclusions),
                                                                strategy))
    bare = run_query(con, ("levels", *key), lambda: funnel_levels(con.table(EVENTS), steps, window,
                                                                  tuple(exclusions), strategy))
    assert sorted(bare["level"].astype(int)) == sorted(got["level"].astype(int))
    assert not bare["clash"].any()
    return dict(zip(got["user"], got["level"].astype(int)))


logs = st.dictionaries(
    st.sampled_from([f"u{i}" for i in range(6)]),
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from(NAMES)), min_size=1, max_size=9),
    min_size=1, max_size=6,
)
funnels = st.lists(st.sampled_from(["A", "B", "C"]), min_size=2, max_size=4)


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=logs, steps=funnels, window=st.integers(0, 25), strategy=st.sampled_from(["asof", "join"]))
def test_levels_equal_clickhouse_window_funnel_and_brute_force(con, log, steps, window, strategy):
    got = levels(con, as_frame(log), steps, window, strategy=strategy)
    for user, rows in log.items():
        want = clickhouse_window_funnel(rows, steps, window)
        assert want == brute_force(rows, steps, window)
        assert got.get(user, 0) == want, (user, rows)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=logs, steps=funnels, window=st.integers(0, 25), strategy=st.sampled_from(["asof", "join"]))
def test_exclusion_steps_cut_chains(con, log, steps, window, strategy):
    got = levels(con, as_frame(log), steps, window, exclusions=("X",), strategy=strategy)
    for user, rows in log.items():
        assert got.get(user, 0) == brute_force(rows, steps, window, exclusions=("X",)), (user, rows)


def test_counts_never_increase_along_the_steps(con):
    import numpy as np

    rng = np.random.default_rng(0)
    log = {f"u{i}": [(int(t), str(n)) for t, n in zip(rng.integers(0, 500, 12), rng.choice(NAMES, 12))]
           for i in range(300)}
    got = levels(con, as_frame(log), ["A", "B", "C"], 100)
    reached = [sum(level >= k for level in got.values()) for k in (1, 2, 3)]
    assert reached[0] >= reached[1] >= reached[2] > 0


@pytest.mark.spark
def test_same_levels_on_duckdb_and_pyspark(con, tmp_path):
    import numpy as np

    from tests.queries.spark_events import spark_events

    rng = np.random.default_rng(1)
    log = {f"u{i}": [(int(t), str(n)) for t, n in zip(rng.integers(0, 200, 10), rng.choice(NAMES, 10))]
           for i in range(120)}
    frame = as_frame(log)
    with spark_events(frame, tmp_path, "centric-funnel") as sp:
        table = sp.table("events")
        for steps, exclusions in ((["A", "B", "C"], ()), (["B", "A"], ("X",))):
            on_spark = sp.execute(funnel_users(table, steps, 60, exclusions, "join"))
            want = levels(con, frame, steps, 60, exclusions, "asof")
            assert dict(zip(on_spark["user"], on_spark["level"].astype(int))) == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=logs, steps=funnels, window=st.integers(0, 25), exclusions=st.sampled_from([(), ("X",)]))
def test_hash_clashes_are_detected_and_the_exact_key_is_right(con, log, steps, window, exclusions):
    """Fold every user onto one hash value: where that changes a match, clash must say so."""
    load_events(con, as_frame(log))
    key = (tuple(steps), window, exclusions)
    folded = run_query(con, ("folded", *key), lambda: funnel_users(con.table(EVENTS), steps, window, exclusions,
                                                                   key_buckets=1))
    folded_levels = run_query(con, ("folded levels", *key), lambda: funnel_levels(con.table(EVENTS), steps, window,
                                                                                  exclusions, key_buckets=1))
    exact = run_query(con, ("exact", *key), lambda: funnel_users(con.table(EVENTS), steps, window, exclusions,
                                                                 key="exact"))
    want = {u: brute_force(rows, steps, window, exclusions) for u, rows in log.items()}
    assert dict(zip(exact["user"], exact["level"].astype(int))) == {u: v for u, v in want.items() if v}
    if not folded["clash"].any():
        assert dict(zip(folded["user"], folded["level"].astype(int))) == {u: v for u, v in want.items() if v}
    if not folded_levels["clash"].any():
        assert sorted(folded_levels["level"].astype(int)) == sorted(v for v in want.values() if v)


def test_a_clash_is_flagged(con):
    frame = as_frame({"u1": [(0, "A")], "u2": [(1, "B")]})
    folded = con.execute(funnel_users(ibis.memtable(frame, schema=SCHEMA), ["A", "B"], 10, key_buckets=1))
    assert folded["clash"].any()  # u2's B met u1's A under one key: the guard sees it


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=logs, steps=funnels, window=st.integers(0, 25), exclusions=st.sampled_from([(), ("X",)]),
       anonymous=st.booleans())
def test_stored_user_keys_give_the_same_funnel(con, log, steps, window, exclusions, anonymous):
    """A table that stores the user's hashes (the dashboard's snapshot: with_user_keys) gives the same
    users, levels and chain times as hashing at query time, and its query hashes nothing."""
    frame = as_frame(log)
    if anonymous:  # visitors without a customer id: the user is "anon:" + anonymous_id
        frame["anonymous_id"], frame["customer_id"] = frame["customer_id"], pd.NA
    load_events(con, frame)
    stored = con.create_table("funnel_keyed", with_user_keys(con.table(EVENTS)), overwrite=True)
    key = (tuple(steps), window, exclusions)
    query = compiled(con, ("stored", *key), lambda: funnel_users(stored, steps, window, exclusions))
    assert "hash(" not in query.lower()
    cols = ["user", "level", "start", *[f"t{k}" for k in range(1, len(steps))]]
    want = run_query(con, ("users", *key, "asof"), lambda: funnel_users(con.table(EVENTS), steps, window, exclusions))
    want = want[cols].sort_values("user", ignore_index=True)
    got = con.raw_sql(query).df()[cols].sort_values("user", ignore_index=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert sorted(got["level"]) == sorted(run_query(con, ("stored levels", *key),
                                                    lambda: funnel_levels(stored, steps, window, exclusions))["level"])
