"""Checking a customer-value model on the shop's own history: the calibration/holdout method of
Fader, Hardie & Lee (2005, sec. 4), with the scores an analyst can read and two baselines.

Fit on a calibration period ending at T, then for each customer acquired by then compare the
model's predictions for the holdout (T, T + t] with what happened:

- total repeat purchases (sum of E[X(T, T+t) | x, t_x, T]) against the actual total;
- the per-customer mean absolute error of those expectations;
- "buys again in the holdout": the model's probability 1 - P(X(T, T+t) = 0 | x, t_x, T), scored by
  the area under the ROC curve (AUC: the chance that a random buyer ranks above a random
  non-buyer, ties counting half; Mann-Whitney) and the Brier score (mean squared error of the
  probability against 0/1, lower is better).

Two baselines an analyst would otherwise use, scored the same way:

- `RecencyBaseline`: the rank of days since the last purchase (fewer days, more likely to buy).
  Its AUC is the rank's own. Its probability and expected purchases come from an isotonic
  (monotone) regression of what happened in a *within-calibration* split: the last stretch of
  the calibration period of the same length t (half the calibration period when it is shorter,
  then rescaled to t assuming a constant rate), so nothing of the holdout is used to score it.
- `PastRateBaseline`: each customer's own past rate x / T carried forward: t x / T expected
  purchases and P(buy) = 1 - exp(-t x / T) (a Poisson process at that rate).

`ProbabilityCalibration` maps any score to a probability by isotonic regression on a holdout;
its block means make the observed share of the outcome rise with the score by construction,
which is what the churn-risk bands rely on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from centric.models.clv.base import DataError, as_float_column


# ----- scores -------------------------------------------------------------------------------
def roc_auc(outcome, score) -> float:
    """Area under the ROC curve of `score` for the 0/1 `outcome` (ties count half); NaN without both classes."""
    y = np.asarray(outcome, dtype=bool)
    s = np.asarray(score, dtype=float)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = pd.Series(s).rank(method="average").to_numpy()
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def brier(outcome, probability) -> float:
    """Mean squared difference between the probability and the 0/1 outcome."""
    y = np.asarray(outcome, dtype=float)
    p = np.asarray(probability, dtype=float)
    return float(np.mean((p - y) ** 2))


def holdout_scores(actual, expected, p_buy) -> dict[str, float]:
    """Total actual and predicted holdout purchases, per-customer MAE, AUC and Brier of "buys again"."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    buys = actual > 0
    out = {"total_actual": float(actual.sum()), "total_predicted": float(expected.sum()),
           "mae": float(np.mean(np.abs(expected - actual))),
           "auc": float("nan") if p_buy is None else roc_auc(buys, p_buy),
           "brier": float("nan") if p_buy is None else brier(buys, p_buy)}
    return out


def conditional_expectations(frequency, actual, predicted: dict[str, np.ndarray], max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases by calibration frequency (FHL 2005 Figure 4).

    predicted: per source (model or baseline) its expected holdout purchases per customer.
    One row per (frequency bin, source); the last bin holds every x >= max_frequency.
    """
    x = np.minimum(np.asarray(frequency, dtype=float), max_frequency).astype(int)
    labels = np.where(x >= max_frequency, f"{max_frequency}+", x.astype(str))
    rows = []
    actual = np.asarray(actual, dtype=float)
    for value in np.unique(x):
        keep = x == value
        for source, pred in predicted.items():
            rows.append({"group_name": labels[keep][0], "group_order": int(value), "source": source,
                         "customers": int(keep.sum()), "actual": float(actual[keep].mean()),
                         "predicted": float(np.asarray(pred, dtype=float)[keep].mean())})
    return pd.DataFrame(rows)


# ----- isotonic calibration ---------------------------------------------------------------
class ProbabilityCalibration:
    """An increasing map from a score to the probability of an outcome, fitted by isotonic regression.

    learned state: `x_`, `y_` (the step function's knots, plain lists so they save as JSON).
    predict interpolates between knots and clips outside them.
    """

    def __init__(self, increasing: bool = True):
        self.increasing = increasing

    def fit(self, score, outcome, weights=None):
        from sklearn.isotonic import IsotonicRegression

        s = np.asarray(score, dtype=float)
        y = np.asarray(outcome, dtype=float)
        if len(s) < 2 or not np.isfinite(s).all():
            raise DataError("calibration needs at least two finite scores")
        iso = IsotonicRegression(increasing=self.increasing, out_of_bounds="clip").fit(s, y, sample_weight=weights)
        self.x_ = [float(v) for v in iso.X_thresholds_]
        self.y_ = [float(v) for v in iso.y_thresholds_]
        return self

    def predict(self, score) -> np.ndarray:
        if not hasattr(self, "x_"):
            raise RuntimeError("ProbabilityCalibration is not fitted: call fit(score, outcome) first")
        s = np.asarray(score, dtype=float)
        if len(self.x_) == 1:
            return np.full(s.shape, self.y_[0])
        return np.interp(s, self.x_, self.y_)


# ----- baselines ------------------------------------------------------------------------------
def days_since_last(data) -> np.ndarray:
    return as_float_column(data, "T") - as_float_column(data, "recency")


class PastRateBaseline:
    """Each customer's past repeat rate x / T carried into the future (no fit needed)."""

    name = "PastRate"

    def fit(self, data=None, *args):
        self.fitted_ = True
        return self

    @staticmethod
    def _rate(data) -> np.ndarray:
        x, T = as_float_column(data, "frequency"), as_float_column(data, "T")
        return np.where(T > 0, x / np.where(T > 0, T, 1.0), 0.0)

    def expected_purchases(self, data, t) -> np.ndarray:
        return self._rate(data) * float(t)

    def p_no_purchase(self, data, t) -> np.ndarray:
        return np.exp(-self._rate(data) * float(t))

    def score(self, data) -> np.ndarray:
        """Higher is more likely to buy."""
        return self._rate(data)


class RecencyBaseline:
    """Days since the last purchase, mapped to P(buy) and expected purchases by isotonic regression.

    fit(data, holdout_purchases, duration): data is a calibration table (frequency, recency, T)
    and holdout_purchases what each customer bought in the `duration` after it. predict for
    another horizon t rescales assuming a constant rate: P(none in t) = P(none in d)^(t / d),
    E[X(t)] = E[X(d)] t / d.
    """

    name = "Recency"

    def fit(self, data, holdout_purchases, duration: float):
        gap = days_since_last(data)
        counts = np.asarray(holdout_purchases, dtype=float)
        self.duration_ = float(duration)
        self.p_buy_ = ProbabilityCalibration(increasing=False).fit(gap, (counts > 0).astype(float))
        self.count_ = ProbabilityCalibration(increasing=False).fit(gap, counts)
        return self

    def score(self, data) -> np.ndarray:
        return -days_since_last(data)

    def p_no_purchase(self, data, t) -> np.ndarray:
        none = np.clip(1.0 - self.p_buy_.predict(days_since_last(data)), 0.0, 1.0)
        return none ** (float(t) / self.duration_)

    def expected_purchases(self, data, t) -> np.ndarray:
        return self.count_.predict(days_since_last(data)) * float(t) / self.duration_
