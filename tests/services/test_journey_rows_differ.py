"""services/journey_incremental.py `differing`: which keys' rows differ between two frames, exactly (the
incremental journey writes only those customers' rows)."""

from __future__ import annotations

import pandas as pd

from centric.services.journey_incremental import differing

T = pd.Timestamp


def rows(*items):
    return pd.DataFrame(items, columns=["customer_id", "stage", "entered_at", "left_at", "status"]).astype(
        {"entered_at": "datetime64[ns]", "left_at": "datetime64[ns]"})


A1 = ("a", "visitor", T("2025-01-01"), T("2025-02-01"), "prospect")
A2 = ("a", "first_purchase", T("2025-02-01"), pd.NaT, "active")
B1 = ("b", "visitor", T("2025-01-05"), pd.NaT, "prospect")


def test_the_same_rows_in_another_order_and_resolution_do_not_differ():
    old = rows(A1, A2, B1)
    new = rows(B1, A2, A1).astype({"entered_at": "datetime64[us]", "left_at": "datetime64[us]"})
    assert differing(old, new, "customer_id") == set()


def test_a_changed_value_an_open_end_closed_a_new_and_a_gone_key_differ():
    closed = ("a", "first_purchase", T("2025-02-01"), T("2025-03-01"), "active")
    assert differing(rows(A1, A2, B1), rows(A1, closed, B1), "customer_id") == {"a"}
    assert differing(rows(A1, A2), rows(A1, A2, B1), "customer_id") == {"b"}
    assert differing(rows(A1, A2, B1), rows(B1), "customer_id") == {"a"}
    moved = ("b", "visitor", T("2025-01-05"), pd.NaT, "at_risk")
    assert differing(rows(A1, A2, B1), rows(A1, A2, moved), "customer_id") == {"b"}


def test_a_row_held_twice_differs_from_it_held_once():
    assert differing(rows(A1, A2), rows(A1, A1, A2), "customer_id") == {"a"}
    # as many rows, one swapped for a copy of another
    assert differing(rows(A1, A2), rows(A1, A1), "customer_id") == {"a"}


def test_empty_frames():
    assert differing(rows(), rows(), "customer_id") == set()
    assert differing(rows(), rows(A1), "customer_id") == {"a"}
