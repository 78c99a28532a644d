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


def transitions(stays: pd.DataFrame) -> pd.DataFrame:
    """Stage-to-stage moves: from each lifecycle stay to the next, and from at risk or lapsed back to buying.

    Columns: from_stage, to_stage, customers (moves made), share (of the stays in from_stage), median_days."""
    life = stays[stays["stage"].isin(LIFECYCLE)].sort_values(["customer_id", "entered_at"], kind="stable")
    life = life.assign(next_stage=life.groupby("customer_id")["stage"].shift(-1),
                       next_at=life.groupby("customer_id")["entered_at"].shift(-1))
    moves = life.dropna(subset=["next_stage"])
    rows = []
    entered = stays.groupby("stage").size()  # stays: a customer can be at risk more than once
    for (a, b), g in moves.groupby(["stage", "next_stage"]):
        days = (g["next_at"] - g["entered_at"]).dt.total_seconds() / 86400
        rows.append((a, b, len(g), float(days.median())))
    status = stays[stays["stage"].isin(STATUS)]
    for stage, g in status.groupby("stage"):
        back = g.dropna(subset=["left_at"])
        if stage == "at_risk":
            back = back.merge(status[status["stage"] == "lapsed"][["customer_id", "entered_at"]],
                              left_on=["customer_id", "left_at"], right_on=["customer_id", "entered_at"],
                              how="left", suffixes=("", "_lapsed"), indicator=True)
            to_lapsed = back[back["_merge"] == "both"]
            back = back[back["_merge"] == "left_only"]
            if len(to_lapsed):
                days = (to_lapsed["left_at"] - to_lapsed["entered_at"]).dt.total_seconds() / 86400
                rows.append(("at_risk", "lapsed", len(to_lapsed), float(days.median())))
        if len(back):
            days = (back["left_at"] - back["entered_at"]).dt.total_seconds() / 86400
            rows.append((stage, "won_back", len(back), float(days.median())))
    out = pd.DataFrame(rows, columns=["from_stage", "to_stage", "customers", "median_days"])
    out["share"] = out["customers"] / out["from_stage"].map(entered).astype(float)
    return out[["from_stage", "to_stage", "customers", "share", "median_days"]]
