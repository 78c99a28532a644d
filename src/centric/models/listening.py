"""Survey scores with confidence intervals, the themes that drive them, and themes on the rise.

- NPS (Reichheld 2003): % promoters (9-10) - % detractors (0-6). Its interval is the adjusted Wald
  interval of Rocks (2016, "Interval Estimation for the Net Promoter Score", The American
  Statistician 70(4)): add 3/4 of a promoter and of a detractor and 3/2 of a passive, then use the
  multinomial variance of the difference of two shares.
- CSAT: the top-two-box share (4-5 on a 1-5 scale) with the Wilson (1927) score interval.
- CES: the mean effort score (1-7, higher = easier) with a Student-t interval.
- Drivers: per theme, the share of detractors who mention it and the NPS points it costs: the
  points NPS would gain if those detractors had been passives, 100 x (detractors mentioning the
  theme) / (all respondents).
- Rising negative themes: a theme's share of negative feedback in the recent window against the
  window before, with a two-proportion z-test (pooled variance). The themes tested are those with a
  negative mention in either window (a theme with none there has nothing to compare); their p-values
  are adjusted with Holm's (1979) step-down method, so that testing many themes does not raise alarms.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from scipy.special import ndtr, stdtrit  # what scipy.stats' t.ppf and norm.sf compute, without importing scipy.stats

SCALES = {"nps_0_10": (0, 10), "csat_1_5": (1, 5), "ces_1_7": (1, 7), "stars_1_5": (1, 5)}
Z95 = 1.959963984540054
EMPTY = {"n": 0, "value": None, "low": None, "high": None}


def _ratings(ratings) -> np.ndarray:
    """The numeric ratings, blanks and non-numbers dropped."""
    return np.asarray(pd.to_numeric(pd.Series(ratings), errors="coerce").dropna(), dtype=float)


def nps(ratings) -> dict:
    """NPS in points (-100..100) with its 95% adjusted-Wald interval, and the three shares."""
    r = _ratings(ratings)
    n = len(r)
    if n == 0:
        return dict(EMPTY)
    promoters, detractors = float((r >= 9).sum()), float((r <= 6).sum())
    value = 100.0 * (promoters - detractors) / n
    m = n + 3.0
    p, d = (promoters + 0.75) / m, (detractors + 0.75) / m
    centre = p - d
    half = Z95 * math.sqrt(max(p + d - centre * centre, 0.0) / m)
    return {"n": n, "value": value, "low": max(-100.0, 100 * (centre - half)), "high": min(100.0, 100 * (centre + half)),
            "promoters": promoters / n, "passives": (n - promoters - detractors) / n, "detractors": detractors / n}


def wilson(successes: float, n: int) -> tuple[float, float]:
    """Wilson score interval of a proportion, 95%."""
    if n == 0:
        return (float("nan"), float("nan"))
    phat = successes / n
    denom = 1 + Z95 ** 2 / n
    centre = (phat + Z95 ** 2 / (2 * n)) / denom
    half = Z95 * math.sqrt(phat * (1 - phat) / n + Z95 ** 2 / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def csat(ratings) -> dict:
    """CSAT as the % of 4-5 answers on a 1-5 scale, with the Wilson interval."""
    r = _ratings(ratings)
    n = len(r)
    if n == 0:
        return dict(EMPTY)
    satisfied = float((r >= 4).sum())
    low, high = wilson(satisfied, n)
    return {"n": n, "value": 100 * satisfied / n, "low": 100 * low, "high": 100 * high}


def ces(ratings) -> dict:
    """CES as the mean on 1-7 (higher = easier), with a Student-t interval."""
    r = _ratings(ratings)
    n = len(r)
    if n == 0:
        return dict(EMPTY)
    mean = float(r.mean())
    if n < 2:
        return {"n": n, "value": mean, "low": None, "high": None}
    half = stdtrit(n - 1, 0.975) * float(r.std(ddof=1)) / math.sqrt(n)
    return {"n": n, "value": mean, "low": mean - half, "high": mean + half}


SCORERS = {"nps": ("nps_0_10", nps), "csat": ("csat_1_5", csat), "ces": ("ces_1_7", ces)}


def score_table(feedback: pd.DataFrame, by: str | None = None, freq: str = "M", totals: bool = True) -> pd.DataFrame:
    """NPS, CSAT and CES overall, per period (``freq``: a pandas period alias) and per value of ``by``.

    ``feedback`` needs rating, rating_scale, received_at (and column ``by`` when given). Returns
    metric, period, dimension, group, n, value, low, high; "all" marks a total. ``totals=False`` leaves
    out the overall and per-period rows (a second dimension's table, whose totals the first one has).
    """
    rows = []
    frame = feedback.dropna(subset=["rating", "rating_scale"])
    if frame.empty:
        return pd.DataFrame(columns=["metric", "period", "dimension", "group", "n", "value", "low", "high"])
    if totals:
        period = pd.to_datetime(frame["received_at"]).dt.tz_localize(None).dt.to_period(freq).astype(str)
        frame = frame.assign(_period=period)
    for metric, (scale, scorer) in SCORERS.items():
        part = frame[frame["rating_scale"] == scale]
        if part.empty:
            continue
        cuts = []
        if totals:
            cuts += [("all", "all", "all", part)]
            cuts += [(str(p), "all", "all", chunk) for p, chunk in part.groupby("_period")]
        if by:
            cuts += [("all", by, str(g), chunk) for g, chunk in part.groupby(part[by].astype(object).fillna("(none)"))]
        for period, dimension, group, chunk in cuts:
            result = scorer(chunk["rating"])
            rows.append({"metric": metric, "period": period, "dimension": dimension, "group": group,
                         "n": result["n"], "value": result["value"], "low": result["low"], "high": result["high"]})
    return pd.DataFrame(rows, columns=["metric", "period", "dimension", "group", "n", "value", "low", "high"])


def drivers(responses: pd.DataFrame) -> pd.DataFrame:
    """Which themes cost NPS points. ``responses``: rating (0-10) and themes (list) per NPS answer.

    Returns theme, mentions, detractor_mentions, detractor_share (of detractors who mention it),
    nps_points_cost, nps_with (NPS of those who mention it), nps_without.
    """
    r = responses.dropna(subset=["rating"])
    n = len(r)
    cols = ["theme", "mentions", "detractor_mentions", "detractor_share", "nps_points_cost", "nps_with", "nps_without"]
    if n == 0:
        return pd.DataFrame(columns=cols)
    rating = pd.to_numeric(r["rating"]).to_numpy(dtype=float)
    themes = [set(t) if isinstance(t, (list, tuple, set, np.ndarray)) else set() for t in r["themes"]]
    detractor = rating <= 6
    n_detractors = int(detractor.sum())
    rows = []
    for theme in sorted(set().union(*themes)):
        has = np.array([theme in t for t in themes])
        det = int((has & detractor).sum())
        rows.append({"theme": theme, "mentions": int(has.sum()), "detractor_mentions": det,
                     "detractor_share": det / n_detractors if n_detractors else 0.0,
                     "nps_points_cost": 100.0 * det / n,
                     "nps_with": nps(rating[has])["value"], "nps_without": nps(rating[~has])["value"]})
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["nps_points_cost", "mentions"], ascending=False, ignore_index=True)


def rising_negative_themes(insights: pd.DataFrame, end, window_days: int = 30, alpha: float = 0.05) -> pd.DataFrame:
    """Themes whose share of negative mentions grew in the last ``window_days`` against the window before.

    ``insights``: received_at, themes (list) and aspects (list of {theme, sentiment}, or that list as JSON
    text: only the rows inside the two windows are read, so an incremental run need not parse every
    text's aspects). Returns theme, recent_share, previous_share, recent_n, previous_n, z, p_value, rising.
    """
    cols = ["theme", "recent_share", "previous_share", "recent_n", "previous_n", "z", "p_value", "rising"]
    if insights.empty:
        return pd.DataFrame(columns=cols)
    when = pd.to_datetime(insights["received_at"]).dt.tz_localize(None)
    end = pd.Timestamp(end).tz_localize(None) if pd.Timestamp(end).tzinfo else pd.Timestamp(end)  # naive, as `when`
    recent = (when > end - pd.Timedelta(days=window_days)) & (when <= end)
    previous = (when > end - pd.Timedelta(days=2 * window_days)) & ~recent & (when <= end)
    inside = (recent | previous).to_numpy()
    recent, previous = recent.to_numpy()[inside], previous.to_numpy()[inside]
    negative = [{a["theme"] for a in _aspect_list(asp) if a["sentiment"] == "negative"}
                for asp in insights["aspects"].to_numpy(dtype=object)[inside]]
    n1, n0 = int(recent.sum()), int(previous.sum())
    rows = []
    for theme in sorted(set().union(*negative)) if negative else []:
        has = np.array([theme in s for s in negative])
        x1, x0 = int((has & recent).sum()), int((has & previous).sum())
        p1 = x1 / n1 if n1 else 0.0
        p0 = x0 / n0 if n0 else 0.0
        pooled = (x1 + x0) / (n1 + n0) if n1 + n0 else 0.0
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0)) if n1 and n0 and 0 < pooled < 1 else 0.0
        z = (p1 - p0) / se if se else 0.0
        p_value = float(2 * ndtr(-abs(z))) if se else 1.0
        rows.append({"theme": theme, "recent_share": p1, "previous_share": p0, "recent_n": n1, "previous_n": n0,
                     "z": z, "p_value": p_value})
    out = pd.DataFrame(rows, columns=cols)
    out["p_value"] = holm(out["p_value"].to_numpy(dtype=float))
    out["rising"] = (out["z"] > 0) & (out["p_value"] < alpha)
    return out.sort_values("z", ascending=False, ignore_index=True)


def _aspect_list(aspects) -> list:
    """A text's aspects as a list: given as one (or an array), as JSON text, or missing (none)."""
    if isinstance(aspects, str):
        return json.loads(aspects) or []
    return aspects if isinstance(aspects, (list, np.ndarray)) else []


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adjusted
    return out
