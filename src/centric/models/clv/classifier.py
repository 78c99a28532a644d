"""A repeat-purchase classifier trained on a time split: the way shops' churn models are usually built.

The transaction models (BG/NBD, Pareto/NBD) see only (frequency, recency, T). A shop knows more:
recent activity, spend, basket breadth, returns. The standard practice (e.g. Klaviyo's predictive
analytics; Fader & Hardie's calibration/holdout idea applied to a discriminative model) is to
learn the link from such features to "buys again" on the past, without the future:

1. at inner cut-offs c1 = c - d, c - d - s, c - d - 2s, ... (c: the end of the data the
   classifier may see, d: the horizon it learns; rolling origins, chosen by the caller), compute
   each customer's features from purchases up to the cut-off and the label "purchase days in
   (c1, c1 + d]", and stack the rows of every cut-off. One window alone sets the level of the
   counts (the Poisson intercept) from one stretch of the shop's calendar; several windows average
   it over the stretches the history holds, and give the coefficients more (if correlated) rows;
2. fit a logistic regression for P(at least one purchase day in d) and a Poisson regression for
   the expected purchase days in d, both on the same standardised features;
3. recompute the features at c and predict.

Features (queries/clv_features.py FEATURES) are counts, days and money: heavy-tailed, so each is
mapped by sign(v) log(1 + |v|) and standardised (mean 0, variance 1 on the training rows).
The logistic regression (P(buy)) reads FEATURES: the query's features plus `bg_expected`, BG/NBD's
conditional expected purchase days in d (Fader, Hardie & Lee 2005, eq. 10) from a BG/NBD fitted on the
rows of each cut-off alone (the `window` column of stacked training rows; the scored rows are one
cut-off): a stack of the transaction model with the features, which shrinks each customer's past rate
towards the shop's. When that fit fails, the past rate x / T times d stands in. The Poisson regression
(counts) reads COUNT_FEATURES, the original fourteen. Both sets were chosen on the splits inside the
calibration periods of UCI Online Retail and CDNOW (docs/clv.md, "The Classifier"), never on a holdout.
The regularisation is fixed (L2, C = 1 for the logistic regression as scikit-learn's default; alpha =
1e-4 for the Poisson regression); there is nothing to tune per shop.

Another horizon t is served by a growth exponent g learned from the same rows: E[X(t)] = E[X(d)]
(t / d)^g and P(none in t) = P(none in d)^((t / d)^g). Given the labels of the first half of each
window too (purchase days in (c1, c1 + h], h < d), g = log(sum X(d) / sum X(h)) / log(d / h),
clipped to [0, 1]: 1 is a constant rate (the default without half labels), below 1 the shop's
customers buy less the further from the cut-off (dropout), which is what a constant-rate rescale
from a short window to a long horizon misses. It is never above 1: a rate rising beyond the window
is not something the window can show. t = d uses no exponent at all. A power law is an
approximation (with exponential lifetimes of one window's mean it still overshoots 2d by about
17%, against 46% for a constant rate; tests/models/test_clv_holdout.py).

Logistic regression: Hosmer, Lemeshow & Sturdivant, "Applied Logistic Regression" (3rd ed., 2013),
eq. 1.1, p(x) = 1 / (1 + exp(-(b0 + b'x))). Poisson regression: McCullagh & Nelder, "Generalized
Linear Models" (2nd ed., 1989), sec. 6.2, log E[y | x] = c0 + c'x.

Learned state (plain lists and floats, so `params_` saves as JSON): `features_`, `center_`, `scale_`,
`coef_`, `intercept_`, `count_features_`, `count_center_`, `count_scale_`, `count_coef_`, `count_intercept_`,
`duration_`, `growth_`. It holds no training rows (nor the BG/NBD behind `bg_expected`: it is refitted on
the rows it scores, as the other features are computed from them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from centric.models.clv.base import ConvergenceError, DataError

COUNT_FEATURES = ("frequency", "recency", "T", "days_since_last", "orders", "spend", "mean_spend", "mean_gap",
                  "days_last_30", "days_last_90", "products", "categories", "lines", "return_share")
QUERY_FEATURES = (*COUNT_FEATURES, "refunds", "overdue", "rate", "active_month_share", "product_repeat",
                  "units_per_order", "last_products", "domestic")  # queries/clv_features.py
FEATURES = (*QUERY_FEATURES, "bg_expected")


class RepeatPurchaseClassifier:
    """P(buys again within d) and expected purchase days from customer features (see module docstring).

    fit(data, purchases_after, duration, purchases_half=None, half_duration=None): data has the feature
    columns at the inner cut-off(s) (rows of several cut-offs stacked), purchases_after the purchase
    days each row's customer made in the `duration` after its cut-off; purchases_half those in the
    first `half_duration` of it (optional: for the growth exponent, see the module docstring).
    """

    name = "Classifier"

    def __init__(self, features=FEATURES, count_features=COUNT_FEATURES, C: float = 1.0, alpha: float = 1e-4,
                 max_iter: int = 2000):
        self.features = features
        self.count_features = count_features
        self.C = C
        self.alpha = alpha
        self.max_iter = max_iter

    def _matrix(self, data, columns) -> np.ndarray:
        missing = [c for c in columns if c not in data]
        if missing:
            raise DataError(f"the classifier needs the feature columns {', '.join(missing)}")
        x = np.column_stack([np.asarray(data[c], dtype=float) for c in columns])
        if not np.isfinite(x).all():
            raise DataError("the classifier's features must be finite")
        return np.sign(x) * np.log1p(np.abs(x))

    def fit(self, data: pd.DataFrame, purchases_after, duration: float, purchases_half=None,
            half_duration: float | None = None):
        from sklearn.linear_model import LogisticRegression, PoissonRegressor

        counts = np.asarray(purchases_after, dtype=float)
        buys = counts > 0
        if len(counts) < 10 or buys.all() or not buys.any():
            raise DataError("the classifier needs at least 10 customers, some who bought again and some who did not")
        if not duration > 0:
            raise DataError("the classifier's horizon must be positive")
        columns, count_columns = list(self.features), list(self.count_features)
        data = with_btyd_feature(data, float(duration), columns)
        center, scale, z = _standardise(self._matrix(data, columns))
        count_center, count_scale, zc = _standardise(self._matrix(data, count_columns))
        logit = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(z, buys)
        poisson = PoissonRegressor(alpha=self.alpha, max_iter=self.max_iter).fit(zc, counts)
        self.features_ = columns
        self.center_ = [float(v) for v in center]
        self.scale_ = [float(v) for v in scale]
        self.coef_ = [float(v) for v in logit.coef_[0]]
        self.intercept_ = float(logit.intercept_[0])
        self.count_features_ = count_columns
        self.count_center_ = [float(v) for v in count_center]
        self.count_scale_ = [float(v) for v in count_scale]
        self.count_coef_ = [float(v) for v in poisson.coef_]
        self.count_intercept_ = float(poisson.intercept_)
        self.duration_ = float(duration)
        self.growth_ = growth_exponent(counts, purchases_half, duration, half_duration)
        return self

    @property
    def params_(self) -> dict:
        self._check()
        return {"features": self.features_, "center": self.center_, "scale": self.scale_, "coef": self.coef_,
                "intercept": self.intercept_, "count_features": self.count_features_,
                "count_center": self.count_center_, "count_scale": self.count_scale_, "count_coef": self.count_coef_,
                "count_intercept": self.count_intercept_, "duration": self.duration_,
                "growth": self.growth_}

    def _check(self):
        if not hasattr(self, "coef_"):
            raise RuntimeError("RepeatPurchaseClassifier is not fitted: call fit(data, purchases_after, duration)")

    def _z(self, data) -> np.ndarray:
        self._check()
        data = with_btyd_feature(data, self.duration_, self.features_)
        return (self._matrix(data, self.features_) - np.asarray(self.center_)) / np.asarray(self.scale_)

    def _zc(self, data) -> np.ndarray:
        self._check()
        return ((self._matrix(data, self.count_features_) - np.asarray(self.count_center_))
                / np.asarray(self.count_scale_))

    def score(self, data) -> np.ndarray:
        """P(at least one purchase day within the training horizon d); higher is more likely to buy."""
        eta = self._z(data) @ np.asarray(self.coef_) + self.intercept_
        return 1.0 / (1.0 + np.exp(-eta))

    def _stretch(self, t) -> float:
        """(t / d)^g: how many training horizons' worth of purchases a horizon t holds."""
        return (float(t) / self.duration_) ** self.growth_

    def p_no_purchase(self, data, t) -> np.ndarray:
        return np.clip(1.0 - self.score(data), 0.0, 1.0) ** self._stretch(t)

    def expected_purchases(self, data, t) -> np.ndarray:
        eta = self._zc(data) @ np.asarray(self.count_coef_) + self.count_intercept_
        return np.exp(eta) * self._stretch(t)


