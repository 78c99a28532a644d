"""journey_stages partitions each customer's time: at any instant from the first stage on exactly one
row holds the customer, exactly one row is open, its stage is the lifecycle stage and its status
the purchase status read off the purchases by hand; and the moves counted from those rows are the
moves of the stays they were made from (at risk, lapsed and won back read by brute force)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from centric.models.journey.stages import (LIFECYCLE, lifecycle_stays, monthly_rates, partition, status_stays,
                                           stay_moves, stays_of, transitions)

BASE = pd.Timestamp("2023-01-01")
END = BASE + pd.Timedelta(days=800)
NEVER = pd.Timestamp.max


def at(day: int, minute: int = 0) -> pd.Timestamp:
    return BASE + pd.Timedelta(days=day, minutes=minute)


moment = st.builds(at, st.integers(0, 790), st.integers(0, 1439))
customer = st.fixed_dictionaries({
    "seen": moment,
    "purchases": st.lists(st.integers(0, 790), max_size=8, unique=True).map(sorted),
    "minute": st.integers(0, 1439),
    "engaged": st.none() | moment,
    "advocate": st.none() | moment,
    "wild": st.booleans(),  # milestones drawn at random, unrelated to the purchases
    "wild_marks": st.lists(st.none() | moment, min_size=6, max_size=6),
})


def shop(customers, loyal):
    """Milestones (the way queries/journey_milestones.py sets them, or at random) and purchase times."""
    marks, buys = [], {}
    for i, c in enumerate(customers):
        cid = f"c{i}"
        days = [at(d, c["minute"]) for d in c["purchases"]]
        buys[cid] = days
        if c["wild"]:
            row = dict(zip([f"{s}_at" for s in LIFECYCLE], c["wild_marks"]))
            row["visitor_at"] = min([row["visitor_at"] or c["seen"], *days[:1]])  # a visitor by the first purchase
        else:
            first = days[0] if days else None
            row = {"visitor_at": min(c["seen"], first) if first is not None else c["seen"],
                   "engaged_at": c["engaged"] if c["engaged"] is not None and (first is None or c["engaged"] <= first)
                   else None,
                   "first_purchase_at": first, "repeat_at": days[1] if len(days) > 1 else None,
                   "loyal_at": days[loyal - 1] if len(days) >= loyal else None,
                   "advocate_at": c["advocate"] if first is not None and c["advocate"] is not None
                   and c["advocate"] >= first else None}
        marks.append({"customer_id": cid, **row})
    frame = pd.DataFrame(marks)
    for s in LIFECYCLE:
        frame[f"{s}_at"] = pd.to_datetime(frame[f"{s}_at"]).astype("datetime64[ns]")
    return frame, buys


def silences(buys, at_risk_days):
    """queries/journey_milestones.silences, by hand."""
    rows = []
    for cid, days in buys.items():
        for i, p in enumerate(days):
            nxt = days[i + 1] if i + 1 < len(days) else None
            if (nxt if nxt is not None else END) > p + pd.Timedelta(days=at_risk_days):
                rows.append({"customer_id": cid, "after": p, "until": nxt})
    frame = pd.DataFrame(rows, columns=["customer_id", "after", "until"])
    return frame.astype({"after": "datetime64[ns]", "until": "datetime64[ns]"})


def status_by_hand(days, t, at_risk_days, lapsed_days, buyer_from):
    """The purchase status at t read off the purchase times alone."""
    for i, p in enumerate(days):
        nxt = days[i + 1] if i + 1 < len(days) else None
        stop = nxt if nxt is not None else NEVER
        if p + pd.Timedelta(days=lapsed_days) <= t < stop and p + pd.Timedelta(days=lapsed_days) <= END:
            return "lapsed"
        if p + pd.Timedelta(days=at_risk_days) <= t < stop and p + pd.Timedelta(days=at_risk_days) < END:
            return "at_risk"
    return "active" if buyer_from is not None and t >= buyer_from else "prospect"


def moves_by_hand(buys, at_risk_days, lapsed_days):
    """At-risk and lapsed stays and the moves out of them, from the purchase times alone."""
    count = Counter()
    for days in buys.values():
        for i, p in enumerate(days):
            nxt = days[i + 1] if i + 1 < len(days) else None
            if (nxt if nxt is not None else END) <= p + pd.Timedelta(days=at_risk_days):
                continue
            count["at_risk"] += 1
            lapse = p + pd.Timedelta(days=lapsed_days)
            lapses = lapse < nxt if nxt is not None else lapse <= END
            if lapses:
                count["lapsed"] += 1
                count[("at_risk", "lapsed")] += 1
                if nxt is not None:
                    count[("lapsed", "won_back")] += 1
            elif nxt is not None:
                count[("at_risk", "won_back")] += 1
    return count


# no shrinking: each example runs the whole stage machine in pandas, and shrinking one took minutes
@settings(max_examples=40, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target], suppress_health_check=[HealthCheck.too_slow])
@given(customers=st.lists(customer, min_size=1, max_size=6), loyal=st.integers(2, 4),
       at_risk_days=st.integers(1, 150), extra=st.integers(1, 200),
       probes=st.lists(st.integers(-50 * 1440, 900 * 1440), min_size=5, max_size=20))
def test_rows_partition_each_customers_time(customers, loyal, at_risk_days, extra, probes):
    lapsed_days = at_risk_days + extra
    marks, buys = shop(customers, loyal)
    wild = {f"c{i}": c["wild"] for i, c in enumerate(customers)}
    life = lifecycle_stays(marks)
    status = status_stays(silences(buys, at_risk_days), at_risk_days, lapsed_days, END)
    rows = partition(life, status)
    assert list(rows.columns) == ["customer_id", "stage", "entered_at", "left_at", "status"]
    assert set(rows["stage"]) <= set(LIFECYCLE)
    assert (rows["left_at"].isna() | (rows["left_at"] >= rows["entered_at"])).all()
    for cid, mine in rows.groupby("customer_id"):
        assert mine["left_at"].isna().sum() == 1  # one current row
        entered = mine["entered_at"].to_numpy()
        left = mine["left_at"].fillna(NEVER).to_numpy()
        stays = life[life["customer_id"] == cid]
        held = stays[stays["left_at"].isna() | (stays["left_at"] > stays["entered_at"])]
        held_in, held_out = held["entered_at"].to_numpy(), held["left_at"].fillna(NEVER).to_numpy()
        buyer = stays[stays["stage"].map(LIFECYCLE.index) >= LIFECYCLE.index("first_purchase")]["entered_at"].min()
        buyer = None if pd.isna(buyer) else buyer
        start = stays["entered_at"].min()
        edges = [*mine["entered_at"], *mine["left_at"].dropna(), *status.loc[status["customer_id"] == cid, "entered_at"]]
        instants = {*edges, *(e - pd.Timedelta(seconds=1) for e in edges), *(BASE + pd.Timedelta(minutes=m) for m in probes)}
        for t in instants:
            inside = np.flatnonzero((entered <= t.to_datetime64()) & (t.to_datetime64() < left))
            if t < start:
                assert len(inside) == 0
                continue
            assert len(inside) == 1, (cid, t, mine)
            row = mine.iloc[inside[0]]
            stage = held["stage"].to_numpy()[(held_in <= t.to_datetime64()) & (t.to_datetime64() < held_out)]
            assert [row["stage"]] == list(stage)
            if not wild[cid]:  # (wild milestones need not agree with the purchases that set the status)
                assert row["status"] == status_by_hand(buys[cid], t, at_risk_days, lapsed_days, buyer), (cid, t, mine)
    # every customer with a stage has rows; the stays read back are the stays the rows were made from
    assert set(rows["customer_id"]) == set(life["customer_id"])
    back = stays_of(rows)
    old = pd.concat([life, status], ignore_index=True)
    old = old[old["customer_id"].isin(rows["customer_id"])]
    key = ["customer_id", "stage", "entered_at"]
    pd.testing.assert_frame_equal(back.sort_values(key).reset_index(drop=True),
                                  old.sort_values(key).reset_index(drop=True)[back.columns], check_dtype=False)
    # the moves out of at risk and lapsed, and the stays in them, are those read off the purchases
    table = transitions(back).set_index(["from_stage", "to_stage"])["customers"]
    want = moves_by_hand({c: d for c, d in buys.items() if c in set(rows["customer_id"])}, at_risk_days, lapsed_days)
    for move in (("at_risk", "lapsed"), ("at_risk", "won_back"), ("lapsed", "won_back")):
        assert table.get(move, 0) == want[move], move
    assert (back["stage"] == "at_risk").sum() == want["at_risk"] and (back["stage"] == "lapsed").sum() == want["lapsed"]
    pd.testing.assert_frame_equal(transitions(back), transitions(old), check_dtype=False)
    got_rates = monthly_rates(back, stay_moves(back), END)
    want_rates = monthly_rates(old, stay_moves(old), END)
    pd.testing.assert_frame_equal(got_rates.reset_index(drop=True), want_rates.reset_index(drop=True), check_dtype=False)


def test_an_at_risk_then_lapsed_customer_has_one_row_at_a_time():
    """Worked by hand: bought on Jan 3rd and Jun 1st (won back from at risk), and on Feb 1st, 2024 for good."""
    T = pd.Timestamp
    marks = pd.DataFrame([{"customer_id": "a", "visitor_at": T("2024-01-01"), "engaged_at": T("2024-01-02"),
                           "first_purchase_at": T("2024-01-03"), "repeat_at": T("2024-06-01"), "loyal_at": pd.NaT,
                           "advocate_at": pd.NaT},
                          {"customer_id": "b", "visitor_at": T("2024-02-01"), "engaged_at": pd.NaT,
                           "first_purchase_at": T("2024-02-01"), "repeat_at": pd.NaT, "loyal_at": pd.NaT,
                           "advocate_at": T("2024-06-01")}])
    gaps = pd.DataFrame({"customer_id": ["a", "b"], "after": [T("2024-01-03"), T("2024-02-01")],
                         "until": [T("2024-06-01"), pd.NaT]})
    rows = partition(lifecycle_stays(marks), status_stays(gaps, 90, 180, T("2024-12-31")))
    got = [(r.customer_id, r.stage, r.entered_at.strftime("%Y-%m-%d"),
            None if pd.isna(r.left_at) else r.left_at.strftime("%Y-%m-%d"), r.status) for r in rows.itertuples()]
    assert got == [
        ("a", "visitor", "2024-01-01", "2024-01-02", "prospect"),
        ("a", "engaged", "2024-01-02", "2024-01-03", "prospect"),
        ("a", "first_purchase", "2024-01-03", "2024-04-02", "active"),
        ("a", "first_purchase", "2024-04-02", "2024-06-01", "at_risk"),
        ("a", "repeat", "2024-06-01", None, "active"),
        ("b", "visitor", "2024-02-01", "2024-02-01", "prospect"),  # bought on the first visit
        ("b", "first_purchase", "2024-02-01", "2024-05-01", "active"),
        ("b", "first_purchase", "2024-05-01", "2024-06-01", "at_risk"),
        ("b", "advocate", "2024-06-01", "2024-07-30", "at_risk"),  # a review while at risk
        ("b", "advocate", "2024-07-30", None, "lapsed"),
    ]
    moves = stay_moves(stays_of(rows))
    assert sorted(zip(moves["customer_id"], moves["from_stage"], moves["to_stage"])) == [
        ("a", "at_risk", "won_back"), ("a", "engaged", "first_purchase"), ("a", "first_purchase", "repeat"),
        ("a", "visitor", "engaged"), ("b", "at_risk", "lapsed"), ("b", "first_purchase", "advocate"),
        ("b", "visitor", "first_purchase")]
