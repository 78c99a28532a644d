"""Which model (if any) the shop's own holdout vouches for, and churn-risk bands that hold on it.

`evaluate` fits every transaction model on the calibration data, scores each one and the
baselines on the holdout (holdout.py: Recency, PastRate; classifier.py: Classifier, a logistic
and Poisson regression on customer features trained on windows inside the calibration period,
never on the holdout), flags boundary fits and indistinguishable models (diagnostics.py), and decides:

- a model *works* on a split when it was fitted, is not on a boundary that makes P(alive)
  degenerate, ranks the split's buyers clearly better than chance (AUC >= 0.6) and at least as
  well as the recency baseline. `validated` is that rule on the holdout;
- the chosen model (the one refitted for customer value; a transaction model or the Classifier)
  is picked WITHOUT the holdout, so that the holdout figures reported for it are an honest test:
  by the same rule on a split inside the calibration period (`choice`: the table `evaluate`
  returns for the calibration data cut again, e.g. the last holdout-length stretch held out), the
  candidate that works there with the lowest per-customer MAE there, or, when none works there,
  the fitted candidate with the lowest MAE there. Without such a split (a calibration period too
  short to cut again) the transaction model with the lowest BIC (in-sample) is chosen. Picking the
  lowest *holdout* MAE and then reporting that holdout MAE would flatter the choice (selection on
  the test set);
- the churn source is the chosen model when the holdout validates it too (the holdout is then a
  pass/fail check, not a ranking); otherwise the baseline (Recency, PastRate, Classifier) with the
  lowest Brier score on the inner split (the probability that is both sharper and better
  calibrated; ties: the first listed; without Brier scores there: the highest AUC there; without
  an inner split: Recency). The facts are columns of the table; report/notes.py says why in words.

`ChurnCalibration` turns the churn source's risk score into a calibrated probability of no
purchase over the holdout's length (isotonic regression on the holdout) and bands it:
high when that probability is >= 0.5 (more likely than not to buy nothing over the horizon),
medium from 0.2, low below (at least four chances in five of buying). The isotonic map's values
are the observed no-purchase shares of blocks of customers, so on the data it was fitted on the
observed share is >= 0.5 in the high band, within [0.2, 0.5) in the medium and < 0.2 in the low
band: ordered by construction. The holdout check therefore fits the map on the split inside the
calibration period and shows the holdout's shares per band (services/clv.py `_band_check`): an
out-of-sample test of the banding. The cut points are the plain-words ones
("more likely than not", "four in five"), the same for every shop, not chosen on any data set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from centric.models.clv.base import ConvergenceError, DataError, as_float_column
from centric.models.clv.classifier import QUERY_FEATURES, RepeatPurchaseClassifier
from centric.models.clv.diagnostics import boundary, same_likelihood
from centric.models.clv.holdout import (PastRateBaseline, ProbabilityCalibration, RecencyBaseline, days_since_last,
                                        holdout_scores)

AUC_FLOOR = 0.6
BANDS = ((0.5, "high"), (0.2, "medium"))  # calibrated P(no purchase) at or above -> band; else low
BASELINES = ("Recency", "PastRate", "Classifier")


def risk_score(source, data, t) -> np.ndarray:
    """Higher is more likely to make no purchase in the next t: days since the last purchase for
    the recency baseline, P(X(T, T+t) = 0) for the models and the past-rate baseline."""
    if isinstance(source, RecencyBaseline):
        return days_since_last(data)
    return source.p_no_purchase(data, t)


def has_features(*frames) -> bool:
    """Every frame carries the classifier's feature columns (its BG/NBD feature it computes itself)."""
    return all(f is not None and set(QUERY_FEATURES) <= set(f.columns) for f in frames)


