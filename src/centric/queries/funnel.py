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
  known to be the fastest form on DuckDB (`_asof_users`).
- "join" (portable, PySpark): a range join per step with the window in the join, then the minimum
  (`funnel_chains`).

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


def _check(steps: list[str], strategy: str = "join") -> None:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown funnel strategy {strategy!r}: {', '.join(STRATEGIES)}")
    if not 1 <= len(steps) <= 32:
        raise ValueError("a funnel has 1 to 32 steps")


def funnel_chains(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = ()):
    """The portable form: one row per step-1 event, the greedy chain from it (a range join per step
    from every step-1 event, then the minimum), the level it reaches, and clash (always false:
    it joins on the user's text)."""
    import ibis

    _check(steps)
    ev = _user_events(events)
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
    cols = ["user", "channel", "start"] + [f"t{k}" for k in range(1, len(steps))]
    return chain.select(*cols, level=_chain_level(chain, steps, cutoff), clash=ibis.literal(False))


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


def funnel_users(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = (),
                 strategy: str = "asof", key: str = "hash", key_buckets: int | None = None):
    """One row per user who did step 1: the deepest level (windowFunnel), and the chain reaching it
    (the earliest start among the deepest chains), with the channel of its first event, and clash
    (true when a 64-bit hash collision made a match cross users: run again with key="exact").

    key and key_buckets apply to the asof form: "hash" joins on a hash of the user, "exact" on the
    text; key_buckets folds the hash into that many values (tests force clashes)."""
    import ibis

    _check(steps, strategy)
    if strategy == "asof":
        return _asof_users(events, steps, window_seconds, exclusions, key, key_buckets)
    chains = funnel_chains(events, steps, window_seconds, exclusions)
    rank = ibis.row_number().over(group_by=chains.user, order_by=[ibis.desc(chains.level), chains.start])
    return chains.mutate(_r=rank).filter(lambda t: t._r == 0).drop("_r")


def _asof_users(events, steps, window_seconds, exclusions, key, key_buckets):
    """funnel_users on DuckDB, keyed by numbers only until the end.

    The chains carry the user's 64-bit hash (the join key) and a second, independent hash of the
    user (the check): a match whose checks differ crossed users (a clash), and so does a key shared
    by two users' step-1 events. The user's text joins back once per user, at the end."""
    import ibis

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
    """One row per user who did step 1 with the deepest level only: funnel_users with the chain
    details left out, which the engine then does not compute."""
    users = funnel_users(events, steps, window_seconds, exclusions, strategy, key, key_buckets)
    return users.select("user", "level", "clash")
