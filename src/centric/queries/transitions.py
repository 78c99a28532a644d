"""The data of one move between journey stages, with what happened on the way.

Three moves, each a span per customer from entering a stage to the move out of it (or the end of
observation):
- first_to_second: from the first purchase day to the second (first_purchase -> repeat);
- repeat_to_loyal: from the second purchase day to the `loyal_purchases`-th (repeat -> loyal);
- at_risk_to_won_back: from the first time a customer went `at_risk_days` without buying to the
  purchase that ended that silence (at_risk -> won_back). One span per customer, the first, so
  no customer weighs more than once.

`move_rows` gives one row per customer with the span (start_at, move_at, window_end, moved,
days_to_move, days_observed, days_since_start) and what was known when it began: the first order's
value, discount, channel and main category, its delivery time (days from the order to the first
"Order Delivered" event whose properties.order_id names it; NULL without one), the acquisition
channel, and the purchases and spend before the span began. `move_touches` gives the touchpoints inside each span in long form
(customer_id, touch, day since the span began): one touch per event of a given name, and per support
ticket (support_contact) and negative ticket (negative_support). Events that are part of buying
itself (viewing, adding to cart, checking out) are left to the caller to exclude: they happen
minutes before any purchase and would only restate the outcome.
"""

from __future__ import annotations

from centric.queries.customer_summary import purchases
from centric.queries.journey_milestones import purchase_days, silences

DELIVERY_EVENT = "Order Delivered"  # properties.order_id: the order delivered

MOVES = {"first_to_second": "first_purchase -> repeat", "repeat_to_loyal": "repeat -> loyal",
         "at_risk_to_won_back": "at_risk -> won_back"}


def _slug(name: str) -> str:
    import re

    return "ev_" + (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "event")


def event_counts(events):
    """Events of known customers per name, the most frequent first: name, n."""
    known = events.filter(events.customer_id.notnull())
    counts = known.group_by("name").aggregate(n=known.count())
    return counts.order_by([counts.n.desc(), counts.name])


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


def _spans(orders, end, move: str, loyal_purchases: int, at_risk_days: int):
    """customer_id, start_at, move_at (NULL when the move has not happened by end)."""
    import ibis

    if move == "at_risk_to_won_back":
        gaps = silences(orders, end, at_risk_days)
        first = ibis.row_number().over(group_by=gaps.customer_id, order_by=gaps.after)
        gaps = gaps.mutate(_r=first).filter(lambda t: t._r == 0)
        return gaps.select("customer_id", start_at=gaps.after + ibis.interval(days=int(at_risk_days)),
                           move_at=gaps.until)
    start_n, move_n = {"first_to_second": (1, 2), "repeat_to_loyal": (2, loyal_purchases)}[move]
    days = purchase_days(orders, end)
    spans = days.group_by("customer_id").aggregate(start_at=days.at.min(where=days.n == start_n),
                                                   move_at=days.at.min(where=days.n == move_n))
    return spans.filter(spans.start_at.notnull())


