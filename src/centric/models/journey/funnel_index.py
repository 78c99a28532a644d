"""The dashboard's funnel in memory: the snapshot's events indexed once, every funnel then a few
vectorised binary searches (tens of milliseconds for a million events, whatever the steps).

Rule: the answer is the one of queries/funnel.py's `funnel_users` on DuckDB (the form the dashboard
ran before), user for user: the same level, the same chosen chain (start, t1..t{n-1}) and the
channel of its first event, for the three orders.

- ordered (the asof form, windowFunnel's default mode): each step-2 event starts its chain at the
  user's latest step-1 event at or before it (within the window), each later step is the user's
  earliest event of that step at or after the previous one, within the window of the start (an
  event may serve two consecutive equal steps). A step-1 event followed by nothing is level 1. The
  user's chain is the deepest, then the earliest start, then the earliest step 2 (to the
  microsecond: the SQL form ranks starts through a double, ~30 microseconds); a user with no chain
  past step 1 shows the first step-1 event.
- strict: steps 1..k are k consecutive events of the user (ordered by time, then event_id), the
  last within the window of the first; the deepest chain, the earliest start.
- any: from every event of a step, the first time of each step at or after it within the window;
  the level is how many steps that makes, step k done at the k-th earliest of those times.

The index (`EventIndex`) holds every event with a user and a time, sorted by (user, time,
event_id): user number, time (int64 microseconds), name and channel numbers, whether the user is a
known customer, and a sort key user * K + rank(time) that is strictly ordered like (user, time),
so "the user's first event of step s at or after t" is one np.searchsorted over that step's keys.
This module imports nothing of centric: the service reads the arrays (store/dash_reads.py) and
filters them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from centric.models.journey.funnel import group_rows

NAT = np.iinfo(np.int64).min  # "no time" in the int64 columns (NaT once viewed as datetime64)
ORDERS = ("ordered", "strict", "any")


@dataclass
class EventIndex:
    """Every event with a user and a time, sorted by (user, time, event_id); see the module's rule."""

    user: np.ndarray      # int64 user number, 0..n_users-1, nondecreasing
    ts: np.ndarray        # int64 microseconds since the epoch
    name: np.ndarray      # int32 into names
    channel: np.ndarray   # int32 into channels, -1 when null
    known: np.ndarray     # bool: the event's customer_id is set (the customer filters keep only these)
    key: np.ndarray       # int64 user * K + dense rank of ts: sorted, ordered like (user, ts)
    users: np.ndarray     # object: the user's text (customer_id, else "anon:" + anonymous_id)
    names: list
    channels: list
    by_name: dict = field(default_factory=dict)  # name -> int64 positions of its events, ascending

    @property
    def size(self) -> int:
        return len(self.ts)


def build_index(user, users, ts_us, name, names, channel, channels, known) -> EventIndex:
    """The index from columns already sorted by (user, time, event_id), encoded: user (int, 0..,
    nondecreasing) with users (each number's text), name codes into names (-1: null), channel codes
    into channels (-1: null), ts_us (int64 microseconds), known (bool)."""
    user = np.asarray(user, dtype=np.int64)
    ts = np.asarray(ts_us, dtype=np.int64)
    distinct, rank = np.unique(ts, return_inverse=True)
    span = np.int64(len(distinct) + 1)
    if len(users) and (len(users) + 1) > np.iinfo(np.int64).max // int(span):
        raise OverflowError("too many users times distinct times for one int64 key")
    key = user * span + rank.astype(np.int64).reshape(-1)
    name = np.asarray(name, dtype=np.int32)
    order = np.argsort(name, kind="stable")
    bounds = np.searchsorted(name[order], np.arange(len(names) + 1))
    by_name = {str(nm): order[bounds[i]:bounds[i + 1]].astype(np.int64) for i, nm in enumerate(names)}
    return EventIndex(user=user, ts=ts, name=name, channel=np.asarray(channel, dtype=np.int32),
                      known=np.asarray(known, dtype=bool), key=key, users=np.asarray(users, dtype=object),
                      names=[str(x) for x in names], channels=list(channels), by_name=by_name)


