"""The classifier's features at a cut-off: by hand on a tiny shop, and blind to anything after the cut-off."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from centric.models.clv.classifier import QUERY_FEATURES as MODEL_FEATURES
from centric.queries.clv_features import FEATURES, customer_features


def _shop(extra_orders=(), extra_lines=()):
    import ibis

    rows = [("o1", "a", "2024-01-01 10:00", "completed", 10.0), ("o2", "a", "2024-01-01 18:00", "completed", 5.0),
            ("o3", "a", "2024-02-20 09:00", "completed", 30.0), ("o4", "a", "2024-03-01 23:00", "completed", 15.0),
            ("o5", "a", "2024-03-02 08:00", "refunded", -6.0), ("o6", "b", "2024-02-25 12:00", "completed", 20.0),
            ("o7", "b", "2024-02-26 12:00", "cancelled", 50.0), ("o8", "c", "2024-03-05 12:00", "completed", 9.0),
            ("o9", "a", "2024-03-10 12:00", "completed", 7.0), ("o10", "a", "2024-03-10 15:00", "completed", 1.0),
            *extra_orders]
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "status", "total"])
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"])
    lines = pd.DataFrame([("o1", "x", "k1", 1), ("o1", "y", "k2", 5), ("o3", "x", "k1", 1), ("o6", "z", None, 1),
                          ("o9", "w", "k3", 1), *extra_lines], columns=["order_id", "sku", "category", "quantity"])
    # a and b (the customers known on Mar 2) are at home; c, d (later) abroad; e has no country
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e"], "country": ["GB", "GB", "FR", "FR", None]})
    con = ibis.duckdb.connect()
    con.create_table("customers", customers)
    return con, con.create_table("orders", orders), con.create_table("order_lines", lines)


def test_features_by_hand():
    con, orders, lines = _shop()
    f = con.execute(customer_features(orders, lines, dt.datetime(2024, 3, 2), dt.datetime(2024, 3, 31),
                                      con.table("customers")))
    f = f.set_index("customer_id")
    assert list(f.index.sort_values()) == ["a", "b"]  # c first buys after the cut-off
    a, b = f.loc["a"], f.loc["b"]
    # a: purchase days Jan 1 (two orders), Feb 20, Mar 1; cut-off day Mar 2
    assert (a["frequency"], a["recency"], a["T"], a["days_since_last"]) == (2.0, 60.0, 61.0, 1.0)
    assert a["orders"] == 4 and a["spend"] == 60.0 and a["mean_spend"] == 20.0 and a["mean_gap"] == 30.0
    assert a["days_last_30"] == 2 and a["days_last_90"] == 3  # Feb 20 and Mar 1 are within 30 days of Mar 2
    assert a["products"] == 2 and a["categories"] == 2 and a["lines"] == 3
    assert a["units_per_order"] == pytest.approx(7 / 4)  # 1 + 5 + 1 units in four purchases (o9 is later)
    assert a["return_share"] == pytest.approx(6.0 / 66.0)  # the refund on the cut-off day counts
    assert a["purchases_after"] == 1.0  # Mar 10: two orders, one purchase day
    assert a["refunds"] == 1.0
    # last purchase Mar 1, cut-off Mar 2: one day since, mean gap 30 days
    assert a["overdue"] == pytest.approx(1.0 / 30.0) and a["rate"] == pytest.approx(2.0 / 61.0)
    # months with a purchase day: Jan, Feb, Mar (3) over a tenure of 61 days = 2.004 months (+ 1)
    assert a["active_month_share"] == pytest.approx(3.0 / (61.0 / (365.25 / 12) + 1.0))
    assert (b["frequency"], b["T"], b["orders"], b["spend"], b["mean_gap"]) == (0.0, 6.0, 1.0, 20.0, 0.0)
    assert (b["refunds"], b["overdue"], b["rate"], b["units_per_order"]) == (0.0, 0.0, 0.0, 1.0)
    assert b["active_month_share"] == pytest.approx(1.0 / (6.0 / (365.25 / 12) + 1.0))
    assert b["products"] == 1 and b["categories"] == 0 and b["purchases_after"] == 0.0  # cancelled: not a purchase
    # last purchase day: a's Mar 1 (o4, no lines; the refund o5 is not a purchase), b's Feb 25 (o6: z)
    assert (a["last_products"], b["last_products"]) == (0.0, 1.0)
    assert (a["domestic"], b["domestic"]) == (1.0, 1.0)  # GB is the home country of the customers known by Mar 2
    assert tuple(FEATURES) == tuple(MODEL_FEATURES)


def test_features_do_not_see_after_the_cut_off():
    """Orders, their lines and customers after the cut-off (two more abroad: with them France would be the
    most common country, tied with Britain and first alphabetically) change no feature at the cut-off."""
    cut = dt.datetime(2024, 3, 2)
    con, orders, lines = _shop()
    before = con.execute(customer_features(orders, lines, cut, customers=con.table("customers")))
    before = before.sort_values("customer_id").reset_index(drop=True)
    assert before["domestic"].tolist() == [1.0, 1.0]
    later = [("p1", "b", "2024-03-03 00:00", "completed", 500.0), ("p2", "a", "2024-03-20 12:00", "refunded", -60.0),
             ("p3", "d", "2024-03-03 12:00", "completed", 5.0)]
    con, orders, lines = _shop(later, [("p1", "x", "k1", 3), ("p1", "v", "k4", 1), ("p3", "y", "k2", 2)])
    everything = con.execute(customer_features(orders, lines, dt.datetime(2024, 3, 31),
                                               customers=con.table("customers")))
    assert everything.set_index("customer_id")["domestic"].to_dict() == {"a": 0.0, "b": 0.0, "c": 1.0, "d": 1.0}
    assert everything.set_index("customer_id")["last_products"]["b"] == 2.0  # the later basket, x and v
    after = con.execute(customer_features(orders, lines, cut, dt.datetime(2024, 3, 31), con.table("customers")))
    after = after.sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after.drop(columns="purchases_after"))  # every feature, new ones too
    assert after.set_index("customer_id")["purchases_after"].to_dict() == {"a": 1.0, "b": 1.0}


def test_domestic_without_countries_or_customers():
    """No customer with a country, or no customers table: domestic is 0 for everyone (a constant feature)."""
    import ibis

    con, orders, lines = _shop()
    blank = con.create_table("blank", schema={"customer_id": "string", "country": "string"})
    con.insert("blank", pd.DataFrame({"customer_id": ["a", "b"], "country": [None, None]}))
    cut = dt.datetime(2024, 3, 10)
    for customers in (blank, None):
        f = con.execute(customer_features(orders, lines, cut, customers=customers))
        assert sorted(f["customer_id"]) == ["a", "b", "c"] and (f["domestic"] == 0.0).all()
    # a customer without a country is not at home; ties go to the first country alphabetically
    mixed = ibis.memtable(pd.DataFrame({"customer_id": ["a", "b", "c"], "country": ["NL", "BE", None]}))
    f = con.execute(customer_features(orders, lines, cut, customers=mixed)).set_index("customer_id")["domestic"]
    assert f.to_dict() == {"a": 0.0, "b": 1.0, "c": 0.0}


def _repeat_shop(later=()):
    import ibis

    rows = [("p1", "p", "2024-01-01 10:00"), ("p2", "p", "2024-01-15 10:00"), ("p3", "p", "2024-02-01 10:00"),
            ("q1", "q", "2024-01-05 10:00"), ("q2", "q", "2024-03-20 10:00"), ("r1", "r", "2024-03-25 10:00"),
            ("s1", "s", "2024-01-02 10:00"), *later]
    orders = pd.DataFrame([(o, c, t, "completed", 10.0) for o, c, t in rows],
                          columns=["order_id", "customer_id", "ordered_at", "status", "total"])
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"])
    skus = {"p1": "refill", "p2": "refill", "p3": "refill", "q1": "gift", "q2": "refill", "r1": "gift",
            "x1": "gift"}  # s1 has no order lines
    lines = pd.DataFrame({"order_id": list(skus), "sku": list(skus.values()), "category": "c", "quantity": 1})
    con = ibis.duckdb.connect()
    return con, con.create_table("orders", orders), con.create_table("order_lines", lines)


def test_product_repeat_by_hand():
    """Labelled (customer, day, sku) pairs: those at least 30 days before the cut-off (Mar 31: up to Mar 1).
    p's refill on Jan 1 and Jan 15 came back within 30 days, Feb 1 did not; q's gift on Jan 5 did not
    (next purchase Mar 20); s bought without order lines. Shop share 2 / 4; refill (2 + 20 * 0.5) / (3 + 20),
    gift (0 + 10) / (1 + 20); a customer's value is the mean over their pairs up to the cut-off."""
    con, orders, lines = _repeat_shop()
    cut = dt.datetime(2024, 3, 31)
    f = con.execute(customer_features(orders, lines, cut)).set_index("customer_id")["product_repeat"]
    refill, gift = 12 / 23, 10 / 21
    assert f["p"] == pytest.approx(refill) and f["r"] == pytest.approx(gift)
    assert f["q"] == pytest.approx((gift + refill) / 2)  # Mar 20's refill is not labelled yet, but it is rated
    assert f["s"] == pytest.approx(0.5)  # no order lines: the shop's share
    # a later purchase (x1: q buys a gift on Apr 2, after the cut-off) changes nothing
    con, orders, lines = _repeat_shop([("x1", "q", "2024-04-02 10:00")])
    later = con.execute(customer_features(orders, lines, cut, dt.datetime(2024, 4, 30))).set_index("customer_id")
    assert later["product_repeat"].to_dict() == pytest.approx(f.to_dict())
    # too early to label anything (cut-off Jan 20: no pair 30 days old): 0 for everyone
    early = con.execute(customer_features(orders, lines, dt.datetime(2024, 1, 20)))
    assert (early["product_repeat"] == 0.0).all()