def _standardise(x: np.ndarray):
    center, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)  # a constant feature (no order lines) carries nothing
    return center, scale, (x - center) / scale


def with_btyd_feature(data: pd.DataFrame, duration: float, columns) -> pd.DataFrame:
    """`data` with `bg_expected` (BG/NBD's conditional expected purchase days in `duration`, the model
    fitted on the rows of each `window` alone, or on all rows without that column) when `columns` asks
    for it and `data` lacks it; unchanged otherwise. A window whose fit fails (no repeat buyer, no
    convergence) gets the past rate frequency / T times `duration` instead (0 when T = 0)."""
    from centric.models.clv.beta_geo import BetaGeo

    if "bg_expected" not in columns or "bg_expected" in data:
        return data
    missing = [c for c in ("frequency", "recency", "T") if c not in data]
    if missing:
        raise DataError(f"the classifier needs the feature columns {', '.join(missing)}")
    out = np.empty(len(data))
    groups = data.groupby("window", sort=False).indices if "window" in data else {0: np.arange(len(data))}
    for rows in groups.values():
        part = data.iloc[rows]
        try:
            out[rows] = BetaGeo().fit(part).expected_purchases(part, duration)
        except (ConvergenceError, DataError):
            T, x = np.asarray(part["T"], dtype=float), np.asarray(part["frequency"], dtype=float)
            out[rows] = np.where(T > 0, x / np.where(T > 0, T, 1.0), 0.0) * duration
    return data.assign(bg_expected=out)


def growth_exponent(full, half, duration: float, half_duration: float | None) -> float:
    """g in E[X(t)] ~ t^g from the purchases in whole windows and in their first parts (1 without them)."""
    if half is None or half_duration is None or not 0 < half_duration < duration:
        return 1.0
    whole, part = float(np.sum(full)), float(np.sum(half))
    if whole <= 0 or part <= 0:
        return 1.0
    return float(np.clip(np.log(whole / part) / np.log(duration / half_duration), 0.0, 1.0))
