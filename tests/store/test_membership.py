"""A segment's history and its `segments` row land together (store/membership.py), and the segment reads
of queries/segment_rule.py return what the history holds."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from centric.queries.segment_rule import current_members, member_stays, segment_listing
from centric.store.connection import Store
from centric.store.membership import record_segment

T1, T2 = dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1)
NAME = "O'Brien's \"best\"; DROP TABLE customers; --"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "centric.duckdb")
    for cid, email, country in (("c1", "a@x.co", "ES"), ("c2", "b@x.co", "PT"), ("c3", "c@x.co", "ES")):
        s.con.execute("INSERT INTO customers (customer_id, email) VALUES (?, ?)", [cid, email])
        s.con.execute("INSERT INTO customer_profiles (customer_id, country, orders) VALUES (?, ?, 1)", [cid, country])
    yield s
    s.close()


def _row(**over):
    return {"segment": NAME, "kind": "rule", "description": "d", "rule": '{"field": "orders", "op": ">", "value": 0}',
            "customers": 2, "customer_share": 2 / 3, "revenue_share": 0.5, **over}


def _members(store, *ids):
    t = store.ibis().table("customer_profiles")
    return t.filter(t.customer_id.isin(list(ids)))


def _open(store):
    return sorted(r[0] for r in store.con.execute(
        "SELECT customer_id FROM segment_members WHERE segment = ? AND left_at IS NULL", [NAME]).fetchall())


def test_history_and_row_follow_each_computation(store):
    first = record_segment(store, _row(), _members(store, "c1", "c2"), T1)
    assert (first.members, first.entered, first.left) == (2, 2, 0)
    second = record_segment(store, _row(), _members(store, "c2", "c3"), T2)
    assert (second.members, second.entered, second.left) == (2, 1, 1)
    assert _open(store) == ["c2", "c3"]
    db = store.ibis()
    listing = db.execute(segment_listing(db.table("segments")))
    assert len(listing) == 1 and listing.loc[0, "segment"] == NAME
    assert (listing.loc[0, "entered"], listing.loc[0, "left"], listing.loc[0, "computed_at"]) == (1, 1, T2)
    assert isinstance(listing.loc[0, "rule"], str) and listing.loc[0, "rule"].startswith('{"field"')
    stays = db.execute(member_stays(db.table("segment_members"), NAME))
    assert list(stays["customer_id"]) == ["c1", "c2", "c3"]
    assert list(stays["left_at"].isna()) == [False, True, True]
    now = db.execute(current_members(db.table("segment_members"), db.table("customer_profiles"),
                                     db.table("customers"), NAME))
    assert list(now["customer_id"]) == ["c2", "c3"] and list(now["email"]) == ["b@x.co", "c@x.co"]
    assert list(now["country"]) == ["PT", "ES"] and list(now["entered_at"]) == [T1, T2]


def test_a_row_that_cannot_be_written_leaves_the_history_as_it_was(store):
    record_segment(store, _row(), _members(store, "c1", "c2"), T1)
    with pytest.raises(duckdb.ConversionException):
        record_segment(store, _row(customers="many"), _members(store, "c3"), T2)
    assert _open(store) == ["c1", "c2"]
    stored = store.con.execute("SELECT customers, computed_at FROM segments WHERE segment = ?", [NAME]).fetchall()
    assert stored == [(2, T1)]
