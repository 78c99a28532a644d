"""Event paths: the routes customers take through a visit, as the data of a Sankey chart.

A visit (session) is a user's run of events with no gap longer than 30 minutes (the inactivity
timeout of Google Analytics and Segment's session definitions); the user is the customer, else
"anon:" + anonymous_id, as in funnels. Within a visit an event repeated back to back is one step
(ten product views in a row are one "Product Viewed" step, as PostHog's paths collapse them).
Steps are ordered by time, then event_id. The first `depth` steps of every visit give:

- path_edges: (step, source, target, sessions): how many visits went from `source` at step k to
  `target` at step k + 1 (the links of a Sankey chart; nodes are (step, event));
- top_paths: the most common whole paths (their first `depth` steps) and how many visits took them.

Both come from path_counts (one window pass over the events, then each distinct path and its
visits): the distinct paths are few, so a caller that needs both reads the events once.
Portable Ibis (window functions and array aggregation): DuckDB and PySpark alike.
"""

from __future__ import annotations

SESSION_GAP_MINUTES = 30
DEPTH = 5


def visit_steps(events, gap_minutes: int = SESSION_GAP_MINUTES, depth: int = DEPTH, users=None):
    """One row per step of a visit: user, visit (its number for the user), step (1-based), name,
    next_name (the following step's event, NULL at the end of the visit), at. users: a table with a
    `user` column, to read only their visits (a user's visits depend on their own events only)."""
    import ibis

    from centric.queries.funnel_events import _user_events

    if depth < 2:
        raise ValueError("a path needs a depth of 2 steps or more")
    ev = _user_events(events, _id=events.event_id).rename(at="ts")
    if users is not None:
        ev = ev.semi_join(users, "user")
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


def path_counts(events, gap_minutes: int = SESSION_GAP_MINUTES, depth: int = DEPTH):
    """Each distinct path (an array of its first `depth` steps' events) and the visits that took it."""
    import ibis

    steps = visit_steps(events, gap_minutes, depth)
    # (step, name) pairs sorted, not collect(order_by=...): Spark has no ordered collect
    pairs = ibis.struct({"step": steps.step, "name": steps.name}).collect().sort()
    visits = steps.group_by(["user", "visit"]).aggregate(path=pairs.map(lambda p: p["name"]))
    return visits.group_by("path").aggregate(sessions=visits.count())


def user_paths(events, gap_minutes: int = SESSION_GAP_MINUTES, depth: int = DEPTH, users=None):
    """Per user and distinct path (its steps' events joined by PATH_SEPARATOR): user_id, path, sessions.
    Summed over users they give path_counts; kept per user, an incremental run recounts only the users
    whose events changed (services/journey_incremental.py). users: as in visit_steps."""
    import ibis

    steps = visit_steps(events, gap_minutes, depth, users)
    pairs = ibis.struct({"step": steps.step, "name": steps.name}).collect().sort()
    visits = steps.group_by(["user", "visit"]).aggregate(path=pairs.map(lambda p: p["name"]).join(PATH_SEPARATOR))
    per = visits.group_by(["user", "path"]).aggregate(sessions=visits.count())
    return per.select(user_id=per.user, path=per.path, sessions=per.sessions)


PATH_SEPARATOR = "\x1f"  # the unit separator: never inside an event name


def counts_of_visits(visits):
    """path_counts from path_visits rows (user_id, path joined by PATH_SEPARATOR, sessions): summed per path in
    the engine, so a caller with the visits stored reads none of them back (services/journey_incremental.py)."""
    per = visits.group_by("path").aggregate(sessions=visits.sessions.sum().cast("int64"))
    return per.select(path=per.path.split(PATH_SEPARATOR), sessions=per.sessions)


def edges_of(counts, depth: int = DEPTH):
    """Sankey links (step, source, target, sessions) from path_counts, most travelled first within
    each step: every visit on a path passes each of its links."""
    import ibis

    links = [counts.filter(counts.path.length() > k).select(
        step=ibis.literal(k, "int64"), source=counts.path[k - 1], target=counts.path[k], sessions=counts.sessions)
        for k in range(1, depth)]
    edges = ibis.union(*links, distinct=False)
    edges = edges.group_by(["step", "source", "target"]).aggregate(sessions=edges.sessions.sum())
    return edges.order_by(["step", edges.sessions.desc(), "source", "target"])


def path_edges(events, gap_minutes: int = SESSION_GAP_MINUTES, depth: int = DEPTH):
    """Sankey links: (step, source, target, sessions), most travelled first within each step."""
    return edges_of(path_counts(events, gap_minutes, depth), depth)


def top_of(counts, limit: int = 20):
    """The `limit` most common paths, joined by " > ", with their visits and share of all visits."""
    total = counts.sessions.sum().over()
    paths = counts.select(path=counts.path.join(" > "), steps=counts.path.length().cast("int64"),
                          sessions=counts.sessions, share=counts.sessions.cast("float64") / total)
    return paths.order_by([paths.sessions.desc(), "path"]).limit(limit)


def top_paths(events, gap_minutes: int = SESSION_GAP_MINUTES, depth: int = DEPTH, limit: int = 20):
    """The most common paths (the first `depth` steps of a visit, joined by " > "), with their visits
    and their share of all visits."""
    return top_of(path_counts(events, gap_minutes, depth), limit)
