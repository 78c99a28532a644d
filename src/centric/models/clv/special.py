"""Special functions the buy-till-you-die models need, in log space and safe at their edges.

- `log_hyp2f1`: log of Gauss's hypergeometric 2F1(a, b; c; z) for 0 <= z < 1 and a, b, c > 0 (the
  only region the models use). It applies Euler's transformation
  2F1(a, b; c; z) = (1 - z)^(c-a-b) 2F1(c-a, c-b; c; z) (Abramowitz & Stegun 15.3.3) whenever
  c - a - b < 0 and neither c - a nor c - b is below -1, so the power is taken in log space and the
  remaining series has small parameters and at most one change of sign (a series whose terms
  alternate for long would cancel digits away).
  For a frequency x of 10,000 the BG/NBD term 2F1(r+x, b+x; a+b+x-1; z) overflows in
  scipy.special.hyp2f1; its logarithm here stays finite. Where scipy still fails, a series summed
  in log space takes over.
- `log_hyp2f1_beta`: log 2F1(a, b; a+1; z), the incomplete-beta case the Pareto/NBD likelihood
  needs, for any a, b > 0 and 0 <= z < 1, at a cost that does not grow as z -> 1. The power series
  needs about 40 / (1 - z) terms, and scipy's 2F1 returns NaN near z = 1 once a passes about 170
  (its 1 - z transformation takes Gamma(a), which overflows); a Pareto/NBD fit drifting to a
  boundary (r, alpha -> infinity, or beta -> infinity) puts every customer there. With
  w = 1 - z and v1 = min(1/4, 2/a):
  * w >= v1: Euler's transformation to 2F1(1, a+1-b; a+1; z), from scipy for a < 30 and
    otherwise from the continued fraction of the incomplete beta function (modified Lentz), which
    converges in about 4 sqrt(a) steps there (scipy's 2F1 is up to ten times slower for large a
    near z = 1, and fails beyond a = 170);
  * w < v1: 2F1(a, b; a+1; z) = a z^-a U(w) with U(w) = int_w^1 v^-b (1-v)^(a-1) dv (the
    substitution v = 1 - t in the Euler integral), split at v1. The part over [v1, 1] is the
    case above at z = 1 - v1; the part over [w, v1] is the binomial series of (1-v)^(a-1)
    integrated term by term: sum_k (1-a)_k/k! v1^(k+1-b) (1 - rho^(k+1-b)) / (k+1-b) with
    rho = w / v1. Every (1 - rho^mu)/mu is positive, at most the first one, and continuous through
    mu = 0, so an integer b (where the textbook 1 - z formula has poles) needs no special case.
    The part is at least (1-v1)^(a-1) >= (3/4)^7 times the first term's scale, and term k at most
    |(1-a)_k/k!| v1^k times it: below 35 * 4^-k for a < 8 (|(1-a)_k/k!| <= 35 there) and below
    2^k/k! for a >= 8. `_LOW_TERMS` = 32 terms so leave a relative error below 2e-17, and the
    cancellation between terms of alternating sign costs at most a factor of about 60 (two digits).
- `pole_bracket`: [1 - (1-z)^A 2F1(A, B; C; z)] / (C - B) for C - B near 0, the removable pole
  of the BG/NBD and MBG/NBD expectations at a = 1 (Fader, Hardie & Lee 2005, eq. 10).
- `expm1_ratio`: (1 - y^e) / e for e near 0, the pole of the Pareto/NBD expectation at s = 1.
"""

from __future__ import annotations

import numpy as np
from scipy.special import hyp2f1

_SERIES_TERMS = 200_000
_LOW_TERMS = 32
_CF_STEPS = 20_000


def _log_hyp2f1_series(a, b, c, z):
    """log 2F1 by its power series with every term kept in log space (a, b, c > 0, 0 <= z < 1)."""
    a, b, c, z = (np.asarray(v, dtype=float) for v in (a, b, c, z))
    log_term = np.zeros_like(z)
    log_sum = np.zeros_like(z)
    log_z = np.log(np.where(z > 0, z, 1.0))
    active = z > 0
    for n in range(_SERIES_TERMS):
        if not active.any():
            break
        idx = np.nonzero(active)[0]
        log_term[idx] += (np.log(a[idx] + n) + np.log(b[idx] + n) - np.log(c[idx] + n)
                          - np.log(n + 1.0) + log_z[idx])
        log_sum[idx] = np.logaddexp(log_sum[idx], log_term[idx])
        # terms still growing keep the row active; once shrinking, stop at 1e-17 of the sum
        ratio = (a[idx] + n + 1) * (b[idx] + n + 1) * z[idx] / ((c[idx] + n + 1) * (n + 2))
        done = (ratio < 1) & (log_term[idx] - log_sum[idx] < -39.0)
        active[idx[done]] = False
    return log_sum


