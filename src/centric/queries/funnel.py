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
                  strategy: str = "asof", key: str = "hash", key_buckets: int | None = None):
    """One row per chain start: the greedy chain from it, the level it reaches, and `clash`.

    key (asof only): "hash" joins on a 64-bit hash of the user, which is faster than the text
    itself; every match is then checked against the user's text, and `clash` is true when a hash
    collision made a match cross users: run again with key="exact" (funnel_results does). "exact"
    joins on the text. key_buckets folds the hash into that many values (tests force clashes)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown funnel strategy {strategy!r}: {', '.join(STRATEGIES)}")
    if not 1 <= len(steps) <= 32:
        raise ValueError("a funnel has 1 to 32 steps")
    ev = _user_events(events)
    if strategy == "asof":
        return _asof_chains(ev, steps, window_seconds, exclusions, key, key_buckets)
    return _join_chains(ev, steps, window_seconds, exclusions)


def _join_chains(ev, steps, window_seconds, exclusions):
    """Portable: a range join per step from every step-1 event, then the minimum."""
    import ibis

    chain = ev.filter(ev.name == steps[0]).select("user", "channel", start=ev.ts, t0=ev.ts)
    chain = chain.mutate(_end=chain.start + ibis.interval(seconds=int(window_seconds)))
    for k, step in enumerate(steps[1:], start=1):
        right = ev.filter(ev.name == step).select(_u=ev.user, _t=ev.ts)
        prev = chain[f"t{k - 1}"]
        joined = chain.left_join(right, [chain.user == right._u, prev <= right._t, right._t <= chain._end])
        chain = joined.group_by(list(chain.columns)).aggregate(**{f"t{k}": joined._t.min()})
    cutoff = None
    if exclusions:
        ex = ev.filter(ev.name.isin(list(exclusions))).select(_u=ev.user, _x=ev.ts)
        joined = chain.left_join(ex, [chain.user == ex._u, chain.start < ex._x])
        chain = joined.group_by(list(chain.columns)).aggregate(_x=joined._x.min())
        cutoff = chain._x
    return _levels(chain.mutate(clash=ibis.literal(False)), steps, cutoff)


def _asof_chains(ev, steps, window_seconds, exclusions, key, key_buckets):
    """DuckDB: ASOF joins. Of several step-1 events with no step-2 event between them the last one
    dominates (the same next events, more room in the window), so chains start from the latest
    step-1 event before each step-2 event (one backward ASOF join), plus each user's first step-1
    event for level 1; the later steps follow by forward ASOF joins."""
    import ibis

    if key not in ("hash", "exact"):
        raise ValueError(f"key is hash or exact, got {key!r}")
    k = ev.user.hash() if key == "hash" else ev.user
    if key == "hash" and key_buckets:
        k = k % key_buckets
    ev = ev.mutate(_k=k)
    s0 = ev.filter(ev.name == steps[0])
    solo = s0.group_by(["user", "_k"]).aggregate(channel=s0.channel.argmin(s0.ts), start=s0.ts.min())
    solo = solo.mutate(clash=ibis.literal(False))
    if len(steps) == 1:
        chain = solo
    elif steps[1] == steps[0]:
        chain = s0.select("user", "_k", "channel", start=s0.ts, t1=s0.ts, clash=ibis.literal(False))
    else:
        s1 = ev.filter(ev.name == steps[1]).select("user", "_k", t1=ev.ts)
        back = s0.select(_k0=s0._k, _u0=s0.user, _c0=s0.channel, start=s0.ts)
        b = s1.asof_join(back, on=s1.t1 >= back.start, predicates=[s1._k == back._k0])
        b = b.filter(b.start.notnull())
        pairs = b.group_by(["user", "_k", "start"]).aggregate(
            channel=b._c0.argmin(b.t1), t1=b.t1.min(), clash=(b._u0 != b.user).any())
        chain = pairs.union(solo.mutate(t1=ibis.null(pairs.t1.type())).select(*pairs.columns))
    chain = chain.mutate(_end=chain.start + ibis.interval(seconds=int(window_seconds)))
    for n, step in enumerate(steps[2:], start=2):
        right = ev.filter(ev.name == step).select(_rk=ev._k, _ru=ev.user, _t=ev.ts)
        chain = chain.asof_join(right, on=chain[f"t{n - 1}"] <= right._t, predicates=[chain._k == right._rk])
        chain = chain.mutate(clash=chain.clash | (chain._t.notnull() & (chain._ru != chain.user)))
        chain = chain.drop("_rk", "_ru").rename({f"t{n}": "_t"})
    cutoff = None
    if exclusions:
        ex = ev.filter(ev.name.isin(list(exclusions))).select(_xk=ev._k, _xu=ev.user, _x=ev.ts)
        chain = chain.asof_join(ex, on=chain.start < ex._x, predicates=[chain._k == ex._xk])
        chain = chain.mutate(clash=chain.clash | (chain._x.notnull() & (chain._xu != chain.user)))
        chain = chain.drop("_xk", "_xu")
        cutoff = chain._x
    return _levels(chain, steps, cutoff)


def _levels(chain, steps, cutoff):
    import ibis

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
    return chain.select(*cols, level=level, clash=chain.clash)


def funnel_users(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = (),
                 strategy: str = "asof", key: str = "hash", key_buckets: int | None = None):
    """One row per user who did step 1: the deepest level (windowFunnel), and the chain reaching it
    (the earliest start among the deepest chains), with the channel of its first event, and clash
    (see funnel_chains: when any row has it, run again with key="exact")."""
    import ibis

    chains = funnel_chains(events, steps, window_seconds, exclusions, strategy, key, key_buckets)
    rank = ibis.row_number().over(group_by=chains.user, order_by=[ibis.desc(chains.level), chains.start])
    clash = chains.clash.any().over(group_by=chains.user)
    return chains.mutate(_r=rank, clash=clash).filter(lambda t: t._r == 0).drop("_r")


def pick_strategy(backend_name: str) -> str:
    """ASOF joins on DuckDB; the portable range join elsewhere."""
    return "asof" if backend_name == "duckdb" else "join"


def funnel_levels(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = (),
                  strategy: str = "asof", key: str = "hash", key_buckets: int | None = None):
    """One row per user who did step 1 with the deepest level only (no chain times): the cheapest form."""
    chains = funnel_chains(events, steps, window_seconds, exclusions, strategy, key, key_buckets)
    return chains.group_by("user").aggregate(level=chains.level.max(), clash=chains.clash.any())
