"""More changes between runs after which the kept marking (services/marked.py) must equal a fresh one:
consent records edited in place or swapped (same count), a device handed on to another customer, events
deleted without an erasure, an erasure of a customer sharing a visitor with another, a run cut short
between writing the marking and its ledger row. Same tiny shop as tests/services/test_marked_events.py."""

from __future__ import annotations

import pytest

from centric.services.workspace_files import open_store
from centric.workspace import Workspace
from tests.services.test_marked_events import _at, _consented, _ingest, _kept, _same, ws  # noqa: F401

EVENTS = "event_id,occurred_at,anonymous_id,customer_id,name,channel"


def _sql(ws, sql: str, params=()) -> None:
    with open_store(ws) as (_, store):
        store.con.execute(sql, list(params))


def test_a_consent_record_edited_in_place(ws):
    _kept(ws)
    _sql(ws, "UPDATE consents SET granted = NOT granted WHERE customer_id = 'c1-marked' AND category = 'analytics'")
    row, kept, fresh = _kept(ws)
    _same(kept, fresh)
    assert _consented(kept, "c1-marked") == 0, row
    _sql(ws, "UPDATE consents SET recorded_at = recorded_at + INTERVAL 7 DAY WHERE customer_id = 'c3-marked'")
    _sql(ws, "UPDATE consents SET granted = true WHERE customer_id = 'c3-marked'")
    row, kept, fresh = _kept(ws)
    _same(kept, fresh)
    assert _consented(kept, "c3-marked") == 13, row


def test_a_consent_record_swapped_for_another_keeps_the_count(ws):
    _kept(ws)
    _sql(ws, "DELETE FROM consents WHERE customer_id = 'c2-marked'")
    _sql(ws, "INSERT INTO consents (customer_id, category, granted, recorded_at, source) "
             "VALUES ('c3-marked', 'analytics', true, ?, 'banner')", [_at(4)])
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "incremental", row
    _same(kept, fresh)
    assert _consented(kept, "c2-marked") == 0 and _consented(kept, "c3-marked") == 16


def test_a_device_handed_on_to_another_customer(ws):
    _kept(ws)
    # v9 signs in as c4 on day 6, then as c3 on day 8: its later anonymous events are c3's (who refused)
    _ingest(ws, "events", EVENTS, [f"e-l4,{_at(6)},v9-visitor,c4-marked,Signed In,web",
                                   f"e-l3,{_at(8)},v9-visitor,c3-marked,Signed In,web"]
            + [f"e-v9-late-{d},{_at(d + 0.3)},v9-visitor,,Product Viewed,web" for d in (7, 9, 10)], "ev2.csv")
    row, kept, fresh = _kept(ws)
    _same(kept, fresh)
    # then c4 links it again, later: c4's span reopens from day 12
    _ingest(ws, "events", EVENTS, [f"e-l4b,{_at(12)},v9-visitor,c4-marked,Signed In,web"], "ev3.csv")
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "incremental", row
    _same(kept, fresh)


def test_events_deleted_without_an_erasure(ws):
    _kept(ws)
    _sql(ws, "DELETE FROM events WHERE event_id IN ('e-c1-marked-3', 'e-v9-2')")
    _ingest(ws, "events", EVENTS, [f"e-new,{_at(30)},anon-c2-marked,c2-marked,Product Added,web"], "ev2.csv")
    row, kept, fresh = _kept(ws)
    assert row["mode"] == "full", row
    _same(kept, fresh)


def test_an_erasure_of_a_customer_sharing_a_visitor(ws):
    _ingest(ws, "events", EVENTS, [f"e-l4,{_at(6)},v9-visitor,c4-marked,Signed In,web",
                                   f"e-l1,{_at(8)},v9-visitor,c1-marked,Signed In,web"], "ev2.csv")
    _kept(ws)
    Workspace(ws).privacy_erase("c4-marked")
    row, kept, fresh = _kept(ws)
    _same(kept, fresh)
    assert (kept.customer_id == "c4-marked").sum() == 0
    _ingest(ws, "events", EVENTS, [f"e-late,{_at(31)},v9-visitor,,Product Viewed,web"], "ev3.csv")
    row, kept, fresh = _kept(ws)
    _same(kept, fresh)


def test_an_erasure_inside_the_run_after_its_identities_step(ws):
    """As a privacy request over the API: identities rebuilt, then the person erased, then the marking read."""
    from centric.services import consent
    from centric.services.consent import SHARED_COLUMNS, counted_once, shared_marked
    from centric.services.identity import rebuild
    from centric.services.privacy import erase
    from tests.services.test_marked_events import _sorted

    _ingest(ws, "events", EVENTS, [f"e-l4,{_at(6)},v9-visitor,c4-marked,Signed In,web",
                                   f"e-l1,{_at(8)},v9-visitor,c1-marked,Signed In,web"], "ev2.csv")
    _kept(ws)
    with open_store(ws) as (settings, store):
        rebuild(store)
        erase(ws, "c1-marked", store=store, settings=settings)
        with counted_once():
            kept = _sorted(store.ibis().execute(shared_marked(store, settings, "customer_profiles")))
        fresh = _sorted(store.ibis().execute(consent._marked(store, settings, "analytics").select(*SHARED_COLUMNS,
                                                                                                   "_consented")))
    _same(kept, fresh)
    row, kept, fresh = _kept(ws)  # the next run (identities rebuilt: v9 is c4's alone now)
    _same(kept, fresh)


def test_a_run_cut_short_between_the_marking_and_its_ledger_row(ws, monkeypatch):
    from centric.services import run_ledger as marked

    _kept(ws)
    real = marked.record

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    def cut_short_then_same():
        monkeypatch.setattr(marked, "record", crash)
        with pytest.raises(KeyboardInterrupt):
            _kept(ws)
        monkeypatch.setattr(marked, "record", real)
        row, kept, fresh = _kept(ws)
        _same(kept, fresh)

    _ingest(ws, "consents", "customer_id,category,granted,recorded_at,source",
            [f"c1-marked,analytics,false,{_at(10)},banner"], "c2.csv")
    cut_short_then_same()
    # cut short again, this time with new events and a consent change together
    _ingest(ws, "events", EVENTS, [f"e-n{i},{_at(21 + i)},anon-c2-marked,c2-marked,Product Added,web" for i in range(2)],
            "ev2.csv")
    _ingest(ws, "consents", "customer_id,category,granted,recorded_at,source",
            [f"c2-marked,analytics,false,{_at(10)},banner"], "c3.csv")
    cut_short_then_same()
    _ingest(ws, "consents", "customer_id,category,granted,recorded_at,source",
            [f"c2-marked,analytics,true,{_at(12)},banner"], "c4.csv")
    row, kept, fresh = _kept(ws)
    _same(kept, fresh)
