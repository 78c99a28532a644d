"""The dashboard's funnel on its in-memory index (services/dashboard_funnel_index.py) gives the very
table of the Ibis query it replaced (dashboard_funnel.funnel_sql) on a published snapshot, for the
page's filters (date range, country, acquisition channel, persona, segment), breakdowns and orders;
and a newly published snapshot is indexed again."""

from __future__ import annotations

import datetime as dt
import os
import time

import ibis
import numpy as np
import pandas as pd
import pytest

from centric.queries.funnel import with_user_keys
from centric.services.dashboard import DashboardError, Filters
from centric.services.dashboard_funnel import FunnelCache, funnel, funnel_sql
from centric.store.snapshot import Snapshot, snapshot_path

T0 = dt.datetime(2026, 3, 1)
NAMES = ["Product Viewed", "Product Added", "Checkout Started", "Order Completed", "Email Opened"]


def write_snapshot(path, seed: int, customers: int = 160, visitors: int = 40) -> None:
    """A snapshot file with the tables the funnel reads: random events of customers and visitors over
    ten days (times to the second, so a user has ties), customers with the filter columns, segments."""
    rng = np.random.default_rng(seed)
    ids = [f"c{i:03d}" for i in range(customers)]
    people = pd.DataFrame({
        "customer_id": ids, "country": rng.choice(["ES", "PT", "FR"], customers),
        "acquisition_channel": rng.choice(["organic", "paid_social"], customers),
        "persona_id": rng.choice([1, 2, 3], customers).astype("int64"),
        "rfm_segment": rng.choice(["champions", "at_risk", None], customers)})
    people["persona"] = people["persona_id"].map({1: "Bargain hunter", 2: "Loyal", 3: None})
    members = pd.DataFrame({"customer_id": ids[::3], "segment": "vip", "left_at": pd.NaT})
    rows = []
    for user in ids + [f"anon{i}" for i in range(visitors)]:
        for _ in range(int(rng.integers(1, 14))):
            rows.append({"occurred_at": T0 + dt.timedelta(seconds=int(rng.integers(0, 10 * 86400 // 60)) * 60),
                         "customer_id": None if user.startswith("anon") else user,
                         "anonymous_id": user if user.startswith("anon") else None,
                         "name": str(rng.choice(NAMES, p=[0.35, 0.25, 0.15, 0.1, 0.15])),
                         "channel": str(rng.choice(["web", "app", "email"]))})
    events = pd.DataFrame(rows)
    events.insert(0, "event_id", [f"e{i:05d}" for i in rng.permutation(len(events))])
    events["session_id"] = None
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name("next.duckdb")
    temp.unlink(missing_ok=True)
    con = ibis.duckdb.connect(str(temp))
    schema = ibis.schema({"event_id": "string", "occurred_at": "timestamp", "customer_id": "string",
                          "anonymous_id": "string", "name": "string", "channel": "string", "session_id": "string"})
    con.create_table("dash_events", with_user_keys(ibis.memtable(events, schema=schema)))
    con.create_table("dash_customers", people)
    con.create_table("segment_members", members.astype({"left_at": "datetime64[us]"}))
    con.disconnect()
    os.replace(temp, path)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("funnel-index")
    write_snapshot(snapshot_path(folder), seed=5)
    snapshot = Snapshot(folder)
    yield folder, snapshot
    snapshot.close()


CASES = [
    (Filters(), ["Product Viewed", "Product Added", "Checkout Started", "Order Completed"], "1d", "ordered", None),
    (Filters(), ["Product Viewed", "Product Added", "Product Viewed"], "6h", "ordered", "channel"),
    (Filters(date_from=dt.date(2026, 3, 3), date_to=dt.date(2026, 3, 7), country="ES"),
     ["Product Viewed", "Checkout Started", "Order Completed"], "2d", "ordered", "persona"),
    (Filters(segment="vip", channel="organic"), ["Product Viewed", "Product Added"], "3d", "ordered", "rfm_segment"),
    (Filters(persona=2), ["Product Viewed", "Product Added", "Order Completed"], "7d", "strict", "country"),
    (Filters(date_to=dt.date(2026, 3, 5)), ["Product Added", "Product Viewed", "Email Opened"], "12h", "any",
     "acquisition_channel"),
]


@pytest.mark.parametrize("f, steps, window, order, by", CASES)
def test_the_index_gives_the_table_of_the_sql_form(shop, f, steps, window, order, by):
    _, snapshot = shop
    cache = FunnelCache()
    want = funnel_sql(snapshot, f, steps, window, order, by)
    got = funnel(snapshot, f, steps, window, order, by, cache=cache)
    assert got == want
    assert want["rows"][1]["users"] > 0 and len({r["group"] for r in want["rows"]}) > (1 if by else 0)


def test_a_new_snapshot_is_indexed_again(shop):
    folder, snapshot = shop
    cache = FunnelCache()
    steps = ["Product Viewed", "Product Added"]
    before = funnel(snapshot, Filters(), steps, "1d", cache=cache)
    assert before == funnel_sql(snapshot, Filters(), steps, "1d")
    built = cache.index.get(snapshot)
    write_snapshot(snapshot_path(folder), seed=6, customers=90)
    time.sleep(0.6)  # the reader looks at the file twice a second
    after = funnel(snapshot, Filters(), steps, "1d", cache=cache)
    assert cache.index.get(snapshot) is not built
    assert after == funnel_sql(snapshot, Filters(), steps, "1d") and after != before


def test_the_same_filters_reuse_the_customers_they_keep(shop):
    _, snapshot = shop
    cache = FunnelCache()
    f = Filters(country="PT", segment="vip")
    for steps, window in ((["Product Viewed", "Order Completed"], "2d"), (["Product Added", "Checkout Started"], "5h")):
        assert funnel(snapshot, f, steps, window, cache=cache) == funnel_sql(snapshot, f, steps, window)
    assert list(cache.index.get(snapshot).kept) == [(("country", "PT"), ("channel", None), ("persona", None),
                                                     ("segment", "vip"))]


def test_bad_requests_are_refused_as_before(shop):
    _, snapshot = shop
    for steps, order in ((["Product Viewed"], "ordered"), (["Product Viewed", "Product Viewed"], "any"),
                         (["Product Viewed", "Product Added"], "sideways")):
        with pytest.raises(DashboardError):
            funnel(snapshot, Filters(), steps, "1d", order)


def test_many_threads_opening_a_snapshot_at_once_all_read_it(shop):
    """A page's reads run at once on their own cursors (services/dashboard._together): a thread that
    comes while another opens the file must not see "nothing published"."""
    import threading

    folder, _ = shop
    for _ in range(3):
        fresh, barrier, got = Snapshot(folder), threading.Barrier(8), []

        def read():
            barrier.wait()
            cur = fresh.cursor()
            got.append(cur is not None and cur.execute("SELECT count(*) FROM snapshot.dash_customers").fetchone()[0])
            if cur is not None:
                cur.close()

        threads = [threading.Thread(target=read) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        fresh.close()
        assert len(got) == 8 and all(n and n > 0 for n in got), got
