"""A point in time handed to a query: a datetime (compiled in as a literal) or an Ibis timestamp
expression, such as the one a Store binds for a run (`Store.moment`: the SQL then stays the same from one
run to the next and the compile cache serves it)."""

from __future__ import annotations


def timestamp(value):
    """value as an Ibis timestamp expression."""
    import ibis

    if isinstance(value, ibis.Expr):
        return value
    return ibis.literal(value).cast("timestamp")
