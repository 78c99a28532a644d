"""The journey's incremental form (services/journey_incremental.py) equals a whole build exactly.

Rules under test, on a small demo shop cut before its last days (benchmarks/incremental_data.py), the
journey built whole on the base:
- after new days of data (orders, events, feedback) and a new customer, the incremental form recomputes
  only the affected customers' stages and the changed visitors' paths, and every journey table equals a
  whole build's on the same data;
- a customer with no new data whose at-risk threshold falls between the last observation end and the
  new one (time passed: another customer's order moved the end) changes status, exactly as in a whole
  build; skipping such customers gives a different, wrong journey (so the test can fail);
- changed stage settings and an erasure fall back to a whole build, and say so; the erasure leaves the
  person in none of the journey's tables.
"""

from __future__ import annotations

import dataclasses
import shutil

import pandas as pd
import pytest

from benchmarks.incremental_data import build, load, tables

pytestmark = pytest.mark.slow  # one shared fixture: a 160-customer shop loaded and its journey built

TABLES = ["journey_stages", "stage_transitions", "stage_transition_rates", "cohorts", "path_edges", "top_paths",
          "journey_inputs", "path_visits", "path_inputs"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """(folder, workspace with the base loaded and the journey built whole, the last days' files)."""
    from centric.services.journey import build_journey
    from centric.services.workspace_files import open_store

    folder = tmp_path_factory.mktemp("journey-incremental")
    shop, extra = build(folder, 160, seed=5, days_back=3)
    with open_store(shop) as (settings, store):
        build_journey(store, settings, drivers=False)
    return folder, shop, extra


def _copy(src, dst):
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("run.lock"))
    return dst


def _update(workspace):
    from centric.services.journey_incremental import update_journey
    from centric.services.workspace_files import open_store

    with open_store(workspace) as (settings, store):
        return update_journey(store, settings)


def _whole(workspace):
    from centric.services.journey import build_journey
    from centric.services.workspace_files import open_store

    with open_store(workspace) as (settings, store):
        build_journey(store, settings, drivers=False)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({c: str for c in frame.columns if frame[c].dtype == object or str(frame[c].dtype) == "str"})
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


def _differences(a, b) -> list[str]:
    x, y = tables(a, TABLES), tables(b, TABLES)
    out = []
    for name in TABLES:
        try:
            pd.testing.assert_frame_equal(_sorted(x[name]), _sorted(y[name]), check_dtype=False)
        except AssertionError as exc:
            out.append(f"{name}: {str(exc)[:300]}")
    return out


def _ingest(workspace, name: str, frame: pd.DataFrame, folder):
    from centric import Workspace

    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    Workspace(workspace).ingest(name, str(path))


def test_new_days_and_a_new_customer_equal_a_whole_build(base, tmp_path):
    folder, shop, extra = base
    inc = _copy(shop, tmp_path / "inc")
    load(inc, extra)
    orders = pd.read_csv(extra["orders"])
    lines = pd.read_csv(extra["order_lines"])
    newcomer = pd.DataFrame({"customer_id": ["newcomer-1"], "created_at": ["2026-10-31 08:00:00"]})
    order = orders.iloc[[0]].assign(order_id="newcomer-order", customer_id="newcomer-1",
                                    ordered_at="2026-10-31 09:00:00")
    line = lines[lines["order_id"] == orders["order_id"].iloc[0]].assign(order_id="newcomer-order")
    _ingest(inc, "customers", newcomer, tmp_path)
    _ingest(inc, "orders", order, tmp_path)
    _ingest(inc, "order_lines", line, tmp_path)
    full = _copy(inc, tmp_path / "full")
    result, why = _update(inc)
    _whole(full)
    assert result is not None, why
    assert " 1 new" in why and "recomputed" in why, why
    affected, total = (int(x.replace(",", "")) for x in why.split("stages of ")[1].split(" customers")[0].split(" of "))
    assert 0 < affected < total / 2, why
    changed, visitors = (int(x.replace(",", "")) for x in why.split("paths of ")[1].split(" visitors")[0].split(" of "))
    assert 0 < changed < visitors / 2, why
    assert _differences(inc, full) == []
    stages = tables(inc, ["journey_stages"])["journey_stages"]
    now = stages[(stages["customer_id"] == "newcomer-1") & stages["left_at"].isna()]
    assert list(now["stage"]) == ["first_purchase"] and list(now["status"]) == ["active"]


