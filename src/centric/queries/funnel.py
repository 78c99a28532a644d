"""Ordered funnels with ClickHouse windowFunnel semantics, as Ibis expressions.

windowFunnel(window)(timestamp, step_1, ..., step_n) (ClickHouse, default mode) gives each user the
deepest step reached by a chain of events e_1, ..., e_k of steps 1..k whose times never decrease
(an event that matches two steps may serve both, the lower step first) and whose last event is at
most `window` after the first. For a fixed first event the earliest next event of each step is
the best choice, so the level of a user is the maximum, over the user's step-1 events, of the
greedy earliest chain from it (see tests/queries/test_funnel.py for the proof by oracle: a port of
ClickHouse's algorithm and a brute-force search agree with both forms below on random logs).

Two forms, one result:
- "asof" (DuckDB): an ASOF join per step, the chains cut as soon as they fail; the fastest form
  measured on DuckDB (`_asof_users`; benchmarks/journey.py).
- "join" (portable, PySpark): a range join per step with the window in the join, then the minimum
  (`funnel_chains`).

Exclusion steps (PostHog's funnel exclusions): when an exclusion event happens after the first
step, the steps at or after it do not count for that chain.
The user is the customer when known, else "anon:" + anonymous_id.
Strict-order and any-order funnels: queries/funnel_orders.py (funnel_users(order=...)).
"""

from __future__ import annotations

from functools import cache

from centric.queries.funnel_events import _earliest, _user_events, _user_of
from centric.queries.funnel_orders import any_order_chains, strict_chains

STRATEGIES = ("asof", "join")
ORDERS = ("ordered", "strict", "any")


@cache
def _duckdb_hash():
    import ibis

    @ibis.udf.scalar.builtin(name="hash", signature=(("string",), "uint64"))
    def duckdb_hash(value):
        """DuckDB's hash()."""

    return duckdb_hash


def _hash64(text):
    """DuckDB's 64-bit hash as it comes (UBIGINT): Ibis's .hash() casts it to BIGINT through a bit
    string, which costs as much as the hash itself."""
    return _duckdb_hash()(text)


def _check(steps: list[str], strategy: str = "join", order: str = "ordered") -> None:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown funnel strategy {strategy!r}: {', '.join(STRATEGIES)}")
    if order not in ORDERS:
        raise ValueError(f"unknown funnel order {order!r}: {', '.join(ORDERS)}")
    if not 1 <= len(steps) <= 32:
        raise ValueError("a funnel has 1 to 32 steps")
    if order == "any" and len(set(steps)) != len(steps):
        raise ValueError("an any-order funnel needs distinct steps")


def funnel_chains(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = ()):
    """The portable form: one row per step-1 event, the greedy chain from it (a range join per step
    from every step-1 event, then the minimum), the level it reaches, and clash (always false:
    it joins on the user's text). Chains past step 1 are kept only from the latest step-1 event at
    or before their step 2 (the asof form's chains)."""
    import ibis

    _check(steps)
    ev = _user_events(events)
    chain = ev.filter(ev.name == steps[0]).select("user", "channel", start=ev.ts, t0=ev.ts)
    chain = chain.mutate(_end=chain.start + ibis.interval(seconds=int(window_seconds)))
    for k, step in enumerate(steps[1:], start=1):
        right = ev.filter(ev.name == step).select(_u=ev.user, _t=ev.ts)
        chain = _earliest(chain, right, chain[f"t{k - 1}"] <= right._t, "join", f"t{k}")
    cutoff = None
    if exclusions:  # an exclusion past the window's end cuts nothing that counts
        ex = ev.filter(ev.name.isin(list(exclusions))).select(_u=ev.user, _t=ev.ts)
        chain = _earliest(chain, ex, chain.start < ex._t, "join", "_x")
        cutoff = chain._x
    cols = ["user", "channel", "start"] + [f"t{k}" for k in range(1, len(steps))]
    chains = chain.mutate(level=_chain_level(chain, steps, cutoff), clash=ibis.literal(False))
    if len(steps) < 2:
        return chains.select(*cols, "level", "clash")
    # A chain that goes past step 1 starts at the latest step-1 event at or before its step 2, as the
    # asof form's do (a later start reaches the same step 2 and leaves more window, so no level is
    # lost): both forms then report the same chain, and the same times, for every user.
    first = ev.filter(ev.name == steps[0]).select(_u=ev.user, _t=ev.ts)
    chains = _earliest(chains, first, chains.start < first._t, "join", "_n0")
    later_start = chains._n0.notnull() & (chains._n0 <= chains.t1)
    return chains.filter((chains.level == 1) | ~later_start).select(*cols, "level", "clash")


