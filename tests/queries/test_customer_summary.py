"""The customer summary: against a brute-force pandas reading, and the same on DuckDB and PySpark."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from centric.queries.customer_summary import RFM_SEGMENTS, check_cuts, customer_summary, rfm_segment_of

END = dt.datetime(2024, 12, 31, 23, 0)


def random_orders(seed: int = 1, n: int = 400) -> pd.DataFrame:
    """Orders with the store's derived money columns (store/reversals.py): some purchases partly or
    fully reversed, credit notes partly linked, free orders, cancelled and pending ones."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    status = rng.choice(["completed"] * 8 + ["cancelled", "refunded", "pending"], size=n)
    merch = np.round(rng.gamma(2, 30, n), 2)
    merch[rng.random(n) < 0.03] = 0.0  # free orders
    shipping = np.where(rng.random(n) < 0.3, 4.95, 0.0)
    returned = np.zeros(n)
    net = merch.copy()
    reversed_share = rng.choice([0.0] * 6 + [0.5, 1.0], size=n)  # partial and full reversals
    sale = status == "completed"
    returned[sale] = np.round(merch[sale] * reversed_share[sale], 2)
    net[sale] = merch[sale] - returned[sale]
    credit = status == "refunded"
    merch[credit] *= -1
    net[credit] = np.round(merch[credit] * rng.choice([0.0, 0.4, 1.0], size=int(credit.sum())), 2)  # unlinked part
    net[(status == "cancelled") | (status == "pending")] = 0.0
    total = merch + shipping
    total[merch == 0] = 0.0
    return pd.DataFrame({
        "order_id": [f"o{i}" for i in range(n)],
        "customer_id": rng.choice([f"c{i}" for i in range(60)] + [None], size=n),
        "ordered_at": start + pd.to_timedelta(rng.integers(0, 720 * 24, n), unit="h"),
        "status": status, "total": total, "merchandise": merch, "returned": returned, "net_merchandise": net,
    })


def oracle(orders: pd.DataFrame, end: dt.datetime) -> pd.DataFrame:
    """Brute force, one customer at a time, straight from the definitions in the docstrings: a purchase
    is completed with a positive net value (or of no value at all); revenue sums the net value of the
    customer's completed and refunded orders (unlinked credit notes are negative); gross sums the goods
    of those with goods."""
    rows = []
    end_day = pd.Timestamp(end).normalize()
    for cid, g in orders[orders["customer_id"].notna() & (orders["ordered_at"] <= end)].groupby("customer_id"):
        free = (g["merchandise"] == 0) & (g["total"] == 0)
        buys = g[(g["status"] == "completed") & ((g["net_merchandise"] > 0) | free)]
        if buys.empty:
            continue
        days = buys.groupby(buys["ordered_at"].dt.normalize())["net_merchandise"].sum().sort_index()
        first, last = days.index[0], days.index[-1]
        counted = g[g["status"].isin(["completed", "refunded"])]
        revenue = counted["net_merchandise"].sum()
        gross = counted.loc[counted["merchandise"] > 0, "merchandise"].sum()
        rows.append({
            "customer_id": cid, "orders": len(buys), "revenue": revenue, "gross_revenue": gross,
            "returns": gross - revenue, "frequency": len(days) - 1, "recency": float((last - first).days),
            "T": float((end_day - first).days),
            "monetary_value": days.iloc[1:].mean() if len(days) > 1 else 0.0,
            "days_since_last_order": float((end_day - last).days),
        })
    return pd.DataFrame(rows).sort_values("customer_id").reset_index(drop=True)


