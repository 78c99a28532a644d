"""Repeat-purchase curve: the share of first-time buyers who have bought again d days after their
first purchase, with recent buyers counted only for as long as they have been watched.

A customer whose first purchase was 20 days ago and who has not bought again says nothing about
day 60: the curve is one minus the Kaplan-Meier product-limit estimate of "not yet bought again"
(Kaplan & Meier 1958, JASA 53:457-481, eq. 2), S(t) = prod over event days t_i <= t of
(1 - d_i / n_i), with d_i second purchases on day t_i and n_i customers still waiting then (a
customer censored on t_i still counts as waiting on t_i). The 95% interval comes from Greenwood's
variance on the log(-log S) scale (Kalbfleisch & Prentice 2002, "The Statistical Analysis of
Failure Time Data", 2nd ed., eq. 1.8-1.9), which keeps it inside 0-1. The median days to the
second purchase is the first day the curve reaches one half (none while it has not).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


def kaplan_meier(durations, observed) -> pd.DataFrame:
    """One row per distinct day with a second purchase: at_risk (n_i), events (d_i), survival
    S(t) and its 95% interval (low, high)."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    keep = np.isfinite(t) & (t >= 0)
    t, e = t[keep], e[keep]
    if not len(t):
        return pd.DataFrame(columns=["day", "at_risk", "events", "survival", "low", "high"])
    days = np.unique(t[e])
    order = np.sort(t)
    at_risk = len(t) - np.searchsorted(order, days, side="left")
    events = np.bincount(np.searchsorted(days, t[e]), minlength=len(days))
    survival = np.cumprod(1.0 - events / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(events / (at_risk * (at_risk - events)))
        log_s = np.log(survival)
        se = np.sqrt(greenwood) / np.abs(log_s)
        loglog = np.log(-log_s)
        low = np.exp(-np.exp(loglog + Z95 * se))
        high = np.exp(-np.exp(loglog - Z95 * se))
    done = survival <= 0  # everyone left has moved: the interval is the point
    low = np.where(done, 0.0, np.nan_to_num(low, nan=1.0))
    high = np.where(done, 0.0, np.nan_to_num(high, nan=1.0))
    return pd.DataFrame({"day": days, "at_risk": at_risk, "events": events, "survival": survival,
                         "low": low, "high": high})


def repeat_curve(durations, moved, days=(7, 14, 30, 60, 90, 180, 365)) -> pd.DataFrame:
    """The repeat-purchase share at the given days since the first purchase: 1 - S(day), its
    interval, the customers still waiting then (at_risk), and the median days (the same on every
    row). Days past the last customer watched are left out (the estimate is undefined there)."""
    km = kaplan_meier(durations, moved)
    median = _half_way(km)
    t = np.asarray(durations, dtype=float)
    t = t[np.isfinite(t) & (t >= 0)]
    rows = []
    for day in days:
        if not len(t) or day > t.max():
            continue
        i = np.searchsorted(km["day"].to_numpy(), day, side="right") - 1
        s, lo, hi = (1.0, 1.0, 1.0) if i < 0 else (km["survival"].iat[i], km["low"].iat[i], km["high"].iat[i])
        rows.append({"day": int(day), "at_risk": int(np.count_nonzero(t >= day)), "repeated_share": 1.0 - s,
                     "low": 1.0 - hi, "high": 1.0 - lo, "median_days": median})
    return pd.DataFrame(rows, columns=["day", "at_risk", "repeated_share", "low", "high", "median_days"])


def median_days(durations, moved) -> float | None:
    """The first day the repeat share reaches one half; None while it has not."""
    return _half_way(kaplan_meier(durations, moved))


def _half_way(km: pd.DataFrame) -> float | None:
    reached = km[km["survival"] <= 0.5]
    return None if reached.empty else float(reached["day"].iat[0])
