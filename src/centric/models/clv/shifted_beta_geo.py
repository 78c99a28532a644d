"""The shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, "How to
project customer retention"; 2010, "Customer-base valuation in a contractual setting").

Each customer renews at the end of every period with probability 1 - theta, theta ~ Beta(alpha,
beta) across customers. With B the beta function (FH 2007 eq. 7-8):

  P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta)      (churn in period t = 1, 2, ...)
  S(t)     = B(alpha, beta+t) / B(alpha, beta)          (still a customer after period t)
  r(t)     = (beta+t-1) / (alpha+beta+t-1)              (retention rate, rising with t)

fit takes a cohort's survivors: columns `period` (0, 1, 2, ...; period 0 holds the cohort size)
and `survivors`, optionally `cohort` to stack several cohorts sharing one (alpha, beta).
`survivors_from_customers` builds that from per-customer (recency, T) rows.

DERL, the discounted expected residual lifetime of a customer who has made n-1 renewals, in
units of one period's payment (FH 2010 eq. 6), is
  DERL(d | n) = (beta+n-1)/(alpha+beta+n-1) * 2F1(1, beta+n; alpha+beta+n; 1/(1+d)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, hyp2f1

from centric.models.clv.base import CLVModel, Compressed, DataError, as_float_column


def survivors_from_customers(data: pd.DataFrame, cohort: str | None = None) -> pd.DataFrame:
    """Cohort survivor counts from per-customer rows: `recency` the last period a customer was
    active, `T` the periods observed; recency == T means still a customer (pymc-marketing's form)."""
    frames = []
    groups = data.groupby(cohort) if cohort else [(None, data)]
    for name, g in groups:
        rec = as_float_column(g, "recency").astype(int)
        T = int(as_float_column(g, "T").max())
        periods = np.arange(T)
        survivors = [(rec > k).sum() for k in periods]
        frame = pd.DataFrame({"period": periods, "survivors": survivors})
        if cohort:
            frame["cohort"] = name
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


class ShiftedBetaGeo(CLVModel):
    """params_: alpha, beta of the Beta distribution of churn probabilities."""

    _param_names = ("alpha", "beta")

    def _compress(self, data: pd.DataFrame) -> Compressed:
        period = as_float_column(data, "period")
        survivors = as_float_column(data, "survivors")
        cohorts = data["cohort"].to_numpy() if "cohort" in data.columns else np.zeros(len(data))
        t_all, w_all, churned_all = [], [], []
        for c in pd.unique(cohorts):
            keep = cohorts == c
            order = np.argsort(period[keep])
            p, s = period[keep][order], survivors[keep][order]
            if p[0] != 0 or (np.diff(p) != 1).any():
                raise DataError("survivors need consecutive periods starting at 0 (the cohort's size)")
            if (np.diff(s) > 0).any() or (s < 0).any():
                raise DataError("survivors cannot grow from one period to the next")
            lost = -np.diff(s)
            t_all += [p[1:], [p[-1]]]
            w_all += [lost, [s[-1]]]
            churned_all += [np.ones(len(lost), bool), [False]]
        t = np.concatenate(t_all).astype(float)
        w = np.concatenate(w_all).astype(float)
        churned = np.concatenate(churned_all)
        if w.sum() <= 0 or len(t) < 2:
            raise DataError("survivors need at least two periods and a cohort of at least one customer")
        return Compressed({"t": t, "churned": churned.astype(float)}, w, np.arange(len(t)))

    def _log_likelihood(self, params, d, grad: bool = False):
        alpha, beta = params
        t, churned = d["t"], d["churned"] > 0
        ll_churn = betaln(alpha + 1, beta + np.maximum(t - 1, 0)) - betaln(alpha, beta)
        ll_survive = betaln(alpha, beta + t) - betaln(alpha, beta)
        return np.where(churned, ll_churn, ll_survive)

    def survival(self, t) -> np.ndarray:
        alpha, beta = self._require_fit()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))

    def retention_rate(self, t) -> np.ndarray:
        alpha, beta = self._require_fit()
        t = np.asarray(t, dtype=float)
        return (beta + t - 1) / (alpha + beta + t - 1)

    def churn_probability(self, t) -> np.ndarray:
        alpha, beta = self._require_fit()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta))

    def derl(self, discount_rate: float, renewals: int | np.ndarray = 0) -> np.ndarray:
        """Discounted expected residual lifetime (FH 2010 eq. 6), in payments per period.

        renewals: how many times the customer has renewed (n - 1); 0 for one just acquired who has
        paid once. Evaluated just before the n-th renewal decision: the sum over t >= n of
        S(t) / S(n-1) / (1+d)^(t-n), so the next payment counts undiscounted.
        """
        alpha, beta = self._require_fit()
        n = np.asarray(renewals, dtype=float) + 1
        return (beta + n - 1) / (alpha + beta + n - 1) * hyp2f1(1.0, beta + n, alpha + beta + n, 1 / (1 + discount_rate))

    def clv(self, payment: float, discount_rate: float, renewals=0) -> np.ndarray:
        """Value of a customer's remaining payments: payment x DERL."""
        return payment * self.derl(discount_rate, renewals)
