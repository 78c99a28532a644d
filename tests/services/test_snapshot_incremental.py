"""The snapshot published incrementally equals a whole publish (services/dashboard_snapshot.py).

Rules under test, on a small hand-made shop loaded through ingest:
- after new events, a new identity link and new consent records, the publish keeps the unchanged
  tables, patches dash_events, and every table equals, row for row (sorted), what a whole publish of
  the same database gives;
- a consent withdrawal removes the customer's later events from the published dash_events (a patch
  that left old rows in place would fail this);
- an anonymous visitor linked to a customer by a new event moves its old events to that customer;
- an erasure (events deleted) is not an append: dash_events is written whole, and equal again;
- after a publish outside a run (identities not rebuilt from the events it read), the next run's
  publish writes dash_events whole: a patch would miss the visitors those events linked;
- nothing new: every table is kept.
"""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

import centric
from centric.services.dashboard_snapshot import publish_all
from centric.services.identity import rebuild
from centric.services.workspace_files import open_store

N = 12
IDS = [f"c{i:02d}" for i in range(1, N + 1)]
W, V = "c01", "c02"  # withdraws analytics; is linked to the visitor dev-x by a new event


def _events(day: str, prefix: str) -> pd.DataFrame:
    rows = []
    for i, c in enumerate(IDS):
        at = pd.Timestamp(day) + pd.Timedelta(hours=i)
        rows += [{"event_id": f"{prefix}v{c}", "occurred_at": at, "customer_id": c, "anonymous_id": f"dev-{c}",
                  "session_id": f"{prefix}s{c}", "name": "Product Viewed", "channel": "web"},
                 {"event_id": f"{prefix}a{c}", "occurred_at": at + pd.Timedelta(minutes=3), "customer_id": c,
                  "anonymous_id": None, "session_id": f"{prefix}s{c}", "name": "Product Added", "channel": "web"}]
    return pd.DataFrame(rows)


def _ingest(ws, folder, name: str, frame: pd.DataFrame) -> None:
    path = folder / f"{name}-{len(list(folder.iterdir()))}.csv"
    frame.to_csv(path, index=False)
    ws.ingest(name, str(path))


def _tables(path) -> dict[str, list]:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{path}' AS s (READ_ONLY)")
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 's'").fetchall()]
        return {n: sorted(map(repr, con.execute(f'SELECT * FROM s."{n}"').fetchall()))
                for n in names if n != "snapshot_info"}
    finally:
        con.close()


def _publish(ws, run: bool = True) -> dict:
    """Publish as a run does (identities rebuilt first; incrementally where it can), or as a command outside
    a run does (`run=False`: identities as they are); returns what it kept, patched and wrote whole."""
    plan: dict = {}
    with open_store(ws.path) as (settings, store):
        if run:
            rebuild(store)  # as the run's identities step
        publish_all(store, ws.path, settings, plan=plan, identities_current=run)
    return plan


def _whole(ws, tmp_path) -> dict[str, list]:
    """A whole publish of the same database (no published file to start from), read back."""
    copy = tmp_path / f"whole-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(ws.path, copy, ignore=shutil.ignore_patterns("snapshot", "run.lock"))
    with open_store(copy) as (settings, store):
        publish_all(store, copy, settings)
    return _tables(copy / "snapshot" / "api.duckdb")


def _events_of(tables, customer: str) -> int:
    return sum(1 for row in tables["dash_events"] if repr(customer) in row)


@pytest.fixture
def shop(tmp_path):
    ws = centric.Workspace(tmp_path / "ws")
    ws.init(shop_name="Snapshot shop", currency="EUR", timezone="UTC")
    files = tmp_path / "files"
    files.mkdir()
    customers = pd.DataFrame({"customer_id": IDS, "email": [f"{c}@example.com" for c in IDS],
                              "created_at": "2026-01-01 09:00:00", "country": "ES"})
    _ingest(ws, files, "customers", customers)
    events = _events("2026-02-01 10:00:00", "a")
    anonymous = pd.DataFrame([{"event_id": f"x{k}", "occurred_at": pd.Timestamp("2026-02-03 10:00:00") + pd.Timedelta(minutes=k),
                               "customer_id": None, "anonymous_id": "dev-x", "session_id": "sx",
                               "name": "Product Viewed", "channel": "web"} for k in range(3)])
    _ingest(ws, files, "events", pd.concat([events, anonymous], ignore_index=True))
    consents = pd.DataFrame({"customer_id": IDS, "category": "analytics", "granted": True,
                             "recorded_at": "2026-01-01 09:00:00"})
    _ingest(ws, files, "consents", consents)
    return ws, files


