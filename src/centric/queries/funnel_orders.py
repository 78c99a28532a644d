"""Strict-order and any-order funnels (PostHog's funnel order types; ClickHouse windowFunnel's
'strict_order' mode), as Ibis expressions that run on DuckDB and PySpark alike.

- strict: steps 1..k are k consecutive events of the user (no other event of any name in between,
  events ordered by time then event_id), the last within the window of the first. ClickHouse's
  strict_order mode: "A->B->D->C stops finding A->B->C at the D and the level is 2". One window
  sort per user: lead(name, j) and lead(time, j) for j = 1..n-1. Exclusions add nothing here: any
  event between two steps already breaks the chain.
- any: the steps in any order. A user reaches level k when some step event e starts a span of
  the window in which k distinct steps happen (e's own among them), each before the first
  exclusion event after e. The k-th step is done at the k-th earliest of those first times.
  Steps must be distinct: "A, A" in any order has no meaning.

Both give funnel_users' frame: user, channel (of the start event), start, t1..t{n-1} (the time
each further step was reached on the chosen chain), level, clash (always false: keyed on ids).
The chosen chain is the deepest, the earliest start among equals.
"""

from __future__ import annotations

from centric.queries.funnel_events import _earliest, _user_events


def strict_chains(events, steps: list[str], window_seconds: int):
    """One row per step-1 event: how many of the next events continue the funnel in order."""
    import ibis

    ev = _user_events(events, _id=events.event_id)
    w = ibis.window(group_by=ev.user, order_by=[ev.ts, ev._id])
    ahead = {}
    for j in range(1, len(steps)):
        ahead[f"_n{j}"] = ev.name.lead(j).over(w)
        ahead[f"t{j}"] = ev.ts.lead(j).over(w)
    ev = ev.mutate(**ahead)
    chain = ev.filter(ev.name == steps[0])
    end = chain.ts + ibis.interval(seconds=int(window_seconds))
    ok = ibis.literal(True)
    level = ibis.literal(1, "int64")
    for j, step in enumerate(steps[1:], start=1):
        ok = ok & (chain[f"_n{j}"] == step) & (chain[f"t{j}"] <= end)
        level = level + ibis.ifelse(ok, 1, 0)
    later = [f"t{j}" for j in range(1, len(steps))]
    return chain.select("user", "channel", start=chain.ts, **{c: chain[c] for c in later}, level=level)


def any_order_chains(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = (),
                     strategy: str = "join"):
    """One row per event of any step: the first time of each step in the window from it, and how
    many distinct steps that makes (asof: DuckDB's ASOF joins; join: a range join per step)."""
    import ibis

    ev = _user_events(events)
    end_of = ibis.interval(seconds=int(window_seconds))
    chain = ev.filter(ev.name.isin(list(steps))).select("user", "channel", start=ev.ts)
    chain = chain.mutate(_end=chain.start + end_of)
    base = list(chain.columns)
    firsts = []
    for i, step in enumerate(steps):
        right = ev.filter(ev.name == step).select(_u=ev.user, _t=ev.ts)
        chain = _earliest(chain, right, chain.start <= right._t, strategy, f"_m{i}")
        firsts.append(f"_m{i}")
    cutoff = None
    if exclusions:
        right = ev.filter(ev.name.isin(list(exclusions))).select(_u=ev.user, _t=ev.ts)
        chain = _earliest(chain, right, chain.start < right._t, strategy, "_x")
        cutoff = chain._x
    done = {}
    for m in firsts:
        ok = chain[m].notnull() & (chain[m] <= chain._end)
        if cutoff is not None:
            ok = ok & (cutoff.isnull() | (chain[m] < cutoff))
        done[m] = ibis.ifelse(ok, chain[m], ibis.null(chain.start.type()))
    chain = chain.select(*base, **done)
    times = ibis.array([chain[m] for m in firsts]).filter(lambda v: v.notnull()).sort()
    stamp = chain.start.type()  # guarded: Spark's ANSI mode fails on an index past the end
    later = {f"t{j}": ibis.ifelse(times.length() > j, times[j], ibis.null(stamp)) for j in range(1, len(steps))}
    return chain.select("user", "channel", "start", **later, level=times.length().cast("int64"))
