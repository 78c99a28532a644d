"""What moves customers to the next stage: a regularised logistic model that adjusts for everything at once.

Each candidate driver (a touchpoint such as a loyalty sign-up, a support contact and its sentiment,
a discount on the first order, the acquisition channel, the first category, the persona) enters
one L2-penalised logistic regression of "moved to the next stage" (Hosmer, Lemeshow & Sturdivant
2013, "Applied Logistic Regression", ch. 2-4; le Cessie & van Houwelingen 1992 for the ridge
penalty). The effect of a driver is its adjusted odds ratio exp(beta); intervals come from the
sandwich covariance of the penalised fit, H^-1 (X'WX) H^-1 with H = X'WX + P (P the penalty), and
p-values from Wald tests, adjusted for the number of drivers by Holm's step-down method (1979).
Binary drivers stay 0/1 (the odds ratio compares having it with not); numeric ones are scaled to
one standard deviation; categorical ones compare each level with the most common one.

Touchpoints that happen while a customer waits must not be read as "happened at any time in the
span" (those who wait longer have more time for them): services/journey.py fits this model on the
landmark sample of models/journey/landmark.py, where they count only up to the landmark.

For movers, the median days to move with and without the driver are given beside; the adjusted
speed of a move is models/journey/speed.py's Cox model. The data are observational: every driver
carries flags for what stops a causal reading.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from centric.models.listening import holm

Z95 = stats.norm.ppf(0.975)
MIN_SUPPORT = 30


class DriverError(ValueError):
    """Too few customers, or no one who moved (or everyone did)."""


def design(frame: pd.DataFrame, binary=(), numeric=(), categorical=(), max_levels: int = 8, reference=None):
    """The model matrix and, per column, (variable, level, kind).

    reference: categorical column -> the level the others are compared with (by default, and when
    that level is absent here, the most common one in frame)."""
    cols, meta = [], []
    for name in binary:
        cols.append(frame[name].fillna(False).astype(float).to_numpy())
        meta.append((name, None, "binary"))
    for name in numeric:
        x = pd.to_numeric(frame[name], errors="coerce").astype(float)
        x = x.fillna(x.median())
        sd = float(x.std()) or 1.0
        cols.append(((x - x.mean()) / sd).to_numpy())
        meta.append((name, None, "per_sd"))
    for name in categorical:
        values = frame[name].astype("string").fillna("(none)")
        counts = values.value_counts()
        base = (reference or {}).get(name)
        base = base if base in counts.index else counts.index[0]
        levels = [lv for lv in counts.index if lv != base and counts[lv] >= 5][:max_levels]
        for level in levels:
            cols.append((values == level).astype(float).to_numpy())
            meta.append((name, str(level), f"vs {base}"))
    X = np.column_stack(cols) if cols else np.zeros((len(frame), 0))
    return X, meta


def informative(X: np.ndarray, meta: list):
    """Drop the columns that carry nothing: constant, or equal to an earlier column (a negative
    ticket when every ticket is negative): the model could only split one effect between them."""
    keep = X.std(axis=0) > 0
    for j in range(X.shape[1]):
        if keep[j] and any(keep[k] and np.array_equal(X[:, k], X[:, j]) for k in range(j)):
            keep[j] = False
    return X[:, keep], [m for m, k in zip(meta, keep) if k]


def fit_drivers(frame: pd.DataFrame, moved: str, binary=(), numeric=(), categorical=(), controls=(),
                days_to_move: str | None = None, C: float = 10.0, alpha: float = 0.05, reference=None) -> pd.DataFrame:
    """One row per driver: odds ratio with its interval, p-value (Holm), support, speed and flags.

    controls: numeric variables the model adjusts for but does not report; reference: categorical
    column -> the level compared with (see `design`)."""
    from sklearn.linear_model import LogisticRegression

    y = frame[moved].astype(float).to_numpy()
    if len(y) < 50 or y.min() == y.max():
        raise DriverError("need at least 50 customers, some who moved and some who did not")
    X, meta = informative(*design(frame, binary, [*numeric, *controls], categorical, reference=reference))
    model = LogisticRegression(C=C, max_iter=2000).fit(X, y)
    beta = model.coef_.ravel()
    Z = np.column_stack([np.ones(len(X)), X])
    p_hat = model.predict_proba(X)[:, 1]
    w = p_hat * (1 - p_hat)
    info = Z.T @ (Z * w[:, None])
    penalty = np.eye(Z.shape[1]) / C
    penalty[0, 0] = 0.0  # the intercept is not penalised
    h_inv = np.linalg.pinv(info + penalty)
    cov = h_inv @ info @ h_inv
    se = np.sqrt(np.clip(np.diag(cov)[1:], 0, None))
    z = np.divide(beta, se, out=np.zeros_like(beta), where=se > 0)
    pvalue = 2 * stats.norm.sf(np.abs(z))
    rows = []
    for j, (variable, level, kind) in enumerate(meta):
        if variable in controls:
            continue
        has = X[:, j] > 0.5 if kind != "per_sd" else X[:, j] > 0
        row = {"driver": variable if level is None else f"{variable}={level}", "variable": variable, "level": level,
               "kind": kind, "customers_with": int(has.sum()), "moved_share_with": float(y[has].mean()) if has.any() else None,
               "moved_share_without": float(y[~has].mean()) if (~has).any() else None,
               "log_odds_ratio": float(beta[j]), "odds_ratio": float(np.exp(beta[j])),
               "odds_ratio_low": float(np.exp(beta[j] - Z95 * se[j])), "odds_ratio_high": float(np.exp(beta[j] + Z95 * se[j])),
               "p_value": float(pvalue[j])}
        if days_to_move is not None:
            days = pd.to_numeric(frame[days_to_move], errors="coerce").to_numpy()
            movers = y > 0.5
            row["median_days_with"] = _median(days[movers & has])
            row["median_days_without"] = _median(days[movers & ~has])
        row["flags"] = _flags(row, kind)
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_adjusted"] = holm(out["p_value"].to_numpy())
    out["significant"] = out["p_adjusted"] < alpha
    out["direction"] = np.where(out["log_odds_ratio"] > 0, "raises", "lowers")
    return out.sort_values(["significant", "log_odds_ratio"], key=lambda s: s.abs() if s.name == "log_odds_ratio" else s,
                           ascending=[False, False]).reset_index(drop=True)


def _median(x: np.ndarray):
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else None


def _flags(row: dict, kind: str) -> str:
    flags = ["observational: customers chose this, so part of the effect may be who they are"]
    if row["customers_with"] < MIN_SUPPORT:
        flags.append(f"rare: fewer than {MIN_SUPPORT} customers")
    if row["odds_ratio_high"] / max(row["odds_ratio_low"], 1e-12) > 50:
        flags.append("imprecise: the interval spans more than 50x")
    if kind == "binary" and row["moved_share_without"] in (0.0, 1.0):
        flags.append("separation: everyone without it moved the same way")
    return "; ".join(flags)
