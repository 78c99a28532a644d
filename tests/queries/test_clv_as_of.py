"""The CLV backtest knows only what was known at its cut-off: a credit note dated after the calibration's
end does not reach back into the calibration data or the Classifier's features (queries/clv_data.py,
queries/clv_features.py, revenue.orders_as_of)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from centric.store.ingest import ingest_table_file
from centric.store.order_exports import ingest_order_export

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
CAL_END, HOLD_END = dt.datetime(2011, 6, 30), dt.datetime(2011, 12, 1)
# 7: a purchase before the cut-off (Mar 1, 20) fully returned after it (Aug 1), one more in the holdout;
# 8: a purchase (Feb 1, 20) fully returned before the cut-off (Mar 1);
# 9: a purchase (Apr 1, 4 x 10) a quarter of it returned after the cut-off (Sep 15);
# 10: two purchases, nothing returned.
PLANTED = HEADER + (
    "1,SKUA,a,2,2011-01-03 10:00:00,5,7,United Kingdom\n"
    "2,SKUB,b,1,2011-03-01 10:00:00,20,7,United Kingdom\n"
    "C1,SKUB,b,-1,2011-08-01 10:00:00,20,7,United Kingdom\n"
    "3,SKUA,a,1,2011-09-01 10:00:00,5,7,United Kingdom\n"
    "4,SKUA,a,1,2011-01-05 10:00:00,5,8,United Kingdom\n"
    "5,SKUB,b,1,2011-02-01 10:00:00,20,8,United Kingdom\n"
    "C2,SKUB,b,-1,2011-03-01 10:00:00,20,8,United Kingdom\n"
    "6,SKUA,a,1,2011-01-10 10:00:00,5,9,United Kingdom\n"
    "7,SKUC,c,4,2011-04-01 10:00:00,10,9,United Kingdom\n"
    "C3,SKUC,c,-1,2011-09-15 10:00:00,10,9,United Kingdom\n"
    "8,SKUA,a,1,2011-01-12 10:00:00,5,10,United Kingdom\n"
    "9,SKUA,a,3,2011-05-12 10:00:00,5,10,United Kingdom\n"
    "10,SKUA,a,1,2011-11-30 10:00:00,5,10,United Kingdom\n"
)


@pytest.fixture
def planted(store, write):
    ingest_order_export(store.con, "online_retail", write("uci.csv", PLANTED), currency="GBP")
    got = dict(store.con.execute("SELECT order_id, CAST(net_merchandise AS DOUBLE) FROM orders").fetchall())
    assert (got["2"], got["5"], got["7"]) == (0.0, 0.0, 30.0)  # the final values: every credit note netted
    return store


def test_calibration_reads_the_purchases_as_known_at_its_end(planted):
    from centric.services.clv_scoring import model_data

    data = model_data(planted, CAL_END, HOLD_END, features=True).set_index("customer_id")
    # 7: the Mar 1 purchase, returned only in August, is a repeat purchase of its whole value
    assert data.loc["7", ["frequency", "monetary_value", "orders", "spend"]].tolist() == [1.0, 20.0, 2.0, 30.0]
    assert data.loc["7", "frequency_holdout"] == 1.0  # the holdout's own purchase
    # 8: returned before the cut-off, so no purchase there either
    assert data.loc["8", ["frequency", "monetary_value", "orders", "spend"]].tolist() == [0.0, 0.0, 1.0, 5.0]
    # 9: a partial return after the cut-off does not reduce the calibration value
    assert data.loc["9", ["frequency", "monetary_value", "spend"]].tolist() == [1.0, 40.0, 45.0]
    assert data.loc["10", ["frequency", "monetary_value", "spend", "frequency_holdout"]].tolist() \
        == [1.0, 15.0, 20.0, 1.0]


def test_at_the_last_order_the_values_are_the_final_ones(planted):
    """The model data at the end of the history (the production fit) is the final values' reading."""
    from centric.queries.clv_data import clv_model_data

    db = planted.ibis()
    end = dt.datetime(2011, 11, 30, 10)
    final = db.execute(clv_model_data(db.table("orders"), end)).sort_values("customer_id").reset_index(drop=True)
    known = db.execute(clv_model_data(db.table("orders"), end, reversals=db.table("order_reversals")))
    pd.testing.assert_frame_equal(final, known.sort_values("customer_id").reset_index(drop=True))
    assert final.set_index("customer_id").loc["7", "monetary_value"] == 5.0  # Mar 1 returned: only Sep 1 repeats


def test_training_labels_as_known_at_the_scoring_cut_off(planted):
    """Features as known at the origin; labels as known at `known_at` (the services pass the scoring
    cut-off): 8's Feb 1 purchase, returned Mar 1, is a label at an origin of Jan 20 known at Feb 28,
    not when known at the calibration's end; 7's Mar 1 purchase, returned in August, is one at the
    calibration's end (as it was known then)."""
    from centric.queries.clv_features import customer_features

    db = planted.ibis()
    orders, lines, rev = db.table("orders"), db.table("order_lines"), db.table("order_reversals")
    origin, label_end = dt.datetime(2011, 1, 20), dt.datetime(2011, 2, 28)
    early = db.execute(customer_features(orders, lines, origin, label_end, reversals=rev)).set_index("customer_id")
    assert early.loc["8", "purchases_after"] == 1.0
    late = db.execute(customer_features(orders, lines, origin, label_end, reversals=rev, known_at=CAL_END))
    assert late.set_index("customer_id").loc["8", "purchases_after"] == 0.0
    origin, label_end = dt.datetime(2011, 2, 15), CAL_END
    f = db.execute(customer_features(orders, lines, origin, label_end, reversals=rev, known_at=CAL_END))
    assert f.set_index("customer_id").loc["7", "purchases_after"] == 1.0


def test_without_returns_nothing_moves(store, write):
    """A shop without credit notes (CDNOW-like: orders without lines) gives exactly the final values' numbers."""
    from centric.queries.clv_data import clv_model_data
    from centric.queries.clv_features import customer_features
    from centric.services.clv_scoring import model_data

    rows = ["order_id,customer_id,ordered_at,total"]
    for i, (c, day, total) in enumerate([("a", "1997-01-01", 10), ("a", "1997-02-03", 12.5), ("a", "1997-09-01", 7),
                                         ("b", "1997-01-05", 30), ("b", "1997-10-02", 4), ("c", "1997-03-01", 9),
                                         ("c", "1997-03-20", 11), ("c", "1997-03-20", 2), ("d", "1997-08-01", 5)]):
        rows.append(f"o{i},{c},{day} 12:00:00,{total}")
    ingest_table_file(store.con, "orders", write("orders.csv", "\n".join(rows) + "\n"), currency="USD")
    db = store.ibis()
    cal, hold = dt.datetime(1997, 6, 30), dt.datetime(1997, 12, 31)
    old = db.execute(clv_model_data(db.table("orders"), cal, "days", hold)).sort_values("customer_id")
    new = model_data(store, cal, hold, features=True)
    pd.testing.assert_frame_equal(old.reset_index(drop=True), new[old.columns].reset_index(drop=True))
    old_f = db.execute(customer_features(db.table("orders"), db.table("order_lines"), cal, hold))
    new_f = db.execute(customer_features(db.table("orders"), db.table("order_lines"), cal, hold,
                                         reversals=db.table("order_reversals"), known_at=hold))
    pd.testing.assert_frame_equal(old_f.sort_values("customer_id").reset_index(drop=True),
                                  new_f.sort_values("customer_id").reset_index(drop=True))
