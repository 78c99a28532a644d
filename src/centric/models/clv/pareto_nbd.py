"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), in the form of Fader & Hardie (2005),
"A note on deriving the Pareto/NBD model and related expressions".

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); her lifetime is
exponential with rate mu ~ Gamma(s, beta). The likelihood of (x, t_x, T) (note eq. 18-20) is

  L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [ 1 / ((alpha+T)^(r+x) (beta+T)^s) + s I ],
  I = int_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau = J(x, t_x) - J(x, T),
  J(x, t) = 2F1(K, c; K+1; |alpha-beta| / (m+t)) / (K (m+t)^K),  K = r+s+x,

with m = max(alpha, beta), c = s+1 if alpha >= beta else r+x (eq. 19, 20). The argument tends
to 1 when min(alpha, beta) + t is small beside max(alpha, beta), which is where a fit drifting to a
boundary (r, alpha -> infinity, or s -> 0 with beta -> infinity) takes every customer;
`special.log_hyp2f1_beta` stays exact and fast there (scipy's 2F1 returns NaN, and its power series
needs about 40 / (1 - z) terms). J depends on (x, t)
only, so it is computed once per distinct (x, t_x) and (x, T) pair rather than per customer;
t_x = T gives I = 0 exactly. P(alive) is note eq. 36-37 and the conditional expectation eq. 41.

The 2F1 has no closed derivative in r and s, so the fit uses central differences of this exact
likelihood, evaluated for all perturbed parameter sets in one vectorised call.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from centric.models.clv.base import Compressed
from centric.models.clv.btyd import TransactionModel, on_distinct_rows, rfm_arrays
from centric.models.clv.special import expm1_ratio, log_hyp2f1_beta


def _pairs(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, t) pairs and each row's pair index."""
    codes = np.unique(np.stack([x, t], axis=1), axis=0, return_inverse=True)
    uniq, inverse = codes
    return uniq[:, 0], uniq[:, 1], inverse.ravel()


