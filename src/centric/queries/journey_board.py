"""The journey as the report and the KPI board read it, from the tables `centric journey` writes.

- now: customers per lifecycle stage (or per status) now, from each customer's one open row of
  journey_stages (left_at NULL). The rows partition each customer's time, so the counts per stage
  add up to the customers in journey_stages, and so do the counts per status.
- moves: stage_transitions, the most made first; move_share: one move's share.
- top_drivers: the strongest significant drivers of each move (by |log odds ratio|).
- monthly_rates: chosen moves' monthly rates in percent, labelled "from -> to".
- cohort_grid: retention by first-purchase month up to a number of months after it.
"""

from __future__ import annotations

from centric.schema import JOURNEY_STATUSES, LIFECYCLE_STAGES


def now(stages, column: str = "stage"):
    """Customers per stage (column="stage") or per status (column="status") now, in the journey's order."""
    import ibis

    order = {"stage": LIFECYCLE_STAGES, "status": JOURNEY_STATUSES}[column]
    current = stages.filter(stages.left_at.isnull())
    counts = current.group_by(current[column].name(column)).aggregate(customers=current.customer_id.nunique())
    position = ibis.cases(*[(counts[column] == value, i) for i, value in enumerate(order)], else_=len(order))
    return counts.order_by([position, counts[column]])


def moves(transitions):
    return transitions.order_by([transitions.customers.desc(), transitions.from_stage, transitions.to_stage])


def move_share(transitions, from_stage: str, to_stage: str):
    return transitions.filter((transitions.from_stage == from_stage) & (transitions.to_stage == to_stage)).select("share")


def top_drivers(drivers, per_move: int = 5):
    import ibis

    strength = drivers.odds_ratio.ln().abs()
    ranked = drivers.filter(drivers.significant).mutate(
        _strength=strength, _rank=ibis.row_number().over(group_by=drivers.transition, order_by=strength.desc()))
    ranked = ranked.filter(ranked._rank < per_move)  # row_number counts from 0
    return ranked.order_by(ranked._strength.desc()).select(
        "transition", "label", "odds_ratio", "odds_ratio_low", "odds_ratio_high", "hazard_ratio", "hazard_ratio_low",
        "hazard_ratio_high", "customers_with", "flags",
        *[c for c in ("landmark_days", "window_days") if c in drivers.columns])  # absent in tables written before them


def monthly_rates(rates, pairs):
    """pairs: (from_stage, to_stage) moves to keep. Columns: month, move ("from -> to"), rate (percent)."""
    import ibis

    wanted = ibis.or_(*[(rates.from_stage == a) & (rates.to_stage == b) for a, b in pairs])
    kept = rates.filter(wanted)
    return kept.select("month", move=kept.from_stage.concat(" -> ", kept.to_stage), rate=100 * kept.rate)


def cohort_grid(cohorts, months: int):
    kept = cohorts.filter(cohorts.month_offset <= months)
    return kept.select("cohort", "month_offset", "cohort_size", "retention").order_by(["cohort", "month_offset"])
