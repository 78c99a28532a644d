"""Customer lifetime value from a transaction model and a spend model.

CLV over a horizon H is the discounted sum, period by period, of expected purchases times
expected spend times margin (the discrete form of Fader, Hardie & Lee 2005, "RFM and CLV", eq. 2,
as lifetimes computes it):

  CLV = sum_{k=1}^{K} (E[X(T, T+k h)] - E[X(T, T+(k-1) h)]) * E[M] * margin / (1 + d_h)^k

with h the step (about a month), K = H / h and d_h the annual discount rate turned into a rate per
step: (1 + d)^(h / year) - 1.
"""

from __future__ import annotations

import numpy as np


def discounted_value(transaction_model, data, spend: np.ndarray, horizon: float, step: float,
                     year: float, annual_discount: float = 0.1, margin: float = 1.0) -> np.ndarray:
    """CLV per customer: horizon, step and year in the data's time unit (e.g. 365, 30.4375, 365.25 days)."""
    if horizon <= 0 or step <= 0:
        raise ValueError("horizon and step must be positive")
    steps = int(np.ceil(horizon / step - 1e-9))
    rate = (1 + annual_discount) ** (step / year) - 1
    previous = np.zeros(len(spend))
    total = np.zeros(len(spend))
    for k in range(1, steps + 1):
        cumulative = transaction_model.expected_purchases(data, min(k * step, horizon))
        total += (cumulative - previous) / (1 + rate) ** k
        previous = cumulative
    return total * np.asarray(spend, dtype=float) * margin
