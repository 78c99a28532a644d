"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: using
iso-value curves for customer base analysis"; Fader & Hardie 2013, "The Gamma-Gamma model of
monetary value").

A customer's transaction values are Gamma(p, nu) with nu ~ Gamma(q, v) across customers. Given x
repeat transactions averaging m_x, the log-likelihood (note eq. 3) is

  ln L = ln Gamma(px+q) - ln Gamma(px) - ln Gamma(q) + q ln v + (px-1) ln m_x + px ln x - (px+q) ln(v + x m_x)

and the expected spend per transaction (eq. 5) weighs the customer's mean against the population's:

  E[M | x, m_x] = (q-1)/(px+q-1) * p v/(q-1) + px/(px+q-1) * m_x

Only customers with at least one repeat purchase are fitted; the model assumes spend does not
depend on frequency (check with `frequency_spend_correlation`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, polygamma

from centric.models.clv.base import CLVModel, Compressed, DataError, Factor, as_float_column


class GammaGamma(CLVModel):
    """params_: p (shape of each customer's spend), q and v (heterogeneity of the spend scale)."""

    _param_names = ("p", "q", "v")
    _analytic_gradient = True

    def _compress(self, data: pd.DataFrame) -> Compressed:
        frame = pd.DataFrame({"frequency": as_float_column(data, "frequency"),
                              "monetary_value": as_float_column(data, "monetary_value")})
        if "weights" in data.columns:
            frame["weights"] = as_float_column(data, "weights")
        frame = frame[frame["frequency"] > 0]
        if frame.empty:
            raise DataError("Gamma-Gamma needs customers with at least one repeat purchase (frequency > 0)")
        if (frame["monetary_value"] <= 0).any():
            raise DataError("monetary_value must be positive for customers with repeat purchases")
        # spends are continuous: rows are rarely equal, so they are kept as they are
        x = frame["frequency"].to_numpy(dtype=float)
        m = frame["monetary_value"].to_numpy(dtype=float)
        w = frame["weights"].to_numpy(dtype=float) if "weights" in frame.columns else np.ones(len(x))
        d = Compressed({"frequency": x, "monetary_value": m}, w, np.arange(len(x)))
        d.factors["frequency"] = Factor.of(x)
        log_m, log_x = np.log(m), np.log(x)
        d.factors["sums"] = {"wx": w * x, "x_log_mx": w @ (x * (log_m + log_x)), "log_m": w @ log_m, "xm": x * m}
        return d

    def _initial_params(self, d: Compressed) -> np.ndarray:
        m = d["monetary_value"]
        w = d.weights
        mean = (w @ m) / w.sum()
        return np.array([1.0, 2.0, max(mean, 1e-6)])

    def _log_likelihood(self, params, d, grad: bool):
        p, q, v = params
        x, m = d["frequency"], d["monetary_value"]
        px = p * x
        log_xm_v = np.log(v + x * m)
        ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(m)
              + px * np.log(x) - (px + q) * log_xm_v)
        if not grad:
            return ll
        dg = digamma(px + q)
        g = np.empty((len(ll), 3))
        g[:, 0] = x * (dg - digamma(px) + np.log(m) + np.log(x) - log_xm_v)
        g[:, 1] = dg - digamma(q) + np.log(v) - log_xm_v
        g[:, 2] = q / v - (px + q) / (v + x * m)
        return ll, g

    def _weighted(self, params, d, grad: bool):
        total, g, _ = self._weighted_hessian(params, d)
        return (total, g) if grad else total

    def _weighted_hessian(self, params, d):
        """Total log-likelihood, gradient and Hessian in (p, q, v), for Newton steps.

        Terms of x alone are summed once per distinct x; per row there is one log and one reciprocal."""
        p, q, v = params
        f = d.factors["frequency"]
        sums = d.factors["sums"]
        xv, w = f.values, d.weights
        n = d.n_customers
        wx = np.bincount(f.index, weights=w, minlength=len(xv))
        log_xm_v = np.log(sums["xm"] + v)
        inv = 1.0 / (sums["xm"] + v)
        inv2 = inv * inv
        A, B = sums["wx"] @ log_xm_v, w @ log_xm_v
        C, D = sums["wx"] @ inv, w @ inv
        E, F = sums["wx"] @ inv2, w @ inv2
        total = (wx @ (gammaln(p * xv + q) - gammaln(p * xv)) - n * gammaln(q) + n * q * np.log(v)
                 + p * sums["x_log_mx"] - sums["log_m"] - p * A - q * B)
        dg, dg1 = digamma(p * xv + q), digamma(p * xv)
        tg, tg1 = polygamma(1, p * xv + q), polygamma(1, p * xv)
        g = np.array([(wx * xv) @ (dg - dg1) + sums["x_log_mx"] - A,
                      wx @ dg - n * digamma(q) + n * np.log(v) - B,
                      n * q / v - p * C - q * D])
        h_pq = (wx * xv) @ tg
        H = np.array([
            [(wx * xv * xv) @ (tg - tg1), h_pq, -C],
            [h_pq, wx @ tg - n * polygamma(1, q), n / v - D],
            [-C, n / v - D, -n * q / v**2 + p * E + q * F],
        ])
        return total, g, H

    def expected_spend(self, data) -> np.ndarray:
        """E[M | x, m_x] per customer (eq. 5); the population mean p v / (q - 1) for x = 0."""
        p, q, v = self._require_fit()
        if q <= 1:
            raise DataError(f"q = {q:.3g} <= 1: the population mean spend is infinite under this fit")
        x = as_float_column(data, "frequency") if isinstance(data, pd.DataFrame) else np.asarray(data["frequency"], float)
        m = as_float_column(data, "monetary_value") if isinstance(data, pd.DataFrame) else np.asarray(data["monetary_value"], float)
        m = np.where(x > 0, m, 0.0)
        return (p * v + p * x * m) / (p * x + q - 1)

    def population_mean_spend(self) -> float:
        p, q, v = self._require_fit()
        return float(p * v / (q - 1)) if q > 1 else float("inf")


def frequency_spend_correlation(data: pd.DataFrame) -> float:
    """Pearson correlation of frequency and monetary value among repeat customers (near 0 is the model's premise)."""
    x = as_float_column(data, "frequency")
    m = as_float_column(data, "monetary_value")
    keep = x > 0
    if keep.sum() < 3:
        return float("nan")
    return float(np.corrcoef(x[keep], m[keep])[0, 1])