def test_incremental_publish_equals_a_whole_one(shop, tmp_path):
    ws, files = shop
    assert _publish(ws)["patched"] == []  # the first publish: whole
    before = _tables(ws.path / "snapshot" / "api.duckdb")
    assert _events_of(before, V) == 2 and _events_of(before, W) == 2

    # the next day: new events, one of them linking the visitor dev-x to V; W withdraws analytics
    # before that day (recorded at noon on 1 February: W's later event is no longer consented)
    link = pd.DataFrame([{"event_id": "link", "occurred_at": pd.Timestamp("2026-02-04 09:00:00"), "customer_id": V,
                          "anonymous_id": "dev-x", "session_id": "sl", "name": "Signed In", "channel": "web"}])
    _ingest(ws, files, "events", pd.concat([_events("2026-02-04 10:00:00", "b"), link], ignore_index=True))
    _ingest(ws, files, "consents", pd.DataFrame({"customer_id": [W], "category": ["analytics"], "granted": [False],
                                                 "recorded_at": ["2026-02-01 10:01:00"]}))
    plan = _publish(ws)
    assert plan["patched"] == ["dash_events"], plan
    assert {"surveys", "dash_orders", "customer_summary"} <= set(plan["kept"]), plan  # unchanged sources
    assert {"consents", "dash_events"}.isdisjoint(plan["kept"]), plan
    published = _tables(ws.path / "snapshot" / "api.duckdb")
    assert published == _whole(ws, tmp_path)
    assert _events_of(published, W) == 1  # only the event before the withdrawal is left
    assert _events_of(published, V) == 2 + 2 + 1 + 3  # the day's two, the link, dev-x's three old ones

    plan = _publish(ws)  # nothing new
    assert plan["written"] == [] and plan["patched"] == [], plan
    assert _tables(ws.path / "snapshot" / "api.duckdb") == published


def test_an_erasure_rewrites_the_events_whole(shop, tmp_path):
    ws, files = shop
    _publish(ws)
    with open_store(ws.path) as (_, store):  # events deleted (as an erasure does), and one appended
        store.con.execute("DELETE FROM events WHERE customer_id = ?", [W])
    _ingest(ws, files, "events", _events("2026-02-05 10:00:00", "c").iloc[4:8])  # c03's and c04's
    plan = _publish(ws)
    assert "dash_events" in plan["written"], plan  # not patched: written whole
    published = _tables(ws.path / "snapshot" / "api.duckdb")
    assert published == _whole(ws, tmp_path)
    assert _events_of(published, W) == 0 and _events_of(published, "c03") == 2 + 2


def test_after_a_publish_outside_a_run_the_events_are_written_whole(shop, tmp_path):
    ws, files = shop
    _publish(ws)
    link = pd.DataFrame([{"event_id": "link", "occurred_at": pd.Timestamp("2026-02-04 09:00:00"), "customer_id": V,
                          "anonymous_id": "dev-x", "session_id": "sl", "name": "Signed In", "channel": "web"}])
    with open_store(ws.path) as (_, store):
        stale = store.ibis().execute(store.ibis().table("identities"))
    _ingest(ws, files, "events", link)  # the ingest rebuilds the identities; events written otherwise may not:
    with open_store(ws.path) as (_, store):
        store.replace_table("identities", stale)  # as if they had not been rebuilt
    _publish(ws, run=False)  # e.g. `centric survey add`: the identities do not know the link yet
    plan = _publish(ws)  # the next run rebuilds them: dev-x's old events now belong to V
    assert "dash_events" in plan["written"], plan
    published = _tables(ws.path / "snapshot" / "api.duckdb")
    assert published == _whole(ws, tmp_path)
    assert _events_of(published, V) == 2 + 1 + 3


