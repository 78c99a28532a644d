"""Moves out of stays and their monthly rates, on a handful of stays worked out by hand."""

from __future__ import annotations

import pandas as pd

from centric.models.journey.stages import monthly_rates, stay_moves, transitions

T = pd.Timestamp
STAYS = pd.DataFrame([
    ("a", "first_purchase", T("2024-01-10"), T("2024-03-05")),
    ("a", "repeat", T("2024-03-05"), pd.NaT),
    ("b", "first_purchase", T("2024-02-01"), pd.NaT),
    ("c", "first_purchase", T("2024-01-20"), T("2024-01-25")),
    ("c", "repeat", T("2024-01-25"), pd.NaT),
    ("b", "at_risk", T("2024-05-01"), T("2024-06-01")),  # lapses
    ("b", "lapsed", T("2024-06-01"), T("2024-07-15")),  # won back
    ("c", "at_risk", T("2024-04-25"), T("2024-05-10")),  # won back before lapsing
], columns=["customer_id", "stage", "entered_at", "left_at"])


def test_moves_out_of_stays():
    moves = stay_moves(STAYS).sort_values(["customer_id", "moved_at"])
    assert list(moves[["customer_id", "from_stage", "to_stage"]].itertuples(index=False, name=None)) == [
        ("a", "first_purchase", "repeat"), ("b", "at_risk", "lapsed"), ("b", "lapsed", "won_back"),
        ("c", "first_purchase", "repeat"), ("c", "at_risk", "won_back")]
    table = transitions(STAYS).set_index(["from_stage", "to_stage"])
    assert table.loc[("first_purchase", "repeat"), "customers"] == 2
    assert table.loc[("first_purchase", "repeat"), "share"] == 2 / 3
    assert table.loc[("first_purchase", "repeat"), "median_days"] == (55 + 5) / 2
    assert table.loc[("at_risk", "won_back"), "share"] == 0.5


def test_monthly_rates_count_stays_in_the_month_and_moves_made_in_it():
    rates = monthly_rates(STAYS, stay_moves(STAYS), T("2024-07-31"))
    first = rates[(rates["from_stage"] == "first_purchase")].set_index("month")
    # January: a, c in the stage (c moved on the 25th); February: a, b; March: a (moved), b; April-July: b
    assert first["in_stage"].to_dict() == {T("2024-01-01"): 2, T("2024-02-01"): 2, T("2024-03-01"): 2,
                                           T("2024-04-01"): 1, T("2024-05-01"): 1, T("2024-06-01"): 1,
                                           T("2024-07-01"): 1}
    assert first["moved"].tolist() == [1, 0, 1, 0, 0, 0, 0]
    assert first.loc[T("2024-03-01"), "rate"] == 0.5
    risk = rates[rates["from_stage"] == "at_risk"].set_index(["to_stage", "month"])
    assert risk.loc[("lapsed", T("2024-06-01")), "in_stage"] == 1  # b's stay ended on June 1st
    assert risk.loc[("won_back", T("2024-05-01")), ["in_stage", "moved"]].tolist() == [2, 1]


def test_the_fast_stable_order_is_sort_values_order_with_ties_and_missing_times():
    """stays_of sorts with numpy's lexsort when it can (models/journey/stages.py _order): the same positions as
    pandas' stable sort_values, ties kept in their order; with a missing time it falls back to pandas."""
    import numpy as np
    import pandas as pd

    from centric.models.journey.stages import _order

    rng = np.random.default_rng(3)
    days = pd.to_timedelta(rng.integers(0, 4, 400), unit="D")
    frame = pd.DataFrame({"customer_id": rng.integers(0, 5, 400), "rank": rng.integers(0, 3, 400),
                          "entered_at": pd.Timestamp("2025-01-01") + days})
    columns = ["customer_id", "entered_at", "rank"]
    want = frame.sort_values(columns, kind="stable").index.to_numpy()
    assert (_order(frame, columns) == want).all()
    frame.loc[[3, 77], "entered_at"] = pd.NaT  # NaT sorts last in pandas, first as an integer
    want = frame.sort_values(columns, kind="stable").index.to_numpy()
    assert (_order(frame, columns) == want).all()