def log_hyp2f1(a, b, c, z):
    """log 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1, finite where 2F1 itself overflows."""
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    excess = c - a - b
    euler = (excess < 0) & (c - a > -1) & (c - b > -1)
    a2 = np.where(euler, c - a, a)
    b2 = np.where(euler, c - b, b)
    with np.errstate(all="ignore"):
        value = hyp2f1(a2, b2, c, z)
        out = np.log(value) + np.where(euler, excess * np.log1p(-z), 0.0)
    bad = ~np.isfinite(out) | ~(value > 0)
    if bad.any():
        out = np.array(out, dtype=float)
        out[bad] = _log_hyp2f1_series(a[bad], b[bad], c[bad], z[bad])
    return out


def _log_cf_a1(a, b, z):
    """log 2F1(1, a+1-b; a+1; z) (> 0 for a, b > 0) by the continued fraction of the incomplete beta
    function B_z(a, 1-b) (Numerical Recipes' betacf, modified Lentz), vectorised; each element
    stops once a step changes its value by at most one rounding unit (3e-16)."""
    x, bb = np.array(z, dtype=float), 1.0 - np.asarray(b, dtype=float)
    a = np.asarray(a, dtype=float)
    tiny = 1e-300

    def guard(v):
        return np.where(np.abs(v) < tiny, tiny, v)

    c = np.ones_like(x)
    d = 1.0 / guard(1.0 - (a + bb) * x / (a + 1.0))
    log_h = np.log(np.abs(d))
    active = np.arange(x.size)
    for m in range(1, _CF_STEPS):
        if not active.size:
            break
        A, B, X, C, D = a[active], bb[active], x[active], c[active], d[active]
        step = np.ones_like(X)
        for aa in (m * (B - m) * X / ((A - 1 + 2 * m) * (A + 2 * m)),
                   -(A + m) * (A + B + m) * X / ((A + 2 * m) * (A + 1 + 2 * m))):
            D = 1.0 / guard(1.0 + aa * D)
            C = guard(1.0 + aa / C)
            last = D * C
            step = step * last
        log_h[active] += np.log(np.abs(step))
        c[active], d[active] = C, D
        active = active[np.abs(last - 1.0) > 3e-16]
    return log_h


def _log_far(a, b, z, w):
    """log 2F1(a, b; a+1; z) = (1-b) log w + log 2F1(1, a+1-b; a+1; z): the latter from scipy for
    a < 30 (faster there), else, or where scipy fails, by the continued fraction."""
    out = np.empty_like(z)
    small = a < 30.0
    with np.errstate(all="ignore"):
        value = hyp2f1(1.0, a[small] + 1.0 - b[small], a[small] + 1.0, z[small])
        out[small] = np.log(value)
    bad = ~small
    bad[small] = ~np.isfinite(out[small]) | ~(value > 0)
    if bad.any():
        out[bad] = _log_cf_a1(a[bad], b[bad], z[bad])
    return (1.0 - b) * np.log(w) + out


def _log_low(a, b, w, v1):
    """log int_w^v1 v^-b (1-v)^(a-1) dv (0 < w < v1 = min(1/4, 2/a)), by the binomial series of
    (1-v)^(a-1): v1^(1-b) sum_k (1-a)_k/k! v1^k E_k with E_k = (1 - rho^mu_k)/mu_k, rho = w/v1 and
    mu_k = k+1-b. The E_k are scaled by rho^min(mu_0, 0), so that every scaled term is at most
    about -log(rho) and nothing overflows; only powers of rho and one expm1 per term are needed."""
    k = np.arange(_LOW_TERMS, dtype=float)[:, None]
    ua, back = np.unique(a, return_inverse=True)  # (1-a)_k/k! v1^k depends on a only
    steps = (k[1:] - ua) / k[1:] * np.minimum(0.25, 2.0 / ua)
    coef = np.vstack([np.ones_like(ua)[None, :], np.cumprod(steps, axis=0)])[:, back]
    log_rho = np.log(w) - np.log(v1)
    mu0 = 1.0 - b
    m0 = np.minimum(mu0, 0.0)
    scale = np.exp(-m0 * log_rho)  # rho^-m0 <= 1
    powers = np.cumprod(np.vstack([np.exp(np.maximum(mu0, 0.0) * log_rho)[None, :],
                                   np.broadcast_to(np.exp(log_rho), (len(k) - 1, len(w)))]), axis=0)
    mu = k + mu0
    y = mu * log_rho  # E_k rho^-m0 = (scale - powers)/mu = -scale expm1(y)/mu; the latter where |y| < 1
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ratio = np.where(np.abs(y) < 1e-8, 1.0 + 0.5 * y, np.expm1(y) / y)  # (e^y - 1)/y
        scaled = np.where(np.abs(y) < 1.0, scale * -log_rho * ratio, (scale - powers) / mu)
    return (1.0 - b) * np.log(v1) + m0 * log_rho + np.log(np.sum(coef * scaled, axis=0))


