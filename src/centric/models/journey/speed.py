"""What makes customers move sooner: adjusted hazard ratios from a Cox model (models/journey/cox.py).

Where the logistic model of models/journey/drivers.py asks whether a customer moved, this one asks
how fast: the hazard ratio exp(beta) of a driver multiplies the rate of moving at every moment
(> 1: sooner). Customers still waiting at the end count for as long as they were watched
(censoring), so recent customers need no control for time observed. Traits known when the span
began (first order, channel, persona) are fixed covariates, scaled as in `design`; touchpoints
(events, support tickets) switch on when they happen, in counting-process rows (Andersen & Gill
1982), so a touchpoint is credited only for the time after it. A touchpoint measured once counts
from its first occurrence (has it happened yet); a recurring one counts each occurrence so far
(its ratio is per event). Wald p-values are Holm-adjusted (1979) over the drivers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from centric.models.journey.cox import counting_process, fit_cox
from centric.models.journey.drivers import Z95, design, informative
from centric.models.listening import holm


def fit_speed(frame: pd.DataFrame, duration: str, moved: str, touches: pd.DataFrame | None = None,
              once=(), recurring=(), binary=(), numeric=(), categorical=(), penalty: float = 0.1,
              alpha: float = 0.05) -> pd.DataFrame:
    """One row per driver: hazard ratio with its 95% interval, p-value and Holm-adjusted p-value.

    frame: one row per customer; touches: customer row position (subject), time and column, for
    the touchpoints in once (first occurrence counts) and recurring (every occurrence counts)."""
    watched = frame[duration].to_numpy(float) > 0  # a customer watched for no time adds nothing
    position = np.cumsum(watched) - 1
    frame = frame[watched].reset_index(drop=True)
    X, meta = design(frame, binary, numeric, categorical)
    changing = [*once, *recurring]
    if touches is not None and len(touches):
        touches = touches[watched[touches["subject"].to_numpy()]]
        touches = touches.assign(subject=position[touches["subject"].to_numpy()])
        firsts = touches[touches["column"].isin(once)].sort_values("time").drop_duplicates(["subject", "column"])
        changes = pd.concat([firsts, touches[touches["column"].isin(recurring)]], ignore_index=True)
    else:
        changes = None
    subject, start, stop, event, Z = counting_process(frame[duration].to_numpy(float), frame[moved].to_numpy(bool),
                                                      changes, changing)
    full = np.column_stack([X[subject], Z])
    meta = [*meta, *[(c, None, "binary" if c in once else "per_event") for c in changing]]
    full, meta = informative(full, meta)
    fit = fit_cox(start, stop, event, full, penalty=penalty)
    z = np.divide(fit.beta, fit.se, out=np.zeros_like(fit.beta), where=fit.se > 0)
    out = pd.DataFrame({
        "driver": [v if lv is None else f"{v}={lv}" for v, lv, _ in meta],
        "hazard_ratio": np.exp(fit.beta), "hazard_ratio_low": np.exp(fit.beta - Z95 * fit.se),
        "hazard_ratio_high": np.exp(fit.beta + Z95 * fit.se), "speed_p_value": 2 * stats.norm.sf(np.abs(z)),
    })
    out["speed_p_adjusted"] = holm(out["speed_p_value"].to_numpy()) if len(out) else []
    out["speed_significant"] = out["speed_p_adjusted"] < alpha
    return out
