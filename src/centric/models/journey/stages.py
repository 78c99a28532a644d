"""Journey stages per customer over time: the lifecycle stages reached, and the at-risk and lapsed stays.

Lifecycle stages follow the order visitor -> engaged -> first_purchase -> repeat -> loyal -> advocate;
a stage is entered at its milestone, never before the stage below it (a customer who skips one,
such as buying without an engagement event, simply has no stay there). Each stay ends when the
next lifecycle stage is entered.

At risk and lapsed come from recency: after a purchase, a customer who has not bought again for
`at_risk_days` is at risk, and after `lapsed_days` lapsed, until the next purchase (a win-back)
or for good. These stays overlap the lifecycle stage, as a status does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LIFECYCLE = ("visitor", "engaged", "first_purchase", "repeat", "loyal", "advocate")
STATUS = ("at_risk", "lapsed")


def lifecycle_stays(milestones: pd.DataFrame) -> pd.DataFrame:
    """milestones: customer_id and {stage}_at per lifecycle stage. Long table of stays."""
    frames = []
    floor = pd.Series(pd.NaT, index=milestones.index, dtype="datetime64[ns]")
    entered = {}
    for stage in LIFECYCLE:
        at = pd.to_datetime(milestones[f"{stage}_at"]).astype("datetime64[ns]")
        at = at.where(at.isna() | floor.isna() | (at >= floor), floor)
        entered[stage] = at
        floor = floor.where(at.isna(), at)
    for i, stage in enumerate(LIFECYCLE):
        later = [entered[s] for s in LIFECYCLE[i + 1:]]
        left = pd.concat(later, axis=1).min(axis=1) if later else pd.Series(pd.NaT, index=milestones.index)
        has = entered[stage].notna()
        frames.append(pd.DataFrame({"customer_id": milestones["customer_id"][has].to_numpy(), "stage": stage,
                                    "entered_at": entered[stage][has].to_numpy(),
                                    "left_at": left[has].astype("datetime64[ns]").to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def status_stays(silences: pd.DataFrame, at_risk_days: int, lapsed_days: int, observed_until) -> pd.DataFrame:
    """silences: customer_id, after (purchase), until (next purchase or NaT). At-risk and lapsed stays."""
    end = pd.Timestamp(observed_until)
    after = pd.to_datetime(silences["after"])
    until = pd.to_datetime(silences["until"])
    at_risk_from = after + pd.Timedelta(days=at_risk_days)
    lapsed_from = after + pd.Timedelta(days=lapsed_days)
    reaches_lapse = lapsed_from < until.fillna(end + pd.Timedelta(seconds=1))
    risk = pd.DataFrame({"customer_id": silences["customer_id"].to_numpy(), "stage": "at_risk",
                         "entered_at": at_risk_from.to_numpy(),
                         "left_at": np.where(reaches_lapse, lapsed_from, until).astype("datetime64[ns]")})
    lapsed = pd.DataFrame({"customer_id": silences["customer_id"][reaches_lapse].to_numpy(), "stage": "lapsed",
                           "entered_at": lapsed_from[reaches_lapse].to_numpy(),
                           "left_at": until[reaches_lapse].astype("datetime64[ns]").to_numpy()})
    return pd.concat([risk, lapsed], ignore_index=True)


def stay_moves(stays: pd.DataFrame) -> pd.DataFrame:
    """One row per move out of a stay: customer_id, from_stage, to_stage, entered_at (the stay's
    start) and moved_at. Lifecycle stays move to the next lifecycle stage the customer entered;
    an at-risk stay ends in lapsed or won_back, a lapsed one in won_back (a purchase)."""
    columns = ["customer_id", "from_stage", "to_stage", "entered_at", "moved_at"]
    life = stays[stays["stage"].isin(LIFECYCLE)].sort_values(["customer_id", "entered_at"], kind="stable")
    by_customer = life.groupby("customer_id")
    life = life.assign(to_stage=by_customer["stage"].shift(-1), moved_at=by_customer["entered_at"].shift(-1))
    parts = [life.dropna(subset=["to_stage"]).rename(columns={"stage": "from_stage"})[columns]]
    status = stays[stays["stage"].isin(STATUS)]
    ended = status.dropna(subset=["left_at"]).rename(columns={"stage": "from_stage", "left_at": "moved_at"})
    lapsed = status[status["stage"] == "lapsed"][["customer_id", "entered_at"]].rename(columns={"entered_at": "moved_at"})
    lapsed = lapsed.assign(_lapsed=True)
    ended = ended.merge(lapsed, on=["customer_id", "moved_at"], how="left")
    to_lapsed = (ended["from_stage"] == "at_risk") & ended["_lapsed"].eq(True)
    parts.append(ended.assign(to_stage=np.where(to_lapsed, "lapsed", "won_back"))[columns])
    return pd.concat(parts, ignore_index=True)


def transitions(stays: pd.DataFrame, moves: pd.DataFrame | None = None) -> pd.DataFrame:
    """Stage-to-stage moves: from each lifecycle stay to the next, and from at risk or lapsed on.

    moves: stay_moves(stays), when the caller has it already.
    Columns: from_stage, to_stage, customers (moves made), share (of the stays in from_stage), median_days."""
    moves = stay_moves(stays) if moves is None else moves
    entered = stays.groupby("stage").size()  # stays: a customer can be at risk more than once
    days = (moves["moved_at"] - moves["entered_at"]).dt.total_seconds() / 86400
    out = (moves.assign(days=days).groupby(["from_stage", "to_stage"], sort=True)
           .agg(customers=("days", "size"), median_days=("days", "median")).reset_index())
    out["share"] = out["customers"] / out["from_stage"].map(entered).astype(float)
    return out[["from_stage", "to_stage", "customers", "share", "median_days"]]


def _month(at: pd.Series) -> np.ndarray:
    """Months since year 0 (NaT -> -1): whole-month arithmetic without period objects."""
    return np.where(at.isna(), -1, at.dt.year.fillna(0) * 12 + at.dt.month.fillna(1) - 1).astype(int)


def monthly_rates(stays: pd.DataFrame, moves: pd.DataFrame, observed_until) -> pd.DataFrame:
    """Transition rates over time: per calendar month and move, the stays in the from-stage at
    any time in the month (in_stage), the moves made in it (moved) and their share (rate).

    Every month from a move's first stay to the end of observation appears, with 0 when no one moved."""
    end = pd.Timestamp(observed_until)
    last = end.year * 12 + end.month - 1
    rows = []
    for (a, b), g in moves.groupby(["from_stage", "to_stage"], sort=True):
        held = stays[stays["stage"] == a]
        entered = _month(held["entered_at"])
        first = int(entered.min())
        left = _month(held["left_at"])
        stop = np.where(left < 0, last, np.minimum(left, last)) - first
        change = np.zeros(last - first + 2, int)
        np.add.at(change, entered - first, 1)
        np.add.at(change, stop + 1, -1)
        moved_at = _month(g["moved_at"]) - first
        frame = pd.DataFrame({
            "month": pd.to_datetime({"year": np.arange(first, last + 1) // 12, "month": np.arange(first, last + 1) % 12 + 1,
                                     "day": 1}),
            "from_stage": a, "to_stage": b, "in_stage": np.cumsum(change)[:-1],
            "moved": np.bincount(moved_at[moved_at <= last - first], minlength=last - first + 1)})
        rows.append(frame[frame["in_stage"] > 0])
    columns = ["month", "from_stage", "to_stage", "in_stage", "moved", "rate"]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.concat(rows, ignore_index=True)
    out["rate"] = out["moved"] / out["in_stage"]
    return out[columns]