def _log_J(params: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """log J(x, t) for parameter rows `params` (P x 4) and pairs (x, t): a P x n array."""
    r, alpha, s, beta = (params[:, i:i + 1] for i in range(4))
    K = r + s + x
    m = np.maximum(alpha, beta)
    c = np.where(alpha >= beta, s + 1.0, r + x)
    z = np.abs(alpha - beta) / (m + t)
    w = (np.minimum(alpha, beta) + t) / (m + t)  # 1 - z, without the cancellation as z -> 1
    return log_hyp2f1_beta(K, c, z, w) - np.log(K) - K * np.log(m + t)


def _log_I(log_j_tx, log_j_T, t_x, T):
    """log I = log(J(x, t_x) - J(x, T)), minus infinity where t_x = T (no time to drop out in)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_I = log_j_tx + np.log(-np.expm1(np.minimum(log_j_T - log_j_tx, 0.0)))
    return np.where(t_x >= T, -np.inf, log_I)


class ParetoNBD(TransactionModel):
    """The Pareto/NBD model. params_: r, alpha (purchase rate), s, beta (dropout rate)."""

    _param_names = ("r", "alpha", "s", "beta")

    def _compress(self, data) -> Compressed:
        d = super()._compress(data)
        x, t_x, T = d["frequency"], d["recency"], d["T"]
        d.factors["pair_tx"] = _pairs(x, t_x)
        d.factors["pair_T"] = _pairs(x, T)
        return d

    def _batched_log_likelihood(self, params: np.ndarray, d: Compressed) -> np.ndarray:
        """Per-row log-likelihood for each parameter row of `params` (P x 4): a P x rows array."""
        r, alpha, s, beta = (params[:, i:i + 1] for i in range(4))
        x, T = d["frequency"], d["T"]
        fx = d.factors["frequency"]
        xv = fx.values
        px, pt, p_idx = d.factors["pair_tx"]
        qx, qT, q_idx = d.factors["pair_T"]
        both = _log_J(params, np.concatenate([px, qx]), np.concatenate([pt, qT]))
        log_I = _log_I(both[:, :len(px)][:, p_idx], both[:, len(px):][:, q_idx], d["recency"], T)
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        died = np.log(s) + log_I
        head = (gammaln(r + xv)[:, fx.index] - gammaln(r) + r * np.log(alpha) + s * np.log(beta))
        return head + np.logaddexp(alive, died)

    def _log_likelihood(self, params, d, grad: bool):
        return self._batched_log_likelihood(np.asarray(params, dtype=float)[None, :], d)[0]

    def _objective(self, log_params, d, analytic):
        """Value and central-difference gradient in log-parameters, from one batched evaluation."""
        h = 1e-6
        k = len(log_params)
        steps = np.vstack([np.zeros(k), np.eye(k) * h, -np.eye(k) * h])
        params = np.exp(log_params[None, :] + steps)
        ll = self._batched_log_likelihood(params, d)
        n = d.n_customers
        values = -(ll @ d.weights) / n + self.penalizer * np.sum(params**2, axis=1)
        if not np.isfinite(values).all():
            return np.inf, np.zeros(k)
        grad = (values[1:k + 1] - values[k + 1:]) / (2 * h)
        return values[0], grad

    def _has_gradient(self) -> bool:
        return True

    def _total_gradient(self, params, d):
        h = 1e-6
        k = len(params)
        steps = np.vstack([np.eye(k) * h, -np.eye(k) * h])
        ll = self._batched_log_likelihood(params[None, :] * np.exp(steps), d)
        total = -(ll @ d.weights)
        return (total[:k] - total[k:]) / (2 * h) / params

    # ----- predictions ------------------------------------------------------------------------
    def _alive_and_dead(self, x, t_x, T):
        r, alpha, s, beta = self._require_fit()
        p = np.array([[r, alpha, s, beta]])
        log_I = _log_I(_log_J(p, x, t_x)[0], _log_J(p, x, T)[0], t_x, T)
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        return alive, np.log(s) + log_I

    @on_distinct_rows
    def expected_purchases(self, data, t):
        """E[X(T, T+t) | x, t_x, T], note eq. 41; continuous through s = 1."""
        r, alpha, s, beta = self._require_fit()
        x, t_x, T = rfm_arrays(data)
        t = np.asarray(t, dtype=float)
        ratio = expm1_ratio(np.log(beta + T) - np.log(beta + T + t), s - 1.0)
        return self.p_alive({"frequency": x, "recency": t_x, "T": T}) * (r + x) * (beta + T) / (alpha + T) * ratio

    def expected_purchases_new_customer(self, t):
        """E[X(t)] for a customer just acquired, note eq. 27."""
        r, alpha, s, beta = self._require_fit()
        t = np.asarray(t, dtype=float)
        return r * beta / alpha * expm1_ratio(np.log(beta) - np.log(beta + t), s - 1.0)

    @on_distinct_rows
    def p_no_purchase(self, data, t):
        """P(X(T, T+t) = 0 | x, t_x, T): no purchase in the next t (Fader & Hardie 2006, "Deriving
        the conditional PMF of the Pareto/NBD model", the x* = 0 case).

        Given alive at T, lambda ~ Gamma(r + x, alpha + T) and mu ~ Gamma(s, beta + T)
        independently; no purchase means dying before the next purchase or reaching T + t:

          P(X = 0 | alive) = ((alpha+T)/(alpha+T+t))^(r+x) ((beta+T)/(beta+T+t))^s
                             + s (alpha+T)^(r+x) (beta+T)^s int_T^{T+t} (alpha+u)^-(r+x) (beta+u)^-(s+1) du,

        the integral being J(x, T) - J(x, T + t) of the likelihood (note eq. 19-20). Then
        P(X = 0) = 1 - P(alive) + P(alive) P(X = 0 | alive).
        """
        r, alpha, s, beta = self._require_fit()
        x, t_x, T = rfm_arrays(data)
        t = np.broadcast_to(np.asarray(t, dtype=float), T.shape)
        p = np.array([[r, alpha, s, beta]])
        end = T + t
        quiet = (r + x) * (np.log(alpha + T) - np.log(alpha + end)) + s * (np.log(beta + T) - np.log(beta + end))
        log_I = _log_I(_log_J(p, x, T)[0], _log_J(p, x, end)[0], T, end)
        died = np.log(s) + (r + x) * np.log(alpha + T) + s * np.log(beta + T) + log_I
        given_alive = np.minimum(np.exp(np.logaddexp(quiet, died)), 1.0)
        alive = self.p_alive({"frequency": x, "recency": t_x, "T": T})
        return 1.0 - alive + alive * given_alive
