"""BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat purchase
(BG/NBD) or after every purchase including the first (MBG/NBD, "k = 1" below) she drops out with
probability p ~ Beta(a, b). With B the beta function, the likelihood of (x, t_x, T) is
(FHL 2005 eq. 6; for MBG shift b + x by k = 1):

  L = Gamma(r+x) alpha^r / Gamma(r) * [ B(a, b+x+k) / B(a, b) / (alpha+T)^(r+x)
                                         + [x+k > 0] B(a+1, b+x+k-1) / B(a, b) / (alpha+t_x)^(r+x) ]

The first term is "still alive at T", the second "dropped out after the last purchase". The
conditional expectation is FHL eq. 10, P(alive) eq. 11 (Fader, Hardie & Lee 2008 note for MBG),
and the conditional distribution of future purchases is derived the same way: given alive at T
the future is a fresh BG/NBD, whose tail sum of NBD probabilities is a regularised incomplete
beta function (so nothing is summed to infinity).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaln, digamma, gammaln

from centric.models.clv.btyd import TransactionModel, on_distinct_rows, rfm_arrays
from centric.models.clv.special import pole_bracket


class BetaGeo(TransactionModel):
    """The BG/NBD model. params_: r, alpha (rate heterogeneity), a, b (dropout heterogeneity)."""

    _param_names = ("r", "alpha", "a", "b")
    _analytic_gradient = True
    _shift = 0  # k: 1 for MBG/NBD, where a customer may drop out right after the first purchase

    # ----- likelihood -------------------------------------------------------------------------
    def _log_likelihood(self, params, d, grad: bool):
        r, alpha, a, b = params
        k = self._shift
        fx, ft, fT = d.factors["frequency"], d.factors["recency"], d.factors["T"]
        xv = fx.values
        log_alpha_T = fT.take(np.log(alpha + fT.values))
        log_alpha_tx = ft.take(np.log(alpha + ft.values))
        rx = d["frequency"] + r
        has_dead = xv + k > 0
        alive_beta = fx.take(betaln(a, b + xv + k))
        dead_beta_v = np.where(has_dead, betaln(a + 1, np.maximum(b + xv + k - 1, 1e-300)), -np.inf)
        dead_beta = fx.take(dead_beta_v)
        A_alive = alive_beta - rx * log_alpha_T
        A_dead = dead_beta - rx * log_alpha_tx
        top = np.logaddexp(A_alive, A_dead)
        ll = fx.take(gammaln(r + xv)) - gammaln(r) + r * np.log(alpha) - betaln(a, b) + top
        if not grad:
            return ll
        w_alive = np.exp(A_alive - top)
        w_dead = 1.0 - w_alive
        inv_T = fT.take(1.0 / (alpha + fT.values))
        inv_tx = ft.take(1.0 / (alpha + ft.values))
        dg_ab = digamma(a + b)
        dg_abx = fx.take(digamma(a + b + xv + k))
        g = np.empty((len(ll), 4))
        g[:, 0] = fx.take(digamma(r + xv)) - digamma(r) + np.log(alpha) - w_alive * log_alpha_T - w_dead * log_alpha_tx
        g[:, 1] = r / alpha - rx * (w_alive * inv_T + w_dead * inv_tx)
        g[:, 2] = (-(digamma(a) - dg_ab) + w_alive * (digamma(a) - dg_abx)
                   + w_dead * (digamma(a + 1) - dg_abx))
        dead_db = np.where(has_dead, digamma(np.maximum(b + xv + k - 1, 1e-300)), 0.0)
        g[:, 3] = (-(digamma(b) - dg_ab) + w_alive * (fx.take(digamma(b + xv + k)) - dg_abx)
                   + w_dead * (fx.take(dead_db) - dg_abx))
        return ll, g

    def _weighted(self, params, d, grad: bool):
        """The same sums as the row-wise likelihood, with every term that depends on x alone
        summed once per distinct x (weights added up per x), so only a handful of operations
        run per unique (x, t_x, T) row."""
        r, alpha, a, b = params
        k = self._shift
        fx, ft, fT = d.factors["frequency"], d.factors["recency"], d.factors["T"]
        xv, xi, w = fx.values, fx.index, d.weights
        n = d.n_customers
        wx = np.bincount(xi, weights=w, minlength=len(xv))
        log_alpha_T = fT.take(np.log(alpha + fT.values))
        log_alpha_tx = ft.take(np.log(alpha + ft.values))
        rx = r + d["frequency"]
        has_dead = xv + k > 0
        dead_beta_v = np.full(len(xv), -np.inf)
        dead_beta_v[has_dead] = betaln(a + 1, b + xv[has_dead] + k - 1)
        A_alive = fx.take(betaln(a, b + xv + k)) - rx * log_alpha_T
        A_dead = fx.take(dead_beta_v) - rx * log_alpha_tx
        top = np.logaddexp(A_alive, A_dead)
        total = wx @ gammaln(r + xv) + n * (r * np.log(alpha) - gammaln(r) - betaln(a, b)) + w @ top
        if not grad:
            return total
        ww_alive = w * np.exp(A_alive - top)  # weight x P(this row's customer is alive at T)
        ww_dead = w - ww_alive
        wx_alive = np.bincount(xi, weights=ww_alive, minlength=len(xv))
        wx_dead = wx - wx_alive
        inv_T = fT.take(1.0 / (alpha + fT.values))
        inv_tx = ft.take(1.0 / (alpha + ft.values))
        dg_abx = digamma(a + b + xv + k)
        dead_db = np.zeros(len(xv))
        dead_db[has_dead] = digamma(b + xv[has_dead] + k - 1)
        g = np.empty(4)
        g[0] = (wx @ digamma(r + xv) + n * (np.log(alpha) - digamma(r))
                - ww_alive @ log_alpha_T - ww_dead @ log_alpha_tx)
        g[1] = n * r / alpha - (ww_alive * rx) @ inv_T - (ww_dead * rx) @ inv_tx
        g[2] = (-n * (digamma(a) - digamma(a + b)) + digamma(a) * wx_alive.sum() + digamma(a + 1) * wx_dead.sum()
                - wx @ dg_abx)
        g[3] = (-n * (digamma(b) - digamma(a + b)) + wx_alive @ digamma(b + xv + k) + wx_dead @ dead_db
                - wx @ dg_abx)
        return total, g

    # ----- predictions ------------------------------------------------------------------------
    def _alive_and_dead(self, x, t_x, T):
        """log of the two likelihood terms (alive at T, dropped out) without their common factor."""
        r, alpha, a, b = self._require_fit()
        k = self._shift
        A_alive = betaln(a, b + x + k) - (r + x) * np.log(alpha + T)
        has_dead = x + k > 0
        A_dead = np.where(has_dead, betaln(a + 1, np.where(has_dead, b + x + k - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
                          -np.inf)
        return A_alive, A_dead

    @on_distinct_rows
    def expected_purchases(self, data, t):
        """E[X(T, T+t) | x, t_x, T], FHL (2005) eq. 10, continuous through the pole at a = 1."""
        r, alpha, a, b = self._require_fit()
        k = self._shift
        x, t_x, T = rfm_arrays(data)
        t = np.asarray(t, dtype=float)
        z = t / (alpha + T + t)
        # (a+b+x-1+k)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+k; a+b+x-1+k; z)]
        bracket = pole_bracket(r + x, b + x + k, a + b + x - 1 + k, z)
        return (a + b + x - 1 + k) * bracket * self.p_alive({"frequency": x, "recency": t_x, "T": T})

    @on_distinct_rows
    def p_no_purchase(self, data, t):
        """P(X(T, T+t) = 0 | x, t_x, T): no purchase in the next t.

        The n = 0 case of the conditional distribution (Fader, Hardie & Lee 2005, the BG/NBD
        paper's sec. 4 argument; the same derivation as Fader & Hardie 2006, "Deriving the
        conditional PMF of the Pareto/NBD model", eq. 2): a customer who dropped out makes no
        purchase; one alive at T can only drop out after a purchase, so she makes none with
        probability exp(-lambda t), and lambda given alive and x purchases in T is
        Gamma(r + x, alpha + T). Hence

          P(X = 0) = 1 - P(alive) + P(alive) ((alpha + T) / (alpha + T + t))^(r + x).
        """
        r, alpha, _, _ = self._require_fit()
        x, t_x, T = rfm_arrays(data)
        t = np.asarray(t, dtype=float)
        alive = self.p_alive({"frequency": x, "recency": t_x, "T": T})
        quiet = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        return 1.0 - alive + alive * quiet

    def expected_purchases_new_customer(self, t):
        """E[X(t)] for a customer just acquired: FHL (2005) eq. 9 (Batislam et al. 2007 for MBG)."""
        r, alpha, a, b = self._require_fit()
        k = self._shift
        t = np.asarray(t, dtype=float)
        z = t / (alpha + t)
        lead = b if k else (a + b - 1)
        return lead * pole_bracket(r, b + k, a + b - 1 + k, z)

    def probability_of_n_purchases(self, data, t, n):
        """P(X(T, T+t) = n | x, t_x, T): the conditional distribution of future purchases."""
        r, alpha, a, b = self._require_fit()
        k = self._shift
        x, t_x, T = rfm_arrays(data)
        n = np.asarray(n, dtype=float)
        t = np.asarray(t, dtype=float)
        A_alive, A_dead = self._alive_and_dead(x, t_x, T)
        log_l = np.logaddexp(A_alive, A_dead)  # common factor Gamma(r+x) alpha^r / Gamma(r) / B(a,b) dropped
        q = (alpha + T) / (alpha + T + t)
        log_c0 = -(r + x) * np.log(alpha + T)
        log_nb = gammaln(r + x + n) - gammaln(r + x) - gammaln(n + 1) + (r + x) * np.log(q) + n * np.log1p(-q)
        stays = np.exp(betaln(a, b + x + k + n) + log_c0 + log_nb - log_l)
        with np.errstate(divide="ignore"):
            tail = betainc(np.maximum(n, 1.0), r + x, 1 - q)
            drops = np.where(n > 0, np.exp(betaln(a + 1, b + x + k + n - 1) + log_c0 + np.log(tail) - log_l), 0.0)
        dead_now = np.where(n == 0, np.exp(A_dead - log_l), 0.0)
        return dead_now + stays + drops

    def probability_of_n_purchases_new_customer(self, t, n):
        """P(X(t) = n) for a customer just acquired (FHL 2005 eq. 8): the conditional one at x = t_x = T = 0."""
        zero = {"frequency": np.zeros(1), "recency": np.zeros(1), "T": np.zeros(1)}
        return self.probability_of_n_purchases(zero, t, n)


class ModifiedBetaGeo(BetaGeo):
    """The MBG/NBD model (Batislam et al. 2007): a customer may also drop out right after the first purchase."""

    _shift = 1


__all__ = ["BetaGeo", "ModifiedBetaGeo"]
