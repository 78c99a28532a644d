"""Draw customers from the models' own generative stories: planted truth for parameter-recovery
tests and benchmark data. Every function takes a numpy Generator, so draws are reproducible.

BG/NBD (FHL 2005 sec. 2): lambda ~ Gamma(r, alpha), p ~ Beta(a, b); the customer dies right after
the K-th repeat purchase, K ~ Geometric(p) (MBG/NBD: also right after the first, K - 1). Given N
Poisson purchases in (0, T] their times are uniform, so the x-th is T times a Beta(x, N-x+1) draw.
Pareto/NBD: lambda ~ Gamma(r, alpha), lifetime ~ Exp(mu), mu ~ Gamma(s, beta).
Gamma-Gamma: nu ~ Gamma(q, v) and the mean of x Gamma(p, nu) spends is Gamma(px, x nu).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _ages(n: int, T, rng) -> np.ndarray:
    if np.ndim(T) == 0:
        return np.full(n, float(T))
    T = np.asarray(T, dtype=float)
    return T if len(T) == n else rng.choice(T, size=n)


def _last_of(x: np.ndarray, events: np.ndarray, window: np.ndarray, rng) -> np.ndarray:
    """Time of the x-th of `events` uniform purchase times in (0, window]; 0 when x = 0."""
    t_x = np.zeros(len(x))
    has = x > 0
    t_x[has] = window[has] * rng.beta(x[has], events[has] - x[has] + 1)
    return t_x


def simulate_beta_geo(n: int, r: float, alpha: float, a: float, b: float, T, rng,
                      modified: bool = False) -> pd.DataFrame:
    """n customers of age T (scalar or array to draw from) under BG/NBD (or MBG/NBD)."""
    T = _ages(n, T, rng)
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    repeats_until_death = rng.geometric(p) - (1 if modified else 0)
    events = rng.poisson(lam * T)
    x = np.minimum(events, repeats_until_death)
    return pd.DataFrame({"frequency": x.astype(float), "recency": _last_of(x, events, T, rng), "T": T})


def simulate_pareto_nbd(n: int, r: float, alpha: float, s: float, beta: float, T, rng) -> pd.DataFrame:
    """n customers of age T under Pareto/NBD."""
    T = _ages(n, T, rng)
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    mu = rng.gamma(s, 1.0 / beta, size=n)
    lifetime = rng.exponential(1.0 / mu)
    window = np.minimum(lifetime, T)
    x = rng.poisson(lam * window)
    return pd.DataFrame({"frequency": x.astype(float), "recency": _last_of(x, x, window, rng), "T": T})


def simulate_gamma_gamma(frequency, p: float, q: float, v: float, rng) -> np.ndarray:
    """Mean spend of each customer's `frequency` repeat purchases (0 where frequency is 0)."""
    x = np.asarray(frequency, dtype=float)
    nu = rng.gamma(q, 1.0 / v, size=len(x))
    out = np.zeros(len(x))
    has = x > 0
    out[has] = rng.gamma(p * x[has], 1.0 / (x[has] * nu[has]))
    return out


def simulate_with_holdout(n: int, params: dict, T, t: float, rng, model: str = "BetaGeo") -> pd.DataFrame:
    """n customers followed purchase by purchase over (0, T] (calibration) and (T, T + t] (holdout).

    model: BetaGeo, ModifiedBetaGeo (params r, alpha, a, b) or ParetoNBD (r, alpha, s, beta).
    Returns frequency, recency, T of the calibration period and frequency_holdout, the repeat
    purchases in the holdout: the planted truth for the models' conditional predictions.
    """
    T = _ages(n, T, rng)
    end = T + float(t)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=n)
    if model == "ParetoNBD":
        death = rng.exponential(1.0 / rng.gamma(params["s"], 1.0 / params["beta"], size=n))
        p = np.zeros(n)
    else:
        p = rng.beta(params["a"], params["b"], size=n)
        death = np.where(rng.random(n) < p, 0.0, np.inf) if model == "ModifiedBetaGeo" else np.full(n, np.inf)
    x = np.zeros(n)
    t_x = np.zeros(n)
    x_hold = np.zeros(n)
    now = np.zeros(n)
    active = death > 0
    while active.any():
        idx = np.nonzero(active)[0]
        now[idx] += rng.exponential(1.0 / lam[idx])
        bought = (now[idx] <= end[idx]) & (now[idx] <= death[idx])
        buy = idx[bought]
        in_cal = now[buy] <= T[buy]
        x[buy[in_cal]] += 1
        t_x[buy[in_cal]] = now[buy[in_cal]]
        x_hold[buy[~in_cal]] += 1
        active[idx[~bought]] = False
        if model != "ParetoNBD":  # BG/NBD: a coin with chance p after each repeat purchase
            dies = buy[rng.random(len(buy)) < p[buy]]
            active[dies] = False
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "frequency_holdout": x_hold})
