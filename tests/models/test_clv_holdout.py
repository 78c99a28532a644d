"""The holdout check: scores against sklearn, P(X(t) = 0) against simulation, boundary fits, the
validation rule's fallback and calibrated churn bands, on planted data and on CDNOW."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from centric.models.clv import BetaGeo, DataError, ModifiedBetaGeo, ParetoNBD
from centric.models.clv.diagnostics import boundary, same_likelihood, spearman, spend_frequency_check
from centric.models.clv.holdout import PastRateBaseline, RecencyBaseline, brier, holdout_scores, roc_auc
from centric.models.clv.simulate import simulate_with_holdout
from centric.models.clv.validation import ChurnCalibration, band_shares, churn_band, evaluate, risk_score

CDNOW = {
    "BetaGeo": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "ModifiedBetaGeo": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    "ParetoNBD": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
}
CLASSES = {"BetaGeo": BetaGeo, "ModifiedBetaGeo": ModifiedBetaGeo, "ParetoNBD": ParetoNBD}


@pytest.mark.parametrize("seed", range(5))
def test_auc_and_brier_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.random(300) < 0.4
    score = np.round(rng.normal(size=300) + y, 1)  # rounded: ties must count half
    p = rng.random(300)
    assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)


def test_scores_by_hand():
    s = holdout_scores([0, 2, 1, 0], [0.5, 1.5, 1.0, 0.0], [0.2, 0.9, 0.6, 0.6])
    assert s["total_actual"] == 3 and s["total_predicted"] == 3.0
    assert s["mae"] == pytest.approx((0.5 + 0.5 + 0 + 0) / 4)
    # buyers (0.9, 0.6) against non-buyers (0.2, 0.6): pairs won 1 + 1 + 1 + 0.5 of 4
    assert s["auc"] == pytest.approx(3.5 / 4)
    assert s["brier"] == pytest.approx((0.04 + 0.01 + 0.16 + 0.36) / 4)
    assert np.isnan(roc_auc([1, 1], [0.1, 0.2]))


@pytest.mark.parametrize("name", list(CDNOW))
def test_p_no_purchase_matches_simulation(name):
    """The model's P(X(T, T+t) = 0 | x, t_x, T), averaged within bins of itself, equals the share of
    simulated customers with no holdout purchase (a calibration check of the conditional formula)."""
    rng = np.random.default_rng(11)
    n = 200_000
    data = simulate_with_holdout(n, CDNOW[name], rng.uniform(27, 39, n), 39.0, rng, name)
    model = CLASSES[name]()
    model.params_ = CDNOW[name]
    p0 = model.p_no_purchase(data, 39.0)
    none = data["frequency_holdout"].to_numpy() == 0
    assert p0.mean() == pytest.approx(none.mean(), abs=0.006)
    bins = np.digitize(p0, [0.3, 0.5, 0.7, 0.85])
    for b in np.unique(bins):
        keep = bins == b
        if keep.sum() > 2000:
            share = none[keep].mean()
            four_se = 4 * np.sqrt(share * (1 - share) / keep.sum())  # Monte-Carlo error of the share
            assert p0[keep].mean() == pytest.approx(share, abs=four_se + 0.002), b
    assert model.expected_purchases(data, 39.0).mean() == pytest.approx(data["frequency_holdout"].mean(), rel=0.03)


def test_bg_p_no_purchase_is_the_pmf_at_zero(cdnow_summary):
    m = BetaGeo().fit(cdnow_summary)
    assert np.allclose(m.p_no_purchase(cdnow_summary, 39.0), m.probability_of_n_purchases(cdnow_summary, 39.0, 0))


def _all_alive(n=3000, seed=2):
    """A short history of customers who never drop out: Poisson buyers with gamma rates, 30 weeks."""
    rng = np.random.default_rng(seed)
    return simulate_with_holdout(n, {"r": 2.0, "alpha": 10.0, "s": 1e-9, "beta": 1e9}, rng.uniform(20, 30, n),
                                 10.0, rng, "ParetoNBD")


def test_boundary_detected_where_dropout_is_invisible_and_not_where_it_is_plain():
    alive = _all_alive()
    for cls in (BetaGeo, ModifiedBetaGeo, ParetoNBD):
        m = cls().fit(alive)
        on_edge, share = boundary(m, alive["frequency"].mean(), 30.0)
        assert on_edge and share < 0.01
    rng = np.random.default_rng(3)
    dying = simulate_with_holdout(3000, {"r": 1.0, "alpha": 5.0, "a": 1.0, "b": 2.0}, 39.0, 10.0, rng)
    m = BetaGeo().fit(dying)
    on_edge, share = boundary(m, dying["frequency"].mean(), 39.0)
    assert not on_edge and share > 0.1
    fits = {c.__name__: c().fit(alive).log_likelihood_ for c in (BetaGeo, ModifiedBetaGeo, ParetoNBD)}
    assert same_likelihood(fits) == [["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"]]
    assert same_likelihood({"BetaGeo": -9582.4, "ParetoNBD": -9595.0}) == []


def test_models_on_the_boundary_fall_back_to_a_baseline():
    alive = _all_alive()
    inner = _all_alive(seed=4)
    table, fitted, _ = evaluate({"BetaGeo": BetaGeo(), "ParetoNBD": ParetoNBD()}, alive, alive["frequency_holdout"],
                                10.0, 30.0, (inner, inner["frequency_holdout"], 10.0))
    assert table.loc[table["kind"] == "model", "boundary"].all()
    assert not table["validated"].any()
    source = table.loc[table["churn_source"], "model"].tolist()
    assert source in (["Recency"], ["PastRate"])
    assert table.loc[table["chosen"], "model"].tolist() == ["BetaGeo"]  # equal fits: the first listed


def test_a_working_model_is_the_churn_source():
    rng = np.random.default_rng(5)
    data = simulate_with_holdout(6000, CDNOW["BetaGeo"], rng.uniform(27, 39, 6000), 39.0, rng)
    inner = simulate_with_holdout(6000, CDNOW["BetaGeo"], rng.uniform(8, 20, 6000), 19.0, rng)
    table, _, _ = evaluate({"BetaGeo": BetaGeo()}, data, data["frequency_holdout"], 39.0, 39.0,
                           (inner, inner["frequency_holdout"], 19.0))
    row = table[table["model"] == "BetaGeo"].iloc[0]
    assert row["validated"] and row["chosen"] and row["churn_source"] and not row["boundary"]
    assert row["holdout_auc"] >= table.loc[table["model"] == "Recency", "holdout_auc"].iloc[0]


def _bands_are_ordered(score, none):
    p = ChurnCalibration().fit(score, none).predict(score)
    shares = band_shares(p, none).set_index("band")["actual"]
    assert len(shares) >= 2
    assert list(shares.index) == [b for b in ("low", "medium", "high") if b in shares.index]
    assert shares.is_monotonic_increasing and shares.diff().dropna().gt(0).all()
    return shares


def test_bands_are_calibrated_on_planted_data():
    rng = np.random.default_rng(8)
    data = simulate_with_holdout(20000, CDNOW["ParetoNBD"], rng.uniform(27, 39, 20000), 39.0, rng, "ParetoNBD")
    none = (data["frequency_holdout"] == 0).astype(float)
    model = ParetoNBD()
    model.params_ = CDNOW["ParetoNBD"]
    shares = _bands_are_ordered(risk_score(model, data, 39.0), none)
    assert set(shares.index) == {"low", "medium", "high"}
    _bands_are_ordered(risk_score(RecencyBaseline().fit(data, data["frequency_holdout"], 39.0), data, 39.0), none)
    assert churn_band(np.array([0.0, 0.19, 0.2, 0.49, 0.5, 1.0])).tolist() == ["low", "low", "medium", "medium",
                                                                              "high", "high"]


def test_bands_are_calibrated_on_cdnow(cdnow_orders):
    import ibis

    from centric.queries.clv_data import clv_model_data

    con = ibis.duckdb.connect()
    orders = con.create_table("orders", cdnow_orders)
    cal = con.execute(clv_model_data(orders, dt.datetime(1997, 9, 30), "weeks", dt.datetime(1998, 6, 30)))
    inner = con.execute(clv_model_data(orders, dt.datetime(1997, 5, 1), "weeks", dt.datetime(1997, 9, 30)))
    table, fitted, _ = evaluate({"ParetoNBD": ParetoNBD()}, cal, cal["frequency_holdout"], 39.0, 39.0,
                                (inner, inner["frequency_holdout"], float(inner["duration_holdout"].iloc[0])))
    source = table.loc[table["churn_source"], "model"].iloc[0]
    none = (cal["frequency_holdout"] == 0).astype(float)
    shares = _bands_are_ordered(risk_score(fitted[source], cal, 39.0), none)
    assert set(shares.index) == {"low", "medium", "high"}
    assert table.loc[table["model"] == "ParetoNBD", "holdout_auc"].iloc[0] > 0.7


def test_baselines():
    data = pd.DataFrame({"frequency": [0, 2, 4], "recency": [0, 5, 9], "T": [10, 10, 10]})
    past = PastRateBaseline()
    assert past.expected_purchases(data, 5).tolist() == [0.0, 1.0, 2.0]
    assert past.p_no_purchase(data, 5) == pytest.approx(np.exp([0.0, -1.0, -2.0]))
    rec = RecencyBaseline().fit(data, [0, 1, 3], 10.0)
    assert (np.diff(1 - rec.p_no_purchase(data, 10.0)) >= 0).all()  # fewer days since: more likely to buy
    assert rec.expected_purchases(data, 5.0) == pytest.approx(rec.expected_purchases(data, 10.0) / 2)


def test_gamma_gamma_premise_check():
    rng = np.random.default_rng(9)
    x = rng.integers(1, 20, 2000).astype(float)
    independent = pd.DataFrame({"frequency": x, "monetary_value": rng.gamma(5, 10, 2000)})
    assert spend_frequency_check(independent)["holds"]
    dependent = pd.DataFrame({"frequency": x, "monetary_value": rng.gamma(5, 10, 2000) * x})
    check = spend_frequency_check(dependent)
    assert check["holds"] is False and check["correlation"] > 0.3 and check["customers"] == 2000


def _spearman_cases():
    rng = np.random.default_rng(3)
    for n in (2, 3, 10, 57, 400, 5000):
        yield rng.integers(1, 6, n).astype(float), rng.lognormal(3, 1, n)  # ties in one (purchase counts)
        yield rng.integers(0, 3, n).astype(float), rng.integers(0, 4, n).astype(float)  # ties in both
        x = rng.normal(size=n)
        yield x, -0.5 * x + rng.normal(size=n)
        yield x, np.exp(x)  # rho = 1: t infinite, p = 0
        yield x, -x  # rho = -1
    yield np.arange(20.0), np.full(20, 3.0)  # a constant input: nan, nan
    yield np.array([5.0]), np.array([1.0])  # one pair: nan, nan
    yield np.array([1.0, 2.0, np.nan, 4.0, 5.0]), np.array([2.0, 1.0, 3.0, 5.0, 4.0])  # a NaN: nan, nan
    yield np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, np.nan, 3.0, 5.0])


def test_spearman_is_scipys_spearmanr():
    """diagnostics.spearman avoids importing scipy.stats (about 0.3 s of a fresh process) and computes what
    scipy.stats.spearmanr does: the same rho and p-value (bit for bit with scipy 1.17; 1e-12 allowed)."""
    import warnings

    from scipy.stats import spearmanr

    for x, y in _spearman_cases():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns on a constant input
            expected = spearmanr(x, y)
        rho, p = spearman(x, y)
        for got, want in ((rho, expected.statistic), (p, expected.pvalue)):
            assert (np.isnan(got) and np.isnan(want)) or got == pytest.approx(float(want), rel=1e-12, abs=1e-300), \
                (len(x), got, want)


# ----- the Classifier baseline ------------------------------------------------------------------
def _featured(n, rng, lift=2.5):
    """Planted customers: P(buy in the next 30 days) rises with purchase days in the last 90 days only;
    every other feature is noise. Returns (features, purchases in the next 30 days)."""
    from centric.models.clv.classifier import FEATURES

    data = pd.DataFrame({f: rng.gamma(2.0, 10.0, n) for f in FEATURES})
    data["days_last_90"] = rng.poisson(1.0, n).astype(float)
    eta = -1.5 + lift * (np.log1p(data["days_last_90"]) - 0.5)
    bought = rng.random(n) < 1 / (1 + np.exp(-eta))
    return data, np.where(bought, 1 + rng.poisson(0.5, n), 0).astype(float)


def test_classifier_learns_a_planted_feature_and_saves_as_json():
    import json

    from centric.models.clv.classifier import FEATURES, RepeatPurchaseClassifier

    rng = np.random.default_rng(21)
    train, counts = _featured(4000, rng)
    clf = RepeatPurchaseClassifier().fit(train, counts, 30.0)
    coef = dict(zip(FEATURES, clf.coef_))
    assert coef["days_last_90"] > 0.5 and max(abs(v) for k, v in coef.items() if k != "days_last_90") < 0.15
    test, later = _featured(4000, rng)
    p = 1 - clf.p_no_purchase(test, 30.0)
    assert roc_auc(later > 0, p) > 0.7 and roc_auc(later > 0, test["frequency"]) < 0.56  # noise ranks at chance
    assert clf.expected_purchases(test, 30.0).sum() == pytest.approx(later.sum(), rel=0.1)
    assert clf.expected_purchases(test, 60.0) == pytest.approx(2 * clf.expected_purchases(test, 30.0))
    assert clf.p_no_purchase(test, 60.0) == pytest.approx(clf.p_no_purchase(test, 30.0) ** 2)
    restored = RepeatPurchaseClassifier()
    for key, value in json.loads(json.dumps(clf.params_)).items():  # JSON round trip gives the same predictions
        setattr(restored, {"features": "features_", "center": "center_", "scale": "scale_", "coef": "coef_",
                           "intercept": "intercept_", "count_coef": "count_coef_",
                           "count_features": "count_features_", "count_center": "count_center_",
                           "count_scale": "count_scale_",
                           "count_intercept": "count_intercept_", "duration": "duration_",
                           "growth": "growth_"}[key], value)
    assert restored.score(test) == pytest.approx(clf.score(test))
    with pytest.raises(DataError):
        RepeatPurchaseClassifier().fit(train, np.zeros(len(train)), 30.0)


def _with_features(data, rng):
    from centric.models.clv.classifier import QUERY_FEATURES

    out = data.copy()
    for f in QUERY_FEATURES:  # bg_expected is left to the classifier: its BG/NBD fit runs here too
        if f not in out:
            out[f] = rng.gamma(2.0, 5.0, len(out))
    out["days_since_last"] = out["T"] - out["recency"]
    return out


def test_classifier_never_sees_the_holdout_outcomes():
    rng = np.random.default_rng(12)
    data = _with_features(simulate_with_holdout(3000, CDNOW["BetaGeo"], rng.uniform(27, 39, 3000), 19.0, rng), rng)
    inner = _with_features(simulate_with_holdout(3000, CDNOW["BetaGeo"], rng.uniform(8, 20, 3000), 19.0, rng), rng)
    actual = data["frequency_holdout"].to_numpy()
    shuffled = rng.permutation(actual)
    assert not np.array_equal(actual, shuffled)
    runs = [evaluate({"BetaGeo": BetaGeo()}, data, y, 19.0, 39.0, (inner, inner["frequency_holdout"], 19.0))
            for y in (actual, shuffled)]
    (t1, f1, p1), (t2, f2, p2) = runs
    assert "Classifier" in p1 and f1["Classifier"].params_ == f2["Classifier"].params_
    np.testing.assert_array_equal(p1["Classifier"][0], p2["Classifier"][0])
    np.testing.assert_array_equal(p1["Classifier"][1], p2["Classifier"][1])
    # the holdout scores do change: they are the only place the outcomes enter
    auc = [t.loc[t["model"] == "Classifier", "holdout_auc"].iloc[0] for t in (t1, t2)]
    assert auc[0] > 0.7 and abs(auc[1] - 0.5) < 0.05
    # without features (a calibration table of the BTYD triple only) there is no Classifier row
    table, _, _ = evaluate({"BetaGeo": BetaGeo()}, data[["frequency", "recency", "T"]], actual, 19.0, 39.0,
                           (inner, inner["frequency_holdout"], 19.0))
    assert "Classifier" not in set(table["model"])


def test_btyd_feature_is_fitted_per_cut_off_and_learned():
    """bg_expected is BG/NBD's conditional expectation from a fit on each window's rows alone (by hand:
    the same as fitting BetaGeo on that window); a window with no repeat buyer gets the past rate;
    on customers planted by a BG/NBD process with every other feature noise, the classifier leans on it
    and ranks the holdout buyers as well as the true model does."""
    from centric.models.clv.classifier import QUERY_FEATURES, RepeatPurchaseClassifier, with_btyd_feature

    rng = np.random.default_rng(5)
    a = simulate_with_holdout(2000, CDNOW["BetaGeo"], rng.uniform(27, 39, 2000), 19.0, rng)
    b = simulate_with_holdout(2000, CDNOW["BetaGeo"], rng.uniform(8, 20, 2000), 19.0, rng)
    stacked = pd.concat([a.assign(window=0), b.assign(window=1)], ignore_index=True)
    got = with_btyd_feature(stacked, 19.0, ["bg_expected"])["bg_expected"].to_numpy()
    for part, rows in ((a, slice(0, 2000)), (b, slice(2000, 4000))):
        np.testing.assert_allclose(got[rows], BetaGeo().fit(part).expected_purchases(part, 19.0), rtol=1e-9)
    alone = with_btyd_feature(a, 19.0, ["bg_expected"])["bg_expected"].to_numpy()
    np.testing.assert_allclose(alone, got[:2000], rtol=1e-9)
    once = pd.DataFrame({"frequency": [0.0, 0.0, 0.0], "recency": [0.0, 0.0, 0.0], "T": [10.0, 0.0, 5.0]})
    np.testing.assert_array_equal(with_btyd_feature(once, 19.0, ["bg_expected"])["bg_expected"], [0.0, 0.0, 0.0])
    assert "bg_expected" not in with_btyd_feature(a, 19.0, ["frequency"])  # asked for only when needed

    def noisy(frame):
        out = frame.copy()
        for f in QUERY_FEATURES:
            if f not in ("frequency", "recency", "T"):
                out[f] = rng.gamma(2.0, 5.0, len(out))
        return out

    later = simulate_with_holdout(3000, CDNOW["BetaGeo"], rng.uniform(27, 39, 3000), 19.0, rng)
    train, test = noisy(stacked), noisy(later)
    clf = RepeatPurchaseClassifier().fit(train, train["frequency_holdout"], 19.0)
    coef = dict(zip(clf.features_, clf.coef_))
    assert coef["bg_expected"] == max(coef.values()) and coef["bg_expected"] > 0.3
    buys = test["frequency_holdout"] > 0
    truth = 1 - BetaGeo().fit(test).p_no_purchase(test, 19.0)
    assert roc_auc(buys, clf.score(test)) > roc_auc(buys, truth) - 0.02


def _table(brier_by_model, validated_model=False, inner_brier=None):
    from centric.models.clv.validation import _decide

    def rows(brier):
        out = [{"model": "BetaGeo", "kind": "model", "boundary": not validated_model, "log_likelihood": -100.0,
                "holdout_auc": 0.74, "holdout_mae": 0.9, "holdout_brier": brier.get("BetaGeo", 0.21)}]
        for name, b in brier.items():
            if name != "BetaGeo":
                out.append({"model": name, "kind": "baseline", "boundary": False, "holdout_auc": 0.7,
                            "holdout_mae": 1.0, "holdout_brier": b})
        return pd.DataFrame(out)

    choice = _decide(rows(dict(inner_brier if inner_brier is not None else brier_by_model)), allowed=())
    table = _decide(rows(brier_by_model), choice, allowed=())
    return table.loc[table["churn_source"], "model"].tolist()


def test_churn_source_baseline_is_picked_on_the_inner_split():
    assert _table({"Recency": 0.25, "PastRate": 0.27, "Classifier": 0.20}) == ["Classifier"]
    assert _table({"Recency": 0.19, "PastRate": 0.27, "Classifier": 0.20}) == ["Recency"]
    assert _table({"Recency": 0.20, "PastRate": 0.27, "Classifier": 0.20}) == ["Recency"]  # ties: the first listed
    assert _table({"Recency": 0.25, "PastRate": 0.27, "Classifier": 0.20}, validated_model=True) == ["BetaGeo"]
    assert _table({"Recency": float("nan"), "PastRate": 0.27}) == ["Recency"]  # no Brier: AUC, ties first listed
    # the holdout's Brier scores do not pick it: the inner split's do
    assert _table({"Recency": 0.19, "PastRate": 0.27, "Classifier": 0.25},
                  inner_brier={"Recency": 0.25, "PastRate": 0.27, "Classifier": 0.20}) == ["Classifier"]


def _scored(rows):
    return pd.DataFrame([{"model": m, "kind": k, "boundary": False, "log_likelihood": ll, "bic": None if ll is None else -2 * ll,
                          "holdout_auc": auc, "holdout_mae": mae, "holdout_brier": 0.2}
                         for m, k, ll, auc, mae in rows])


def test_the_choice_is_made_on_the_inner_split_not_the_holdout():
    """The holdout ranks BetaGeo first, the split inside calibration ParetoNBD: ParetoNBD is chosen, and the
    holdout only says whether it is validated (and so the churn source)."""
    from centric.models.clv.validation import _decide

    inner = _decide(_scored([("BetaGeo", "model", -100.0, 0.70, 0.60), ("ParetoNBD", "model", -101.0, 0.72, 0.50),
                             ("Recency", "baseline", None, 0.65, 0.70)]))
    holdout = _scored([("BetaGeo", "model", -100.0, 0.75, 0.80), ("ParetoNBD", "model", -101.0, 0.74, 0.90),
                       ("Recency", "baseline", None, 0.70, 1.00)])
    table = _decide(holdout.copy(), inner).set_index("model")
    assert table["chosen"].tolist() == [False, True, False]
    assert table.loc["ParetoNBD", "churn_source"] and table.loc["ParetoNBD", "inner_mae"] == 0.50
    # the holdout fails the chosen model (below recency): it stays chosen for counts, churn goes to a baseline
    failing = holdout.copy()
    failing.loc[failing["model"] == "ParetoNBD", "holdout_auc"] = 0.69
    table = _decide(failing, inner).set_index("model")
    assert table.loc["ParetoNBD", "chosen"] and not table.loc["ParetoNBD", "churn_source"]
    assert table.loc["Recency", "churn_source"]
    # no inner split: the lowest BIC, whatever the holdout says
    table = _decide(holdout.copy()).set_index("model")
    assert table.loc["BetaGeo", "chosen"]


def test_the_classifier_may_be_chosen_only_when_allowed():
    from centric.models.clv.validation import _decide

    rows = [("BetaGeo", "model", -100.0, 0.70, 0.60), ("Recency", "baseline", None, 0.65, 0.70),
            ("PastRate", "baseline", None, 0.66, 0.40), ("Classifier", "baseline", None, 0.75, 0.50)]
    inner = _decide(_scored(rows))
    table = _decide(_scored(rows), inner).set_index("model")
    assert table.loc["Classifier", "chosen"] and table.loc["Classifier", "churn_source"]
    assert not table.loc["PastRate", "chosen"]  # the lowest MAE, but a baseline that is not a candidate
    table = _decide(_scored(rows), _decide(_scored(rows), allowed=()), allowed=()).set_index("model")
    assert table.loc["BetaGeo", "chosen"] and not table.loc["Classifier", "chosen"]


def test_shuffled_holdout_outcomes_do_not_change_the_choice():
    rng = np.random.default_rng(31)
    def shop(low, high):
        ages = rng.uniform(low, high, 3000)
        return _with_features(simulate_with_holdout(3000, CDNOW["BetaGeo"], ages, 19.0, rng), rng)

    data, inner, deeper = shop(27, 39), shop(8, 20), shop(1, 9)
    models = lambda: {"BetaGeo": BetaGeo(), "ParetoNBD": ParetoNBD()}  # noqa: E731
    # the choice's own split trains the Classifier (with its BG/NBD stack) one level further down
    choice, _, _ = evaluate(models(), inner, inner["frequency_holdout"], 19.0, 20.0,
                            (deeper, deeper["frequency_holdout"], 19.0))
    assert "Classifier" in set(choice["model"]) and choice["inner_mae"].isna().all()
    actual = data["frequency_holdout"].to_numpy()
    tables = [evaluate(models(), data, y, 19.0, 39.0, (inner, inner["frequency_holdout"], 19.0), choice=choice)[0]
              for y in (actual, rng.permutation(actual))]
    chosen = [t.loc[t["chosen"], "model"].tolist() for t in tables]
    assert chosen[0] == chosen[1] and len(chosen[0]) == 1
    assert tables[0]["holdout_auc"].tolist() != tables[1]["holdout_auc"].tolist()  # the outcomes did differ


def test_growth_exponent_learns_dropout_from_half_windows():
    """Customers buying at gamma-distributed Poisson rates: g = 1 without dropout; with exponential
    lifetimes (mean one window) g < 1, and E[X(d)] (t / d)^g forecasts a longer horizon t = 2d with under
    half the error of a constant-rate rescale (a power law is an approximation: it still overshoots)."""
    from centric.models.clv.classifier import growth_exponent

    rng = np.random.default_rng(17)
    n, d = 200_000, 60.0
    rate = rng.gamma(0.8, 1 / 20.0, n)

    def counts(life):
        return [rng.poisson(rate * np.minimum(life, t)) for t in (d / 2, d, 2 * d)]  # nested horizons' means

    half, full, _ = counts(np.full(n, np.inf))
    assert growth_exponent(full, half, d, d / 2) == pytest.approx(1.0, abs=0.02)
    life = rng.exponential(60.0, n)
    expected = [float(np.sum(rate * np.minimum(life, t))) for t in (d / 2, d, 2 * d)]
    g = growth_exponent(expected[1], expected[0], d, d / 2)
    assert 0.5 < g < 0.9
    forecast = expected[1] * 2 ** g
    assert 0 < forecast / expected[2] - 1 < 0.5 * (2 * expected[1] / expected[2] - 1)
    assert growth_exponent(full, None, d, None) == 1.0 and growth_exponent(full, half, d, d) == 1.0
