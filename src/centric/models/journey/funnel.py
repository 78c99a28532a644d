"""From each user's funnel level to the funnel table: reached, conversion, drop-off and time to convert.

Step k counts the users whose deepest level (windowFunnel, queries/funnel.py) is at least k;
conversion from the previous step and from the first, drop-off, and the median and 90th
percentile of the time from the first step to step k over the users who reached it (from the
chain that reached their deepest level).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOTAL = "(all)"


def funnel_table(users: pd.DataFrame, steps: list[str], by: str | None = None, min_users: int = 1,
                 order: str = "ordered") -> pd.DataFrame:
    """users: one row per user with level, start, t1..t{n-1} (and the `by` column). Long table out.
    In an any-order funnel step k is "k of the n steps, in any order"."""
    groups = [(TOTAL, users)]
    if by is not None:
        keys = users[by].astype("string").fillna("(none)")
        groups += [(str(k), g) for k, g in users.groupby(keys, sort=True) if len(g) >= min_users]
    rows = []
    for key, g in groups:
        done = {k: g[g["level"].to_numpy() >= k] for k in range(2, len(steps) + 1)}
        rows += group_rows(key, g["level"].to_numpy(), steps, order, lambda k: (
            pd.to_datetime(done[k][f"t{k - 1}"]) - pd.to_datetime(done[k]["start"])).dt.total_seconds().to_numpy())
    return pd.DataFrame(rows)


def group_rows(group: str, level: np.ndarray, steps: list[str], order: str, seconds_of) -> list[dict]:
    """One group's rows: for each step, the users who reached it, the conversions and drop-off, and the
    median and 90th percentile of the seconds from the first step (``seconds_of(k)``: those seconds of
    the users who reached step k, k >= 2)."""
    rows = []
    first = int((level >= 1).sum())
    previous = first
    for k, step in enumerate(steps, start=1):
        reached = int((level >= k).sum())
        seconds = seconds_of(k) if k > 1 and reached else np.zeros(0)
        rows.append({
            "group": group, "step": k, "step_name": step if order != "any" else f"any {k} of {len(steps)}",
            "users": reached,
            "conversion_from_previous": reached / previous if previous else None,
            "conversion_from_first": reached / first if first else None,
            "dropped": previous - reached,
            "median_seconds_from_first": float(np.median(seconds)) if len(seconds) else None,
            "p90_seconds_from_first": float(np.percentile(seconds, 90)) if len(seconds) else None,
        })
        previous = reached
    return rows


def parse_window(text: str) -> int:
    """'7d', '24h', '30m', '90s' or a number of seconds -> seconds."""
    text = str(text).strip().lower()
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1, "w": 604800}
    try:
        if text and text[-1] in units:
            value = float(text[:-1]) * units[text[-1]]
        else:
            value = float(text)
    except ValueError as exc:
        raise ValueError(f"a window is a number with d, h, m or s (7d, 24h, 30m), got {text!r}") from exc
    if not 0 <= value <= 366 * 86400:
        raise ValueError(f"a window is between 0 seconds and 366 days, got {text!r}")
    return int(value)