def _feedback(prefix: str, k: int) -> pd.DataFrame:
    return pd.DataFrame({"feedback_id": [f"{prefix}{i}" for i in range(k)], "customer_id": IDS[:k],
                         "received_at": [pd.Timestamp("2026-02-06 10:00:00") + pd.Timedelta(hours=i) for i in range(k)],
                         "source": "review", "rating": 4, "rating_scale": "stars_1_5",
                         "text": [f"Texto número {i} de {prefix}" for i in range(k)], "language": "es"})


def _read(ws, ids, sentiment: str) -> None:
    """Insights rows for the feedback `ids`, written as listening writes the rows of new texts (RowUpdate)."""
    from centric.store.connection import RowUpdate

    rows = pd.DataFrame({"feedback_id": ids, "language": "es", "language_confidence": 1.0, "sentiment": sentiment,
                         "sentiment_score": 0.5, "themes": [["delivery"]] * len(ids), "aspects": "[]"})
    with open_store(ws.path) as (_, store):
        store.replace_table("feedback_insights", RowUpdate("feedback_id", ids, rows))


def test_appended_feedback_patches_dash_feedback(shop, tmp_path):
    """New texts and their readings appended: dash_feedback is patched and equals a whole publish; a text
    read again (an old insights row replaced) is not an append: the table is written whole, equal again."""
    ws, files = shop
    _ingest(ws, files, "feedback", _feedback("f", 3))
    _read(ws, ["f0", "f1"], "positive")  # f2 not read yet
    _publish(ws)
    _ingest(ws, files, "feedback", _feedback("g", 2))
    _read(ws, ["g0", "g1", "f2"], "negative")  # f2: an old text's first reading, appended too
    plan = _publish(ws)
    assert "dash_feedback" in plan["patched"], plan
    published = _tables(ws.path / "snapshot" / "api.duckdb")
    assert published == _whole(ws, tmp_path)
    assert sum("'negative'" in row for row in published["dash_feedback"]) == 3
    _read(ws, ["f1"], "negative")  # an old text read again
    plan = _publish(ws)
    assert "dash_feedback" in plan["written"], plan
    published = _tables(ws.path / "snapshot" / "api.duckdb")
    assert published == _whole(ws, tmp_path)
    assert sum("'negative'" in row for row in published["dash_feedback"]) == 4


def test_an_erasure_inside_a_run_leaves_no_stale_visitor_for_the_next_patch(shop, tmp_path, monkeypatch):
    """A privacy request carried out inside a run (after its identities step) deletes the person's identity
    rows, so the identities the run's publish read are not those rebuilt from the events: a visitor shared
    with another customer (dev-x: linked to c03, later to c04) keeps only c04's later span, where a rebuild
    gives c04 all of dev-x's events. The next run rebuilds them; its publish must not patch dash_events as
    if only the appended events could have moved a visitor's spans."""
    from centric.services import run as run_service
    from centric.services.privacy import erase

    ws, files = shop
    links = pd.DataFrame([{"event_id": f"link-{c}", "occurred_at": pd.Timestamp(at), "customer_id": c,
                           "anonymous_id": "dev-x", "session_id": f"sl{c}", "name": "Signed In", "channel": "web"}
                          for c, at in (("c03", "2026-02-04 09:00:00"), ("c04", "2026-02-05 09:00:00"))])
    _ingest(ws, files, "events", links)
    _publish(ws)

    def privacy_requests(store, settings, workspace):  # one erasure request over the API, carried out in the run
        erase(workspace, "c03", store=store, settings=settings)
        return 1

    front = [(name, step) for name, step in run_service.STEPS if name in ("collected", "identities")]
    monkeypatch.setattr(run_service, "STEPS", [*front, ("privacy_requests", privacy_requests)])
    with open_store(ws.path) as (settings, store):
        run_service.run_all(store, settings, workspace=ws.path)
    monkeypatch.setattr(run_service, "STEPS", front)
    with open_store(ws.path) as (settings, store):
        run_service.run_all(store, settings, workspace=ws.path)  # the next run: nothing new, identities rebuilt
    published = _tables(ws.path / "snapshot" / "api.duckdb")
    whole = _whole(ws, tmp_path)
    assert _events_of(whole, "c04") == 2 + 1 + 3  # its two, its link, dev-x's three older ones (c03's span gone)
    assert _events_of(published, "c04") == _events_of(whole, "c04")
    assert published == whole
