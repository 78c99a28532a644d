"""Money is what the customer kept: currencies converted or quarantined, credit notes netted, charges apart."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from centric.store.ingest import ingest_table_file
from centric.store.order_exports import ingest_order_export

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def _summary(store, end=None):
    from centric.queries.customer_summary import customer_summary

    end = end or store.con.execute("SELECT max(ordered_at) FROM orders").fetchone()[0]
    return store.ibis().execute(customer_summary(store.ibis().table("orders"), end)).set_index("customer_id")


def _orders(store):
    return store.query_df("SELECT * FROM orders ORDER BY order_id").set_index("order_id")


# -- currencies ------------------------------------------------------------------------------------

def test_other_currencies_convert_at_the_latest_earlier_rate_and_keep_the_original(store, write):
    rates = write("rates.csv", "rate_date,currency,rate\n2024-01-01,GBP,1.15\n2024-02-01,gbp,1.17\n2024-03-01,GBP,1.20\n")
    assert ingest_table_file(store.con, "fx_rates", rates, currency="EUR").tables["fx_rates"].inserted == 3
    orders = write("orders.csv", "order_id,customer_id,ordered_at,currency,total,shipping\n"
                                 "A,c1,2024-01-05 10:00:00,EUR,100,5\n"
                                 "B,c1,2024-02-29 23:00:00,GBP,50,10\n"
                                 "C,c2,2024-03-01 00:30:00,GBP,10,\n"
                                 "D,c2,2024-03-02 00:30:00,,20,\n")
    ingest_table_file(store.con, "orders", orders, currency="EUR")
    o = _orders(store)
    # B on 29 Feb takes the 1 Feb rate; C on 1 Mar the 1 Mar one; no currency = the workspace's
    assert o.loc["B", ["total", "shipping", "fx_rate", "original_total", "original_currency", "currency"]].tolist() \
        == [58.5, 11.7, 1.17, 50.0, "GBP", "EUR"]
    assert o.loc["C", "fx_rate"] == 1.2 and float(o.loc["C", "total"]) == 12.0
    assert o.loc["A", "fx_rate"] == 1.0 and o.loc["D", "original_currency"] == "EUR"
    assert float(o.loc["B", "merchandise"]) == 58.5 - 11.7


def test_an_order_without_a_rate_is_quarantined_with_the_missing_rate_named(store, write):
    rates = write("rates.csv", "rate_date,currency,rate\n2024-02-01,GBP,1.17\n")
    ingest_table_file(store.con, "fx_rates", rates, currency="EUR")
    orders = write("orders.csv", "order_id,customer_id,ordered_at,currency,total\n"
                                 "A,c1,2024-01-05 10:00:00,EUR,100\n"
                                 "B,c1,2024-01-31 10:00:00,GBP,50\n"  # before the first GBP rate
                                 "C,c1,2024-02-03 10:00:00,USD,70\n")
    report = ingest_table_file(store.con, "orders", orders, currency="EUR")
    assert sorted(store.con.execute("SELECT order_id FROM orders").fetchall()) == [("A",)]
    reasons = dict(store.con.execute("SELECT line, reason FROM quarantine").fetchall())
    assert reasons[3] == ("no GBP rate on or before 2024-01-31 in fx_rates: load one with "
                          "`centric ingest fx_rates FILE`, then ingest this file again")
    assert reasons[4].startswith("no USD rate on or before 2024-02-03")
    assert report.quarantined_rows == 2
    # nothing summed raw: the shop's revenue is the one EUR order
    from centric.queries.revenue import shop_totals

    assert float(store.ibis().execute(shop_totals(store.ibis().table("orders")))["revenue"].iloc[0]) == 100.0
    # the rate loaded, the same file again loads the rest
    ingest_table_file(store.con, "fx_rates", write("more.csv", "rate_date,currency,rate\n2024-01-01,GBP,1.1\n"
                                                              "2024-01-01,USD,0.9\n"), currency="EUR")
    ingest_table_file(store.con, "orders", orders, currency="EUR")
    assert store.count("orders") == 3 and store.count("quarantine") == 0


def test_an_export_in_another_currency_converts_its_lines_and_charges(store, write):
    ingest_table_file(store.con, "fx_rates", write("r.csv", "rate_date,currency,rate\n2010-01-01,GBP,2\n"), currency="EUR")
    path = write("uci.csv", HEADER + "1,SKUA,a,2,2011-01-03 10:00:00,1.25,7,United Kingdom\n"
                                     "1,POST,POSTAGE,1,2011-01-03 10:00:00,18,7,United Kingdom\n")
    ingest_order_export(store.con, "online_retail", path, currency="EUR")
    assert store.con.execute("SELECT unit_price FROM order_lines").fetchone()[0] == 2.5
    assert store.con.execute("SELECT amount FROM order_charges").fetchone()[0] == 36
    assert store.con.execute("SELECT total, shipping, merchandise FROM orders").fetchone() == (41, 36, 5)
    quarantined = write("uci2.csv", HEADER + "2,SKUA,a,2,2009-01-03 10:00:00,1.25,7,United Kingdom\n"
                                             "2,SKUB,b,1,2009-01-03 10:00:00,3,7,United Kingdom\n")
    report = ingest_order_export(store.con, "online_retail", quarantined, currency="EUR")
    assert report.quarantined_rows == 2 and store.count("orders") == 1  # every line of the order, with its reason
    assert "no GBP rate on or before 2009-01-03" in next(iter(report.quarantined))


# -- charges ---------------------------------------------------------------------------------------

def test_charge_lines_are_order_charges_not_products(store, write):
    path = write("uci.csv", HEADER + "\n".join([
        "1,85123A,HEART,6,2011-01-03 10:00:00,2.55,7,United Kingdom",
        "1,POST,POSTAGE,2,2011-01-03 10:00:00,18,7,United Kingdom",
        "1,BANK CHARGES,Bank Charges,1,2011-01-03 10:00:00,15,7,United Kingdom",
        "2,M,Manual,1,2011-01-04 10:00:00,40,7,United Kingdom",
        "2,gift_0001_20,Gift Voucher,1,2011-01-04 10:00:00,16.67,7,United Kingdom",
        "2,22423,CAKESTAND,1,2011-01-04 10:00:00,12.75,7,United Kingdom",
        "3,SHIPX,My shipping,1,2011-01-05 10:00:00,5,7,United Kingdom",
    ]) + "\n")
    ingest_order_export(store.con, "online_retail", path, charge_skus={"SHIPX": "shipping"})
    assert sorted(r[0] for r in store.con.execute("SELECT sku FROM order_lines").fetchall()) == ["22423", "85123A"]
    kinds = dict(store.con.execute("SELECT sku, kind FROM order_charges").fetchall())
    assert kinds == {"POST": "shipping", "BANK CHARGES": "fee", "M": "manual", "gift_0001_20": "voucher",
                     "SHIPX": "shipping"}
    o = _orders(store)
    assert [float(o.loc["1", c]) for c in ("total", "shipping", "charges", "merchandise")] == [66.3, 36, 15, 15.3]
    assert [float(o.loc["2", c]) for c in ("charges", "merchandise")] == [56.67, 12.75]
    # an order of postage alone is no purchase, and charges are no revenue
    s = _summary(store)
    assert s.loc["7", "orders"] == 2 and float(s.loc["7", "revenue"]) == pytest.approx(15.3 + 12.75)


def test_user_charge_skus_on_canonical_order_lines(store, write):
    ingest_table_file(store.con, "orders", write("o.csv", "order_id,customer_id,ordered_at,total,shipping\n"
                                                          "A,c1,2024-01-05,30,5\n"))
    lines = write("l.csv", "order_id,line_no,sku,category,quantity,unit_price\nA,1,X,toys,1,25\n"
                           "A,2,SHIP,,1,5\nA,3,WRAP,fee,1,2\n")
    ingest_table_file(store.con, "order_lines", lines, charge_skus={"SHIP": "shipping"})
    assert store.count("order_lines") == 1
    assert dict(store.con.execute("SELECT sku, kind FROM order_charges").fetchall()) == {"SHIP": "shipping", "WRAP": "fee"}
    assert float(store.con.execute("SELECT merchandise FROM orders").fetchone()[0]) == 25.0


# -- credit notes ----------------------------------------------------------------------------------

def test_credit_notes_linked_by_reference(store, write):
    ingest_table_file(store.con, "orders", write("o.csv", "order_id,customer_id,ordered_at,status,total,reverses_order_id\n"
                                                          "A,c1,2024-01-05,completed,100,\n"
                                                          "B,c1,2024-03-05,completed,40,\n"
                                                          "RA,c1,2024-02-01,refunded,-30,A\n"
                                                          "RB,c1,2024-04-01,refunded,-40,B\n"
                                                          "RX,c1,2024-04-02,refunded,-10,NOPE\n"))
    o = _orders(store)
    assert [float(o.loc[k, "net_merchandise"]) for k in ("A", "B", "RA", "RB", "RX")] == [70, 0, 0, 0, -10]
    assert float(o.loc["A", "returned"]) == 30
    s = _summary(store)
    assert s.loc["c1", "orders"] == 1 and float(s.loc["c1", "revenue"]) == 60  # 70 kept, RX unlinked
    assert float(s.loc["c1", "gross_revenue"]) == 140 and float(s.loc["c1", "returns"]) == 80
    assert set(map(tuple, store.query_df("SELECT credit_order_id, order_id, matched_by FROM order_reversals")
                   .to_numpy())) == {("RA", "A", "reference"), ("RB", "B", "reference")}


UCI_CREDITS = [
    # two invoices of sku SKUA, then a credit note returning 3 SKUA (the latest invoice with >= 3) and 2 SKUB
    # (the older one: the only one with SKUB)
    "1,SKUA,a,5,2011-01-03 10:00:00,2,7,United Kingdom",
    "1,SKUB,b,2,2011-01-03 10:00:00,10,7,United Kingdom",
    "2,SKUA,a,4,2011-02-03 10:00:00,2,7,United Kingdom",
    "2,SKUC,c,1,2011-02-03 10:00:00,3,7,United Kingdom",
    "C3,SKUA,a,-3,2011-02-10 10:00:00,2,7,United Kingdom",
    "C3,SKUB,b,-2,2011-02-10 10:00:00,10,7,United Kingdom",
    # no purchase of SKUZ before: unlinked, negative revenue in March
    "C4,SKUZ,z,-1,2011-03-10 10:00:00,9,7,United Kingdom",
    # customer 8 buys 1 SKUD, returns 2: no purchase line with >= 2 units: unlinked
    "5,SKUD,d,1,2011-01-05 10:00:00,4,8,United Kingdom",
    "C6,SKUD,d,-2,2011-01-06 10:00:00,4,8,United Kingdom",
    # a credit before the purchase does not match it
    "C7,SKUE,e,-1,2011-01-01 10:00:00,6,9,United Kingdom",
    "8,SKUE,e,1,2011-01-02 10:00:00,6,9,United Kingdom",
]


def test_credit_notes_without_reference_match_the_latest_earlier_purchase_line_by_line(store, write):
    ingest_order_export(store.con, "online_retail", write("uci.csv", HEADER + "\n".join(UCI_CREDITS) + "\n"))
    rev = {(c, o): float(a) for c, o, m, a in store.con.execute("SELECT * FROM order_reversals").fetchall()}
    assert rev == {("C3", "2"): 6.0, ("C3", "1"): 20.0}  # one credit note, two invoices
    o = _orders(store)
    net = {k: float(o.loc[k, "net_merchandise"]) for k in o.index}
    assert net == {"1": 10.0, "2": 5.0, "C3": 0.0, "C4": -9.0, "5": 4.0, "C6": -8.0, "C7": -6.0, "8": 6.0}
    s = _summary(store)
    assert float(s.loc["7", "revenue"]) == 10 + 5 - 9 and s.loc["7", "orders"] == 2
    from centric.queries.revenue import monthly_revenue

    months = store.ibis().execute(monthly_revenue(store.ibis().table("orders"))).set_index("month")["revenue"]
    assert float(months[pd.Timestamp("2011-03-01")]) == -9.0  # the unlinked credit, in its own month


def test_a_fully_reversed_order_is_as_if_it_never_happened(tmp_path, write):
    from centric.store.connection import Store

    base = ["1,SKUA,a,2,2011-01-03 10:00:00,5,7,United Kingdom", "2,SKUB,b,1,2011-03-03 10:00:00,8,7,United Kingdom",
            "9,SKUB,b,1,2011-06-30 10:00:00,8,99,United Kingdom"]
    reversed_ = ["3,SKUA,a,10,2011-05-01 10:00:00,5,7,United Kingdom", "C4,SKUA,a,-10,2011-05-01 11:00:00,5,7,United Kingdom"]
    with Store(tmp_path / "a.duckdb") as a, Store(tmp_path / "b.duckdb") as b:
        ingest_order_export(a.con, "online_retail", write("a.csv", HEADER + "\n".join(base) + "\n"))
        ingest_order_export(b.con, "online_retail", write("b.csv", HEADER + "\n".join(base + reversed_) + "\n"))
        end = dt.datetime(2011, 6, 30, 12)
        sa, sb = _summary(a, end), _summary(b, end)
        cols = ["orders", "frequency", "recency", "T", "days_since_last_order", "revenue", "monetary_value", "r_score"]
        pd.testing.assert_frame_equal(sa[cols], sb[cols])
        assert float(sb.loc["7", "gross_revenue"]) == float(sa.loc["7", "gross_revenue"]) + 50


def test_net_revenue_matches_a_pandas_recomputation_on_a_planted_file(store, write):
    """Oracle: customers' goods lines summed with their credit lines, on a random UCI-style file with charges,
    partial and over-large returns, returns before any purchase, and guests."""
    rng = np.random.default_rng(3)
    rows, start = [], pd.Timestamp("2011-01-01")
    for i in range(400):
        cid = str(rng.integers(1, 40)) if rng.random() > 0.1 else ""
        at = start + pd.Timedelta(hours=int(rng.integers(0, 24 * 300)))
        credit = rng.random() < 0.25
        inv = f"C{i}" if credit else str(i)
        for _ in range(int(rng.integers(1, 4))):
            sku = str(rng.choice(["SKUA", "SKUB", "SKUC", "D", "POST", "M"]))
            q = int(rng.integers(1, 6)) * (-1 if credit else 1)
            rows.append(f"{inv},{sku},x,{q},{at:%Y-%m-%d %H:%M:%S},{rng.integers(1, 20) / 4},{cid},United Kingdom")
    path = write("planted.csv", HEADER + "\n".join(rows) + "\n")
    ingest_order_export(store.con, "online_retail", path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw[~raw.duplicated(keep="first")]
    # D (discount) lines net into the goods' value; POST and M are charges
    goods = raw[(raw["CustomerID"] != "") & ~raw["StockCode"].isin(["POST", "M"])]
    want = (goods["Quantity"].astype(int) * goods["UnitPrice"].astype(float)).groupby(goods["CustomerID"]).sum()
    s = _summary(store)["revenue"].astype(float)
    np.testing.assert_allclose(s, want.reindex(s.index), atol=0.005)
    assert (want.drop(s.index) <= 0.005).all()
    assert store.con.execute("SELECT count(*) FROM order_reversals").fetchone()[0] > 20