def _crossing_case(base, tmp_path):
    """A workspace where one customer crosses the at-risk threshold only because another's order moved
    the end; returns (incremental copy, whole-build copy, the crossing customer)."""
    from centric.services.workspace_files import open_store

    folder, shop, extra = base
    inc = _copy(shop, tmp_path / "inc")
    with open_store(inc, read_only=True) as (settings, store):
        db = store.ibis()
        orders = db.execute(db.table("orders"))
        lines = db.execute(db.table("order_lines"))
        stages = db.execute(db.table("journey_stages"))
        at_risk = settings.journey_at_risk_days
    end = orders["ordered_at"].max()
    active = set(stages.loc[stages["left_at"].isna() & (stages["status"] == "active"), "customer_id"])
    bought = orders[orders["status"] == "completed"].groupby("customer_id")["ordered_at"].max()
    threshold = bought + pd.Timedelta(days=at_risk)
    waiting = threshold[(threshold > end) & threshold.index.isin(active)].sort_values()
    assert len(waiting), "no active customer near the at-risk threshold in the demo shop"
    crosser = waiting.index[0]
    other = orders[(orders["status"] == "completed") & (orders["customer_id"] != crosser)].iloc[-1]
    new_at = waiting.iloc[0] + pd.Timedelta(hours=2)
    cols = list(pd.read_csv(extra["orders"], nrows=0).columns)  # as a shop's export has them
    order = pd.DataFrame([other[cols]]).assign(order_id="later-order", ordered_at=new_at)
    line = lines[lines["order_id"] == other["order_id"]].assign(order_id="later-order")
    line = line[list(pd.read_csv(extra["order_lines"], nrows=0).columns)]
    _ingest(inc, "orders", order, tmp_path)
    _ingest(inc, "order_lines", line, tmp_path)
    return inc, _copy(inc, tmp_path / "full"), crosser


def test_a_customer_crossing_the_at_risk_threshold_with_time(base, tmp_path):
    inc, full, crosser = _crossing_case(base, tmp_path)
    before = tables(inc, ["journey_stages"])["journey_stages"]
    result, why = _update(inc)
    _whole(full)
    assert result is not None, why
    assert _differences(inc, full) == []
    after = tables(inc, ["journey_stages"])["journey_stages"]
    was = before[(before["customer_id"] == crosser) & before["left_at"].isna()]["status"].tolist()
    now = after[(after["customer_id"] == crosser) & after["left_at"].isna()]["status"].tolist()
    assert was == ["active"] and now == ["at_risk"], (was, now)
    assert "whose status moved with time" in why and "0 whose status" not in why, why


def test_skipping_the_customers_whose_status_moved_with_time_is_wrong(base, tmp_path, monkeypatch):
    """The check above can fail: without the time-crossing customers the journey differs from a whole build."""
    import ibis

    from centric.queries import journey_inputs

    inc, full, crosser = _crossing_case(base, tmp_path)
    nobody = ibis.memtable(pd.DataFrame({"customer_id": pd.Series([], dtype=str)}))
    monkeypatch.setattr(journey_inputs, "crossing", lambda *a, **k: nobody)
    result, why = _update(inc)
    _whole(full)
    assert result is not None, why
    differences = _differences(inc, full)
    assert any(d.startswith("journey_stages") for d in differences), differences


def test_changed_stage_settings_build_whole(base, tmp_path):
    from centric.services.journey_incremental import update_journey
    from centric.services.workspace_files import open_store

    folder, shop, _ = base
    copy = _copy(shop, tmp_path / "settings")
    with open_store(copy) as (settings, store):
        changed = dataclasses.replace(settings, journey_at_risk_days=settings.journey_at_risk_days + 10)
        result, why = update_journey(store, changed)
    assert result is None and "settings changed" in why


