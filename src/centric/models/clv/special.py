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
- `pole_bracket`: [1 - (1-z)^A 2F1(A, B; C; z)] / (C - B) for C - B near 0, the removable pole
  of the BG/NBD and MBG/NBD expectations at a = 1 (Fader, Hardie & Lee 2005, eq. 10).
- `expm1_ratio`: (1 - y^e) / e for e near 0, the pole of the Pareto/NBD expectation at s = 1.
"""

from __future__ import annotations

import numpy as np
from scipy.special import hyp2f1

_SERIES_TERMS = 200_000


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