def best_per_user(chains):
    """The deepest chain of each user, the earliest start among equals; clash is false where the
    chains were joined on the ids themselves."""
    import ibis

    rank = ibis.row_number().over(group_by=chains.user, order_by=[ibis.desc(chains.level), chains.start])
    best = chains.mutate(_r=rank).filter(lambda t: t._r == 0).drop("_r")
    return best if "clash" in best.columns else best.mutate(clash=ibis.literal(False))


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
                 strategy: str = "asof", key: str = "hash", key_buckets: int | None = None, order: str = "ordered"):
    """One row per user who did step 1 (any step, in any order): the deepest level, and the chain
    reaching it (the earliest start among the deepest chains), with the channel of its first
    event, and clash (true when a 64-bit hash collision made a match cross users: run again with
    key="exact").

    order: "ordered" (windowFunnel's default mode), "strict" or "any" (queries/funnel_orders.py).
    key and key_buckets apply to the ordered asof form: "hash" joins on a hash of the user,
    "exact" on the text; key_buckets folds the hash into that many values (tests force clashes)."""
    _check(steps, strategy, order)
    if order == "strict":
        return best_per_user(strict_chains(events, steps, window_seconds))
    if order == "any":
        return best_per_user(any_order_chains(events, steps, window_seconds, exclusions, strategy))
    if strategy == "asof":
        return _asof_users(events, steps, window_seconds, exclusions, key, key_buckets, details=True)
    return best_per_user(funnel_chains(events, steps, window_seconds, exclusions))


def _asof_users(events, steps, window_seconds, exclusions, key, key_buckets, details):
    """funnel_users on DuckDB: chains of ASOF joins over numbers only, cut as soon as they fail.

    Step 2 looks back (each step-2 event's latest step-1 event at or before it starts its chain:
    the latest start leaves the most window), later steps look forward (the earliest next event).
    A chain leaves at the first step outside the window or past the first exclusion after its
    start, so each join carries only the chains still alive; a user's level is the deepest step
    any of their chains reached.

    The chains carry the user's 64-bit hash (the join key) and a second, independent hash of the
    user (the check): a surviving chain whose checks differ crossed users (a clash), and so does a
    key shared by two users' step-1 events. A crossing in a chain that died changes nothing: the
    user's own event would be no earlier, so the chain dies either way.

    details=False gives the level and clash only (no user text, chain times or channel: numbers
    from the first scan to the last); details=True joins the user's id back once per user and
    picks the chain that reached the level (its times and first channel)."""
    import ibis

    if key not in ("hash", "exact"):
        raise ValueError(f"key is hash or exact, got {key!r}")

    keyed = key == "hash" and not key_buckets and {"user_key", "user_check"} <= set(events.columns)

    def rows(names, t, k="_k", c="_c", **extra):
        """The events of some steps as numbers (key, check, time), a scan of their own: a base
        shared by all steps would be materialised with its text. Events that carry the two hashes
        already (with_user_keys) are read as they are."""
        if keyed:
            kept = events.filter(events.name.isin(names), events.user_key.notnull(), events.occurred_at.notnull())
            hashed, check = kept.user_key, kept.user_check
        else:
            user = _user_of(events)
            kept = events.filter(events.name.isin(names), user.notnull(), events.occurred_at.notnull())
            user = _user_of(kept)
            hashed = _hash64(user) if key == "hash" else user
            if key == "hash" and key_buckets:
                hashed = hashed % key_buckets
            check = _hash64(user + "|centric") if key == "hash" else ibis.literal(0, "uint64")
        return kept.select(**{k: hashed, c: check, t: kept.occurred_at}, **{n: f(kept) for n, f in extra.items()})

    channel = {"channel": lambda e: e.channel} if details else {}
    if details:
        s0 = rows([steps[0]], "_ts", user=_user_of, **channel)
        users = s0.group_by("_k").aggregate(
            user=s0.user.arbitrary(), _first=s0._ts.min(), _first_channel=s0.channel.argmin(s0._ts),
            _shared=s0._c.min() != s0._c.max())
        back = rows([steps[0]], "start", k="_k0", c="_c0", **channel)
    else:  # one scan of step 1, read twice: the users and the chains' starts
        back = rows([steps[0]], "start", k="_k0", c="_c0").alias("_funnel_step1")
        users = back.group_by(_k=back._k0).aggregate(_shared=back._c0.min() != back._c0.max())
    if len(steps) == 1:
        return _per_user(users, None, [], details)
    window = ibis.interval(seconds=int(window_seconds))
    if steps[1] == steps[0]:
        chain = back.select(_k=back._k0, _c=back._c0, start=back.start, t1=back.start, clash=ibis.literal(False),
                            **({"channel": back.channel} if details else {}))
    else:
        s1 = rows([steps[1]], "t1")
        b = s1.asof_join(back, on=s1.t1 >= back.start, predicates=[s1._k == back._k0])
        b = b.filter(b.start.notnull() & (b.t1 <= b.start + window))
        chain = b.select("_k", "_c", "start", "t1", *channel, clash=b._c0 != b._c)
    chain = chain.mutate(_x=ibis.null(chain.start.type()))
    if exclusions:  # the first exclusion after the start cuts the chain there
        ex = rows(list(exclusions), "_xt", k="_xk", c="_xc")
        chain = chain.asof_join(ex, on=chain.start < ex._xt, predicates=[chain._k == ex._xk])
        chain = chain.mutate(_x=chain._xt, clash=chain.clash | (chain._xt.notnull() & (chain._xc != chain._c)))
        chain = chain.drop("_xk", "_xc", "_xt")
    chain = chain.alias("_funnel_chain1")  # a CTE: each step's chains are read twice
    reached = [chain.mutate(level=ibis.ifelse(chain._x.isnull() | (chain.t1 < chain._x), 2, 1).cast("int64"))]
    for n, step in enumerate(steps[2:], start=2):
        alive = chain.filter(chain._x.isnull() | (chain[f"t{n - 1}"] < chain._x))
        right = rows([step], "_t", k="_rk", c="_rc")
        chain = alive.asof_join(right, on=alive[f"t{n - 1}"] <= right._t, predicates=[alive._k == right._rk])
        chain = chain.filter(chain._t.notnull(), chain._t <= chain.start + window)
        chain = chain.mutate(clash=chain.clash | (chain._rc != chain._c))
        chain = chain.drop("_rk", "_rc").rename({f"t{n}": "_t"}).alias(f"_funnel_chain{n}")
        reached.append(chain.mutate(level=ibis.ifelse(chain._x.isnull() | (chain[f"t{n}"] < chain._x), n + 1, n)
                                    .cast("int64")))
    later = [f"t{n}" for n in range(1, len(steps))] if details else []
    columns = ["_k", *channel, *(["start"] if details else []), *later, "level", "clash"]
    stamp = reached[0].start.type()
    chains = ibis.union(*(r.select(*(r[c] if c in r.columns else ibis.null(stamp).name(c) for c in columns))
                          for r in reached), distinct=False)
    return _per_user(users, chains, later, details)


