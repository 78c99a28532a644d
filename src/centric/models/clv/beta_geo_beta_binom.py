"""BG/BB (Fader, Hardie & Shang 2010, "Customer-base analysis in a discrete-time noncontractual
setting"): transactions happen, or not, at discrete opportunities (yearly donations, weekly
issues). While alive a customer transacts at each opportunity with probability p ~ Beta(alpha,
beta) and dies before the next with probability theta ~ Beta(gamma, delta).

For x transactions in n opportunities, the last at t_x (eq. 5):

  L = B(alpha+x, beta+n-x)/B(alpha,beta) * B(gamma, delta+n)/B(gamma,delta)
      + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha,beta) * B(gamma+1, delta+t_x+i)/B(gamma,delta)

P(alive at n) is eq. 11 and the expected transactions in the next n* opportunities eq. 13.
Input columns: frequency, recency, periods (n) and optional weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln

from centric.models.clv.base import CLVModel, Compressed, DataError, as_float_column, compress

COLUMNS = ("frequency", "recency", "periods")


def _arrays(data):
    if isinstance(data, pd.DataFrame):
        return tuple(as_float_column(data, c) for c in COLUMNS)
    return tuple(np.atleast_1d(np.asarray(data[c], dtype=float)) for c in COLUMNS)


def _check(x, tx, n):
    if (x < 0).any() or (tx < x).any() or (tx > n).any() or ((x == 0) & (tx != 0)).any():
        raise DataError("BG/BB needs 0 <= frequency <= recency <= periods (recency 0 when frequency is 0)")
    if ((x > 0) & (tx < 1)).any():
        raise DataError("recency is the opportunity of the last transaction (1..periods) when frequency > 0")


class BetaGeoBetaBinom(CLVModel):
    """params_: alpha, beta (transaction probability), gamma, delta (dropout probability)."""

    _param_names = ("alpha", "beta", "gamma", "delta")

    def _compress(self, data: pd.DataFrame) -> Compressed:
        d = compress(data, COLUMNS, weights="weights")
        _check(d["frequency"], d["recency"], d["periods"])
        return d

    def _log_likelihood(self, params, d, grad: bool = False):
        return self._log_l(params, d["frequency"], d["recency"], d["periods"])

    @staticmethod
    def _log_l(params, x, tx, n):
        alpha, beta, gamma, delta = params
        base = betaln(alpha, beta) + betaln(gamma, delta)
        alive = betaln(alpha + x, beta + n - x) + betaln(gamma, delta + n) - base
        gaps = (n - tx).astype(int)
        total = alive
        for i in range(int(gaps.max()) if len(gaps) else 0):
            term = betaln(alpha + x, beta + tx - x + i) + betaln(gamma + 1, delta + tx + i) - base
            total = np.where(i < gaps, np.logaddexp(total, term), total)
        return total

    def p_alive(self, data, future_periods: float = 0):
        """P(alive at opportunity n + future_periods | x, t_x, n), eq. 11."""
        alpha, beta, gamma, delta = self._require_fit()
        x, tx, n = _arrays(data)
        _check(x, tx, n)
        log_num = (betaln(alpha + x, beta + n - x) - betaln(alpha, beta)
                   + betaln(gamma, delta + n + future_periods) - betaln(gamma, delta))
        return np.exp(log_num - self._log_l(self._require_fit(), x, tx, n))

    def expected_purchases(self, data, t):
        """Expected transactions in the next t opportunities, eq. 13."""
        alpha, beta, gamma, delta = self._require_fit()
        x, tx, n = _arrays(data)
        _check(x, tx, n)
        t = np.asarray(t, dtype=float)
        log_l = self._log_l(self._require_fit(), x, tx, n)
        p2 = betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta)
        p3 = np.log(delta) - np.log(np.abs(gamma - 1)) + gammaln(gamma + delta) - gammaln(1 + delta)
        p4 = np.exp(gammaln(1 + delta + n) - gammaln(gamma + delta + n))
        p5 = np.exp(gammaln(1 + delta + n + t) - gammaln(gamma + delta + n + t))
        return np.exp(p2 + p3 - log_l) * np.sign(gamma - 1) * (p4 - p5)

    def expected_purchases_new_customer(self, n):
        """E[X(n)]: transactions in the first n opportunities of a new customer (eq. 9)."""
        alpha, beta, gamma, delta = self._require_fit()
        n = np.asarray(n, dtype=float)
        lead = alpha / (alpha + beta) * delta / (gamma - 1)
        return lead * (1 - np.exp(gammaln(gamma + delta) - gammaln(1 + delta)
                                  + gammaln(1 + delta + n) - gammaln(gamma + delta + n)))
