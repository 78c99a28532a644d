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


def _chain_level(chain, steps, cutoff):
    """How deep a chain goes: step k counts while every step up to k is within the window of the
    start (and before the first exclusion after it)."""
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
    return level


def _levels(chain, steps, cutoff):
    cols = ["user", "channel", "start"] + [f"t{k}" for k in range(1, len(steps))]
    return chain.select(*cols, level=_chain_level(chain, steps, cutoff), clash=chain.clash)


def funnel_users(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = (),
                 strategy: str = "asof", key: str = "hash", key_buckets: int | None = None):
    """One row per user who did step 1: the deepest level (windowFunnel), and the chain reaching it
    (the earliest start among the deepest chains), with the channel of its first event, and clash
    (see funnel_chains: when any row has it, run again with key="exact")."""
    import ibis

    if strategy == "asof":
        return _asof_users(events, steps, window_seconds, exclusions, key, key_buckets)
    chains = funnel_chains(events, steps, window_seconds, exclusions, strategy, key, key_buckets)
    rank = ibis.row_number().over(group_by=chains.user, order_by=[ibis.desc(chains.level), chains.start])
    clash = chains.clash.any().over(group_by=chains.user)
    return chains.mutate(_r=rank, clash=clash).filter(lambda t: t._r == 0).drop("_r")


def _asof_users(events, steps, window_seconds, exclusions, key, key_buckets):
    """funnel_users on DuckDB, keyed by numbers only until the end.

    The chains carry the user's 64-bit hash (the join key) and a second, independent hash of the
    user (the check): a match whose checks differ crossed users (a clash), and so does a key shared
    by two users' step-1 events. The user's text joins back once per user, at the end."""
    import ibis

    if not 1 <= len(steps) <= 32:
        raise ValueError("a funnel has 1 to 32 steps")
    if key not in ("hash", "exact"):
        raise ValueError(f"key is hash or exact, got {key!r}")
    ev = _user_events(events)
    k = ev.user.hash() if key == "hash" else ev.user
    if key == "hash" and key_buckets:
        k = k % key_buckets
    check = (ev.user + "|centric").hash() if key == "hash" else ibis.literal(0, "int64")
    ev = ev.mutate(_k=k, _c=check)
    s0 = ev.filter(ev.name == steps[0])
    users = s0.group_by("_k").aggregate(
        user=s0.user.arbitrary(), _first=s0.ts.min(), _first_channel=s0.channel.argmin(s0.ts),
        _shared=s0._c.min() != s0._c.max())
    later = [f"t{n}" for n in range(1, len(steps))]
    if len(steps) == 1:
        return users.select("user", channel=users._first_channel, start=users._first,
                            level=ibis.literal(1, "int64"), clash=users._shared)
    if steps[1] == steps[0]:
        chain = s0.select("_k", "_c", "channel", start=s0.ts, t1=s0.ts, clash=ibis.literal(False))
    else:
        s1 = ev.filter(ev.name == steps[1]).select("_k", "_c", t1=ev.ts)
        back = s0.select(_k0=s0._k, _c0=s0._c, channel=s0.channel, start=s0.ts)
        b = s1.asof_join(back, on=s1.t1 >= back.start, predicates=[s1._k == back._k0])
        b = b.filter(b.start.notnull())
        chain = b.select("_k", "_c", "channel", "start", "t1", clash=b._c0 != b._c)
    chain = chain.mutate(_end=chain.start + ibis.interval(seconds=int(window_seconds)))
    for n, step in enumerate(steps[2:], start=2):
        right = ev.filter(ev.name == step).select(_rk=ev._k, _rc=ev._c, _t=ev.ts)
        chain = chain.asof_join(right, on=chain[f"t{n - 1}"] <= right._t, predicates=[chain._k == right._rk])
        chain = chain.mutate(clash=chain.clash | (chain._t.notnull() & (chain._rc != chain._c)))
        chain = chain.drop("_rk", "_rc").rename({f"t{n}": "_t"})
    cutoff = None
    if exclusions:
        ex = ev.filter(ev.name.isin(list(exclusions))).select(_xk=ev._k, _xc=ev._c, _x=ev.ts)
        chain = chain.asof_join(ex, on=chain.start < ex._x, predicates=[chain._k == ex._xk])
        chain = chain.mutate(clash=chain.clash | (chain._x.notnull() & (chain._xc != chain._c)))
        chain = chain.drop("_xk", "_xc")
        cutoff = chain._x
    chain = chain.mutate(level=_chain_level(chain, steps, cutoff))
    # the deepest chain, the earliest start among equals (to ~30 microseconds: a double's precision)
    rank = chain.level.cast("float64") * 1e10 - chain.start.epoch_seconds().cast("float64")
    pick = ibis.struct({c: chain[c] for c in ["channel", "start", *later]})
    best = chain.group_by("_k").aggregate(_level=chain.level.max(), _clash=chain.clash.any(), _pick=pick.argmax(rank))
    out = users.left_join(best, users._k == best._k)
    reached = out._level.notnull()
    return out.select(
        "user",
        channel=ibis.ifelse(reached, out._pick["channel"], out._first_channel),
        start=ibis.ifelse(reached, out._pick["start"], out._first),
        **{c: out._pick[c] for c in later},
        level=out._level.coalesce(1),
        clash=out._shared | out._clash.coalesce(False),
    )


def pick_strategy(backend_name: str) -> str:
    """ASOF joins on DuckDB; the portable range join elsewhere."""
    return "asof" if backend_name == "duckdb" else "join"


def funnel_levels(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = (),
                  strategy: str = "asof", key: str = "hash", key_buckets: int | None = None):
    """One row per user who did step 1 with the deepest level only (no chain times): the cheapest form."""
    if strategy == "asof":  # the same query as funnel_users; DuckDB prunes the chain details
        return _asof_users(events, steps, window_seconds, exclusions, key, key_buckets).select("user", "level", "clash")
    chains = funnel_chains(events, steps, window_seconds, exclusions, strategy, key, key_buckets)
    return chains.group_by("user").aggregate(level=chains.level.max(), clash=chains.clash.any())
