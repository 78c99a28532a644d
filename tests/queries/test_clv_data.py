"""The CLV model data from orders equal the published CDNOW summary and a plain-pandas oracle."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from centric.queries.clv_data import clv_model_data, unit_days
from tests.models.conftest import DATA


@pytest.fixture(scope="module")
def cdnow():
    import ibis

    raw = pd.read_csv(DATA / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "total"])
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(raw))],
                           "customer_id": raw["customer_id"].astype(str),
                           "ordered_at": pd.to_datetime(raw["date"].astype(str)),
                           "status": "completed", "total": raw["total"].astype(float)})
    con = ibis.duckdb.connect()
    return orders, con.create_table("orders", orders), con


def test_cdnow_calibration_summary_matches_the_published_one(cdnow):
    _, table, con = cdnow
    got = con.execute(clv_model_data(table, dt.datetime(1997, 9, 30), "weeks"))
    ref = pd.read_csv(DATA / "cdnow_customers_summary.csv")
    got["ID"] = got["customer_id"].astype(int)
    both = got.merge(ref, on="ID", suffixes=("", "_ref"))
    assert len(both) == len(ref) == 2357
    assert (both["frequency"] == both["frequency_ref"]).all()
    np.testing.assert_allclose(both["recency"], both["recency_ref"], atol=0.005)  # published to 2 decimals
    np.testing.assert_allclose(both["T"], both["T_ref"], atol=0.005)


@pytest.mark.parametrize("unit", ["days", "weeks", "months"])
def test_holdout_split_matches_a_pandas_oracle(cdnow, unit):
    orders, table, con = cdnow
    cal_end, hold_end = dt.datetime(1997, 9, 30), dt.datetime(1998, 6, 30)
    got = con.execute(clv_model_data(table, cal_end, unit, hold_end)).set_index("customer_id").sort_index()
    days = orders.assign(day=orders["ordered_at"].dt.normalize()).groupby(["customer_id", "day"])["total"].sum().reset_index()
    days = days[days["day"] <= hold_end]
    first = days.groupby("customer_id")["day"].min().rename("first")
    days = days.join(first, on="customer_id")
    days = days[days["first"] <= cal_end]
    cal = days[days["day"] <= cal_end]
    per = unit_days(unit)
    rep = cal[cal["day"] > cal["first"]]
    want = pd.DataFrame({
        "frequency": rep.groupby("customer_id").size(),
        "monetary_value": rep.groupby("customer_id")["total"].mean(),
    }).reindex(first[first <= cal_end].index).fillna(0.0)
    want["recency"] = (cal.groupby("customer_id")["day"].max() - first).dt.days / per
    want["T"] = (pd.Timestamp(cal_end) - first).dt.days / per
    hold = days[days["day"] > cal_end]
    want["frequency_holdout"] = hold.groupby("customer_id").size().reindex(want.index).fillna(0)
    want = want.sort_index()
    assert list(got.index) == list(want.index)
    for col in ("frequency", "recency", "T", "monetary_value", "frequency_holdout"):
        np.testing.assert_allclose(got[col].astype(float), want[col].astype(float), rtol=1e-12, err_msg=col)
    assert got["duration_holdout"].iloc[0] == pytest.approx(273 / per)


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unknown time unit"):
        unit_days("fortnights")
