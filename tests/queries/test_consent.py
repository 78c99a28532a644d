"""The time rule of consent (queries/consent.py) against a plain-Python reading of the ledger: an event
counts when its customer's latest record of the category at its time grants it (the default before
any record); anonymous events follow their own banner choice."""

from __future__ import annotations

import datetime as dt
import json

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centric.queries.consent import consent_intervals, consented_events, ever_granted, granted_at, left_out

T0 = dt.datetime(2026, 1, 1)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def tables(events: list[tuple], consents: list[tuple]):
    """events: (event_id, customer_id or None, day, properties or None); consents: (customer_id, category,
    granted, day)."""
    ev = pd.DataFrame([{"event_id": e, "occurred_at": day(d), "customer_id": c, "anonymous_id": f"a-{e}",
                        "name": "Product Viewed", "properties": None if p is None else json.dumps(p)}
                       for e, c, d, p in events],
                      columns=["event_id", "occurred_at", "customer_id", "anonymous_id", "name", "properties"])
    co = pd.DataFrame([{"customer_id": c, "category": k, "granted": g, "recorded_at": day(d), "source": "test"}
                       for c, k, g, d in consents],
                      columns=["customer_id", "category", "granted", "recorded_at", "source"])
    con = ibis.duckdb.connect()
    con.create_table("events", ev.astype({"customer_id": "object", "properties": "object"}),
                     schema=ibis.schema({"event_id": "string", "occurred_at": "timestamp", "customer_id": "string",
                                         "anonymous_id": "string", "name": "string", "properties": "json"}))
    con.create_table("consents", co, schema=ibis.schema({"customer_id": "string", "category": "string",
                                                         "granted": "boolean", "recorded_at": "timestamp",
                                                         "source": "string"}))
    customers = sorted({c for _, c, _, _ in events if c} | {c for c, *_ in consents})
    con.create_table("customers", pd.DataFrame({"customer_id": customers}, dtype="object"),
                     schema=ibis.schema({"customer_id": "string"}))
    return con


def kept(con, category="analytics", default=False) -> set[str]:
    expr = consented_events(con.table("events"), con.table("consents"), category, default)
    return set(con.execute(expr)["event_id"])


def test_withdrawal_keeps_the_data_before_and_drops_the_data_after():
    con = tables([("before", "c1", 5, None), ("after", "c1", 15, None), ("again", "c1", 25, None)],
                 [("c1", "analytics", True, 1), ("c1", "analytics", False, 10), ("c1", "analytics", True, 20)])
    assert kept(con) == {"before", "again"}


def test_a_later_grant_counts_only_from_then_and_the_default_covers_the_time_before():
    con = tables([("early", "c2", 1, None), ("late", "c2", 9, None), ("none", "c3", 3, None)],
                 [("c2", "analytics", True, 5)])
    assert kept(con, default=False) == {"late"}
    assert kept(con, default=True) == {"early", "late", "none"}  # c3 has no record: the default


def test_the_boundary_belongs_to_the_new_record_and_categories_do_not_mix():
    con = tables([("at", "c1", 10, None), ("m", "c2", 3, None)],
                 [("c1", "analytics", True, 1), ("c1", "analytics", False, 10), ("c2", "marketing", True, 0)])
    assert kept(con) == set()  # at the moment of withdrawal the withdrawal holds; c2 granted marketing only
    assert kept(con, "marketing") == {"m"}
    assert kept(con, "essential") == {"at", "m"}  # essential is always granted


def test_anonymous_events_follow_their_banner_else_the_default():
    con = tables([("yes", None, 1, {"consent": {"analytics": True}}), ("no", None, 1, {"consent": {"analytics": False}}),
                  ("silent", None, 1, None), ("other", None, 1, {"consent": {"marketing": True}})], [])
    assert kept(con, default=False) == {"yes"}
    assert kept(con, default=True) == {"yes", "silent", "other"}
    assert kept(con, "marketing", default=False) == {"other"}


def test_left_out_counts_customers_with_nothing_kept_and_every_event_dropped():
    con = tables([("a1", "a", 5, None), ("a2", "a", 15, None), ("b1", "b", 5, None), ("b2", "b", 6, None),
                  ("n1", None, 1, None), ("n2", None, 1, {"consent": {"analytics": True}})],
                 [("a", "analytics", True, 1), ("a", "analytics", False, 10), ("b", "analytics", False, 0)])
    row = con.execute(left_out(con.table("events"), con.table("consents"), "analytics", False)).iloc[0]
    assert (row["customers_left_out"], row["events_left_out"], row["anonymous_events_left_out"]) == (1, 4, 1)


def test_state_at_a_moment_and_ever_granted():
    con = tables([], [("a", "marketing", True, 1), ("a", "marketing", False, 10), ("b", "marketing", True, 5),
                      ("c", "analytics", True, 1), ("d", "marketing", False, 1)])
    state = lambda at, default: dict(con.execute(granted_at(con.table("customers"), con.table("consents"),  # noqa: E731
                                                            "marketing", day(at), default)).values.tolist())
    assert state(7, False) == {"a": True, "b": True, "c": False, "d": False}
    assert state(11, False) == {"a": False, "b": True, "c": False, "d": False}  # a granted, then withdrew
    assert state(11, True) == {"a": False, "b": True, "c": True, "d": False}  # c has no marketing record
    ever = lambda until, default: set(con.execute(ever_granted(con.table("customers"), con.table("consents"),  # noqa: E731
                                                               "marketing", day(until), default))["customer_id"])
    assert ever(3, False) == {"a"} and ever(30, False) == {"a", "b"} and ever(30, True) == {"a", "b", "c"}


def test_intervals_run_from_each_record_to_the_next():
    con = tables([], [("a", "analytics", True, 1), ("a", "analytics", False, 4), ("a", "marketing", True, 2)])
    iv = con.execute(consent_intervals(con.table("consents"), "analytics")).sort_values("valid_from")
    assert iv["valid_from"].tolist() == [pd.Timestamp(day(1)), pd.Timestamp(day(4))]
    assert iv["valid_until"].iloc[0] == pd.Timestamp(day(4)) and pd.isna(iv["valid_until"].iloc[1])
    with pytest.raises(ValueError, match="consent category"):
        consent_intervals(con.table("consents"), "ads")


def oracle(events, consents, default):
    out = set()
    for e, c, d, p in events:
        if c is None:
            choice = (p or {}).get("consent", {}).get("analytics")
            ok = default if choice is None else choice
        else:
            before = sorted((cd, g) for cc, k, g, cd in consents if cc == c and k == "analytics" and cd <= d)
            choice = (p or {}).get("consent", {}).get("analytics")  # the banner answer it was recorded with
            ok = before[-1][1] if before else (default if choice is None else choice)
        if ok:
            out.add(e)
    return out


records = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["analytics", "marketing"]),
                             st.booleans(), st.integers(0, 30)), max_size=10,
                   unique_by=lambda r: (r[0], r[1], r[3]))
event_rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.integers(0, 30),
                                st.sampled_from([None, True, False])), min_size=1, max_size=15)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records, event_rows, st.booleans())
def test_agrees_with_a_plain_reading_of_the_ledger(consents, rows, default):
    events = [(f"e{i}", c, d, None if b is None else {"consent": {"analytics": b}}) for i, (c, d, b) in enumerate(rows)]
    con = tables(events, consents)
    assert kept(con, default=default) == oracle(events, consents, default)