def index_of_text(user_text, ts_us, names, channels, known) -> EventIndex:
    """build_index from plain columns sorted by (user, time, event_id): user_text (str, never null),
    names (str), channels (str or None)."""
    user_text = np.asarray(user_text, dtype=object)
    n = len(user_text)
    new = np.ones(n, dtype=bool)
    if n:
        new[1:] = user_text[1:] != user_text[:-1]
    user = np.cumsum(new, dtype=np.int64) - 1
    name_codes, name_list = pd.factorize(pd.Series(names, dtype=object), sort=False)
    channel_codes, channel_list = pd.factorize(pd.Series(channels, dtype=object), sort=False)
    return build_index(user, user_text[new], ts_us, name_codes, list(name_list), channel_codes, list(channel_list),
                       known)


def event_mask(index: EventIndex, start_us: int | None = None, end_us: int | None = None,
               kept_users: np.ndarray | None = None) -> np.ndarray | None:
    """Which events a filter keeps: time in [start_us, end_us) and, when kept_users (a bool per user
    number) is given, only known customers' events of those users. None: every event."""
    if start_us is None and end_us is None and kept_users is None:
        return None
    mask = np.ones(index.size, dtype=bool)
    if start_us is not None:
        mask &= index.ts >= start_us
    if end_us is not None:
        mask &= index.ts < end_us
    if kept_users is not None:
        mask &= index.known & kept_users[index.user]
    return mask


def _positions(index: EventIndex, step: str, mask) -> np.ndarray:
    pos = index.by_name.get(step)
    if pos is None:
        return np.zeros(0, np.int64)
    return pos if mask is None else pos[mask[pos]]


def _found(keys: np.ndarray, at: np.ndarray, side: str = "left") -> tuple[np.ndarray, np.ndarray]:
    """searchsorted of `at` in `keys`, the index clipped to a valid one, and whether it was in range."""
    i = np.searchsorted(keys, at, side=side)
    if side == "right":
        i = i - 1
        ok = i >= 0
    else:
        ok = i < len(keys)
    return np.where(ok, i, 0) if len(keys) else np.zeros(len(at), np.int64), ok


def funnel_arrays(index: EventIndex, steps: list[str], window_seconds: int, order: str = "ordered",
                  mask: np.ndarray | None = None) -> dict:
    """One entry per user in the funnel, as arrays: user (number), level, start and times (t1..t{n-1},
    int64 microseconds, NAT past the level), channel (of the chosen chain's first event, text or None)."""
    if order not in ORDERS:
        raise ValueError(f"unknown funnel order {order!r}: {', '.join(ORDERS)}")
    if not 1 <= len(steps) <= 32:
        raise ValueError("a funnel has 1 to 32 steps")
    if order == "any" and len(set(steps)) != len(steps):
        raise ValueError("an any-order funnel needs distinct steps")
    window = np.int64(int(window_seconds)) * 1_000_000
    if order == "strict":
        user, level, start, times, first_pos = _strict(index, steps, window, mask)
    elif order == "any":
        user, level, start, times, first_pos = _any(index, steps, window, mask)
    else:
        user, level, start, times, first_pos = _ordered(index, steps, window, mask)
    level = level.astype(np.int64)
    times = [np.where(level > j, times[j - 1], NAT).astype(np.int64) for j in range(1, len(steps))]
    channel_names = np.array(list(index.channels) + [None], dtype=object)  # code -1 -> None
    codes = index.channel[first_pos]
    return {"user": user, "level": level, "start": np.asarray(start, np.int64), "times": times,
            "channel": channel_names[np.where(codes < 0, len(index.channels), codes)]}


def funnel_users(index: EventIndex, steps: list[str], window_seconds: int, order: str = "ordered",
                 mask: np.ndarray | None = None) -> pd.DataFrame:
    """funnel_arrays as queries/funnel.py's funnel_users frame: user (number), channel, start,
    t1..t{n-1} (datetime64[us], NaT past the level), level."""
    a = funnel_arrays(index, steps, window_seconds, order, mask)
    data = {"user": a["user"], "channel": a["channel"], "start": a["start"].view("datetime64[us]")}
    for j, t in enumerate(a["times"], start=1):
        data[f"t{j}"] = t.view("datetime64[us]")
    data["level"] = a["level"]
    return pd.DataFrame(data)


