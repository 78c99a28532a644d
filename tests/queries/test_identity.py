"""Identity resolution (queries/identity.py): a plain-Python oracle on random logs, PostHog's known
failures (shared device, split, no lost or duplicated events, merge = one id from the start), and an
anonymous view, an identify and an order counting as one user in `centric funnel` from CSV."""

from __future__ import annotations

import datetime as dt
import random

import ibis
import pandas as pd
import pytest
from click.testing import CliRunner

from centric.cli.main import cli
from centric.queries.funnel import funnel_users
from centric.queries.identity import identities, resolved_events

T0 = dt.datetime(2026, 3, 1)
EVENT_COLUMNS = {"event_id": "string", "occurred_at": "timestamp", "anonymous_id": "string",
                 "customer_id": "string", "name": "string", "channel": "string", "properties": "string"}


def _events(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["event_id", "occurred_at", "anonymous_id", "customer_id", "name"])
    frame["channel"] = "web"
    frame["properties"] = None
    return frame


def _tables(events: pd.DataFrame, splits: pd.DataFrame | None = None):
    ev = ibis.memtable(events, schema=EVENT_COLUMNS)
    customers = ibis.memtable(pd.DataFrame({"customer_id": sorted(set(events["customer_id"].dropna())),
                                            "email": None}), schema={"customer_id": "string", "email": "string"})
    split_table = ibis.memtable(splits if splits is not None else pd.DataFrame(columns=["anonymous_id", "customer_id"]),
                                schema={"anonymous_id": "string", "customer_id": "string"})
    return ev, identities(ev, customers, split_table)


def _resolved(events: pd.DataFrame, splits=None) -> dict[str, str | None]:
    ev, ids = _tables(events, splits)
    out = ibis.duckdb.connect().execute(resolved_events(ev, ids))
    assert len(out) == len(events), "resolution must neither lose nor duplicate an event"
    assert sorted(out["event_id"]) == sorted(events["event_id"])
    return {r.event_id: (None if pd.isna(r.customer_id) else r.customer_id) for r in out.itertuples()}


def oracle(events: pd.DataFrame, splits=frozenset()) -> dict[str, str | None]:
    """The rule in plain Python: an anonymous event belongs to the customer of the latest link of its
    anonymous id at or before it, else to the first link's customer; no link, no customer."""
    text = lambda v: v if isinstance(v, str) else None  # noqa: E731  (missing ids come back as NaN)
    rows = [(r.event_id, r.occurred_at, text(r.anonymous_id), text(r.customer_id)) for r in events.itertuples()]
    links: dict[str, list[tuple]] = {}
    for event_id, at, anon, customer in sorted(rows, key=lambda r: (r[1], r[0])):
        if anon and customer and (anon, customer) not in splits:
            links.setdefault(anon, []).append((at, event_id, customer))
    result = {}
    for event_id, at, anon, customer in rows:
        if customer:
            result[event_id] = customer
            continue
        chain = links.get(anon) if anon else None
        if not chain:
            result[event_id] = None
            continue
        owner = chain[0][2]
        for link_at, _, linked in chain:
            if link_at <= at:
                owner = linked
        result[event_id] = owner
    return result


