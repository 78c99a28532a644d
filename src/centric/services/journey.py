"""`centric journey`: journey stages, the moves between them, and what drives each move.

For each move (queries/transitions.py: first purchase -> repeat, repeat -> loyal, at risk -> won
back) two adjusted models read the same drivers: a logistic one for the chance of moving
(models/journey/drivers.py), read at a landmark so that waiting longer earns no touchpoints
(models/journey/landmark.py: what was done by day L, the move in the W days after, among those
still waiting on day L), and a Cox one for its speed (models/journey/speed.py). The
touchpoints are the workspace's own event names, except the events of buying itself (the Segment
eCommerce spec's browsing, cart and checkout events), which happen minutes before any purchase
and would only restate it.

Journeys are behaviour analytics (services/consent.py): every event read here (milestones, touchpoints,
paths) is an event recorded under analytics consent, and a move's drivers are fitted only on customers
who held analytics consent at some moment of the observation; stages still follow every customer's
purchases, which are essential records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from centric.errors import CentricError
from centric.queries.transitions import DELIVERY_EVENT
from centric.schema import JOURNEY_STATUSES, LIFECYCLE_STAGES
from centric.services.consent import SHARED_COLUMNS

PURCHASE_EVENTS = ("Products Searched", "Product List Viewed", "Product List Filtered", "Product Clicked",
                   "Product Viewed", "Product Added", "Product Removed", "Cart Viewed", "Checkout Started",
                   "Checkout Step Viewed", "Checkout Step Completed", "Payment Info Entered", "Order Completed",
                   "Order Updated", "Order Refunded", "Order Cancelled", "Coupon Applied", "Order Shipped",
                   DELIVERY_EVENT)
MAX_TOUCHPOINTS = 30
RECURRING_SHARE = 0.3  # an event that a third of its customers do twice or more is measured as a rate
SUPPORT = ("support_contact", "negative_support")
# the drivers of a move are fitted on at most this many of the customers who started it, drawn at random
# (seeded, so every engine and every run draws the same ones): the fits' frames grow with the customers
# of the span (about 6 KB each on the demo), and 200,000 bound them to about 1.3 GB whatever the shop
DRIVER_SAMPLE = 200_000
DRIVER_SEED = 20_240_601


class JourneyError(CentricError):
    """Too little history to say what moves customers."""


@dataclass
class MoveData:
    rows: pd.DataFrame  # one per customer (queries/transitions.py move_rows) with touch counts and persona
    touches: pd.DataFrame  # customer_id, touch, day: every touchpoint inside the span
    events: dict[str, str]  # event column -> event name
    everyone: pd.DataFrame | None = None  # the move's rows of every customer, consent or not (orders only)


@dataclass
class MoveInputs:
    """What the data of every move reads alike (one read per journey, not one per move)."""

    end: object  # the observation end
    tables: dict  # Ibis tables; events recorded under analytics consent
    allowed: set  # customers who held analytics consent at some moment up to `end`
    touchpoints: list[str]  # the event names counted as touchpoints, the most frequent first
    personas: pd.DataFrame | None  # customer_id -> persona, or None before `centric personas`


def move_inputs(store, settings=None) -> MoveInputs:
    from centric.queries.transitions import event_counts
    from centric.services import consent
    from centric.services.personas import persona_names
    from centric.services.summary import observation_end

    end = observation_end(store)
    if end is None:
        raise JourneyError("no orders yet: load them with `centric ingest orders FILE`")
    db = store.ibis()
    purpose = consent.PURPOSES["journey_drivers"]
    tables = consent.consented_tables(store, settings, purpose,
                                      ("orders", "order_lines", "events", "feedback", "customers"))
    allowed = set(consent.customers_with_purpose(store, settings, purpose, end)["customer_id"])
    names = db.execute(event_counts(tables["events"]))
    touchpoints = [n for n in names["name"] if n not in PURCHASE_EVENTS][:MAX_TOUCHPOINTS]
    tables["feedback_insights"] = db.table("feedback_insights") if store.has_rows("feedback_insights") else None
    return MoveInputs(end, tables, allowed, touchpoints, persona_names(store))


def move_data(store, move: str = "first_to_second", settings=None, inputs: MoveInputs | None = None) -> MoveData:
    """The data of one move: its spans, the touchpoints inside them, counted per customer too.
    inputs: `move_inputs(store, settings)`, when the caller reads several moves."""
    from centric.queries.transitions import event_columns, move_rows, move_touches

    inputs = inputs if inputs is not None else move_inputs(store, settings)
    db = store.ibis()
    end, tables, touchpoints = inputs.end, inputs.tables, inputs.touchpoints
    options = {} if settings is None else {"loyal_purchases": settings.journey_loyal_purchases,
                                           "at_risk_days": settings.journey_at_risk_days}
    rows = move_rows(tables, end, move, **options)
    everyone = db.execute(rows).sort_values("customer_id", kind="stable").reset_index(drop=True)
    data = everyone[everyone["customer_id"].isin(inputs.allowed)].reset_index(drop=True)
    touches = db.execute(move_touches(tables, rows, touchpoints))
    touches = touches[touches["customer_id"].isin(set(data["customer_id"]))]
    columns = {col: name for name, col in event_columns(touchpoints).items()}
    counts = pd.crosstab(touches["customer_id"], pd.Categorical(touches["touch"], categories=[*columns, *SUPPORT]),
                         dropna=False)
    counts = counts.reindex(data["customer_id"], fill_value=0).to_numpy()
    data[[*columns, *SUPPORT]] = counts
    data[list(SUPPORT)] = data[list(SUPPORT)].clip(upper=1)
    if inputs.personas is not None:
        data = data.merge(inputs.personas, on="customer_id", how="left")
    return MoveData(data, touches, columns, everyone)


def driver_sample(rows: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """The customers a move's drivers are fitted on: all of them up to DRIVER_SAMPLE, else that many drawn
    at random without replacement with a fixed seed, in their order (rows sorted by customer_id: the same
    draw on every engine)."""
    from centric.models.sampling import sample_positions

    limit = DRIVER_SAMPLE if limit is None else limit
    return rows.iloc[sample_positions(len(rows), limit, DRIVER_SEED)].reset_index(drop=True)


def move_drivers(store, move: str = "first_to_second", data: MoveData | None = None, settings=None) -> pd.DataFrame:
    """What raises the chance (odds ratios) and the speed (hazard ratios) of one move.

    The chance is read at a landmark (models/journey/landmark.py): among customers still waiting on
    day L of the span and watched to day L + W, the odds of moving in (L, L + W] for having done a
    touchpoint by day L ([journey] landmark_days and window_days, 30 and 90 by default).
    data: move_data(store, move), when the caller has it already."""
    from centric.models.journey.cox import CoxError
    from centric.models.journey.drivers import DriverError, fit_drivers
    from centric.models.journey.landmark import LANDMARK_DAYS, WINDOW_DAYS, landmark_sample
    from centric.models.journey.speed import fit_speed
    from centric.queries.transitions import MOVES

    data = data if data is not None else move_data(store, move, settings)
    landmark, window = ((LANDMARK_DAYS, WINDOW_DAYS) if settings is None
                        else (settings.journey_landmark_days, settings.journey_window_days))
    frame = driver_sample(data.rows)
    frame["log_first_value"] = np.log1p(frame["first_value"].clip(lower=0))
    history = []
    if move != "first_to_second":  # before the first move everyone has one purchase, worth the first order
        frame["log_spent_before"] = np.log1p(frame["spent_before"].fillna(0).clip(lower=0))
        history = ["purchases_before", "log_spent_before"]
    known = ["log_first_value", *history]
    if frame["first_delivery_days"].notna().any():  # shops that send "Order Delivered" events
        known.append("first_delivery_days")
    # what was done by the landmark, among those still waiting then and watched through the window
    sample = landmark_sample(frame, data.touches, [*data.events, *SUPPORT], landmark, window)
    once, recurring = [], []
    for col in data.events:
        counts = frame[col]  # over the whole span: is it a one-off (a sign-up) or does it recur (e-mails)?
        if (counts >= 2).sum() > RECURRING_SHARE * max((counts >= 1).sum(), 1):
            sample[col] = 30.0 * sample[col] / landmark  # how often per 30 days up to the landmark
            recurring.append(col)
        else:
            sample[col] = (sample[col] > 0).astype(int)
            once.append(col)
    sample[list(SUPPORT)] = sample[list(SUPPORT)].clip(upper=1)
    categorical = [c for c in ("acquisition_channel", "first_category", "first_channel", "persona") if c in frame]
    # each level is compared with the same one in both models: the most common among all who started the span
    reference = {c: frame[c].astype("string").fillna("(none)").mode().iloc[0] for c in categorical if len(frame)}
    try:
        table = fit_drivers(sample, "moved_in_window", binary=[*once, "first_discount", *SUPPORT],
                            numeric=[*known, *recurring], categorical=categorical, days_to_move="days_to_move",
                            reference=reference)
    except DriverError as exc:
        raise JourneyError(f"cannot model the move {MOVES[move]}: {exc} (of {len(sample)} customers still waiting "
                           f"on day {landmark} and watched to day {landmark + window}; lower [journey] landmark_days "
                           "or window_days in centric.toml for a short history)") from exc
    table["landmark_days"] = float(landmark)
    table["window_days"] = float(window)
    table["customers_at_landmark"] = len(sample)  # of the sampled customers when the span had more
    position = pd.Series(np.arange(len(frame)), index=frame["customer_id"])
    touches = data.touches.assign(subject=position.reindex(data.touches["customer_id"]).to_numpy())
    touches = touches.dropna(subset=["subject"]).astype({"subject": int}).rename(columns={"touch": "column", "day": "time"})
    try:
        speed = fit_speed(frame, "days_observed", "moved", touches, once=[*once, *SUPPORT], recurring=recurring,
                          binary=["first_discount"], numeric=known, categorical=categorical)
    except CoxError:  # no move in the span's data: the speed columns stay empty
        speed = pd.DataFrame(columns=["driver", "hazard_ratio", "hazard_ratio_low", "hazard_ratio_high",
                                      "speed_p_value", "speed_p_adjusted", "speed_significant"])
    table = table.merge(speed, on="driver", how="left")
    labels = {**data.events, **{col: f"{data.events[col]} per 30 days" for col in recurring},
              "first_discount": "discount on the first order", "support_contact": "contacted support",
              "negative_support": "negative support ticket", "log_first_value": "first order value (per SD of log)",
              "purchases_before": "purchase days before (per SD)",
              "first_delivery_days": "days to deliver the first order (per SD)", "log_spent_before": "spend before (per SD of log)"}
    table.insert(0, "label", [labels.get(v, v) + (f" = {lv}" if lv is not None and lv == lv else "")
                              for v, lv in zip(table["variable"], table["level"])])
    table.insert(0, "transition", MOVES[move])
    return table


@dataclass
class JourneyResult:
    stages: pd.DataFrame  # current lifecycle stage counts: they add up to the customers
    transitions: pd.DataFrame
    drivers: pd.DataFrame | None
    driver_note: str = ""
    repeat_curve: pd.DataFrame | None = None
    statuses: pd.DataFrame | None = None  # current status counts (prospect, active, at_risk, lapsed)
    consent: object = None  # services/consent.py Exclusion: what the journey's event reads left out


def build_journey(store, settings, progress=None, drivers: bool = True) -> JourneyResult:
    """Write journey_stages, stage_transitions, stage_transition_rates, journey_drivers, cohorts, the
    repeat-purchase curve and the paths. drivers=False (an incremental run, services/incremental.py)
    keeps the last fit's journey_drivers and repeat_purchase_curve and recomputes the rest."""
    say = progress or (lambda *_: None)
    reads = journey_reads(store, settings)
    try:
        return _build(store, settings, reads, say, drivers)
    finally:
        reads.release()


