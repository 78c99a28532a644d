"""`centric clv` on a small demo shop: what it writes, and its errors.

The shop is a copy of the session's demo shop (tests/conftest.py: demo_shop, every analysis run by
run_demo): these tests write to it (a named model, a holdout date, reports), so they get their own copy."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from centric.cli.main import cli
from centric.models.clv.validation import churn_band
from centric.services.clv import ClvError, build_customer_value
from centric.services.workspace_files import init_workspace, open_store


@pytest.fixture(scope="module")
def shop(tmp_path_factory, demo_shop):
    import shutil

    path = tmp_path_factory.mktemp("clv") / "ws"
    shutil.copytree(demo_shop, path, symlinks=True)
    return path


def test_customer_value_is_written_and_consistent(shop):
    with open_store(shop) as (settings, store):
        v = store.query_df("SELECT * FROM customer_value")
        buyers = store.count("customer_summary")
        assert len(v) == buyers
        assert v["p_no_purchase"].between(0, 1).all() and v["churn_horizon_days"].notna().all()
        models = store.query_df("SELECT * FROM clv_models")
        source = models.loc[models["churn_source"].fillna(False).astype(bool), "model"].tolist()
        assert len(source) == 1 and set(v["churn_source"]) == set(source)
        if source[0] in ("BetaGeo", "ModifiedBetaGeo", "ParetoNBD"):
            assert v["p_alive"].between(0, 1).all()
        else:  # no model passed the holdout: P(alive) is not reported
            assert v["p_alive"].isna().all()
        assert (v["expected_orders_365d"] >= v["expected_orders_90d"] - 1e-12).all()
        assert (v["predicted_clv"] >= 0).all() and (v["expected_order_value"] > 0).all()
        assert (v["churn_risk"] == churn_band(v["p_no_purchase"].to_numpy())).all()
        bands = store.query_df("SELECT * FROM clv_calibration WHERE kind = 'churn_band' ORDER BY group_order")
        assert len(bands) >= 2 and bands["actual"].is_monotonic_increasing  # calibrated on the holdout
        assert set(models["kind"]) == {"model", "baseline", "spend"}
        checked = models[models["kind"] != "spend"]
        assert checked["holdout_auc"].between(0, 1).all() and checked["holdout_brier"].notna().all()
        assert models["chosen"].sum() == 2  # the transaction model and Gamma-Gamma
        assert {"BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "Recency", "PastRate", "Classifier",
                "GammaGamma"} == set(models["model"])
        clf = models[models["model"] == "Classifier"].iloc[0]
        assert json.loads(clf["params"])["features"][0] == "frequency"  # its coefficients, as JSON
        # the choice is made on the split inside the calibration period, never on the holdout
        assert checked["inner_mae"].notna().all() and checked["inner_brier"].notna().all()
        chosen = checked[checked["chosen"].fillna(False).astype(bool)].iloc[0]
        pool = checked[checked["kind"].eq("model") | checked["model"].eq("Classifier")]
        recency = checked.loc[checked["model"] == "Recency", "inner_auc"].iloc[0]
        works = pool[(pool["inner_auc"] >= max(0.6, recency)) & ~pool["boundary"].fillna(False).astype(bool)]
        assert chosen["inner_mae"] == pytest.approx((works if len(works) else pool)["inner_mae"].min())
        if not chosen["churn_source"]:  # the baseline with the best Brier on the inner split
            best = checked[checked["kind"] == "baseline"]["inner_brier"].idxmin()
            assert models.loc[best, "model"] == source[0]
        tracking = store.query_df("SELECT * FROM clv_tracking ORDER BY week")
        assert tracking["in_holdout"].any() and (~tracking["in_holdout"]).any()
        last = tracking.iloc[-1]
        assert abs(last["predicted_cumulative"] / last["actual_cumulative"] - 1) < 0.15


def test_rollups_add_up_and_cac_is_spend_over_new_customers(shop):
    with open_store(shop) as (settings, store):
        r = store.query_df("SELECT * FROM clv_rollups")
        total = store.con.execute("SELECT sum(predicted_clv) FROM customer_value").fetchone()[0]
        for dim in ("rfm_segment", "acquisition_channel"):
            part = r[r["dimension"] == dim]
            assert part["total_clv"].sum() == pytest.approx(total, rel=1e-9)
            assert part["customers"].sum() == store.count("customer_value")
        ch = r[(r["dimension"] == "acquisition_channel") & r["cac"].notna()].iloc[0]
        spend, since, until = store.con.execute(
            "SELECT sum(amount), min(spent_on), max(spent_on) FROM marketing_spend WHERE channel = ?",
            [ch["group_name"]]).fetchone()
        new = store.con.execute(
            "SELECT count(*) FROM customer_summary s JOIN customers c USING (customer_id) "
            "WHERE c.acquisition_channel = ? AND CAST(s.first_order_at AS DATE) BETWEEN ? AND ?",
            [ch["group_name"], since, until]).fetchone()[0]
        assert ch["cac"] == pytest.approx(float(spend) / new)


def test_one_named_model_is_checked_alone(shop):
    with open_store(shop) as (settings, store):
        result = build_customer_value(store, settings, model="BetaGeo")
        assert result.model == "BetaGeo"
        assert set(result.comparison["model"]) == {"BetaGeo", "Recency", "PastRate", "Classifier"}
        assert set(store.query_df("SELECT model FROM customer_value")["model"]) == {"BetaGeo"}


def test_cli_json_and_report_section(shop):
    out = CliRunner().invoke(cli, ["clv", "--workspace", str(shop), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["model"] in ("BetaGeo", "ModifiedBetaGeo", "ParetoNBD") and data["customers"] > 2000
    out = CliRunner().invoke(cli, ["report", "--workspace", str(shop)])
    assert out.exit_code == 0, out.output
    html = (shop / "report.html").read_text()
    assert 'id="value"' in html and "Repeat purchases per week" in html and "CLV:CAC" in html


def test_notes_are_built_from_the_stored_facts_in_the_report_language(shop):
    """clv_models holds the facts and an English note built from them; the report says the same in
    Catalan and Spanish, with the figures of the table in the locale's format."""
    from centric import Workspace
    from centric.i18n import fmt_number
    from centric.report import notes
    from centric.services.report import clv_context

    with open_store(shop) as (settings, store):
        models = store.query_df("SELECT * FROM clv_models")
        ca = clv_context(store, settings, "ca")
    rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            for r in models.to_dict("records")]
    source = next(r for r in rows if r["churn_source"])
    assert source["note"] == notes.churn_note(rows, "en")
    spend = models[models["kind"] == "spend"]
    if len(spend):
        assert int(spend["spend_frequency_customers"].iloc[0]) > 100
    auc = fmt_number(source["holdout_auc"], "ca", 3)
    assert "," in auc and auc in ca["churn_note"] and "període de prova" in ca["churn_note"]
    assert ca["churn_note"] != source["note"] and "holdout" not in ca["churn_note"]
    html = Workspace(shop).report(shop / "report-es.html", lang="es").read_text(encoding="utf-8")
    assert fmt_number(source["holdout_auc"], "es", 3) in html and "periodo de prueba" in html
    assert '<p class="note" lang="en">' not in html and "was chosen" not in html


