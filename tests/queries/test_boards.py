"""The report's and the KPI board's readers (queries/shop_board.py, listening_board.py, kpi_board.py)
against a plain pandas reading of the same random tables, ties included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from centric.queries import kpi_board, listening_board, shop_board


@pytest.fixture()
def con():
    import ibis

    return ibis.duckdb.connect()


def random_summary(seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    orders = rng.choice([1, 1, 1, 2, 3, 4, 9, 10, 12, 25], size=n)
    return pd.DataFrame({
        "customer_id": [f"c{i:04d}" for i in rng.permutation(n)],
        "orders": orders,
        "revenue": np.round(rng.choice([10.0, 25.5, 99.99], size=n) * orders, 2),  # many ties
        "aov": rng.gamma(2, 20, n), "frequency": np.maximum(orders - rng.integers(1, 3, n), 0),
        "recency": rng.integers(0, 300, n).astype(float), "T": rng.integers(300, 600, n).astype(float),
        "rfm_score": rng.choice(["111", "345", "555"], size=n),
        "rfm_segment": rng.choice(["Champions", "Lost", "Loyal", "New"], size=n),
        "days_since_last_order": rng.integers(0, 400, n).astype(float),
        "observed_until": pd.Timestamp("2024-06-30 18:00") - pd.to_timedelta(rng.integers(0, 5, n), unit="D"),
    })


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shop_board_equals_pandas(con, seed):
    df = random_summary(seed)
    t = con.create_table("customer_summary", df, overwrite=True)

    tot = con.execute(shop_board.totals(t)).iloc[0]
    assert tot["buyers"] == len(df) and tot["orders"] == df["orders"].sum()
    assert tot["revenue"] == pytest.approx(df["revenue"].sum())
    assert tot["avg_orders"] == pytest.approx(df["orders"].mean())
    assert tot["repeat_rate"] == pytest.approx((df["frequency"] > 0).mean())
    assert tot["observed_until"] == df["observed_until"].max()

    seg = con.execute(shop_board.by_segment(t))
    want = df.groupby("rfm_segment").agg(customers=("customer_id", "size"), revenue=("revenue", "sum"),
                                         avg_orders=("orders", "mean"),
                                         avg_days_since=("days_since_last_order", "mean")).reset_index()
    want = want.sort_values(["customers", "rfm_segment"], ascending=[False, True], ignore_index=True)
    assert seg["rfm_segment"].tolist() == want["rfm_segment"].tolist()
    assert seg["customers"].tolist() == want["customers"].tolist()
    np.testing.assert_allclose(seg["share"], want["customers"] / len(df))
    np.testing.assert_allclose(seg["revenue"], want["revenue"])
    np.testing.assert_allclose(seg["avg_days_since"], want["avg_days_since"])

    top = con.execute(shop_board.top_customers(t, 15))
    want = df.sort_values(["revenue", "customer_id"], ascending=[False, True]).head(15)
    assert top["customer_id"].tolist() == want["customer_id"].tolist()
    assert list(top.columns) == ["customer_id", "orders", "revenue", "aov", "frequency", "recency", "T",
                                 "rfm_score", "rfm_segment"]

    hist = con.execute(shop_board.orders_histogram(t, 10))
    bucket = df["orders"].clip(upper=10)
    want = bucket.value_counts().sort_index()
    assert hist["orders"].tolist() == [f"{k}+" if k == 10 else str(k) for k in want.index]
    assert hist["customers"].tolist() == want.tolist()


def test_quarantine_reasons_most_frequent_first_ties_by_name(con):
    rows = ([("orders", "bad date")] * 3 + [("customers", "bad email")] * 3 + [("orders", "no id")] * 5
            + [("events", "x")])
    q = con.create_table("quarantine", pd.DataFrame(rows, columns=["table_name", "reason"]))
    got = con.execute(shop_board.quarantine_reasons(q, 3))
    assert list(got.itertuples(index=False, name=None)) == [
        ("orders", "no id", 5), ("customers", "bad email", 3), ("orders", "bad date", 3)]


def test_listening_board_reads_the_overall_scores(con):
    scores = con.create_table("survey_scores", pd.DataFrame({
        "metric": ["nps", "csat", "nps", "nps", "nps", "ces"],
        "period": ["all", "all", "2024-02", "2024-01", "2024-01", "all"],
        "dimension": ["all", "all", "all", "all", "country", "all"],
        "n": [10, 5, 4, 6, 2, 3], "value": [20.0, 80.0, 10.0, 30.0, -5.0, 5.5],
        "low": [1.0] * 6, "high": [2.0] * 6}))
    assert con.execute(listening_board.headline(scores))["metric"].tolist() == ["ces", "csat", "nps"]
    monthly = con.execute(listening_board.by_month(scores, "nps"))
    assert monthly.values.tolist() == [["2024-01", 30.0], ["2024-02", 10.0]]  # the country row is left out
    drivers = con.create_table("feedback_drivers", pd.DataFrame({
        "theme": ["price", "delivery", "stock", "app"], "nps_points_cost": [3.0, 5.0, 3.0, 1.0]}))
    assert con.execute(listening_board.top_drivers(drivers, 3))["theme"].tolist() == ["delivery", "price", "stock"]
    trends = con.create_table("feedback_trends", pd.DataFrame({
        "theme": ["a", "b", "c"], "z": [1.0, 3.0, 2.0], "rising": [True, True, False]}))
    assert con.execute(listening_board.rising(trends))["theme"].tolist() == ["b", "a"]
    insights = con.create_table("feedback_insights", pd.DataFrame({
        "sentiment": ["positive", "negative", "neutral", "negative", "positive"]}))
    mix = con.execute(listening_board.sentiment_mix(insights))
    assert mix.values.tolist() == [["negative", 2], ["positive", 2], ["neutral", 1]]


def test_value_by_channel_and_persona_equal_pandas(con):
    rng = np.random.default_rng(5)
    n = 200
    ids = [f"c{i}" for i in range(n)]
    profiles = pd.DataFrame({
        "customer_id": ids, "acquisition_channel": rng.choice(["email", "organic", None], size=n),
        "revenue": rng.gamma(2, 50, n), "orders": rng.integers(0, 6, n), "predicted_clv": rng.gamma(2, 40, n)})
    summary = pd.DataFrame({"customer_id": ids[: n - 20], "frequency": rng.integers(0, 3, n - 20)})  # 20 without
    members = pd.DataFrame({"customer_id": ids[10:], "persona_id": rng.integers(1, 4, n - 10)})  # 10 in none
    personas = pd.DataFrame({"persona_id": [1, 2, 3], "name": ["Bargain hunters", "Loyal locals", "Gifters"]})
    p, s = con.create_table("customer_profiles", profiles), con.create_table("customer_summary", summary)
    m, n_ = con.create_table("customer_personas", members), con.create_table("personas", personas)

    both = profiles.merge(summary, on="customer_id")
    both["repeat"] = (both["frequency"] > 0).astype(float)
    for expr, frame, key in (
            (kpi_board.value_by(p, s), both, "acquisition_channel"),
            (kpi_board.value_by(p, s, m, n_), both.merge(members, on="customer_id").merge(personas, on="persona_id"),
             "name")):
        got = con.execute(expr).set_index("group").sort_index()
        g = frame.groupby(frame[key].fillna("<none>"))
        want = pd.DataFrame({"aov": g["revenue"].sum() / g["orders"].sum().replace(0, np.nan),
                             "repeat_customer_rate": g["repeat"].mean(), "clv": g["predicted_clv"].mean()})
        got.index = got.index.to_series().fillna("<none>")
        got = got.sort_index()
        assert got.index.tolist() == want.sort_index().index.tolist()
        np.testing.assert_allclose(got[list(want.columns)].to_numpy(float), want.sort_index().to_numpy(float))


def test_acquisition_spend_and_channel_cac(con):
    rollups = con.create_table("clv_rollups", pd.DataFrame({
        "dimension": ["rfm_segment", "acquisition_channel", "acquisition_channel", "acquisition_channel"],
        "group_name": ["Lost", "email", "organic", "paid"],
        "marketing_spend": [999.0, 100.0, None, 300.0], "new_customers": [7, 10, None, 20],
        "cac": [1.0, 10.0, None, 15.0], "clv_to_cac": [9.0, 3.0, None, 2.0]}))
    spend, new = con.execute(kpi_board.acquisition_spend(rollups)).iloc[0]
    assert (spend, new) == (400.0, 30)  # the segment row is not a channel
    cac = con.execute(kpi_board.channel_cac(rollups))
    assert cac.values.tolist() == [["email", 10.0, 3.0], ["paid", 15.0, 2.0]]