def _build(store, settings, reads, say, drivers: bool) -> JourneyResult:
    from centric.queries.transitions import MOVES

    say("journey: milestones")
    rows = stage_rows(store, settings, reads.tables, reads.end)
    notes, curve, found, inputs = [], None, [], None
    for move, label in MOVES.items() if drivers else ():
        if move == "repeat_to_loyal" and settings.journey_loyal_purchases <= 2:
            continue  # loyal is the second purchase: nothing between repeat and loyal
        say(f"journey: what drives {label}")
        try:
            inputs = inputs or move_inputs(store, settings)
            data = move_data(store, move, settings, inputs)
            if move == "first_to_second":  # purchases only, essential records: every customer
                curve = repeat_purchase_curve(data.everyone)
            found.append(move_drivers(store, move, data, settings))
        except JourneyError as exc:
            notes.append(str(exc))
    fitted = drivers
    drivers = pd.concat(found, ignore_index=True) if found else None
    say("journey: cohorts and paths")
    contents = derived_tables(store, settings, reads, rows)
    contents.update(input_digests(store, reads))
    if curve is not None:
        contents["repeat_purchase_curve"] = curve
    if drivers is not None:
        columns = [c.name for c in _drivers_table().columns]
        contents["journey_drivers"] = drivers.reindex(columns=columns)
    store.replace_tables(contents)
    save_stage_state(store, settings, reads.end)
    if fitted:
        from centric.services.run_ledger import save_model

        save_model(store, "journey", {"end": pd.Timestamp(reads.end).isoformat()}, {})
    return finish(store, reads, rows, contents["stage_transitions"], drivers, "\n".join(notes), curve)