def test_no_orders_is_a_clear_error(tmp_path):
    init_workspace(tmp_path / "empty")
    with open_store(tmp_path / "empty") as (settings, store):
        with pytest.raises(ClvError, match="no orders yet"):
            build_customer_value(store, settings)
    out = CliRunner().invoke(cli, ["clv", "--workspace", str(tmp_path / "empty")])
    assert out.exit_code == 1 and out.output.strip().startswith("Error: no orders yet")


def test_churn_bands():
    assert churn_band(np.array([0.0, 0.19, 0.2, 0.49, 0.5, 1.0])).tolist() == ["low", "low", "medium", "medium",
                                                                              "high", "high"]


def test_cli_holdout_from(shop):
    with open_store(shop) as (settings, store):
        first, last = store.con.execute("SELECT min(ordered_at)::DATE, max(ordered_at)::DATE FROM orders").fetchone()
    start = first + (last - first) * 2 // 3
    out = CliRunner().invoke(cli, ["clv", "--workspace", str(shop), "--holdout-from", f"{start}", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["holdout_from"] == f"{start}" and data["churn_horizon_days"] == (last - start).days + 1
    assert {r["model"] for r in data["comparison"]} == {"BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "Recency", "PastRate",
                                                        "Classifier"}
    with open_store(shop) as (settings, store):
        assert set(store.query_df("SELECT DISTINCT holdout_from FROM clv_models WHERE holdout_from IS NOT NULL")
                   ["holdout_from"].astype(str)) == {f"{start}"}
    out = CliRunner().invoke(cli, ["clv", "--workspace", str(shop), "--holdout-from", f"{first}"])
    assert out.exit_code == 1 and "--holdout-from" in out.output and "Traceback" not in out.output
