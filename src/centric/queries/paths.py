"""Event paths: the routes customers take through a visit, as the data of a Sankey chart.

A visit (session) is a user's run of events with no gap longer than 30 minutes (the inactivity
timeout of Google Analytics and Segment's session definitions); the user is the customer, else
"anon:" + anonymous_id, as in funnels. Within a visit an event repeated back to back is one step
(ten product views in a row are one "Product Viewed" step, as PostHog's paths collapse them).
Steps are ordered by time, then event_id. The first `depth` steps of every visit give:

- path_edges: (step, source, target, sessions): how many visits went from `source` at step k to
  `target` at step k + 1 (the links of a Sankey chart; nodes are (step, event));
- top_paths: the most common whole paths (their first `depth` steps) and how many visits took them.

Portable Ibis (window functions and array aggregation): DuckDB and PySpark alike.
"""

from __future__ import annotations

SESSION_GAP_MINUTES = 30
DEPTH = 5


def visit_steps(events, gap_minutes: int = SESSION_GAP_MINUTES, depth: int = DEPTH):
    """One row per step of a visit: user, visit (its number for the user), step (1-based), name,
    next_name (the following step's event, NULL at the end of the visit), at."""
    import ibis

    from centric.queries.funnel import _user_of

    if depth < 2:
        raise ValueError("a path needs a depth of 2 steps or more")
    ev = events.select(user=_user_of(events), at=events.occurred_at, name=events.name, _id=events.event_id)
    ev = ev.filter(ev.user.notnull() & ev.at.notnull() & ev.name.notnull())
    w = ibis.window(group_by=ev.user, order_by=[ev.at, ev._id])
    gap = ibis.interval(minutes=int(gap_minutes))
    prev_at = ev.at.lag().over(w)
    starts = ibis.ifelse(prev_at.isnull() | (ev.at > prev_at + gap), 1, 0)
    ev = ev.mutate(_start=starts, _prev=ev.name.lag().over(w))
    running = ibis.window(group_by=ev.user, order_by=[ev.at, ev._id], preceding=None, following=0)
    ev = ev.mutate(visit=ev._start.sum().over(running))
    kept = ev.filter((ev._start == 1) | (ev.name != ev._prev))
    v = ibis.window(group_by=[kept.user, kept.visit], order_by=[kept.at, kept._id])
    kept = kept.mutate(step=ibis.row_number().over(v) + 1, next_name=kept.name.lead().over(v))
    kept = kept.filter(kept.step <= depth)
    return kept.select("user", "visit", "step", "name",
                       next_name=ibis.ifelse(kept.step < depth, kept.next_name, ibis.null("string")), at=kept.at)


def path_edges(events, gap_minutes: int = SESSION_GAP_MINUTES, depth: int = DEPTH):
    """Sankey links: (step, source, target, sessions), most travelled first within each step."""
    steps = visit_steps(events, gap_minutes, depth)
    moves = steps.filter(steps.next_name.notnull())
    edges = moves.group_by(["step", "name", "next_name"]).aggregate(sessions=moves.count())
    edges = edges.rename(source="name", target="next_name")
    return edges.order_by(["step", edges.sessions.desc(), "source", "target"])


def top_paths(events, gap_minutes: int = SESSION_GAP_MINUTES, depth: int = DEPTH, limit: int = 20):
    """The most common paths (the first `depth` steps of a visit, joined by " > "), with their visits
    and their share of all visits."""
    steps = visit_steps(events, gap_minutes, depth)
    visits = steps.group_by(["user", "visit"]).aggregate(_path=steps.name.collect(order_by=steps.step))
    paths = visits.group_by("_path").aggregate(sessions=visits.count())
    total = paths.sessions.sum().over()
    paths = paths.select(path=paths._path.join(" > "), steps=paths._path.length().cast("int64"),
                         sessions=paths.sessions, share=paths.sessions.cast("float64") / total)
    return paths.order_by([paths.sessions.desc(), "path"]).limit(limit)
