"""The chance of a move read at a landmark, so that waiting longer earns no touchpoints.

A customer who has not moved yet keeps waiting, and the longer the wait the more time there is to
sign up for something: counting a touchpoint that happened at any time in the span makes every
touchpoint of the wait look like a driver of *not* moving (immortal-time or waiting-time bias;
Suissa 2008). Landmark analysis (Anderson, Cain & Gelber 1983, J Clin Oncol 1(11):710-719;
Dafni 2011, Circ Cardiovasc Qual Outcomes 4:363-371; van Houwelingen 2007) fixes the exposure at a
landmark day L after the span starts and looks forward from it:

- at risk at the landmark: customers who had not moved by day L of their span;
- followed: only customers watched for at least L + W days (the end of the data at least L + W
  days after the span began), whether they moved or not: who is left out depends on the calendar
  only, never on the outcome, so those left out are not counted as failures;
- exposure: a touchpoint counts only if it happened by day L (what was known at the landmark);
- outcome: the move within (L, L + W].

The odds ratio of a logistic model on this sample (models/journey/drivers.py) then reads "having
done X by day L multiplies the odds of moving in the next W days, among those still waiting on day
L". A touchpoint that happens after L is not credited (it is not yet known at the landmark), which
dilutes a true effect a little but cannot create one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LANDMARK_DAYS = 30  # the default landmark: a month into the span
WINDOW_DAYS = 90  # the default outcome window after it: the next quarter


def landmark_sample(rows: pd.DataFrame, touches: pd.DataFrame, columns, landmark_days: float = LANDMARK_DAYS,
                    window_days: float = WINDOW_DAYS, days_to_move: str = "days_to_move",
                    follow_up: str = "days_since_start", moved: str = "moved") -> pd.DataFrame:
    """The customers at risk at the landmark with the whole window watched, and what they had done by then.

    rows: one per customer with customer_id, days_to_move (NaN when not moved), follow_up (days
    from the span's start to the end of observation) and moved (0/1); touches: customer_id, touch
    (a column name in `columns`), day (days since the span began). Returns those rows (same
    columns, the touch columns replaced by the number of touches by day L) and moved_in_window
    (0/1): the move in (L, L + W]."""
    if landmark_days < 0 or window_days <= 0:
        raise ValueError(f"need landmark_days >= 0 and window_days > 0, got {landmark_days} and {window_days}")
    to_move = pd.to_numeric(rows[days_to_move], errors="coerce").to_numpy(float)
    to_move = np.where(rows[moved].astype(bool).to_numpy() & np.isfinite(to_move), to_move, np.inf)
    watched = pd.to_numeric(rows[follow_up], errors="coerce").fillna(-1.0).to_numpy(float)
    keep = (to_move > landmark_days) & (watched >= landmark_days + window_days)
    sample = rows[keep].reset_index(drop=True).copy()
    sample["moved_in_window"] = (to_move[keep] <= landmark_days + window_days).astype(int)
    columns = list(columns)
    early = touches[(touches["day"] <= landmark_days) & touches["touch"].isin(columns)]
    counts = pd.crosstab(early["customer_id"], pd.Categorical(early["touch"], categories=columns), dropna=False)
    counts = counts.reindex(index=sample["customer_id"], columns=columns, fill_value=0)
    sample[columns] = counts.to_numpy()
    return sample
