"""Cohort retention: users grouped by the period of their first activity, counted in each later period.

For period p (week or month): cohort = the period of the user's first event (or first purchase,
when given orders), offset = periods since then; the matrix counts distinct active users per
(cohort, offset) and, for purchases, their revenue. Retention = active / cohort size (offset 0).
"""

from __future__ import annotations

UNITS = {"week": "W", "month": "M"}


def cohort_retention(activity, user: str, at: str, period: str = "week", value: str | None = None):
    """activity: a table with a user column, a timestamp column and optionally a value column."""
    import ibis

    if period not in UNITS:
        raise ValueError(f"period is week or month, got {period!r}")
    t = activity.select(_user=activity[user], _p=activity[at].truncate(UNITS[period]).date(),
                        _v=activity[value].cast("float64") if value else ibis.literal(0.0))
    t = t.filter(t._user.notnull() & t._p.notnull())
    first = t.group_by("_user").aggregate(cohort=t._p.min())
    joined = t.join(first, "_user")
    offset = joined._p.delta(joined.cohort, unit="day") // (7 if period == "week" else 1)
    if period == "month":
        offset = (joined._p.year() - joined.cohort.year()) * 12 + joined._p.month() - joined.cohort.month()
    joined = joined.mutate(offset=offset.cast("int64"))
    cells = joined.group_by(["cohort", "offset"]).aggregate(active=joined._user.nunique(), revenue=joined._v.sum())
    size = cells.filter(cells.offset == 0).select(cohort_=cells.cohort, cohort_size=cells.active)
    out = cells.join(size, cells.cohort == size.cohort_).drop("cohort_")
    return out.mutate(retention=out.active.cast("float64") / out.cohort_size).order_by(["cohort", "offset"])