@dataclass
class JourneyReads:
    """What every journey build reads alike: the tables (events under analytics consent), the observation
    end, and what the event read left out (services/consent.py)."""

    tables: dict
    end: object
    events: object
    left_out: object
    cached: object = None  # the marked events materialised once (DuckDB), dropped by release()

    def release(self) -> None:
        if self.cached is not None:
            self.cached.release()
            self.cached = None


# the events' columns the journey reads (its per-customer and per-visitor digests hash them): those of the
# marked events a run shares (services/consent.py)
EVENT_COLUMNS = SHARED_COLUMNS


def journey_reads(store, settings) -> JourneyReads:
    """The journey's reads. On DuckDB the events marked by consent (identity merges and consent intervals
    applied: the costly part) are materialised once, with the columns the journey reads, and every pass
    (left out, milestones, digests, paths) scans that; call release() when done."""
    from centric.queries.consent import kept
    from centric.services import consent
    from centric.services.summary import observation_end

    if not store.has_rows("customers"):
        raise JourneyError("no customers yet: load them with `centric ingest`, or try `centric demo`")
    db = store.ibis()
    cached = None
    if getattr(store, "engine", "duckdb") == "spark":
        events, left_out = consent.events_and_left_out(store, settings, "journey")
    else:
        # within `centric run` the marked events its profiles and personas read already (services/consent.py
        # shared_marked, dropped at the run's end); otherwise materialised here and dropped by release()
        shared = consent.shared_marked(store, settings, "journey")
        if shared is None:
            cached = consent.marked_events(store, settings, "journey").select(*EVENT_COLUMNS, "_consented").cache()
        marked = shared if shared is not None else cached
        events, left_out = kept(marked), consent.count_events_left_out(store, settings, "journey", marked)
    tables = {"events": events, **consent.consented_tables(store, settings, consent.PURPOSES["journey"],
                                                           ("orders", "feedback", "customers"))}
    end = observation_end(store) or db.execute(tables["customers"].created_at.max())
    return JourneyReads(tables, end, events, left_out, cached)


