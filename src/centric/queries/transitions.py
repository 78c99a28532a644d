"""The data of one move: from first to second purchase, with what happened in between.

One row per buyer: when the first purchase was, whether and when a second one (a completed order
on a later day) followed, and, between the first purchase and the second (or the end of
observation), which touchpoints happened: one column per event name given with the number of
such events, a support ticket (0/1), a negative support ticket (0/1). Plus what was known at the first purchase: its value, discount,
order channel and main category, and the acquisition channel. Events that are part of buying
itself (viewing, adding to cart, checking out) are left to the caller to exclude: they happen
minutes before any purchase and would only restate the outcome.
"""

from __future__ import annotations


def _slug(name: str) -> str:
    import re

    return "ev_" + (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "event")


def event_columns(names: list[str]) -> dict[str, str]:
    """Event name -> its column name in the move data (ev_loyalty_program_joined, ...)."""
    out, seen = {}, set()
    for name in names:
        col = _slug(name)
        while col in seen:
            col += "_"
        seen.add(col)
        out[name] = col
    return out


def first_to_second(tables: dict, observed_until, touchpoints: list[str]):
    """tables: orders, order_lines, events, feedback, customers (Ibis), feedback_insights optional."""
    import ibis

    end = ibis.literal(observed_until).cast("timestamp")
    o = tables["orders"]
    buys = o.filter((o.status == "completed") & (o.total >= 0) & o.customer_id.notnull() & (o.ordered_at <= end))
    rank = ibis.row_number().over(group_by=buys.customer_id, order_by=[buys.ordered_at, buys.order_id])
    first = buys.mutate(_r=rank).filter(lambda t: t._r == 0).select(
        "customer_id", first_order_id="order_id", first_at="ordered_at", first_value=lambda t: t.total.cast("float64"),
        first_discount=lambda t: (t.discount.fill_null(0) > 0).cast("int64"), first_channel="channel")
    later = buys.join(first.select("customer_id", "first_at"), "customer_id")
    later = later.filter(later.ordered_at.date() > later.first_at.date())
    second = later.group_by("customer_id").aggregate(second_at=later.ordered_at.min())
    lines = tables["order_lines"]
    first_lines = lines.join(first.select("first_order_id"), lines.order_id == first.first_order_id)
    by_cat = first_lines.group_by(["first_order_id", "category"]).aggregate(
        v=(first_lines.quantity.cast("float64") * first_lines.unit_price.cast("float64")).sum())
    cat_rank = ibis.row_number().over(group_by=by_cat.first_order_id, order_by=[ibis.desc(by_cat.v), by_cat.category])
    first_cat = by_cat.mutate(_r=cat_rank).filter(lambda t: t._r == 0).select("first_order_id", first_category="category")

    c = tables["customers"].select("customer_id", "acquisition_channel")
    base = (first.left_join(second, "customer_id").drop("customer_id_right")
            .left_join(first_cat, "first_order_id").drop("first_order_id_right")
            .left_join(c, "customer_id").drop("customer_id_right"))
    base = base.mutate(window_end=ibis.coalesce(base.second_at, end))

    ev = tables["events"]
    ev = ev.filter(ev.customer_id.notnull() & ev.name.isin(list(touchpoints)))
    span = base.select("customer_id", "first_at", "window_end")
    hits = ev.join(span, "customer_id").filter(lambda t: (t.occurred_at > t.first_at) & (t.occurred_at < t.window_end))
    cols = event_columns(touchpoints)
    aggs = {col: ibis.ifelse(hits.name == name, 1, 0).sum() for name, col in cols.items()}
    touched = hits.group_by("customer_id").aggregate(**aggs) if cols else None

    fb = tables["feedback"]
    tickets = fb.filter((fb.source == "ticket") & fb.customer_id.notnull())
    insights = tables.get("feedback_insights")
    if insights is not None:
        tickets = tickets.left_join(insights.select("feedback_id", "sentiment"), "feedback_id").drop("feedback_id_right")
        negative = tickets.sentiment == "negative"
    else:
        negative = ibis.literal(False)
    tickets = tickets.mutate(_neg=negative).join(span, "customer_id").filter(
        lambda t: (t.received_at > t.first_at) & (t.received_at < t.window_end))
    support = tickets.group_by("customer_id").aggregate(
        support_contact=tickets.count().cast("int64").clip(upper=1), negative_support=tickets._neg.cast("int64").max())

    out = base
    for part in [p for p in (touched, support) if p is not None]:
        out = out.left_join(part, "customer_id").drop("customer_id_right")
    fills = {col: out[col].fill_null(0) for col in [*cols.values(), "support_contact", "negative_support"]}
    out = out.mutate(**fills)
    return out.mutate(
        moved=out.second_at.notnull().cast("int64"),
        days_to_move=out.second_at.delta(out.first_at, unit="second").cast("float64") / 86400.0,
        days_observed=out.window_end.delta(out.first_at, unit="second").cast("float64") / 86400.0,
        days_since_first=end.delta(out.first_at, unit="second").cast("float64") / 86400.0,
    )
