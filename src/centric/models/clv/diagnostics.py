"""Is a fit telling us anything? Boundary fits, indistinguishable models, the Gamma-Gamma premise.

Boundary of the parameter space. The dropout process of the transaction models can only be
estimated when some customers are seen to stop buying. When none are, the likelihood keeps rising
as dropout vanishes and the optimiser stops at an edge: BG/NBD and MBG/NBD with a -> 0 or b -> inf
(the dropout probability p ~ Beta(a, b) piles up at 0), Pareto/NBD with s -> 0 or beta -> inf (the
dropout rate mu ~ Gamma(s, beta) piles up at 0). All three then reduce to the same NBD purchase
model with the same likelihood, and P(alive) is about 1 for everyone: not informative.

The measure used here is scale-free: the share of customers the fitted model expects to drop out
over the history (for BG/NBD, over the mean customer's repeat purchases, at least one:
1 - B(a, b + n) / B(a, b); MBG/NBD adds the chance after the first purchase; Pareto/NBD over the
history's length L: 1 - (beta / (beta + L))^s). Under 1% is a boundary fit. Models whose
log-likelihoods agree within 0.05 (plus 1e-6 of its size) are flagged as indistinguishable.

Gamma-Gamma premise (Fader, Hardie & Lee 2005, "RFM and CLV", sec. 3): a customer's spend per
purchase does not depend on how often she buys. Checked by Spearman's rank correlation between
frequency and mean spend among repeat customers (ranks: spend is heavy-tailed) with its test;
the premise fails when the correlation is significant (p < 0.01) and at least 0.1 in size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, stdtr

from centric.models.clv.base import as_float_column

DROPOUT_FLOOR = 0.01
SAME_LL_ABS = 0.05
SPEND_P_VALUE = 0.01
SPEND_MIN_CORRELATION = 0.1


def expected_dropout_share(model, mean_repeats: float, history: float) -> float:
    """Share of customers the fitted model expects to drop out over the history (see module docstring)."""
    params = model.params_
    if "s" in params:  # Pareto/NBD
        s, beta = params["s"], params["beta"]
        return float(-np.expm1(s * (np.log(beta) - np.log(beta + history))))
    a, b = params["a"], params["b"]
    n = max(float(mean_repeats), 1.0) + getattr(model, "_shift", 0)
    return float(-np.expm1(betaln(a, b + n) - betaln(a, b)))


def boundary(model, mean_repeats: float, history: float) -> tuple[bool, float]:
    """(on the boundary, expected dropout share) for one fitted model; report/notes.py says it in words."""
    share = expected_dropout_share(model, mean_repeats, history)
    return share < DROPOUT_FLOOR, share


def same_likelihood(log_likelihoods: dict[str, float]) -> list[list[str]]:
    """Groups of models whose log-likelihoods agree (nothing in the data tells them apart)."""
    items = sorted((ll, name) for name, ll in log_likelihoods.items() if ll is not None and np.isfinite(ll))
    groups, current = [], []
    for ll, name in items:
        if current and abs(ll - current[-1][0]) > SAME_LL_ABS + 1e-6 * abs(ll):
            groups.append(current)
            current = []
        current.append((ll, name))
    if current:
        groups.append(current)
    return [sorted(n for _, n in g) for g in groups if len(g) > 1]


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their mean rank (scipy.stats.rankdata's 'average')."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(starts, append=len(values))
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.repeat(starts + 1 + (counts - 1) / 2, counts)
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(rho, two-sided p-value) as scipy.stats.spearmanr(x, y) computes them for finite 1-D data, the same
    operations in the same order (equal to the last bit; tests compare): the Pearson correlation of the
    average ranks and Student's t with n - 2 degrees of freedom. Kept here because importing scipy.stats
    costs a fresh process (an incremental `centric run` from cron) about 0.3 s."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) <= 1 or (x[0] == x).all() or (y[0] == y).all() or np.isnan(x).any() or np.isnan(y).any():
        return float("nan"), float("nan")  # spearmanr: too few, a constant input, or a NaN (nan_policy="propagate")
    rho = np.corrcoef(np.column_stack((_average_ranks(x), _average_ranks(y))), rowvar=False)[1, 0]
    dof = len(x) - 2
    with np.errstate(divide="ignore"):
        t = rho * np.sqrt((dof / ((rho + 1.0) * (1.0 - rho))).clip(0))
    return float(rho), float(2 * stdtr(dof, -np.abs(t)))


def spend_frequency_check(data: pd.DataFrame) -> dict:
    """Spearman correlation of frequency and mean spend among repeat customers, its p-value, how many, and
    whether the premise holds (None: too few to tell); report/notes.py says it in words."""
    x = as_float_column(data, "frequency")
    m = as_float_column(data, "monetary_value")
    keep = (x > 0) & (m > 0)
    n = int(keep.sum())
    if n < 10 or np.unique(x[keep]).size < 2:
        return {"correlation": float("nan"), "p_value": float("nan"), "customers": n, "holds": None}
    rho, p = spearman(x[keep], m[keep])
    fails = p < SPEND_P_VALUE and abs(rho) >= SPEND_MIN_CORRELATION
    return {"correlation": rho, "p_value": p, "customers": n, "holds": not fails}