def stage_rows(store, settings, tables: dict, end) -> pd.DataFrame:
    """journey_stages rows (models/journey/stages.py partition) of the customers in `tables`."""
    from centric.models.journey.stages import lifecycle_stays, partition, status_stays
    from centric.queries.journey_milestones import milestones, silences

    db = store.ibis()
    at = store.moment("stage_end", end)
    marks = db.execute(milestones(tables, at, settings.journey_loyal_purchases))
    gaps = db.execute(silences(tables["orders"], at, settings.journey_at_risk_days))
    return partition(lifecycle_stays(marks), status_stays(gaps, settings.journey_at_risk_days,
                                                          settings.journey_lapsed_days, end))


def derived_tables(store, settings, reads: JourneyReads, rows: pd.DataFrame, paths: bool = True) -> dict:
    """journey_stages and what is counted from it (stage_transitions, stage_transition_rates), the
    cohorts and (paths=True) the paths."""
    from centric.models.journey.stages import monthly_rates, stay_moves, stays_of, transitions

    stays = stays_of(rows)  # read back from the rows written, so the moves can be recounted from the table
    moved = stay_moves(stays)
    contents = {"journey_stages": rows, "stage_transitions": transitions(stays, moved),
                "stage_transition_rates": monthly_rates(stays, moved, reads.end),
                "cohorts": purchase_cohorts(store, reads.end)}
    if paths:
        contents.update(visit_paths(store, settings, reads.events, keep=True))
    return contents