def run_duckdb(orders: pd.DataFrame, end, **kwargs) -> pd.DataFrame:
    import ibis

    con = ibis.duckdb.connect()
    t = con.create_table("orders", orders)
    return con.execute(customer_summary(t, end, **kwargs)).sort_values("customer_id").reset_index(drop=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_brute_force(seed):
    orders = random_orders(seed)
    got = run_duckdb(orders, END)
    want = oracle(orders, END)
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    for col in ("orders", "revenue", "gross_revenue", "returns", "frequency", "recency", "T", "monetary_value",
                "days_since_last_order"):
        np.testing.assert_allclose(got[col].astype(float), want[col].astype(float), rtol=1e-9, atol=1e-9,
                                   err_msg=col)
    np.testing.assert_allclose(got["net_revenue"], got["revenue"])
    np.testing.assert_allclose(got["revenue"], got["gross_revenue"] - got["returns"], atol=1e-9)
    np.testing.assert_allclose(got["aov"], got["revenue"] / got["orders"])


def test_rfm_scores_are_quintiles_that_respect_ties_and_segments_follow_the_grid():
    got = run_duckdb(random_orders(4, 2000), END)
    for col, value in (("r_score", -got["days_since_last_order"]), ("f_score", got["orders"]), ("m_score", got["revenue"])):
        assert got[col].between(1, 5).all()
        # equal values share a score; a larger value never scores lower
        order = np.argsort(value.to_numpy(), kind="stable")
        assert (np.diff(got[col].to_numpy()[order]) >= 0).all()
        assert got.groupby(value.round(9))[col].nunique().max() == 1
    for r, f, seg, score in got[["r_score", "f_score", "rfm_segment", "rfm_score"]].itertuples(index=False):
        assert seg == rfm_segment_of(r, f)
        assert score[:2] == f"{r}{f}"


def test_segment_grid_names_every_cell_and_uses_every_segment():
    named = {(r, f): rfm_segment_of(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert set(named.values()) == {name for name, _, _ in RFM_SEGMENTS}
    assert named[(1, 1)] == "Lost" and named[(2, 1)] == "Hibernating" and named[(5, 5)] == "Champions"


@pytest.mark.parametrize("cuts", [(0.2, 0.4, 0.6, 0.8), (0.1, 0.3, 0.7, 0.95)])
def test_rfm_scores_follow_the_configured_cut_points(cuts):
    orders = random_orders(5, 800)
    got = run_duckdb(orders, END, cuts=cuts)
    value = got["orders"].to_numpy()
    # percent rank as DuckDB defines it: (rank - 1) / (n - 1), ties get the lowest rank
    rank = (pd.Series(value).rank(method="min").to_numpy() - 1) / (len(value) - 1)
    want = 1 + (rank[:, None] >= np.array(cuts)[None, :]).sum(axis=1)
    assert got["f_score"].tolist() == want.tolist()


@pytest.mark.parametrize("cuts", [(0.2, 0.4, 0.6), (0.0, 0.4, 0.6, 0.8), (0.2, 0.6, 0.4, 0.8), (0.2, 0.4, 0.6, 1.0)])
def test_bad_cut_points_are_refused(cuts):
    with pytest.raises(ValueError, match="four increasing"):
        check_cuts(cuts)


@pytest.mark.spark
def test_same_result_on_duckdb_and_pyspark(tmp_path):
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: PySpark cannot start (make test installs one with apt-get)")
    import ibis
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("centric-tests")
             .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.sql.warehouse.dir", str(tmp_path / "wh")).getOrCreate())
    try:
        orders = random_orders(5, 600)
        for col in ("total", "merchandise", "returned", "net_merchandise"):
            orders[col] = orders[col].astype(float)
        records = [tuple(None if pd.isna(v) else v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
                         for v in r) for r in orders.itertuples(index=False)]
        schema = ("order_id string, customer_id string, ordered_at timestamp, status string, total double, "
                  "merchandise double, returned double, net_merchandise double")
        spark.createDataFrame(records, schema).createOrReplaceTempView("orders")
        sp = ibis.pyspark.connect(spark)
        on_spark = sp.execute(customer_summary(sp.table("orders"), END)).sort_values("customer_id").reset_index(drop=True)
        on_duck = run_duckdb(orders, END)
        assert len(on_spark) == len(on_duck) > 30
        for col in on_duck.columns:
            a, b = on_duck[col], on_spark[col]
            if pd.api.types.is_numeric_dtype(a.dtype):
                np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9, err_msg=col)
            else:
                assert a.astype(str).tolist() == b.astype(str).tolist(), col
        # the customer-value model data, with a calibration/holdout split, in weeks
        from centric.queries.clv_data import clv_model_data

        cal_end = END - dt.timedelta(days=120)
        expr = lambda backend: clv_model_data(backend.table("orders"), cal_end, "weeks", END)  # noqa: E731
        duck = ibis.duckdb.connect()
        duck.create_table("orders", orders)
        a = duck.execute(expr(duck)).sort_values("customer_id").reset_index(drop=True)
        b = sp.execute(expr(sp)).sort_values("customer_id").reset_index(drop=True)
        assert len(a) == len(b) > 20 and (a["frequency_holdout"] > 0).any()
        for col in ("frequency", "recency", "T", "monetary_value", "frequency_holdout", "monetary_value_holdout",
                    "duration_holdout"):
            np.testing.assert_allclose(a[col].astype(float), b[col].astype(float), rtol=1e-9, err_msg=col)
    finally:
        spark.stop()
