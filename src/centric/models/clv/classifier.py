"""A repeat-purchase classifier trained on a time split: the way shops' churn models are usually built.

The transaction models (BG/NBD, Pareto/NBD) see only (frequency, recency, T). A shop knows more:
recent activity, spend, basket breadth, returns. The standard practice (e.g. Klaviyo's predictive
analytics; Fader & Hardie's calibration/holdout idea applied to a discriminative model) is to
learn the link from such features to "buys again" on the past, without the future:

1. at an inner cut-off c1 = c - d (c: the end of the data the classifier may see, d: the horizon
   it learns), compute each customer's features from purchases up to c1 and the label "purchase
   days in (c1, c1 + d]";
2. fit a logistic regression for P(at least one purchase day in d) and a Poisson regression for
   the expected purchase days in d, both on the same standardised features;
3. recompute the features at c and predict.

Features (queries/clv_features.py FEATURES) are counts, days and money: heavy-tailed, so each is
mapped by sign(v) log(1 + |v|) and standardised (mean 0, variance 1 on the training rows). The
regularisation is fixed (L2, C = 1 for the logistic regression as scikit-learn's default; alpha =
1e-4 for the Poisson regression); there is nothing to tune per shop. Another horizon t is served
assuming a constant rate within it: P(none in t) = P(none in d)^(t / d), E[X(t)] = E[X(d)] t / d.

Logistic regression: Hosmer, Lemeshow & Sturdivant, "Applied Logistic Regression" (3rd ed., 2013),
eq. 1.1, p(x) = 1 / (1 + exp(-(b0 + b'x))). Poisson regression: McCullagh & Nelder, "Generalized
Linear Models" (2nd ed., 1989), sec. 6.2, log E[y | x] = c0 + c'x.

Learned state (plain lists and floats, so `params_` saves as JSON): `features_`, `center_`, `scale_`,
`coef_`, `intercept_`, `count_coef_`, `count_intercept_`, `duration_`. It holds no training rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from centric.models.clv.base import DataError

FEATURES = ("frequency", "recency", "T", "days_since_last", "orders", "spend", "mean_spend", "mean_gap",
            "days_last_30", "days_last_90", "products", "categories", "lines", "return_share")


class RepeatPurchaseClassifier:
    """P(buys again within d) and expected purchase days from customer features (see module docstring).

    fit(data, purchases_after, duration): data has the feature columns at the inner cut-off,
    purchases_after the purchase days each customer made in the `duration` after it.
    """

    name = "Classifier"

    def __init__(self, features=FEATURES, C: float = 1.0, alpha: float = 1e-4, max_iter: int = 2000):
        self.features = features
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

    def fit(self, data: pd.DataFrame, purchases_after, duration: float):
        from sklearn.linear_model import LogisticRegression, PoissonRegressor

        counts = np.asarray(purchases_after, dtype=float)
        buys = counts > 0
        if len(counts) < 10 or buys.all() or not buys.any():
            raise DataError("the classifier needs at least 10 customers, some who bought again and some who did not")
        if not duration > 0:
            raise DataError("the classifier's horizon must be positive")
        columns = list(self.features)
        x = self._matrix(data, columns)
        center, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)  # a constant feature (no order lines) carries nothing
        z = (x - center) / scale
        logit = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(z, buys)
        poisson = PoissonRegressor(alpha=self.alpha, max_iter=self.max_iter).fit(z, counts)
        self.features_ = columns
        self.center_ = [float(v) for v in center]
        self.scale_ = [float(v) for v in scale]
        self.coef_ = [float(v) for v in logit.coef_[0]]
        self.intercept_ = float(logit.intercept_[0])
        self.count_coef_ = [float(v) for v in poisson.coef_]
        self.count_intercept_ = float(poisson.intercept_)
        self.duration_ = float(duration)
        return self

    @property
    def params_(self) -> dict:
        self._check()
        return {"features": self.features_, "center": self.center_, "scale": self.scale_, "coef": self.coef_,
                "intercept": self.intercept_, "count_coef": self.count_coef_,
                "count_intercept": self.count_intercept_, "duration": self.duration_}

    def _check(self):
        if not hasattr(self, "coef_"):
            raise RuntimeError("RepeatPurchaseClassifier is not fitted: call fit(data, purchases_after, duration)")

    def _z(self, data) -> np.ndarray:
        self._check()
        return (self._matrix(data, self.features_) - np.asarray(self.center_)) / np.asarray(self.scale_)

    def score(self, data) -> np.ndarray:
        """P(at least one purchase day within the training horizon d); higher is more likely to buy."""
        eta = self._z(data) @ np.asarray(self.coef_) + self.intercept_
        return 1.0 / (1.0 + np.exp(-eta))

    def p_no_purchase(self, data, t) -> np.ndarray:
        return np.clip(1.0 - self.score(data), 0.0, 1.0) ** (float(t) / self.duration_)

    def expected_purchases(self, data, t) -> np.ndarray:
        eta = self._z(data) @ np.asarray(self.count_coef_) + self.count_intercept_
        return np.exp(eta) * float(t) / self.duration_
