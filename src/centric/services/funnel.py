"""`centric funnel`: ordered steps within a window, with windowFunnel semantics, on the workspace's events.

A funnel is behaviour analytics: it reads only events recorded under analytics consent
(services/consent.py); the table's `attrs["consent"]` holds what was left out."""

from __future__ import annotations

import pandas as pd

from centric.errors import CentricError

EVENT_BREAKDOWNS = ("channel",)  # the channel of the funnel's first event
PERSONA = "persona"


class FunnelError(CentricError):
    """Unknown steps, a bad window, or no events."""


def run_funnel(store, steps: list[str], window: str, by: str | None = None, exclusions: list[str] | None = None,
               strategy: str | None = None, order: str = "ordered", settings=None) -> pd.DataFrame:
    from centric.models.journey.funnel import funnel_table, parse_window
    from centric.queries.funnel import funnel_users, pick_strategy
    from centric.services import consent

    steps = [s.strip() for s in steps if s and s.strip()]
    exclusions = tuple(s.strip() for s in exclusions or [] if s.strip())
    strategy = strategy or pick_strategy(store.ibis().name)
    events, left_out = consent.events_and_left_out(store, settings, "funnel")
    try:
        seconds = parse_window(window)
    except ValueError as exc:
        raise FunnelError(str(exc)) from exc
    try:  # the query checks the steps, the order and the strategy as it is built
        query = funnel_users(events, steps, seconds, exclusions, strategy, order=order)
    except ValueError as exc:
        raise FunnelError(f"{exc}, e.g. --steps \"Product Viewed,Product Added,Order Completed\" --window 7d") \
            from exc
    if not store.has_rows("events"):
        raise FunnelError("no events yet: load them with `centric ingest events FILE`")
    db = store.ibis()
    known = set(db.execute(db.table("events").select("name").distinct())["name"])
    unknown = [s for s in (*steps, *exclusions) if s not in known]
    if unknown:
        raise FunnelError(f"no event named {', '.join(map(repr, unknown))}; events here: {', '.join(sorted(known)[:20])}")
    profile_columns = set(db.table("customer_profiles").columns) - {"customer_id"}
    if by is not None and by not in (*EVENT_BREAKDOWNS, PERSONA, *profile_columns):
        raise FunnelError(f"cannot break down by {by!r}: use channel, persona or a customer_profiles column")
    users = store.ibis().execute(query)
    if users["clash"].any():  # two users share a 64-bit hash: join on the ids themselves
        users = store.ibis().execute(funnel_users(events, steps, seconds, exclusions, strategy, key="exact",
                                                  order=order))
    if by is not None and by not in EVENT_BREAKDOWNS:
        users = users.merge(_breakdown(store, by), left_on="user", right_on="customer_id", how="left")
    table = funnel_table(users, steps, by, order=order)
    if not store.read_only:
        consent.record(store, left_out)
    table.attrs["consent"] = left_out
    return table


def _breakdown(store, by: str) -> pd.DataFrame:
    if by == PERSONA:
        from centric.services.personas import persona_names

        names = persona_names(store)
        if names is None:
            raise FunnelError("no personas yet: run `centric personas` before --by persona")
        return names
    profiles = store.ibis().table("customer_profiles")
    return store.ibis().execute(profiles.select("customer_id", by))
