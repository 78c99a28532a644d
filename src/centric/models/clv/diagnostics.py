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
from scipy.special import betaln

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


def boundary_note(model, mean_repeats: float, history: float) -> tuple[bool, float, str]:
    """(on the boundary, expected dropout share, a plain-words note) for one fitted model."""
    share = expected_dropout_share(model, mean_repeats, history)
    name = type(model).__name__
    edge = "a -> 0 or b -> infinity" if "a" in model.params_ else "s -> 0 or beta -> infinity"
    if share < DROPOUT_FLOOR:
        return True, share, (
            f"No dropout can be seen in this history: {name} expects {_share_text(share)} of customers to stop "
            "buying, so it treats every customer as alive. Its P(alive) is not informative here; its purchase "
            f"forecasts are those of a model without dropout (its parameters sit at their edge: {edge}).")
    return False, share, f"{name} expects {_share_text(share)} of customers to stop buying over this history."


def _share_text(share: float) -> str:
    """A share as a shop owner reads it: whole percent, or "under 0.1%" rather than 5.5e-08%."""
    return "under 0.1%" if share < 0.001 else f"{100 * share:.1f}%" if share < 0.1 else f"{100 * share:.0f}%"


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


def spend_frequency_check(data: pd.DataFrame) -> dict:
    """Spearman correlation of frequency and mean spend among repeat customers, its p-value, and a verdict."""
    from scipy.stats import spearmanr

    x = as_float_column(data, "frequency")
    m = as_float_column(data, "monetary_value")
    keep = (x > 0) & (m > 0)
    n = int(keep.sum())
    if n < 10 or np.unique(x[keep]).size < 2:
        return {"correlation": float("nan"), "p_value": float("nan"), "customers": n, "holds": None,
                "note": "Too few repeat customers to check that spend does not depend on frequency."}
    rho, p = spearmanr(x[keep], m[keep])
    rho, p = float(rho), float(p)
    fails = p < SPEND_P_VALUE and abs(rho) >= SPEND_MIN_CORRELATION
    if fails:
        way = "higher" if rho > 0 else "lower"
        note = (f"The Gamma-Gamma premise fails here: frequent buyers spend {way} per order (rank correlation "
                f"{rho:+.2f}, p = {p:.2g}, {n:,} repeat customers), so expected order values are biased: too "
                f"{'low' if rho > 0 else 'high'} for frequent buyers, too {'high' if rho > 0 else 'low'} for rare ones.")
    else:
        note = (f"Spend per order does not depend on frequency enough to matter (rank correlation {rho:+.2f}, "
                f"p = {p:.2g}, {n:,} repeat customers): the Gamma-Gamma premise holds.")
    return {"correlation": rho, "p_value": p, "customers": n, "holds": not fails, "note": note}
