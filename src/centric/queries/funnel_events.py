"""The building blocks every funnel form shares (queries/funnel.py, queries/funnel_orders.py,
queries/paths.py): who the user of an event is, and the earliest matching event after a chain's step.

Rule: the user is the customer when known, else "anon:" + anonymous_id; an event without a user or a
time takes part in no funnel. This module imports nothing of centric, so the funnel forms can all
use it without importing one another in a cycle.
"""

from __future__ import annotations


def _user_of(events):
    import ibis

    return ibis.coalesce(events.customer_id, ibis.literal("anon:") + events.anonymous_id)


def _user_events(events, **extra):
    """user, ts, name, channel (and `extra` columns of events) of the events with a user and a time."""
    ev = events.select(user=_user_of(events), ts=events.occurred_at, name=events.name, channel=events.channel,
                       **extra)
    return ev.filter(ev.user.notnull() & ev.ts.notnull())


def _earliest(chain, right, after, strategy: str, name: str):
    """chain plus `name`: the user's earliest `right` event (columns _u, _t) meeting `after` (a
    comparison of a chain time with right._t), by an ASOF join (DuckDB) or, portably, a range join
    bounded by the chain's window end (_end) and a minimum."""
    if strategy == "asof":
        joined = chain.asof_join(right, on=after, predicates=[chain.user == right._u])
        return joined.drop("_u").rename({name: "_t"})
    joined = chain.left_join(right, [chain.user == right._u, after, right._t <= chain._end])
    return joined.group_by(list(chain.columns)).aggregate(**{name: joined._t.min()})