def funnel_rows(a: dict, steps: list[str], keys: np.ndarray | None = None, order: str = "ordered",
                total: str = "(all)") -> list[dict]:
    """The rows of models/journey/funnel.py's funnel_table (to_dict records, NaN as None) from
    funnel_arrays, with no data frame: `keys` (one text or None per user) is the breakdown. Each
    step's seconds from the first go through pandas' own total_seconds, so medians and 90th
    percentiles are the very floats funnel_table gives."""
    level = a["level"]
    seconds = [None] + [pd.TimedeltaIndex(np.where(t == NAT, 0, t - a["start"]).view("timedelta64[us]"))
                        .total_seconds().to_numpy() for t in a["times"]]
    groups = [(total, np.ones(len(level), dtype=bool))]
    if keys is not None:
        keys = np.asarray(keys, dtype=object).copy()
        keys[pd.isna(keys)] = "(none)"
        codes, uniques = pd.factorize(keys.astype(str), sort=True)
        groups += [(str(k), codes == i) for i, k in enumerate(uniques)]
    rows = []
    for name, member in groups:
        lv = level[member]
        rows += group_rows(name, lv, steps, order, lambda k: seconds[k - 1][member][lv >= k])
    return rows


def _first_per_user(user_sorted: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal users (rows sorted by user)."""
    if not len(user_sorted):
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.r_[True, user_sorted[1:] != user_sorted[:-1]])


def _ordered(ix: EventIndex, steps, window, mask):
    p0 = _positions(ix, steps[0], mask)
    u0, t0, k0 = ix.user[p0], ix.ts[p0], ix.key[p0]
    firsts = _first_per_user(u0)  # p0 is in (user, time, event_id) order: a user's first step-1 event
    users, first_ts, first_pos = u0[firsts], t0[firsts], p0[firsts]
    n = len(steps)
    times = [np.full(len(users), NAT, np.int64) for _ in range(n - 1)]
    level = np.ones(len(users), np.int64)
    if n == 1 or not len(p0):
        return users, level, first_ts, times, first_pos
    if steps[1] == steps[0]:
        c_user, c_start, c_pos, c_t1, c_key = u0, t0, p0, t0, k0.copy()
    else:  # each step-2 event looks back to the user's latest step-1 event at or before it
        p1 = _positions(ix, steps[1], mask)
        j, ok = _found(k0, ix.key[p1], "right")
        ok &= (u0[j] == ix.user[p1]) & (ix.ts[p1] <= t0[j] + window)
        j, p1 = j[ok], p1[ok]
        c_user, c_start, c_pos, c_t1, c_key = ix.user[p1], t0[j], p0[j], ix.ts[p1], ix.key[p1]
    chains = len(c_user)
    c_level = np.full(chains, 2, np.int64)
    c_times = [c_t1] + [np.full(chains, NAT, np.int64) for _ in range(n - 2)]
    alive = np.arange(chains)
    for s in range(2, n):  # later steps look forward: the earliest event at or after the previous one
        ps = _positions(ix, steps[s], mask)
        if not len(ps) or not len(alive):
            break
        ks = ix.key[ps]
        i, ok = _found(ks, c_key[alive])
        hit = ps[i]
        ok &= (ix.user[hit] == c_user[alive]) & (ix.ts[hit] <= c_start[alive] + window)
        alive, hit = alive[ok], hit[ok]
        c_times[s - 1][alive] = ix.ts[hit]
        c_key[alive] = ix.key[hit]
        c_level[alive] = s + 1
    if not chains:
        return users, level, first_ts, times, first_pos
    # the deepest chain of each user, then the earliest start, then the earliest step 2: the chains are
    # in (user, step 2) order, and so in (user, start, step 2) order (a later step 2 never looks back
    # to an earlier start)
    best = _first_deepest(c_user, c_level)
    where = np.searchsorted(users, c_user[best])  # users is sorted
    level[where] = c_level[best]
    first_ts = first_ts.copy()
    first_ts[where] = c_start[best]
    first_pos = first_pos.copy()
    first_pos[where] = c_pos[best]
    for s in range(n - 1):
        times[s][where] = c_times[s][best]
    return users, level, first_ts, times, first_pos


def _first_deepest(user: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Rows sorted by user (then by the order that breaks ties): per user, the first row of the
    user's deepest level. One pass, no sort."""
    if not len(user):
        return np.zeros(0, np.int64)
    runs = _first_per_user(user)
    run_of = np.cumsum(np.r_[True, user[1:] != user[:-1]]) - 1
    deepest = np.maximum.reduceat(level, runs)
    candidates = np.flatnonzero(level == deepest[run_of])
    return candidates[_first_per_user(user[candidates])]


def _pick_best(user, level, start, times, pos):
    """Per user (rows in (user, time, event_id) order): the deepest row, the earliest start."""
    best = _first_deepest(user, level)
    return user[best], level[best], start[best], [t[best] for t in times], pos[best]


def _strict(ix: EventIndex, steps, window, mask):
    p0 = _positions(ix, steps[0], mask)
    user, start = ix.user[p0], ix.ts[p0]
    level = np.ones(len(p0), np.int64)
    times = [np.full(len(p0), NAT, np.int64) for _ in steps[1:]]
    if not len(p0):
        return _pick_best(user, level, start, times, p0)
    kept = None if mask is None else np.flatnonzero(mask)
    at = p0 if kept is None else np.searchsorted(kept, p0)  # where each step-1 event sits among the kept
    size = ix.size if kept is None else len(kept)
    ok = np.ones(len(p0), dtype=bool)
    for j, step in enumerate(steps[1:], start=1):
        inside = at + j < size
        later = np.where(inside, at + j, 0)
        if kept is not None:
            later = kept[later]  # the j-th next kept event (the lead(j) of the SQL form)
        same = inside & (ix.user[later] == user)
        times[j - 1] = np.where(same, ix.ts[later], NAT)
        code = ix.names.index(step) if step in ix.by_name else -1
        ok &= same & (ix.name[later] == code) & (ix.ts[later] <= start + window)
        level += ok
    return _pick_best(user, level, start, times, p0)


def _any(ix: EventIndex, steps, window, mask):
    codes = [ix.names.index(s) if s in ix.by_name else -1 for s in steps]
    lookup = np.zeros(len(ix.names) + 1, dtype=bool)  # by name code; the last entry is code -1 (no name)
    lookup[[c for c in codes if c >= 0]] = True
    wanted = lookup[ix.name]
    p = np.flatnonzero(wanted if mask is None else wanted & mask)
    user, start, key, name = ix.user[p], ix.ts[p], ix.key[p], ix.name[p]
    n = len(p)
    big = np.iinfo(np.int64).max
    first = [np.full(n, big, np.int64) for _ in steps]
    level = np.zeros(n, np.int64)
    if n:
        row = np.arange(n, dtype=np.int32 if n < 2**31 - 1 else np.int64)
        runs = np.r_[True, user[1:] != user[:-1]]
        last_row = np.repeat(np.r_[np.flatnonzero(runs)[1:], n] - 1, np.diff(np.r_[np.flatnonzero(runs), n]))
        # the first row of each (user, time): events at the start's very time count, whatever their id
        new = np.r_[True, key[1:] != key[:-1]]
        tied = None if new.all() else np.maximum.accumulate(np.where(new, row, 0))
        stamps = np.r_[start, big]  # row n: "none", never within a window
        limit = start + window
        for i, code in enumerate(codes):
            if code < 0:
                continue
            # the next row of this step at or after each row (a backward running minimum), if the user's
            mine = np.where(name == code, row, n)
            nxt = np.minimum.accumulate(mine[::-1])[::-1]
            if tied is not None:
                nxt = nxt[tied]
            at = stamps[nxt]
            ok = (nxt <= last_row) & (at <= limit)
            first[i] = np.where(ok, at, big)
            level += ok
    best = _first_deepest(user, level)
    chosen = np.sort(np.stack([f[best] for f in first], axis=1), axis=1) if len(best) else np.zeros((0, len(steps)), np.int64)
    times = [np.where(level[best] > j, chosen[:, j], NAT) for j in range(1, len(steps))]
    return user[best], level[best], start[best], times, p[best]
