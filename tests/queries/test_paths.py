"""Event paths equal a brute-force reading of visits on random event logs: visits split at gaps
longer than the timeout, back-to-back repeats collapsed, the first steps counted."""

from __future__ import annotations

from collections import Counter

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centric.queries.paths import path_edges, top_paths
from tests.queries.test_funnel import EVENTS, SCHEMA, as_frame, load_events, run_query


def brute_force(frame, gap_seconds: int, depth: int):
    """Each customer's events in time order (event id breaks ties), read one by one: a new visit after a
    gap longer than gap_seconds, a repeat of the previous event name dropped, the first depth steps
    counted. One sort of the whole log, then one pass (a sort per customer made it minutes on the demo)."""
    edges, paths = Counter(), Counter()

    def count(visits):
        for visit in visits:
            visit = visit[:depth]
            paths[" > ".join(visit)] += 1
            for k, (a, b) in enumerate(zip(visit, visit[1:]), start=1):
                edges[(k, a, b)] += 1

    rows = frame[frame["customer_id"].notna()].sort_values(["customer_id", "occurred_at", "event_id"])
    visits, last, who = [], None, None
    for customer, at, name in zip(rows["customer_id"].tolist(), rows["occurred_at"].tolist(), rows["name"].tolist()):
        if customer != who:
            count(visits)
            visits, last, who = [], None, customer
        if last is None or (at - last).total_seconds() > gap_seconds:
            visits.append([])
        if not visits[-1] or visits[-1][-1] != name:
            visits[-1].append(name)
        last = at
    count(visits)
    return edges, paths


logs = st.dictionaries(
    st.sampled_from([f"u{i}" for i in range(5)]),
    st.lists(st.tuples(st.integers(0, 400), st.sampled_from(["A", "B", "C"])), min_size=1, max_size=12),
    min_size=1, max_size=5,
)


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=logs, depth=st.integers(2, 4))
def test_edges_and_paths_equal_a_brute_force_reading(con, log, depth):
    frame = as_frame(log)
    load_events(con, frame)  # each distinct query compiled once (tests/queries/test_funnel.py: compiled)
    want_edges, want_paths = brute_force(frame, 60, depth)
    got = run_query(con, ("path_edges", depth), lambda: path_edges(con.table(EVENTS), gap_minutes=1, depth=depth))
    assert {(int(r.step), r.source, r.target): int(r.sessions) for r in got.itertuples()} == dict(want_edges)
    paths = run_query(con, ("top_paths", depth), lambda: top_paths(con.table(EVENTS), gap_minutes=1, depth=depth,
                                                                   limit=1000))
    assert dict(zip(paths["path"], paths["sessions"].astype(int))) == dict(want_paths)
    assert paths["share"].sum() == pytest.approx(1.0)


def test_a_visit_ends_after_the_timeout(con):
    log = {"u1": [(0, "A"), (30, "A"), (59, "B"), (200, "C"), (230, "A")]}
    table = ibis.memtable(as_frame(log), schema=SCHEMA)
    paths = con.execute(top_paths(table, gap_minutes=1))
    assert sorted(paths["path"]) == ["A > B", "C > A"]


@pytest.mark.spark
def test_same_edges_on_duckdb_and_pyspark(con, tmp_path):
    import numpy as np

    from tests.queries.spark_events import spark_events

    rng = np.random.default_rng(3)
    log = {f"u{i}": [(int(t), str(n)) for t, n in zip(rng.integers(0, 3000, 12), rng.choice(["A", "B", "C"], 12))]
           for i in range(60)}
    frame = as_frame(log)
    with spark_events(frame, tmp_path, "centric-paths") as sp:
        on_spark = sp.execute(path_edges(sp.table("events"), gap_minutes=5))
    here = con.execute(path_edges(ibis.memtable(frame, schema=SCHEMA), gap_minutes=5))
    key = ["step", "source", "target"]
    assert on_spark.sort_values(key).reset_index(drop=True)[[*key, "sessions"]].astype(str).equals(
        here.sort_values(key).reset_index(drop=True)[[*key, "sessions"]].astype(str))