def log_hyp2f1_beta(a, b, z, w=None):
    """log 2F1(a, b; a+1; z) for a, b > 0 and 0 <= z < 1, exact and fast up to z -> 1.

    `w` is 1 - z; pass it when it is known more exactly than 1 - z can be computed (it sets how
    close to 1 the argument is, and every digit of it counts there).
    """
    a, b, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, z)))
    w = 1.0 - z if w is None else np.broadcast_to(np.asarray(w, dtype=float), z.shape)
    shape = z.shape
    a, b, z, w = (np.ravel(v) for v in (a, b, z, w))
    v1 = np.minimum(0.25, 2.0 / a)
    near = w < v1
    out = np.empty_like(z)
    far = ~near
    if far.any():
        out[far] = _log_far(a[far], b[far], z[far], w[far])
    if near.any():
        an, bn, vn = a[near], b[near], v1[near]
        # the part over [v1, 1] depends on (a, b) only: once per distinct pair
        pairs, back = np.unique(an + 1j * bn, return_inverse=True)
        ua, ub = pairs.real, pairs.imag
        uv = np.minimum(0.25, 2.0 / ua)
        high = (ua * np.log1p(-uv) - np.log(ua) + _log_far(ua, ub, 1.0 - uv, uv))[back.ravel()]
        out[near] = np.log(an) - an * np.log(z[near]) + np.logaddexp(_log_low(an, bn, w[near], vn), high)
    return out.reshape(shape)


def _pole_series(A, C, z, terms: int = 4000):
    """d/de of log[(1-z)^e 2F1(C-A, e; C; z)] at e = 0: log(1-z) + sum_n (C-A)_n z^n / ((C)_n n)."""
    total = np.log1p(-z)
    coef = np.ones_like(z)
    for n in range(1, terms + 1):
        coef = coef * (C - A + n - 1) / (C + n - 1) * z
        step = coef / n
        total = total + step
        if np.all(np.abs(step) <= 1e-17 * np.maximum(np.abs(total), 1e-300)):
            break
    return total


def pole_bracket(A, B, C, z, eps: float = 1e-7):
    """[1 - (1-z)^A 2F1(A, B; C; z)] / e with e = C - B, continuous through e = 0.

    By Euler's transformation (1-z)^A 2F1(A, B; C; z) = exp(G) with
    G = e log(1-z) + log 2F1(C-A, e; C; z), and G -> 0 as e -> 0. Away from the pole the bracket
    is -expm1(G)/e; within eps of it, -G/e is replaced by its limit -dG/de at e = 0.
    """
    A, B, C, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (A, B, C, z)))
    e = C - B
    out = np.empty_like(z)
    near = np.abs(e) < eps
    far = ~near
    # C <= 0 only for x = 0 with a + b < 1: the parameters are then small and scipy's 2F1 (which
    # may be negative there, so no logarithm) is used as it is
    direct = far & (C <= 0)
    far &= C > 0
    if far.any():
        G = (A[far] * np.log1p(-z[far])) + log_hyp2f1(A[far], B[far], C[far], z[far])
        out[far] = -np.expm1(G) / e[far]
    if direct.any():
        f = hyp2f1(A[direct], B[direct], C[direct], z[direct])
        out[direct] = (1.0 - np.exp(A[direct] * np.log1p(-z[direct])) * f) / e[direct]
    if near.any():
        out[near] = -_pole_series(A[near], C[near], z[near])
    return out


def expm1_ratio(log_y, e, eps: float = 1e-9):
    """(1 - y^e) / e from log y, with its limit -log y at e = 0."""
    log_y, e = np.broadcast_arrays(np.asarray(log_y, dtype=float), np.asarray(e, dtype=float))
    safe_e = np.where(np.abs(e) < eps, 1.0, e)
    return np.where(np.abs(e) < eps, -log_y, -np.expm1(e * log_y) / safe_e)