def _random_log(rng: random.Random, n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        anon = rng.choice(["a1", "a2", "a3", None])
        customer = rng.choice(["A", "B", "C", None, None, None])
        if anon is None and customer is None:
            anon = "a1"
        # whole minutes, so that ties in time happen and the event_id order decides
        rows.append((f"e{i:03d}", T0 + dt.timedelta(minutes=rng.randrange(60)), anon, customer, rng.choice("XYZ")))
    return _events(rows)


@pytest.mark.parametrize("seed", range(12))
def test_resolution_matches_the_oracle_on_random_logs(seed):
    rng = random.Random(seed)
    log = _random_log(rng, rng.randrange(5, 40))
    splits = {("a1", "B")} if seed % 3 == 0 else set()
    split_frame = pd.DataFrame(sorted(splits), columns=["anonymous_id", "customer_id"])
    assert _resolved(log, split_frame) == oracle(log, splits)


@pytest.mark.parametrize("seed", range(8))
def test_spans_of_one_customer_ids_equal_the_ordered_rule(seed):
    """anonymous_spans takes the first link of an id linked to one customer by grouping, and orders the
    links of the others: the rows equal those of ordering every id's links (ties in time included, an
    alias link among them, split links left out)."""
    from centric.queries.identity import _spans_in_order, anonymous_spans, identity_links

    rng = random.Random(seed)
    rows = []
    for i in range(rng.randrange(20, 80)):
        anon = rng.choice(["a1", "a2", "a3", "a4", "a5", "a6", None])
        customer = rng.choice(["A", "B", "C", None]) if anon in ("a1", "a2") else rng.choice(["D", None])
        rows.append((f"e{i:03d}", T0 + dt.timedelta(minutes=rng.randrange(30)), anon, customer,
                     rng.choice(["Product Viewed", "Alias"])))
    log = _events(rows)
    for i in log.index[log["name"] == "Alias"][:3]:
        log.loc[i, "properties"] = '{"previousId": "a%d"}' % rng.randrange(1, 7)
    splits = pd.DataFrame([("a2", "B")] if seed % 2 else [], columns=["anonymous_id", "customer_id"])
    ev = ibis.memtable(log, schema=EVENT_COLUMNS)
    links = identity_links(ev, ibis.memtable(splits, schema={"anonymous_id": "string", "customer_id": "string"}))
    con = ibis.duckdb.connect()
    got, want = (con.execute(spans).sort_values(["id_value", "merged_at", "merged_by"]).reset_index(drop=True)
                 for spans in (anonymous_spans(links), _spans_in_order(links)))
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_shared_device_never_merges_two_customers():
    """One laptop: identified as A, later as B. A's and B's events stay theirs; the anonymous
    events split by time; no event of A is counted for B or the other way."""
    log = _events([
        ("e1", T0, "dev", None, "Product Viewed"),
        ("e2", T0 + dt.timedelta(minutes=5), "dev", "A", "Identified"),
        ("e3", T0 + dt.timedelta(minutes=6), None, "A", "Order Completed"),
        ("e4", T0 + dt.timedelta(days=2), "dev", "B", "Identified"),
        ("e5", T0 + dt.timedelta(days=2, minutes=1), "dev", None, "Product Viewed"),
        ("e6", T0 + dt.timedelta(days=2, minutes=9), None, "B", "Order Completed"),
    ])
    resolved = _resolved(log)
    assert resolved == {"e1": "A", "e2": "A", "e3": "A", "e4": "B", "e5": "B", "e6": "B"}
    _, ids = _tables(log)
    rows = ibis.duckdb.connect().execute(ids)
    assert set(rows.loc[rows.id_type == "user_id", "customer_id"]) == {"A", "B"}  # two people, not one
    assert (rows.id_type == "anonymous_id").sum() == 2  # the device has one span per person


def _funnel(events: pd.DataFrame, splits=None) -> int:
    ev, ids = _tables(events, splits)
    users = ibis.duckdb.connect().execute(
        funnel_users(resolved_events(ev, ids), ["Product Viewed", "Order Completed"], 86400))
    return int((users["level"] >= 2).sum())


def test_alias_merges_the_previous_id():
    log = _events([
        ("e1", T0, "v9", None, "Product Viewed"),
        ("e2", T0 + dt.timedelta(minutes=3), None, "C9", "Alias"),
        ("e3", T0 + dt.timedelta(minutes=9), None, "C9", "Order Completed"),
    ])
    log.loc[1, "properties"] = '{"previousId": "v9"}'
    assert _resolved(log) == {"e1": "C9", "e2": "C9", "e3": "C9"}


def test_merge_counts_as_if_the_ids_had_been_one_and_split_restores():
    log = _events([
        ("e1", T0, "v1", None, "Product Viewed"),
        ("e2", T0 + dt.timedelta(minutes=3), "v1", "C1", "Identified"),
        ("e3", T0 + dt.timedelta(minutes=9), None, "C1", "Order Completed"),
        ("e4", T0, "v2", None, "Product Viewed"),  # a visitor who never logs in
    ])
    one_id = log.assign(customer_id=log["customer_id"].where(log["anonymous_id"] != "v1", "C1"))
    assert _funnel(log) == _funnel(one_id) == 1
    split = pd.DataFrame([("v1", "C1")], columns=["anonymous_id", "customer_id"])
    unmerged = log.assign(anonymous_id=log["anonymous_id"].replace({"v1": "v1"}))
    assert _funnel(log, split) == 0  # as before any identity: the view and the order are two users
    assert _resolved(unmerged, split)["e1"] is None


YES = '"{""consent"": {""analytics"": true}}"'  # the banner's yes, as the collector stores it
EVENTS_CSV = f"""event_id,occurred_at,anonymous_id,customer_id,name,channel,properties
e1,2026-03-01 10:00:00,anon-1,,Product Viewed,web,{YES}
e2,2026-03-01 10:04:00,anon-1,C1,Identified,web,{YES}
e3,2026-03-01 10:09:00,,C1,Order Completed,web,
e4,2026-03-01 11:00:00,anon-2,,Product Viewed,web,{YES}
"""
# C1 granted analytics when signing up (before the visit); the visitors said yes on the banner
CONSENTS_CSV = """customer_id,category,granted,recorded_at,source
C1,analytics,true,2026-02-01 09:00:00,signup
"""


def _funnel_cli(folder) -> list[dict]:
    import json

    result = CliRunner().invoke(cli, ["funnel", "-w", str(folder), "--steps", "Product Viewed,Order Completed",
                                      "--window", "1d", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_csv_anonymous_view_identify_order_is_one_converted_user(tmp_path):
    folder = tmp_path / "shop"
    assert CliRunner().invoke(cli, ["init", "-w", str(folder)]).exit_code == 0
    (tmp_path / "events.csv").write_text(EVENTS_CSV)
    (tmp_path / "consents.csv").write_text(CONSENTS_CSV)
    for table in ("events", "consents"):
        result = CliRunner().invoke(cli, ["ingest", table, str(tmp_path / f"{table}.csv"), "-w", str(folder)])
        assert result.exit_code == 0, result.output
    steps = _funnel_cli(folder)
    assert [s["users"] for s in steps] == [2, 1]  # anon-1 is C1: one of two visitors bought
    shown = CliRunner().invoke(cli, ["identity", "show", "anon-1", "-w", str(folder), "--format", "json"])
    assert shown.exit_code == 0 and '"C1"' in shown.output and '"e2"' in shown.output
    split = CliRunner().invoke(cli, ["identity", "split", "anon-1", "-w", str(folder)])
    assert split.exit_code == 0, split.output
    assert [s["users"] for s in _funnel_cli(folder)] == [2, 0]  # split: the counts from before the merge
    again = CliRunner().invoke(cli, ["identity", "split", "anon-9", "-w", str(folder)])
    assert again.exit_code != 0 and "no merge" in again.output