def input_digests(store, reads: JourneyReads) -> dict:
    """{"journey_inputs": per customer, the input rows and their digest} (queries/journey_inputs.py), which
    the next incremental run compares with; {} on Spark (its runs are whole)."""
    from centric.queries.journey_inputs import customer_digests

    if getattr(store, "engine", "duckdb") == "spark":
        return {}
    return {"journey_inputs": digest_text(store.ibis().execute(customer_digests(reads.tables)))}


def stage_settings(settings) -> dict:
    return {"loyal_purchases": int(settings.journey_loyal_purchases), "at_risk_days": int(settings.journey_at_risk_days),
            "lapsed_days": int(settings.journey_lapsed_days)}


def save_stage_state(store, settings, end) -> None:
    """What journey_stages were computed at: the observation end, the stage settings and the erasures
    (services/journey_incremental.py recomputes whole when either changed)."""
    from centric.services.run_ledger import save_model

    if getattr(store, "engine", "duckdb") == "spark":
        return
    save_model(store, "journey_stages", {"end": pd.Timestamp(end).isoformat(), "settings": stage_settings(settings),
                                         "erasures": store.count("erasures")}, {})


def finish(store, reads: JourneyReads, rows, moves, drivers=None, note: str = "", curve=None) -> JourneyResult:
    from centric.services import consent

    consent.record(store, reads.left_out)
    return JourneyResult(now_counts(rows, "stage", LIFECYCLE_STAGES), moves, drivers, note, curve,
                         now_counts(rows, "status", JOURNEY_STATUSES), reads.left_out)


def now_counts(rows: pd.DataFrame, column: str, order) -> pd.DataFrame:
    """Customers per stage (or status) now: each customer's one open row, in the journey's order. The
    counts add up to the customers in journey_stages."""
    current = rows.loc[rows["left_at"].isna(), column].value_counts()
    return pd.DataFrame({column: [v for v in order if v in current.index],
                         "customers": [int(current[v]) for v in order if v in current.index]})


def visit_paths(store, settings=None, events=None, keep: bool = False) -> dict[str, pd.DataFrame]:
    """path_edges and top_paths (queries/paths.py) from one read of the events recorded under analytics
    consent (`events` when the caller has them). Empty without events. keep=True (DuckDB): counted per
    visitor, and path_visits and path_inputs written too, which an incremental run updates
    (services/journey_incremental.py update_paths); otherwise the distinct paths and their visits come back
    (few rows) and both tables are made from them."""
    import ibis

    from centric.queries.paths import edges_of, path_counts, top_of, user_paths
    from centric.services import consent

    if not store.has_rows("events"):
        return {}
    db = store.ibis()
    if events is None:
        events = consent.consented_events(store, settings, consent.PURPOSES["paths"])
    if keep and getattr(store, "engine", "duckdb") != "spark":
        from centric.queries.journey_inputs import user_digests

        # path_visits first: path_edges and top_paths are summed from it where replace_tables writes them
        return {"path_visits": db.execute(user_paths(events)), **paths_of(store),
                "path_inputs": digest_text(db.execute(user_digests(events)))}
    # as Arrow: an empty result (nobody consented) keeps the path's list type, which pandas would lose
    counts = ibis.memtable(db.to_pyarrow(path_counts(events)))
    return {"path_edges": db.execute(edges_of(counts)), "top_paths": db.execute(top_of(counts))}


def paths_of(store) -> dict:
    """path_edges and top_paths as expressions over the stored path_visits (queries/paths.py counts_of_visits:
    summed per path in the engine). Put them after path_visits in the contents of one `replace_tables`:
    they read the table as that transaction left it, so no visit is read back into Python."""
    from centric.queries.paths import counts_of_visits, edges_of, top_of

    counts = counts_of_visits(store.ibis().table("path_visits"))
    return {"path_edges": edges_of(counts), "top_paths": top_of(counts)}


def digest_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A digests frame (rows, digest as UBIGINT) with the digest as its decimal text, as stored."""
    return frame.assign(digest=frame["digest"].astype("uint64").astype(str))


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
    from centric.queries.customer_summary import purchases

    buys = purchases(store.ibis().table("orders"), store.moment("cohort_end", end))
    frame = store.ibis().execute(cohort_retention(buys, "customer_id", "ordered_at", "month", value="value"))
    return frame.rename(columns={"offset": "month_offset"})[
        ["cohort", "month_offset", "cohort_size", "active", "retention", "revenue"]]
