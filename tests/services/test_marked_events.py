"""The marking of the events by consent kept between runs (services/marked.py, `marked_events`): after each
kind of change it equals marking every event afresh, and it was updated (not rebuilt) where the change is
bounded, rebuilt where it is not.

A tiny shop: customers c1..c4 with analytics consent records (c3 refused, c4 granted), their events, and
an anonymous visitor v9 whose early events are not anyone's until a later event links v9 to c4. The
kept marking is brought up to date as `centric run` does (identities rebuilt, then the first read of the
marked events within `counted_once`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from centric.services import consent
from centric.services.consent import SHARED_COLUMNS, counted_once, shared_marked
from centric.services.workspace_files import init_workspace, open_store
from centric.workspace import Workspace

DAY0 = dt.datetime(2025, 3, 1, 9, 0)
CUSTOMERS = ("c1-marked", "c2-marked", "c3-marked", "c4-marked")


def _at(day: float) -> str:
    return (DAY0 + dt.timedelta(days=day)).strftime("%Y-%m-%d %H:%M:%S")


def _write(path: Path, header: str, rows) -> str:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return str(path)


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "ws"
    init_workspace(path)
    w = Workspace(path)
    files = tmp_path / "in"
    files.mkdir()
    w.ingest("customers", _write(files / "customers.csv", "customer_id,email,created_at",
                                 [f"{c},{c}@example.org,{_at(0)[:10]}" for c in CUSTOMERS]))
    events = []
    for k, c in enumerate(CUSTOMERS):
        for d in range(20):
            events.append(f"e-{c}-{d},{_at(d + 0.5)},anon-{c},{c},Product Viewed,web")
    events += [f"e-v9-{d},{_at(d + 0.25)},v9-visitor,,Product Viewed,web" for d in range(1, 6)]
    w.ingest("events", _write(files / "events.csv", "event_id,occurred_at,anonymous_id,customer_id,name,channel",
                              events))
    w.ingest("consents", _write(files / "consents.csv", "customer_id,category,granted,recorded_at,source", [
        f"c1-marked,analytics,true,{_at(0)},banner", f"c2-marked,analytics,true,{_at(0)},banner",
        f"c3-marked,analytics,false,{_at(0)},banner", f"c4-marked,analytics,true,{_at(0)},banner"]))
    return path


def _kept(ws: Path, full: bool = False) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """(run_ledger row of the kept marking, the kept marking, a fresh marking of every event), both sorted."""
    from centric.services.identity import rebuild

    with open_store(ws) as (settings, store):
        rebuild(store)  # as the run's identities step
        with counted_once(full=full):
            kept = store.ibis().execute(shared_marked(store, settings, "customer_profiles"))
        db = store.ibis()
        fresh = db.execute(consent._marked(store, settings, "analytics").select(*SHARED_COLUMNS, "_consented"))
        t = db.table("run_ledger")
        row = db.execute(t.filter(t.step == "marked_events").select("mode", "reason", "rows")).to_dict("records")[0]
    return row, _sorted(kept), _sorted(fresh)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[[*SHARED_COLUMNS, "_consented"]].astype({"_consented": bool})
    return frame.sort_values(list(SHARED_COLUMNS)).reset_index(drop=True)


def _same(kept: pd.DataFrame, fresh: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(kept, fresh, check_dtype=False)


def _ingest(ws: Path, table: str, header: str, rows, name: str) -> None:
    Workspace(ws).ingest(table, _write(ws.parent / "in" / name, header, rows))


def _consented(frame: pd.DataFrame, customer: str) -> int:
    return int(frame.loc[frame.customer_id == customer, "_consented"].sum())


def test_first_read_marks_everything_and_a_second_changes_nothing(ws):
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "full" and "no kept marking yet" in row["reason"]
    _same(kept, fresh)
    assert len(kept) == 85 and _consented(kept, "c3-marked") == 0 and _consented(kept, "c1-marked") == 20
    row, again, _ = _kept(ws)
    assert row["mode"] == "incremental" and row["reason"].startswith("0 new events, 0 customers")
    _same(again, kept)


def test_new_events_are_marked_and_appended(ws):
    _kept(ws)
    _ingest(ws, "events", "event_id,occurred_at,anonymous_id,customer_id,name,channel",
            [f"e-new-{i},{_at(25 + i)},anon-c1-marked,c1-marked,Product Added,web" for i in range(3)]
            + [f"e-new-anon,{_at(26)},v7-visitor,,Product Viewed,web"], "events2.csv")
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "incremental" and row["reason"].startswith("4 new events"), row
    _same(kept, fresh)
    assert len(kept) == 89 and _consented(kept, "c1-marked") == 23


def test_a_withdrawal_and_a_backdated_record_of_old_customers_take_effect(ws):
    _, before, _ = _kept(ws)
    # c1 withdraws on day 10; c2's refusal recorded on day 5 arrives late (backdated); c3 grants on day 12
    _ingest(ws, "consents", "customer_id,category,granted,recorded_at,source", [
        f"c1-marked,analytics,false,{_at(10)},banner", f"c2-marked,analytics,false,{_at(5)},email",
        f"c3-marked,analytics,true,{_at(12)},banner"], "consents2.csv")
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "incremental" and "3 customers whose consent records changed" in row["reason"], row
    _same(kept, fresh)
    # the change is real: the stale marking differs from the fresh one for each of them
    assert (_consented(before, "c1-marked"), _consented(kept, "c1-marked")) == (20, 10)
    assert (_consented(before, "c2-marked"), _consented(kept, "c2-marked")) == (20, 5)
    assert (_consented(before, "c3-marked"), _consented(kept, "c3-marked")) == (0, 8)
    # and granted again: the interval reopens
    _ingest(ws, "consents", "customer_id,category,granted,recorded_at,source",
            [f"c1-marked,analytics,true,{_at(15)},banner"], "consents3.csv")
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "incremental" and "1 customers whose consent records changed" in row["reason"], row
    _same(kept, fresh)
    assert _consented(kept, "c1-marked") == 15


def test_an_anonymous_visitor_merged_into_a_customer_after_its_events(ws):
    _, before, _ = _kept(ws)
    assert before.loc[before.anonymous_id == "v9-visitor", "customer_id"].isna().all()
    # a login on day 30 names both ids: v9's earlier anonymous events become c4's, under c4's consent
    _ingest(ws, "events", "event_id,occurred_at,anonymous_id,customer_id,name,channel",
            [f"e-login,{_at(30)},v9-visitor,c4-marked,Signed In,web"], "events2.csv")
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "incremental" and "1 visitors" in row["reason"], row
    _same(kept, fresh)
    v9 = kept[kept.anonymous_id == "v9-visitor"]
    assert (v9.customer_id == "c4-marked").all() and v9._consented.all() and len(v9) == 6
    # c4 withdraws as of day 3 (v9's spans unchanged): the anonymous events merged into c4 follow
    _ingest(ws, "consents", "customer_id,category,granted,recorded_at,source",
            [f"c4-marked,analytics,false,{_at(3)},banner"], "consents2.csv")
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "incremental" and "1 customers whose consent records changed" in row["reason"], row
    _same(kept, fresh)
    assert kept.loc[kept.anonymous_id == "v9-visitor", "_consented"].sum() == 2  # days 1.25 and 2.25
    # split the merge again (`centric identity split`): the events go back to the visitor, unmarked
    Workspace(ws).identity_split("v9-visitor", "c4-marked")
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "incremental", row
    _same(kept, fresh)
    assert not kept.loc[(kept.anonymous_id == "v9-visitor") & kept.customer_id.isna(), "_consented"].any()


def test_an_erasure_removes_the_rows_at_once_and_the_next_marking_is_rebuilt(ws):
    _, before, _ = _kept(ws)
    assert (before.customer_id == "c2-marked").sum() == 20
    Workspace(ws).privacy_erase("c2-marked")
    with open_store(ws, read_only=True) as (_, store):
        db = store.ibis()
        for table in ("marked_events", "marked_inputs"):
            t = db.table(table)
            assert db.execute(t.filter(t.customer_id == "c2-marked").count()) == 0, table
        t = db.table("marked_events")
        assert db.execute(t.filter(t.anonymous_id == "anon-c2-marked").count()) == 0
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "full" and "erasure" in row["reason"], row
    _same(kept, fresh)
    assert len(kept) == 65


def test_a_changed_consent_default_marks_everything_again(ws):
    _, before, _ = _kept(ws)
    toml = ws / "centric.toml"
    toml.write_text(toml.read_text().replace('default = "denied"', 'default = "granted"'))
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "full" and "default" in row["reason"], row
    _same(kept, fresh)
    v9 = kept.anonymous_id == "v9-visitor"
    assert not before.loc[before.anonymous_id == "v9-visitor", "_consented"].any() and kept.loc[v9, "_consented"].all()


def test_changed_old_events_and_full_mark_everything_again(ws):
    _kept(ws)
    # an old event loaded again with another time: an update, not an append
    _ingest(ws, "events", "event_id,occurred_at,anonymous_id,customer_id,name,channel",
            [f"e-c3-marked-3,{_at(40)},anon-c3-marked,c3-marked,Product Viewed,web"], "events2.csv")
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "full" and "changed or removed" in row["reason"], row
    _same(kept, fresh)
    row, kept, fresh = _kept(ws, full=True)
    assert row["mode"] == "full" and "--full" in row["reason"], row
    _same(kept, fresh)


def test_outside_a_run_and_on_other_purposes_nothing_is_kept(ws):
    with open_store(ws) as (settings, store):
        assert shared_marked(store, settings, "customer_profiles") is None
        with counted_once():
            assert shared_marked(store, settings, "segment_export") is not None  # marketing: a TEMP table
        assert not store.has_rows("marked_events")
