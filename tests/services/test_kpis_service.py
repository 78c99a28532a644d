"""Every KPI on the demo shop equals an independent pandas computation from the raw tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from centric.cli.main import cli
from centric.services.workspace_files import open_store


@pytest.fixture(scope="module")
def board(demo_shop):
    result = CliRunner().invoke(cli, ["kpis", "-w", str(demo_shop), "--format", "json"])
    assert result.exit_code == 0, result.output
    with open_store(demo_shop) as (_, store):
        table = store.query_df("SELECT * FROM kpis")
        orders = store.query_df("SELECT * FROM orders")
        value = store.query_df("SELECT * FROM customer_value")
        spend = store.query_df("SELECT * FROM marketing_spend")
        customers = store.query_df("SELECT * FROM customers")
        stays = store.query_df("SELECT * FROM journey_stages")
        feedback = store.query_df("SELECT * FROM feedback")
    return table, dict(orders=orders, value=value, spend=spend, customers=customers, stays=stays, feedback=feedback)


def kpi(table, name, period, dimension="all", group="all"):
    row = table[(table["kpi"] == name) & (table["period"] == period) & (table["dimension"] == dimension)
                & (table["group"] == group)]
    assert len(row) == 1, (name, period, dimension, group)
    return row["value"].iloc[0]


def purchases(orders):
    """Completed orders of known customers with a positive net value (or of no value at all), valued net."""
    net, merch, total = (orders[c].astype(float) for c in ("net_merchandise", "merchandise", "total"))
    keep = (orders["status"] == "completed") & ((net > 0) | ((merch == 0) & (total == 0))) & orders["customer_id"].notna()
    p = orders[keep]
    return p.assign(total=net[keep], month=p["ordered_at"].dt.strftime("%Y-%m"), day=p["ordered_at"].dt.normalize())


def net_revenue(orders):
    """Net merchandise of known customers' completed and refunded orders (unlinked credits negative), by month."""
    o = orders[orders["status"].isin(["completed", "refunded"]) & orders["customer_id"].notna()]
    return o["net_merchandise"].astype(float).groupby(o["ordered_at"].dt.strftime("%Y-%m")).sum()


def test_monthly_kpis_equal_a_pandas_reading(board):
    table, raw = board
    p = purchases(raw["orders"])
    first_month = p.groupby("customer_id")["month"].min()
    months = sorted(p["month"].unique())
    revenue = net_revenue(raw["orders"])
    active = p.groupby("month")["customer_id"].apply(set)
    for m in months[-6:]:
        g = p[p["month"] == m]
        buyers = g["customer_id"].nunique()
        assert kpi(table, "buyers", m) == buyers
        assert kpi(table, "orders", m) == len(g)
        assert kpi(table, "revenue", m) == pytest.approx(revenue[m])
        assert kpi(table, "aov", m) == pytest.approx(revenue[m] / len(g))
        assert kpi(table, "purchase_frequency", m) == pytest.approx(len(g) / buyers)
        returning = sum(first_month[c] < m for c in g["customer_id"].unique())
        assert kpi(table, "repeat_customer_rate", m) == pytest.approx(returning / buyers)
        prev = (pd.Period(m) - 1).strftime("%Y-%m")
        kept = len(active[prev] & active[m]) / len(active[prev])
        assert kpi(table, "retention_rate", m) == pytest.approx(kept)
        assert kpi(table, "churn_rate", m) == pytest.approx(1 - kept)
        days = p.drop_duplicates(["customer_id", "day"]).sort_values(["customer_id", "day"])
        gaps = days.assign(gap=days.groupby("customer_id")["day"].diff().dt.days)
        assert kpi(table, "days_between_orders", m) == pytest.approx(gaps[gaps["month"] == m]["gap"].dropna().mean())


def test_lifetime_kpis_equal_a_pandas_reading(board):
    table, raw = board
    p = purchases(raw["orders"])
    per = p.groupby("customer_id").agg(orders=("total", "size"), days=("day", "nunique"))
    o = raw["orders"][raw["orders"]["status"].isin(["completed", "refunded"]) & raw["orders"]["customer_id"].notna()]
    per["revenue"] = o["net_merchandise"].astype(float).groupby(o["customer_id"]).sum().reindex(per.index)
    assert kpi(table, "buyers", "all") == len(per)
    assert kpi(table, "orders", "all") == per["orders"].sum()
    assert kpi(table, "aov", "all") == pytest.approx(per["revenue"].sum() / per["orders"].sum())
    assert kpi(table, "repeat_customer_rate", "all") == pytest.approx((per["days"] >= 2).mean())
    assert kpi(table, "clv", "all") == pytest.approx(raw["value"]["predicted_clv"].mean())
    alive = raw["value"]["p_alive"]
    if alive.notna().any():
        assert kpi(table, "p_alive", "all") == pytest.approx(alive.mean())
    else:  # no model passed the holdout: no P(alive) headline at all
        assert table[table["kpi"] == "p_alive"].empty
    assert kpi(table, "high_churn_risk", "all") == pytest.approx((raw["value"]["churn_risk"] == "high").mean())
    second = (per["days"] >= 2).sum() / len(per)  # every buyer enters first_purchase; repeat = a second day
    assert kpi(table, "first_to_repeat_conversion", "all") == pytest.approx(second)
    nps = raw["feedback"][raw["feedback"]["rating_scale"] == "nps_0_10"]["rating"].astype(float)
    assert kpi(table, "nps", "all") == pytest.approx(100 * ((nps >= 9).mean() - (nps <= 6).mean()), abs=0.01)


def test_cac_and_clv_to_cac_per_channel(board):
    table, raw = board
    spend = raw["spend"].assign(amount=raw["spend"]["amount"].astype(float), day=pd.to_datetime(raw["spend"]["spent_on"]))
    first = purchases(raw["orders"]).groupby("customer_id")["day"].min()
    channel_of = raw["customers"].set_index("customer_id")["acquisition_channel"]
    buyers = pd.DataFrame({"first": first, "channel": channel_of.reindex(first.index)})
    total_spend = total_new = 0.0
    for channel, g in spend.groupby("channel"):
        new = ((buyers["channel"] == channel) & buyers["first"].between(g["day"].min(), g["day"].max())).sum()
        assert kpi(table, "cac", "all", "acquisition_channel", channel) == pytest.approx(g["amount"].sum() / new)
        total_spend, total_new = total_spend + g["amount"].sum(), total_new + new
    assert kpi(table, "cac", "all") == pytest.approx(total_spend / total_new)


def test_targets_give_status(demo_shop, tmp_path):
    import shutil

    copy = tmp_path / "shop"
    shutil.copytree(demo_shop, copy)
    toml = copy / "centric.toml"
    toml.write_text(toml.read_text().replace("[kpi_targets]", "[kpi_targets]\nrepeat_customer_rate = 0.01\n"
                                             "churn_rate = 0.0001"))
    result = CliRunner().invoke(cli, ["kpis", "-w", str(copy), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["kpi"]: r for r in json.loads(result.output)}
    assert rows["repeat_customer_rate"]["status"] == "on track"
    assert rows["churn_rate"]["status"] == "off track"  # lower is better
    assert rows["aov"]["status"] == "no target"
    toml.write_text(toml.read_text().replace("churn_rate = 0.0001", "shoe_size = 3"))
    bad = CliRunner().invoke(cli, ["kpis", "-w", str(copy)])
    assert bad.exit_code == 1 and "unknown KPIs: shoe_size" in bad.output
    assert np.isfinite(rows["aov"]["value"])
