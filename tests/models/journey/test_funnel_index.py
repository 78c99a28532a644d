"""The in-memory funnel (models/journey/funnel_index.py) gives what queries/funnel.py's funnel_users
gives on DuckDB, user for user (level, chosen chain's start and step times, its first channel) and so
the same funnel table (counts, conversions, median and p90 times, per channel), for the three orders,
on random event logs with ties, anonymous visitors and filters that drop events. Each case is
hundreds of independent small logs (users) in one query: the SQL form costs a second or two to
compile and run, whatever the size."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from centric.models.journey.funnel import funnel_table
from centric.models.journey.funnel_index import event_mask, funnel_arrays, funnel_rows, index_of_text
from centric.models.journey.funnel_index import funnel_users as fast_users
from centric.queries.funnel import funnel_users, with_user_keys

T0 = dt.datetime(2026, 1, 1)
EPOCH = dt.datetime(1970, 1, 1)
NAMES = ["A", "B", "C", "X"]
CHANNELS = ["web", "app", None]
SCHEMA = ibis.schema({"event_id": "string", "occurred_at": "timestamp", "customer_id": "string",
                      "anonymous_id": "string", "name": "string", "channel": "string"})


def frame_of(log: dict, unique_times: bool) -> pd.DataFrame:
    """Events of log {user: [(second, name)]}; users named "v.." are anonymous visitors. A user's
    events at one time share a channel (the SQL form picks any of equal starts: a tie must not show)."""
    recs = []
    for user, rows in log.items():
        if unique_times:
            rows = list({t: (t, n) for t, n in rows}.values())
        for t, name in rows:
            recs.append({"occurred_at": T0 + dt.timedelta(seconds=t, microseconds=7 * t),
                         "customer_id": None if user.startswith("v") else user,
                         "anonymous_id": user if user.startswith("v") else None, "name": name,
                         "channel": CHANNELS[(sum(map(ord, user)) + t) % 3]})
    frame = pd.DataFrame(recs, columns=["occurred_at", "customer_id", "anonymous_id", "name", "channel"])
    frame = frame.sample(frac=1, random_state=len(recs)).reset_index(drop=True)  # ids not in time order
    frame.insert(0, "event_id", [f"e{i:03d}" for i in range(len(frame))])
    return frame.astype({"customer_id": "string", "anonymous_id": "string", "name": "string", "channel": "object"})


def index_of(frame: pd.DataFrame):
    """The index as the service builds it: events sorted by (user, time, event_id)."""
    f = frame.assign(user=frame["customer_id"].fillna("anon:" + frame["anonymous_id"]))
    f = f.sort_values(["user", "occurred_at", "event_id"], kind="stable")
    ts = ((f["occurred_at"] - EPOCH) // pd.Timedelta(microseconds=1)).to_numpy(np.int64)
    return index_of_text(f["user"].to_numpy(object), ts, f["name"].to_numpy(object),
                       f["channel"].to_numpy(object), f["customer_id"].notna().to_numpy())


def columns(users: pd.DataFrame, n: int) -> list[dict]:
    """Per user: level, channel, start and the step times that count (t1..t{level-1})."""
    out = []
    for row in users.to_dict("records"):
        level = int(row["level"])
        channel = None if pd.isna(row["channel"]) else row["channel"]
        out.append({"user": row["user"], "level": level, "channel": channel,
                    "start": pd.Timestamp(row["start"]),
                    **{f"t{j}": pd.Timestamp(row[f"t{j}"]) for j in range(1, min(level, n))}})
    return sorted(out, key=lambda r: r["user"])


def compare(con, frame, steps, window, order, keep=None):
    """The SQL form on `frame` (cut by `keep`, a bool per event) against the index with the same cut."""
    kept = frame if keep is None else frame[keep]
    table = con.create_table("funnel_events", with_user_keys(ibis.memtable(kept, schema=SCHEMA)), overwrite=True)
    want = con.to_pyarrow(funnel_users(table, steps, window, (), "asof", key="exact", order=order)).to_pandas()
    index = index_of(frame)
    mask = None
    if keep is not None:  # the same cut, expressed on the index's order
        order_of = frame.assign(user=frame["customer_id"].fillna("anon:" + frame["anonymous_id"])) \
            .sort_values(["user", "occurred_at", "event_id"], kind="stable").index
        mask = np.asarray(keep)[order_of]
    got = fast_users(index, steps, window, order, mask)
    got["user"] = index.users[got["user"].to_numpy()]
    n = len(steps)
    assert columns(got, n) == columns(want, n)
    found = funnel_arrays(index, steps, window, order, mask)
    for by in (None, "channel"):  # the table's rows, made without a data frame, are funnel_table's to the bit
        table = funnel_table(want, steps, by, order=order).to_dict(orient="records")
        table = [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()} for row in table]
        assert funnel_rows(found, steps, found["channel"] if by else None, order) == table
    return got


def random_log(seed: int, users: int = 300) -> dict:
    """Many small independent logs in one (a user's funnel depends on their events only): one SQL
    query checks hundreds of cases. Times in 0..40 s, so a user often has ties."""
    rng = np.random.default_rng(seed)
    log = {}
    for i in range(users):
        user = f"v{i}" if i % 5 == 0 else f"u{i}"
        n = int(rng.integers(1, 11))
        log[user] = list(zip(rng.integers(0, 41, n).tolist(), rng.choice(NAMES, n).tolist()))
    return log


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@pytest.mark.parametrize("steps, window, seed", [
    (["A", "B"], 10, 1), (["A", "B", "C"], 20, 2), (["A", "A", "B"], 15, 3), (["B", "A", "C", "A"], 25, 4),
    (["A", "B", "B", "C"], 0, 5), (["C", "B", "A", "B", "C", "A"], 40, 6)])
def test_ordered_funnel_equals_the_asof_form(con, steps, window, seed):
    got = compare(con, frame_of(random_log(seed), unique_times=False), steps, window, "ordered")
    assert got["level"].max() >= min(3, len(steps))  # the cases reach past step 2


@pytest.mark.parametrize("steps, window, seed", [(["A", "B", "C"], 20, 7), (["A", "A", "B", "X"], 30, 8)])
def test_strict_funnel_equals_the_sql_form(con, steps, window, seed):
    # one event per user and time: the SQL form orders equal times by event_id and then picks any of
    # two equal starts, which would make the answer itself a coin toss
    got = compare(con, frame_of(random_log(seed), unique_times=True), steps, window, "strict")
    assert got["level"].max() >= 2


@pytest.mark.parametrize("steps, window, seed", [(["A", "B", "C"], 10, 9), (["C", "X"], 3, 10)])
def test_any_order_funnel_equals_the_sql_form(con, steps, window, seed):
    got = compare(con, frame_of(random_log(seed), unique_times=False), steps, window, "any")
    assert got["level"].max() == len(steps)


@pytest.mark.parametrize("order", ["ordered", "strict"])
def test_filters_cut_events_as_the_sql_form_does(con, order):
    """A date range and a customer filter drop events before the funnel: the strict form's "next event"
    is then the next kept one."""
    frame = frame_of(random_log(11), unique_times=order == "strict")
    keep = ((frame["occurred_at"] >= T0 + dt.timedelta(seconds=8))
            & ~frame["customer_id"].fillna("").isin(["u1", "u2", "u3"])).to_numpy()
    compare(con, frame, ["A", "B", "C"], 20, order, keep)


def test_a_step_no_one_did_and_an_empty_cut():
    frame = frame_of({"u0": [(1, "A"), (2, "B")], "v1": [(3, "A")]}, unique_times=True)
    index = index_of(frame)
    users = fast_users(index, ["A", "Nope", "B"], 60, "ordered")
    assert sorted(users["level"]) == [1, 1]
    assert len(fast_users(index, ["A", "B"], 60, "strict", np.zeros(index.size, bool))) == 0
    assert event_mask(index) is None
    everyone = np.ones(len(index.users), bool)
    assert event_mask(index, kept_users=everyone).sum() == 2  # the visitor has no customer filter to pass
