"""A load rebuilds the identities only when it can change them (events, customers, or customers it
creates): the rebuild reads every event, so loads of feedback, lines or spend that change neither skip it."""

from __future__ import annotations

import pytest

from centric.config import Settings
from centric.services import identity
from centric.services.ingest import ingest_files


@pytest.fixture
def rebuilds(monkeypatch):
    calls = []
    real = identity.rebuild

    def counted(store):
        calls.append(1)
        return real(store)

    monkeypatch.setattr(identity, "rebuild", counted)
    return calls


def ids(store):
    return set(map(tuple, store.query_df(
        "SELECT id_type, id_value, customer_id FROM identities ORDER BY ALL").values.tolist()))


def test_identities_follow_events_customers_and_created_customers_only(store, write, rebuilds):
    settings = Settings()
    ingest_files(store, settings, "customers", [str(write("c.csv", "customer_id,email\n1,ana@example.com\n"))])
    assert ("email", "ana@example.com", "1") in ids(store) and len(rebuilds) == 1

    ingest_files(store, settings, "events", [str(write("e.csv", (
        "event_id,occurred_at,anonymous_id,customer_id,name\n"
        "e1,2025-01-01 10:00:00,a1,,Product Viewed\n"
        "e2,2025-01-01 10:05:00,a1,1,Signed In\n")))])
    assert ("anonymous_id", "a1", "1") in ids(store) and len(rebuilds) == 2

    # feedback naming an unknown customer creates it: its user id must reach the identities
    feedback = write("f.csv", "feedback_id,customer_id,received_at,source,text\n"
                              "f1,9,2025-01-02 09:00:00,review,Great\nf2,1,2025-01-02 09:00:00,review,Fine\n")
    ingest_files(store, settings, "feedback", [str(feedback)])
    assert ("user_id", "9", "9") in ids(store) and len(rebuilds) == 3

    before = ids(store)
    # nothing an identity reads changes: no rebuild, and the identities are still exact
    ingest_files(store, settings, "feedback", [str(feedback)])  # the same file again
    ingest_files(store, settings, "feedback", [str(write("g.csv", "feedback_id,customer_id,received_at,source,text\n"
                                                                  "f3,1,2025-01-03 09:00:00,ticket,Late\n"))])
    ingest_files(store, settings, "marketing_spend", [str(write("m.csv", "spent_on,channel,amount,currency\n"
                                                                          "2025-01-01,email,10,EUR\n"))])
    ingest_files(store, settings, "events", [str(write("e.csv", (  # loaded again: unchanged
        "event_id,occurred_at,anonymous_id,customer_id,name\n"
        "e1,2025-01-01 10:00:00,a1,,Product Viewed\n"
        "e2,2025-01-01 10:05:00,a1,1,Signed In\n")))])
    assert len(rebuilds) == 3
    identity.rebuild(store)
    assert ids(store) == before