def move_rows(tables: dict, observed_until, move: str = "first_to_second", loyal_purchases: int = 4,
              at_risk_days: int = 90):
    """tables: orders, order_lines, events, customers (Ibis). One row per customer who entered the move's stage."""
    import ibis

    if move not in MOVES:
        raise ValueError(f"move must be one of {', '.join(MOVES)}, not {move!r}")
    end = ibis.literal(observed_until).cast("timestamp")
    o = tables["orders"]
    buys = purchases(o, end)
    rank = ibis.row_number().over(group_by=buys.customer_id, order_by=[buys.ordered_at, buys.order_id])
    first = buys.mutate(_r=rank).filter(lambda t: t._r == 0).select(
        "customer_id", first_order_id="order_id", first_at="ordered_at", first_value=lambda t: t.value,
        first_discount=lambda t: (t.discount.fill_null(0) > 0).cast("int64"), first_channel="channel")
    lines = tables["order_lines"]
    first_lines = lines.join(first.select("first_order_id"), lines.order_id == first.first_order_id)
    by_cat = first_lines.group_by(["first_order_id", "category"]).aggregate(
        v=(first_lines.quantity.cast("float64") * first_lines.unit_price.cast("float64")).sum())
    cat_rank = ibis.row_number().over(group_by=by_cat.first_order_id, order_by=[ibis.desc(by_cat.v), by_cat.category])
    first_cat = by_cat.mutate(_r=cat_rank).filter(lambda t: t._r == 0).select("first_order_id", first_category="category")

    ev = tables["events"]
    delivered = ev.filter((ev.name == DELIVERY_EVENT) & (ev.occurred_at <= end))
    delivered = delivered.select(order_id=delivered.properties["order_id"].str, at=delivered.occurred_at)
    delivered = delivered.group_by("order_id").aggregate(delivered_at=delivered.at.min())
    first = first.left_join(delivered, first.first_order_id == delivered.order_id).drop("order_id")
    first = first.mutate(first_delivery_days=first.delivered_at.delta(first.first_at, unit="second")
                         .cast("float64") / 86400.0).drop("delivered_at", "first_at")

    spans = _spans(o, end, move, loyal_purchases, at_risk_days)
    spans = spans.filter(spans.start_at <= end)
    before = buys.join(spans.select("customer_id", "start_at"), "customer_id")
    before = before.filter(before.ordered_at <= before.start_at)
    history = before.group_by("customer_id").aggregate(
        purchases_before=before.ordered_at.date().nunique().cast("int64"),
        spent_before=before.value.sum())
    c = tables["customers"].select("customer_id", "acquisition_channel")
    out = (spans.join(first, "customer_id")
           .left_join(first_cat, "first_order_id").drop("first_order_id_right")
           .left_join(history, "customer_id").drop("customer_id_right")
           .left_join(c, "customer_id").drop("customer_id_right"))
    out = out.mutate(window_end=ibis.coalesce(out.move_at, end))
    return out.mutate(
        moved=out.move_at.notnull().cast("int64"),
        days_to_move=out.move_at.delta(out.start_at, unit="second").cast("float64") / 86400.0,
        days_observed=out.window_end.delta(out.start_at, unit="second").cast("float64") / 86400.0,
        days_since_start=end.delta(out.start_at, unit="second").cast("float64") / 86400.0,
    )


def move_touches(tables: dict, rows, touchpoints: list[str]):
    """Touchpoints inside each span: customer_id, touch (an event column or support_contact,
    negative_support) and day (days since the span began). tables: events, feedback, and
    feedback_insights (optional, for the tickets' sentiment). rows: move_rows(...)."""
    import ibis

    span = rows.select("customer_id", "start_at", "window_end")
    fb = tables["feedback"]
    tickets = fb.filter((fb.source == "ticket") & fb.customer_id.notnull())
    parts = [tickets.select("customer_id", touch=ibis.literal("support_contact"), at=tickets.received_at)]
    insights = tables.get("feedback_insights")
    if insights is not None:
        negative = tickets.join(insights.filter(insights.sentiment == "negative").select("feedback_id"), "feedback_id")
        parts.append(negative.select("customer_id", touch=ibis.literal("negative_support"), at=negative.received_at))
    cols = event_columns(touchpoints)
    if cols:
        ev = tables["events"]
        ev = ev.filter(ev.customer_id.notnull() & ev.name.isin(list(cols)))
        touch = ibis.cases(*[(ev.name == name, col) for name, col in cols.items()])
        parts.append(ev.select("customer_id", touch=touch, at=ev.occurred_at))
    touches = ibis.union(*parts)
    hits = touches.join(span, "customer_id").filter(lambda t: (t.at > t.start_at) & (t.at < t.window_end))
    return hits.select("customer_id", "touch", day=hits.at.delta(hits.start_at, unit="second").cast("float64") / 86400.0)
