"""`centric journey`: what moves customers from their first purchase to the second.

The touchpoints are the workspace's own event names, except the events of buying itself (the
Segment eCommerce spec's browsing, cart and checkout events), which happen minutes before any
purchase and would only restate it. The model and its caveats are in models/journey/drivers.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from centric.errors import CentricError

PURCHASE_EVENTS = ("Products Searched", "Product List Viewed", "Product List Filtered", "Product Clicked",
                   "Product Viewed", "Product Added", "Product Removed", "Cart Viewed", "Checkout Started",
                   "Checkout Step Viewed", "Checkout Step Completed", "Payment Info Entered", "Order Completed",
                   "Order Updated", "Order Refunded", "Order Cancelled", "Coupon Applied")
MAX_TOUCHPOINTS = 30
RECURRING_SHARE = 0.3  # an event that a third of its customers do twice or more is measured as a rate


class JourneyError(CentricError):
    """Too little history to say what moves customers."""


def move_data(store) -> tuple[pd.DataFrame, dict[str, str]]:
    """The first-to-second purchase data (queries/transitions.py) and event column -> event name."""
    from centric.queries.transitions import event_columns, first_to_second
    from centric.services.personas import persona_names
    from centric.services.summary import observation_end

    end = observation_end(store)
    if end is None:
        raise JourneyError("no orders yet: load them with `centric ingest orders FILE`")
    names = store.query_df(
        "SELECT name, count(*) AS n FROM events WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC")
    touchpoints = [n for n in names["name"] if n not in PURCHASE_EVENTS][:MAX_TOUCHPOINTS]
    db = store.ibis()
    tables = {name: db.table(name) for name in ("orders", "order_lines", "events", "feedback", "customers")}
    tables["feedback_insights"] = db.table("feedback_insights") if store.has_rows("feedback_insights") else None
    data = db.execute(first_to_second(tables, end, touchpoints))
    personas = persona_names(store)
    if personas is not None:
        data = data.merge(personas, on="customer_id", how="left")
    return data, {col: name for name, col in event_columns(touchpoints).items()}


def first_to_second_drivers(store, moves: tuple[pd.DataFrame, dict[str, str]] | None = None) -> pd.DataFrame:
    """moves: move_data(store), when the caller has it already."""
    from centric.models.journey.drivers import DriverError, fit_drivers

    data, events = moves if moves is not None else move_data(store)
    data = data.copy()
    data["log_first_value"] = np.log1p(data["first_value"].clip(lower=0))
    # the time a customer has had to buy again: recent first buyers cannot have moved yet (censoring).
    # The time observed until the move is not a control: it ends at the outcome.
    data["log_days_since_first"] = np.log1p(data["days_since_first"].clip(lower=0))
    once, recurring = [], []
    for col in events:
        counts = data[col]
        if (counts >= 2).sum() > RECURRING_SHARE * max((counts >= 1).sum(), 1):
            # e-mails and the like: how often per 30 days observed, not whether (a longer wait holds more of them)
            data[col] = 30.0 * counts / data["days_observed"].clip(lower=1.0)
            recurring.append(col)
        else:
            data[col] = (counts > 0).astype(int)
            once.append(col)
    categorical = [c for c in ("acquisition_channel", "first_category", "first_channel", "persona") if c in data]
    try:
        table = fit_drivers(data, "moved", binary=[*once, "first_discount", "support_contact", "negative_support"],
                            numeric=["log_first_value", *recurring], categorical=categorical,
                            controls=["log_days_since_first"], days_to_move="days_to_move")
    except DriverError as exc:
        raise JourneyError(f"cannot model the move to a second purchase: {exc}") from exc
    labels = {**events, **{col: f"{events[col]} per 30 days" for col in recurring}, "first_discount": "discount on the first order", "support_contact": "contacted support",
              "negative_support": "negative support ticket", "log_first_value": "first order value (per SD of log)"}
    table.insert(0, "label", [labels.get(v, v) + (f" = {lv}" if lv is not None and lv == lv else "")
                              for v, lv in zip(table["variable"], table["level"])])
    table.insert(0, "transition", "first_purchase -> repeat")
    return table


@dataclass
class JourneyResult:
    stages: pd.DataFrame  # current stage counts
    transitions: pd.DataFrame
    drivers: pd.DataFrame | None
    driver_note: str = ""
    repeat_curve: pd.DataFrame | None = None


def build_journey(store, settings, progress=None) -> JourneyResult:
    """Write journey_stages, stage_transitions and journey_drivers."""
    from centric.models.journey.stages import lifecycle_stays, status_stays, transitions
    from centric.queries.journey_milestones import milestones, silences
    from centric.services.summary import observation_end

    say = progress or (lambda *_: None)
    if not store.has_rows("customers"):
        raise JourneyError("no customers yet: load them with `centric ingest`, or try `centric demo`")
    end = observation_end(store) or store.con.execute("SELECT max(created_at) FROM customers").fetchone()[0]
    db = store.ibis()
    tables = {name: db.table(name) for name in ("orders", "events", "feedback", "customers")}
    say("journey: milestones")
    marks = db.execute(milestones(tables, end, settings.journey_loyal_purchases))
    gaps = db.execute(silences(tables["orders"], end, settings.journey_at_risk_days))
    stays = pd.concat([lifecycle_stays(marks), status_stays(gaps, settings.journey_at_risk_days,
                                                            settings.journey_lapsed_days, end)], ignore_index=True)
    moves = transitions(stays)
    drivers, note, curve = None, "", None
    say("journey: drivers of the second purchase")
    try:
        second = move_data(store)
        curve = repeat_purchase_curve(second[0])
        drivers = first_to_second_drivers(store, second)
    except JourneyError as exc:
        note = str(exc)
    say("journey: cohorts and paths")
    contents = {"journey_stages": stays, "stage_transitions": moves, "cohorts": purchase_cohorts(store, end),
                **visit_paths(store)}
    if curve is not None:
        contents["repeat_purchase_curve"] = curve
    if drivers is not None:
        columns = [c.name for c in _drivers_table().columns]
        contents["journey_drivers"] = drivers[columns]
    store.replace_tables(contents)
    current = stays[stays["left_at"].isna()].groupby("stage")["customer_id"].nunique().rename("customers")
    return JourneyResult(current.reset_index(), moves, drivers, note, curve)


def visit_paths(store) -> dict[str, pd.DataFrame]:
    """path_edges and top_paths (queries/paths.py) from one read of the events: the distinct paths
    and their visits come back (few rows), both tables are made from them. Empty without events."""
    import ibis

    from centric.queries.paths import edges_of, path_counts, top_of

    if not store.has_rows("events"):
        return {}
    db = store.ibis()
    counts = ibis.memtable(db.execute(path_counts(db.table("events"))))
    return {"path_edges": db.execute(edges_of(counts)), "top_paths": db.execute(top_of(counts))}


def repeat_purchase_curve(data: pd.DataFrame, min_customers: int = 30) -> pd.DataFrame:
    """The repeat-purchase curve (models/journey/repeat_curve.py) for the whole shop and each
    acquisition channel with at least min_customers first-time buyers."""
    from centric.models.journey.repeat_curve import repeat_curve

    groups = [("all", "all", data)]
    if "acquisition_channel" in data:
        channels = data["acquisition_channel"].astype("string").fillna("(none)")
        groups += [("acquisition_channel", str(k), g) for k, g in data.groupby(channels, sort=True)
                   if len(g) >= min_customers]
    parts = []
    for dimension, group, g in groups:
        curve = repeat_curve(g["days_observed"], g["moved"].astype(bool))
        parts.append(curve.rename(columns={"at_risk": "customers_waiting"}).assign(dimension=dimension, group=group))
    columns = ["dimension", "group", "day", "customers_waiting", "repeated_share", "low", "high", "median_days"]
    return pd.concat(parts, ignore_index=True)[columns]


def _drivers_table():
    from centric.schema import OUTPUT_TABLES

    return OUTPUT_TABLES["journey_drivers"]


def purchase_cohorts(store, end) -> pd.DataFrame:
    """Monthly cohorts of first purchase: buyers and revenue per month since (queries/cohorts.py)."""
    from centric.queries.cohorts import cohort_retention

    o = store.ibis().table("orders")
    buys = o.filter((o.status == "completed") & (o.total >= 0) & o.customer_id.notnull() & (o.ordered_at <= end))
    frame = store.ibis().execute(cohort_retention(buys, "customer_id", "ordered_at", "month", value="total"))
    return frame.rename(columns={"offset": "month_offset"})[
        ["cohort", "month_offset", "cohort_size", "active", "retention", "revenue"]]
