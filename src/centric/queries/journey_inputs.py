"""What each customer's journey rows are computed from, so an incremental run recomputes only the
customers whose inputs changed (services/journey_incremental.py).

Rule: a customer's journey_stages rows depend only on that customer's own rows (the customers row,
the purchases, the events recorded under analytics consent and the feedback read by
queries/journey_milestones.py) and on the observation end. So:
- `customer_digests`: per customer, the input rows read and a digest of them (BIT_XOR of DuckDB's
  hash of each row's columns read, its id included so that no two rows are alike, salted with its
  table). A customer whose rows or digest differ from the last run's has new, changed or removed
  inputs (a new order, an event, a consent given or withdrawn that lets events in or out, an
  identity merge that brings a visitor's events).
- `crossing`: the customers whose rows depend on the observation end moving from `before` to
  `after` although none of their rows changed: a record dated between the two (read at one end, not
  at the other), or a last purchase whose at-risk or lapsed threshold falls between them (the
  status changes because time passed). The window is widened by a day on each side: a customer too
  many is recomputed exactly, one too few would be wrong.
`user_digests` does the same per visitor for the paths (a visitor's visits depend only on their own
events). DuckDB's hash: DuckDB only (incremental runs are DuckDB's, services/run_ledger.py).
"""

from __future__ import annotations

import inspect

from centric.queries.journey_milestones import purchase_days
from centric.queries.moments import timestamp

# table -> the columns the journey reads of it (those present), the row's id first
READ = {
    "customers": ("customer_id", "created_at"),
    "orders": ("order_id", "ordered_at", "status", "total", "net_merchandise", "merchandise"),
    "events": ("event_id", "occurred_at", "name"),
    "feedback": ("feedback_id", "received_at", "rating", "rating_scale"),
}
DATED = {"orders": "ordered_at", "events": "occurred_at", "feedback": "received_at"}


def customer_digests(tables: dict):
    """customer_id, rows (input rows read), digest (UBIGINT) per customer of tables["customers"];
    tables: customers, orders, events (those the journey reads: under consent) and feedback."""
    import ibis

    parts = []
    for name, wanted in READ.items():
        t = tables[name]
        columns = [c for c in wanted if c in t.columns]
        parts.append(t.filter(t.customer_id.notnull()).select("customer_id", h=_salted(t, name, columns)))
    rows = ibis.union(*parts, distinct=False)
    return rows.group_by("customer_id").aggregate(rows=rows.h.count(), digest=rows.h.bit_xor())


def _salted(t, name: str, columns: list[str]):
    """DuckDB's hash(name, col1, col2, ...) of each row of t (UBIGINT)."""
    import ibis

    def row_hash(*args):
        """DuckDB's hash()."""

    row_hash.__signature__ = inspect.Signature(
        [inspect.Parameter(f"a{i}", inspect.Parameter.POSITIONAL_OR_KEYWORD) for i in range(len(columns) + 1)])
    fn = ibis.udf.scalar.builtin(row_hash, name="hash",
                                 signature=(("string", *(t[c].type() for c in columns)), "uint64"))
    return fn(ibis.literal(name, "string"), *(t[c] for c in columns))


def crossing(tables: dict, before, after, at_risk_days: int, lapsed_days: int):
    """customer_id (distinct) of the customers whose journey rows may change because the observation
    end moved from `before` to `after` (see the module's rule)."""
    import ibis

    lo, hi = timestamp(before), timestamp(after)
    parts = []
    for name, column in DATED.items():
        t = tables[name]
        parts.append(t.filter(t.customer_id.notnull() & (t[column] > lo) & (t[column] <= hi)).select("customer_id"))
    days = purchase_days(tables["orders"], hi)
    last = days.group_by("customer_id").aggregate(last=days.at.max())
    day = ibis.interval(days=1)
    near = None
    for k in sorted({int(at_risk_days), int(lapsed_days)}):
        threshold = last["last"] + ibis.interval(days=k)
        inside = (threshold >= lo - day) & (threshold <= hi + day)
        near = inside if near is None else near | inside
    parts.append(last.filter(near).select("customer_id"))
    return ibis.union(*parts, distinct=True)


def user_digests(events):
    """user_id (the customer, else "anon:" + anonymous_id, as paths name a visitor), rows and digest of
    the events each user's visits are read from (queries/paths.py)."""
    from centric.queries.funnel_events import _user_events

    ev = _user_events(events, _id=events.event_id)
    ev = ev.mutate(h=_salted(ev, "events", ["_id", "ts", "name"]))
    return ev.group_by(ev.user.name("user_id")).aggregate(rows=ev.h.count(), digest=ev.h.bit_xor())


def changes(now, last, key: str):
    """The keys whose digest differs between `now` (customer_digests or user_digests) and `last` (the stored
    table, digest as text): key, rows and digest (as text; NULL for a key gone) and change: "new",
    "changed" or "gone". One join in the engine: only the few changed keys come back."""
    import ibis

    n = now.mutate(digest=now.digest.cast("string"))
    old = last.select(_key=last[key], _rows=last.rows, _digest=last.digest)
    j = n.outer_join(old, n[key] == old._key)
    j = j.filter(j[key].isnull() | j._key.isnull() | (j.rows != j._rows) | (j.digest != j._digest))
    change = ibis.cases((j._key.isnull(), "new"), (j[key].isnull(), "gone"), else_="changed")
    return j.select(ibis.coalesce(j[key], j._key).name(key), "rows", "digest", change=change)


def touched_events(events, customers, users=None):
    """The events of some customers (`customers`: a table with customer_id) and of some users (`users`: a
    table with user, as user_digests names them): one scan of the events, so that the stages of those
    customers and the paths of those users then read a small table (services/journey_incremental.py)."""
    from centric.queries.funnel_events import _user_of

    keep = events.customer_id.isin(customers.customer_id)
    if users is not None:
        keep = keep | _user_of(events).isin(users.user)
    return events.filter(keep)
