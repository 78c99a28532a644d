"""Ordered funnels with ClickHouse windowFunnel semantics, as Ibis expressions.

windowFunnel(window)(timestamp, step_1, ..., step_n) (ClickHouse, default mode) gives each user the
deepest step reached by a chain of events e_1, ..., e_k of steps 1..k whose times never decrease
(an event that matches two steps may serve both, the lower step first) and whose last event is at
most `window` after the first. For a fixed first event the earliest next event of each step is
the best choice, so the level of a user is the maximum, over the user's step-1 events, of the
greedy earliest chain from it (see tests/queries/test_funnel.py for the proof by oracle: a port of
ClickHouse's algorithm and a brute-force search agree with both forms below on random logs).

Two forms, one result:
- "asof" (DuckDB): an ASOF join per step, the earliest step-k event at or after step k-1's time;
  known to be the fastest form on DuckDB.
- "join" (portable, PySpark): a range join per step with the window in the join, then the minimum.

Exclusion steps (PostHog's funnel exclusions): when an exclusion event happens after the first
step, the steps at or after it do not count for that chain.
The user is the customer when known, else "anon:" + anonymous_id.
"""

from __future__ import annotations

STRATEGIES = ("asof", "join")


def _user_events(events):
    import ibis

    user = ibis.coalesce(events.customer_id, ibis.literal("anon:") + events.anonymous_id)
    ev = events.select(user=user, ts=events.occurred_at, name=events.name, channel=events.channel)
    return ev.filter(ev.user.notnull() & ev.ts.notnull())


def funnel_chains(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = (),
                  strategy: str = "asof"):
    """One row per (user, step-1 event): the greedy chain from it and the level it reaches."""
    import ibis

    if strategy not in STRATEGIES:
        raise ValueError(f"unknown funnel strategy {strategy!r}: {', '.join(STRATEGIES)}")
    if not 1 <= len(steps) <= 32:
        raise ValueError("a funnel has 1 to 32 steps")
    ev = _user_events(events)
    chain = ev.filter(ev.name == steps[0]).select("user", "channel", start=ev.ts, t0=ev.ts)
    end = chain.start + ibis.interval(seconds=int(window_seconds))
    chain = chain.mutate(_end=end)
    for k, step in enumerate(steps[1:], start=1):
        right = ev.filter(ev.name == step).select(_u=ev.user, _t=ev.ts)
        prev = chain[f"t{k - 1}"]
        if strategy == "asof":
            chain = chain.asof_join(right, on=prev <= right._t, predicates=[chain.user == right._u])
            chain = chain.drop("_u").rename({f"t{k}": "_t"})
        else:
            keys = [c for c in chain.columns]
            joined = chain.left_join(right, [chain.user == right._u, prev <= right._t, right._t <= chain._end])
            chain = joined.group_by(keys).aggregate(**{f"t{k}": joined._t.min()})
    if exclusions:
        ex = ev.filter(ev.name.isin(list(exclusions))).select(_u=ev.user, _x=ev.ts)
        if strategy == "asof":
            chain = chain.asof_join(ex, on=chain.start < ex._x, predicates=[chain.user == ex._u]).drop("_u")
        else:
            keys = list(chain.columns)
            joined = chain.left_join(ex, [chain.user == ex._u, chain.start < ex._x])
            chain = joined.group_by(keys).aggregate(_x=joined._x.min())
        cutoff = chain._x
    else:
        cutoff = None
    ok = ibis.literal(True)
    level = ibis.literal(1, "int64")
    for k in range(1, len(steps)):
        t = chain[f"t{k}"]
        cond = t.notnull() & (t <= chain._end)
        if cutoff is not None:
            cond = cond & (cutoff.isnull() | (t < cutoff))
        ok = ok & cond
        level = level + ibis.ifelse(ok, 1, 0)
    cols = ["user", "channel", "start"] + [f"t{k}" for k in range(1, len(steps))]
    return chain.select(*cols, level=level)


def funnel_users(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = (),
                 strategy: str = "asof"):
    """One row per user who did step 1: the deepest level (windowFunnel), and the chain reaching it
    (the earliest start among the deepest chains), with the channel of its first event."""
    import ibis

    chains = funnel_chains(events, steps, window_seconds, exclusions, strategy)
    rank = ibis.row_number().over(group_by=chains.user, order_by=[ibis.desc(chains.level), chains.start])
    return chains.mutate(_r=rank).filter(lambda t: t._r == 0).drop("_r")


def pick_strategy(backend_name: str) -> str:
    """ASOF joins on DuckDB; the portable range join elsewhere."""
    return "asof" if backend_name == "duckdb" else "join"


def funnel_levels(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = (),
                  strategy: str = "asof"):
    """One row per user who did step 1 with the deepest level only (no chain times): the cheapest form."""
    chains = funnel_chains(events, steps, window_seconds, exclusions, strategy)
    return chains.group_by("user").aggregate(level=chains.level.max())