def test_an_erasure_builds_the_stages_whole_without_the_person(base, tmp_path):
    from centric.services.privacy import erase

    folder, shop, _ = base
    copy = _copy(shop, tmp_path / "erased")
    person = tables(copy, ["journey_stages"])["journey_stages"]["customer_id"].iloc[0]
    erase(copy, person)
    result, why = _update(copy)
    assert result is None and "erasure" in why, why
    left = tables(copy, ["journey_stages", "journey_inputs", "path_visits", "path_inputs"])
    assert person not in set(left["journey_stages"]["customer_id"]) | set(left["journey_inputs"]["customer_id"])
    assert person not in set(left["path_visits"]["user_id"]) | set(left["path_inputs"]["user_id"])


def test_a_second_update_with_nothing_new_keeps_every_table(base, tmp_path):
    """Nothing changed since the last update: no customer's rows and no visitor's visits are written, and the
    tables still equal a whole build's (the paths are kept without a read)."""
    folder, shop, extra = base
    inc = _copy(shop, tmp_path / "inc")
    load(inc, extra)
    first, why = _update(inc)
    assert first is not None, why
    full = _copy(inc, tmp_path / "full")
    again, why = _update(inc)
    _whole(full)
    assert again is not None, why
    # (a customer near a threshold may be recomputed again: the time window is widened by a day, its rows stay)
    assert "(0 with changed data" in why and "the rows of 0 changed" in why and "paths of 0 of" in why, why
    assert _differences(inc, full) == []


def test_only_the_customers_whose_rows_changed_are_written(base, tmp_path, monkeypatch):
    """Most affected customers (new events, a status near a threshold) keep the same stage rows: only those
    whose rows differ are deleted and written again, and the table still equals a whole build's."""
    from centric.services import journey_incremental
    from centric.store.connection import Store

    folder, shop, extra = base
    inc = _copy(shop, tmp_path / "inc")
    load(inc, extra)
    full = _copy(inc, tmp_path / "full")
    written = {}
    real = Store.replace_tables

    def spy(self, contents):
        update = contents.get("journey_stages")
        if isinstance(update, journey_incremental.RowUpdate):
            written["keys"], written["rows"] = set(update.keys), update.rows
        return real(self, contents)

    monkeypatch.setattr(Store, "replace_tables", spy)
    result, why = _update(inc)
    _whole(full)
    assert result is not None, why
    assert _differences(inc, full) == []
    affected = int(why.split("stages of ")[1].split(" of ")[0].replace(",", ""))
    changed = int(why.split("the rows of ")[1].split(" changed")[0].replace(",", ""))
    assert 0 < changed == len(written["keys"]) < affected, why
    assert set(written["rows"]["customer_id"]) <= written["keys"]
    # every customer written has rows that differ from the base's (or none left / none before)
    before = tables(shop, ["journey_stages"])["journey_stages"]
    after = tables(inc, ["journey_stages"])["journey_stages"]
    for customer in written["keys"]:
        x, y = (_sorted(f[f["customer_id"] == customer].reset_index(drop=True)) for f in (before, after))
        assert len(x) != len(y) or not x.equals(y), customer


def test_a_visitor_merged_into_a_customer(base, tmp_path):
    """An anonymous visitor's device is linked to a customer (an event naming both): the visitor's paths go,
    the customer's are recounted with the visitor's events, exactly as a whole build counts them."""
    folder, shop, extra = base
    inc = _copy(shop, tmp_path / "inc")
    visits = tables(inc, ["path_visits", "journey_stages"])
    anonymous = sorted(u for u in set(visits["path_visits"]["user_id"]) if u.startswith("anon:"))
    assert anonymous, "no anonymous visitor with paths in the demo shop"
    visitor = anonymous[0]
    customer = sorted(set(visits["journey_stages"]["customer_id"]))[0]
    events = pd.DataFrame({"event_id": ["merge-1"], "occurred_at": ["2026-10-31 10:00:00"],
                           "anonymous_id": [visitor.removeprefix("anon:")], "customer_id": [customer],
                           "name": ["Signed In"]})
    _ingest(inc, "events", events, tmp_path)
    full = _copy(inc, tmp_path / "full")
    result, why = _update(inc)
    _whole(full)
    assert result is not None, why
    assert _differences(inc, full) == []
    after = tables(inc, ["path_visits", "path_inputs"])
    assert visitor not in set(after["path_visits"]["user_id"]) | set(after["path_inputs"]["user_id"])