def _per_user(users, chains, later, details):
    """Each user's deepest level from their chains (1 when none reached step 2); with details, the
    user's id and the deepest chain with the earliest start (to ~30 microseconds: a double's
    precision), else the first step-1 event."""
    import ibis

    if chains is None:
        if not details:
            return users.select(level=ibis.literal(1, "int64"), clash=users._shared)
        return users.select("user", channel=users._first_channel, start=users._first,
                            level=ibis.literal(1, "int64"), clash=users._shared)
    picks = {}
    if details:
        if "t1" in later:  # chains from one start: the earliest step 2 (the greedy chain), so equal ranks
            chains = chains.filter(chains.t1 == chains.t1.min().over(group_by=[chains._k, chains.start]))
        rank = chains.level.cast("float64") * 1e10 - chains.start.epoch_seconds().cast("float64")
        picks["_pick"] = ibis.struct({c: chains[c] for c in ["channel", "start", *later]}).argmax(rank)
    best = chains.group_by("_k").aggregate(_level=chains.level.max(), _clash=chains.clash.any(), **picks)
    out = users.left_join(best, users._k == best._k)
    level = out._level.coalesce(1)
    clash = out._shared | out._clash.coalesce(False)
    if not details:
        return out.select(level=level, clash=clash)
    found = out._level.notnull()
    return out.select(
        "user",
        channel=ibis.ifelse(found, out._pick["channel"], out._first_channel),
        start=ibis.ifelse(found, out._pick["start"], out._first),
        **{c: out._pick[c] for c in later},
        level=level,
        clash=clash,
    )


def with_user_keys(events):
    """events plus user_key and user_check: the two 64-bit hashes of the user that the ordered ASOF
    form joins on and checks (null where the event has no user). A table that stores them (the
    dashboard's snapshot) spares every funnel hashing each event's user twice per step."""
    user = _user_of(events)
    return events.mutate(user_key=_hash64(user), user_check=_hash64(user + "|centric"))


def pick_strategy(backend_name: str) -> str:
    """ASOF joins on DuckDB; the portable range join elsewhere."""
    return "asof" if backend_name == "duckdb" else "join"


def funnel_levels(events, steps: list[str], window_seconds: int, exclusions: tuple[str, ...] = (),
                  strategy: str = "asof", key: str = "hash", key_buckets: int | None = None, order: str = "ordered"):
    """One row per user who did step 1 with the deepest level and clash only (what windowFunnel
    gives): on DuckDB the chains carry numbers from the first scan to the last, with no user text,
    chain times or channel; elsewhere funnel_users with those columns left out."""
    _check(steps, strategy, order)
    if strategy == "asof" and order == "ordered":
        return _asof_users(events, steps, window_seconds, exclusions, key, key_buckets, details=False)
    return funnel_users(events, steps, window_seconds, exclusions, strategy, order=order).select("level", "clash")
