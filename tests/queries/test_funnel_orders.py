"""Strict-order and any-order funnels equal a brute-force reading of their definitions on random
event logs (both query forms of the any-order funnel), and the same on DuckDB and PySpark."""

from __future__ import annotations

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centric.queries.funnel import funnel_levels, funnel_users
from tests.queries.test_funnel import EVENTS, NAMES, SCHEMA, T0, as_frame, load_events, run_query


def strict_brute_force(rows: list[tuple[int, str, str]], steps: list[str], window: int) -> int:
    """rows: (time, name, event_id); steps 1..k must be k events in a row (by time, then event_id)."""
    events = [(t, name) for t, name, _ in sorted(rows, key=lambda r: (r[0], r[2]))]
    best = 0
    for i, (t0, name) in enumerate(events):
        if name != steps[0]:
            continue
        k = 1
        while k < len(steps) and i + k < len(events) and events[i + k][1] == steps[k] \
                and events[i + k][0] - t0 <= window:
            k += 1
        best = max(best, k)
    return best


def any_order_brute_force(rows, steps, window, exclusions=()) -> int:
    """The most distinct steps done in a window that starts at one of them, before the first
    exclusion after that start."""
    best = 0
    for t0, name in rows:
        if name not in steps:
            continue
        cut = min((t for t, n in rows if n in exclusions and t > t0), default=None)
        done = {n for t, n in rows if n in steps and t0 <= t <= t0 + window and (cut is None or t < cut)}
        best = max(best, len(done))
    return best


logs = st.dictionaries(
    st.sampled_from([f"u{i}" for i in range(5)]),
    st.lists(st.tuples(st.integers(0, 30), st.sampled_from(NAMES)), min_size=1, max_size=9),
    min_size=1, max_size=5,
)


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def _levels(con, log, steps, window, order, exclusions=(), strategy="join"):
    """funnel_users and funnel_levels on the log, each distinct query compiled once (test_funnel.compiled)."""
    load_events(con, as_frame(log))
    key = (tuple(steps), window, tuple(exclusions), strategy, order)
    got = run_query(con, ("users", *key), lambda: funnel_users(con.table(EVENTS), steps, window, tuple(exclusions),
                                                                strategy, order=order))
    bare = run_query(con, ("levels", *key), lambda: funnel_levels(con.table(EVENTS), steps, window,
                                                                  tuple(exclusions), strategy, order=order))
    assert sorted(bare["level"].astype(int)) == sorted(got["level"].astype(int))
    return got


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=logs, steps=st.lists(st.sampled_from(["A", "B", "C"]), min_size=2, max_size=4),
       window=st.integers(0, 20))
def test_strict_order_levels_equal_brute_force(con, log, steps, window):
    got = _levels(con, log, steps, window, "strict")
    levels = dict(zip(got["user"], got["level"].astype(int)))
    frame = as_frame(log)
    for user, rows in frame.groupby("customer_id"):
        seconds = (rows["occurred_at"] - T0).dt.total_seconds().astype(int)
        want = strict_brute_force(list(zip(seconds, rows["name"], rows["event_id"])), steps, window)
        assert levels.get(user, 0) == want, (user, rows)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=logs, steps=st.permutations(["A", "B", "C"]).map(list), size=st.integers(2, 3),
       window=st.integers(0, 20), exclusions=st.sampled_from([(), ("X",)]),
       strategy=st.sampled_from(["asof", "join"]))
def test_any_order_levels_equal_brute_force(con, log, steps, size, window, exclusions, strategy):
    steps = steps[:size]
    got = _levels(con, log, steps, window, "any", exclusions, strategy)
    levels = dict(zip(got["user"], got["level"].astype(int)))
    for user, rows in log.items():
        assert levels.get(user, 0) == any_order_brute_force(rows, steps, window, exclusions), (user, rows)
    for row in got.itertuples():  # the k-th step is reached at the k-th time, in order, within the window
        times = [row.start] + [getattr(row, f"t{j}") for j in range(1, row.level)]
        assert times == sorted(times) and (times[-1] - times[0]).total_seconds() <= window


def test_strict_order_stops_at_another_event(con):
    """ClickHouse's example: A -> B -> D -> C reaches level 2 of A, B, C in strict order, 3 in order."""
    log = {"u1": [(0, "A"), (1, "B"), (2, "X"), (3, "C")]}
    assert _levels(con, log, ["A", "B", "C"], 10, "strict")["level"].tolist() == [2]
    assert _levels(con, log, ["A", "B", "C"], 10, "ordered")["level"].tolist() == [3]
    assert _levels(con, log, ["C", "B", "A"], 10, "any")["level"].tolist() == [3]


def test_any_order_needs_distinct_steps(con):
    table = ibis.memtable(as_frame({"u1": [(0, "A")]}), schema=SCHEMA)
    with pytest.raises(ValueError, match="distinct"):
        funnel_users(table, ["A", "A"], 10, order="any")
    with pytest.raises(ValueError, match="unknown funnel order"):
        funnel_users(table, ["A", "B"], 10, order="sideways")


@pytest.mark.spark
def test_same_levels_on_duckdb_and_pyspark(con, tmp_path):
    import numpy as np

    from tests.queries.spark_events import spark_events

    rng = np.random.default_rng(2)
    log = {f"u{i}": [(int(t), str(n)) for t, n in zip(rng.integers(0, 200, 10), rng.choice(NAMES, 10))]
           for i in range(120)}
    with spark_events(as_frame(log), tmp_path, "centric-funnel-orders") as sp:
        table = sp.table("events")
        for steps, order, exclusions in ((["A", "B", "C"], "strict", ()), (["B", "A", "C"], "any", ("X",))):
            on_spark = sp.execute(funnel_users(table, steps, 60, exclusions, "join", order=order))
            want = _levels(con, log, steps, 60, order, exclusions, "asof" if order == "any" else "join")
            assert dict(zip(on_spark["user"], on_spark["level"].astype(int))) == \
                dict(zip(want["user"], want["level"].astype(int)))