def evaluate(models: dict, calibration: pd.DataFrame, actual, duration: float, history: float,
             inner: tuple | None = None, training: tuple | None = None,
             choice: pd.DataFrame | None = None, candidates: tuple = ("Classifier",)) -> tuple[pd.DataFrame, dict, dict]:
    """Fit and score every model and baseline on one calibration/holdout split.

    models: name -> unfitted estimator; calibration: frequency, recency, T per customer; actual:
    their holdout repeat purchases; duration: the holdout's length (same unit); history: the
    calibration period's length; inner: (data, holdout purchases, duration) of a split inside the
    calibration period, to calibrate the recency baseline without the holdout (None: AUC only);
    training: the Classifier's training rows, the arguments of RepeatPurchaseClassifier.fit (rows of
    several inner cut-offs stacked; default: `inner`). When they and `calibration` carry the feature
    columns (classifier.QUERY_FEATURES) the Classifier is trained on them and scored on `calibration`'s
    features: the holdout's outcomes never reach it. choice: the table of the same evaluation on a
    split inside the calibration period, which picks the chosen model (module docstring); candidates:
    the baselines that may be chosen besides the transaction models (() to choose among models only).
    Returns (table, fitted sources by name, per-customer predictions by name: expected, p_none).
    """
    actual = np.asarray(actual, dtype=float)
    mean_repeats = float(as_float_column(calibration, "frequency").mean())
    rows, fitted, predictions = [], {}, {}
    for name, model in models.items():
        row = {"model": name, "kind": "model"}
        try:
            model.fit(calibration)
        except (ConvergenceError, DataError) as exc:
            row.update(error=str(exc), boundary=False, validated=False)
            rows.append(row)
            continue
        expected = model.expected_purchases(calibration, duration)
        p_none = model.p_no_purchase(calibration, duration)
        on_edge, share = boundary(model, mean_repeats, history)
        row.update(log_likelihood=model.log_likelihood_, bic=model.bic(), dropout_share=share, boundary=on_edge,
                   **_prefixed(holdout_scores(actual, expected, 1 - p_none)))
        rows.append(row)
        fitted[name] = model
        predictions[name] = (expected, p_none)
    recency = RecencyBaseline()
    if inner is not None:
        recency.fit(*inner)
        expected, p_none = recency.expected_purchases(calibration, duration), recency.p_no_purchase(calibration, duration)
        scores = holdout_scores(actual, expected, 1 - p_none)
        predictions["Recency"] = (expected, p_none)
    else:
        scores = holdout_scores(actual, np.full(len(actual), np.nan), None)
        scores.update(total_predicted=float("nan"), mae=float("nan"))
    scores["auc"] = holdout_scores(actual, actual, recency.score(calibration))["auc"]
    rows.append({"model": "Recency", "kind": "baseline", "boundary": False, **_prefixed(scores)})
    fitted["Recency"] = recency
    past = PastRateBaseline().fit()
    expected, p_none = past.expected_purchases(calibration, duration), past.p_no_purchase(calibration, duration)
    rows.append({"model": "PastRate", "kind": "baseline", "boundary": False,
                 **_prefixed(holdout_scores(actual, expected, 1 - p_none))})
    fitted["PastRate"] = past
    predictions["PastRate"] = (expected, p_none)
    training = training if training is not None else inner
    if training is not None and has_features(training[0], calibration):
        row = {"model": "Classifier", "kind": "baseline", "boundary": False}
        try:
            clf = RepeatPurchaseClassifier().fit(*training)
        except DataError as exc:
            row.update(error=str(exc), validated=False)
        else:
            expected, p_none = clf.expected_purchases(calibration, duration), clf.p_no_purchase(calibration, duration)
            row.update(params=clf.params_, **_prefixed(holdout_scores(actual, expected, 1 - p_none)))
            fitted["Classifier"] = clf
            predictions["Classifier"] = (expected, p_none)
        rows.append(row)
    table = pd.DataFrame(rows)
    return _decide(table, choice, candidates), fitted, predictions


def _prefixed(scores: dict) -> dict:
    return {f"holdout_{k}": v for k, v in scores.items()}


def _works(table: pd.DataFrame) -> pd.Series:
    """The rule for "works on this split" (module docstring), per row of an evaluated table."""
    fitted = table["kind"].isin(["model", "baseline"]) & table["error"].isna()
    recency = table.loc[table["model"] == "Recency", "holdout_auc"]
    recency_auc = float(recency.iloc[0]) if len(recency) else float("-inf")
    auc = pd.to_numeric(table["holdout_auc"], errors="coerce")
    return fitted & ~table["boundary"] & (auc >= AUC_FLOOR) & (auc >= recency_auc - 1e-12)


CANDIDATES = ("Classifier",)  # besides every transaction model: the baselines that may be chosen for counts


def _decide(table: pd.DataFrame, choice: pd.DataFrame | None = None, allowed: tuple = CANDIDATES) -> pd.DataFrame:
    for col in ("error", "log_likelihood", "bic", "dropout_share", "holdout_auc", "holdout_mae", "holdout_brier"):
        if col not in table.columns:
            table[col] = None
    table["boundary"] = table["boundary"].fillna(False).astype(bool)
    models = table["kind"] == "model"
    fitted = models & table["error"].isna()
    if not fitted.any():
        raise ConvergenceError("no model could be fitted", None)
    ll = dict(zip(table.loc[fitted, "model"], table.loc[fitted, "log_likelihood"]))
    table["same_likelihood_as"] = None
    for group in same_likelihood(ll):
        for name in group:
            i = table.index[table["model"] == name][0]
            table.loc[i, "same_likelihood_as"] = ", ".join(g for g in group if g != name)
    candidates = (models | table["model"].isin(allowed)) & table["error"].isna()
    table["validated"] = _works(table) & candidates
    for col in ("inner_mae", "inner_auc", "inner_brier", "inner_validated"):
        table[col] = np.nan if col != "inner_validated" else False
    table["chosen"] = False
    baselines = (table["kind"] == "baseline") & table["error"].isna()
    if choice is not None:
        inner = choice.set_index("model")
        works = _works(choice).set_axis(choice["model"])
        for i in table.index:
            name = table.loc[i, "model"]
            if name in inner.index:
                table.loc[i, ["inner_mae", "inner_auc", "inner_brier"]] = [
                    pd.to_numeric(inner.loc[name].get(k), errors="coerce") for k in
                    ("holdout_mae", "holdout_auc", "holdout_brier")]
                table.loc[i, "inner_validated"] = bool(works.get(name, False))
        inner_ok = candidates & table["inner_validated"].astype(bool)
        mae = pd.to_numeric(table["inner_mae"], errors="coerce")
        pool = inner_ok if inner_ok.any() else candidates & mae.notna()
        if not pool.any():
            pool = fitted
        # equal MAEs (models that collapse to the same fit) keep the listed order: the simpler model first
        ranked = mae.round(6).where(pool)
        chosen = ranked.idxmin() if ranked.notna().any() else table.index[pool][0]
        brier = pd.to_numeric(table["inner_brier"], errors="coerce").where(baselines)
        auc = pd.to_numeric(table["inner_auc"], errors="coerce").where(baselines)
    else:  # no split inside the calibration period: the in-sample criterion, never the holdout
        bic = pd.to_numeric(table["bic"], errors="coerce").where(fitted)
        chosen = bic.idxmin() if bic.notna().any() else table.index[fitted][0]
        brier = auc = pd.Series(np.nan, index=table.index)
    table.loc[chosen, "chosen"] = True
    table["churn_source"] = False
    if table.loc[chosen, "validated"]:
        table.loc[chosen, "churn_source"] = True
    else:
        if brier[baselines].notna().all() and baselines.any():  # better calibrated and sharper (ties: first listed)
            best = brier.idxmin()
        elif auc.notna().any():  # some baseline has no probability: the highest AUC (ties: the first listed)
            best = auc.fillna(-1).idxmax()
        else:
            best = table.index[table["model"] == "Recency"][0]
        table.loc[best, "churn_source"] = True
    return table


class ChurnCalibration:
    """Calibrated P(no purchase in the next `duration`) from a risk score, and its bands."""

    def __init__(self, duration: float = 1.0):
        self.duration = duration

    def fit(self, score, no_purchase):
        self.map_ = ProbabilityCalibration(increasing=True).fit(score, np.asarray(no_purchase, dtype=float))
        return self

    def predict(self, score) -> np.ndarray:
        return np.clip(self.map_.predict(score), 0.0, 1.0)


def churn_band(p_no_purchase) -> np.ndarray:
    p = np.asarray(p_no_purchase, dtype=float)
    out = np.full(len(p), "low", dtype=object)
    for threshold, band in reversed(BANDS):
        out[p >= threshold] = band
    return out


def band_shares(p_no_purchase, no_purchase) -> pd.DataFrame:
    """Per band: customers, mean predicted P(no purchase) and the observed no-purchase share."""
    frame = pd.DataFrame({"band": churn_band(p_no_purchase), "predicted": np.asarray(p_no_purchase, dtype=float),
                          "actual": np.asarray(no_purchase, dtype=float)})
    out = frame.groupby("band").agg(customers=("actual", "size"), predicted=("predicted", "mean"),
                                    actual=("actual", "mean")).reset_index()
    order = {"low": 0, "medium": 1, "high": 2}
    out["group_order"] = out["band"].map(order)
    return out.sort_values("group_order").reset_index(drop=True)
