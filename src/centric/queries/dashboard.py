"""The dashboard's own tables in the read snapshot, as Ibis expressions over the workspace's tables.

Rule: the dashboard (`centric serve`, api/dashboard.py) never opens the workspace database; it reads
the snapshot `centric run` publishes (store/snapshot.py). Its filters (date range, segment, persona,
acquisition channel, country) cut every page, so the snapshot carries row-level tables narrow enough
to filter in milliseconds, one per fact, each holding the columns the filters need:

- ``dash_customers``: one row per customer: country, acquisition channel, RFM segment, persona, value
  (orders, revenue, P(alive), predicted CLV, churn risk);
- ``dash_orders``: one row per order of a known customer that counts in revenue (completed or
  refunded, queries/revenue.py), with its net value and whether it is a purchase;
- ``dash_feedback``: one row per feedback with what `centric listen` read in it (language, sentiment,
  themes), and its text lower-cased once (search_text: the verbatims' search reads it);
- ``dash_events``: the events recorded under analytics consent (services/consent.py builds the
  expression; this module only narrows it), for the funnel built in the page and the customer page;
- ``dash_stage_moves``: each change of lifecycle stage (from journey_stages), for the stage flow.

Rows are stored in the order the pages read them (a customer's rows together), so a lookup reads few
blocks.

Every figure on a page is computed from these rows at request time (store/dash_reads.py), so a
filter changes the numbers consistently across pages.
"""

from __future__ import annotations

from centric.queries.revenue import with_money


def dash_customers(customers, summary, value, customer_personas, personas):
    """One row per customer with the filter columns and the value figures."""
    c = customers.select("customer_id", "country", "acquisition_channel", "language", "created_at")
    s = summary.select("customer_id", "rfm_segment", "orders", "revenue", "first_order_at", "last_order_at")
    v = value.select("customer_id", "p_alive", "predicted_clv", "churn_risk", "p_no_purchase")
    cp = customer_personas.select("customer_id", "persona_id")
    p = personas.select(_pid=personas.persona_id, persona=personas.name)
    out = c.left_join(s, "customer_id").drop("customer_id_right")
    out = out.left_join(v, "customer_id").drop("customer_id_right")
    out = out.left_join(cp, "customer_id").drop("customer_id_right")
    out = out.left_join(p, out.persona_id == p._pid).drop("_pid")
    return out.mutate(orders=out.orders.fill_null(0), revenue=out.revenue.fill_null(0.0))


def dash_orders(orders):
    """Orders of known customers that count in revenue: net value (float64) and is_purchase."""
    o = with_money(orders)
    o = o.filter(o.customer_id.notnull() & o.status.isin(["completed", "refunded"]))
    out = o.select("order_id", "customer_id", "ordered_at", "status", "channel", net=o.net,
                   is_purchase=o.is_purchase, month=o.ordered_at.truncate("M"))
    return out.order_by(["customer_id", "ordered_at"])


def dash_feedback(feedback, insights):
    """Feedback with its language (the source's, else the one detected), sentiment and themes, newest first."""
    import ibis

    i = insights.select("sentiment", "sentiment_score", "themes", _fid=insights.feedback_id,
                        detected=insights.language)
    f = feedback.left_join(i, feedback.feedback_id == i._fid)
    out = f.select("feedback_id", "customer_id", "order_id", "received_at", "source", "channel", "rating",
                   "rating_scale", "text", "survey_id", "sentiment", "sentiment_score", "themes",
                   language=f.language.fill_null(f.detected), search_text=f.text.lower())
    return out.order_by(ibis.desc("received_at"))


def dash_events(consented_events, user_keys: bool = True):
    """The consented events, narrowed to what the funnel and the customer page read, with the user's
    two hashes the funnel joins on (queries/funnel.with_user_keys: computed once here, not per funnel;
    DuckDB's hash, so ``user_keys=False`` on another engine, and the funnel hashes as it reads).
    Stored by customer: the customer page's lookup reads a few blocks (sorting by name first measured
    no faster for the funnel and made that lookup about three times slower)."""
    from centric.queries.funnel import with_user_keys

    e = consented_events
    e = e.select("event_id", "occurred_at", "customer_id", "anonymous_id", "session_id", "name", "channel")
    return (with_user_keys(e) if user_keys else e).order_by(["customer_id", "anonymous_id", "occurred_at"])


def dash_stage_moves(journey_stages):
    """Each change of lifecycle stage: customer_id, source, target, entered_at (of the new stage)."""
    import ibis

    js = journey_stages
    previous = js.stage.lag().over(ibis.window(group_by=js.customer_id, order_by=[js.entered_at, js.left_at]))
    moves = js.select("customer_id", "entered_at", target=js.stage, source=previous)
    return moves.filter(moves.source.notnull() & (moves.source != moves.target))


def filtered_events(events, customers, members, f: dict):
    """The snapshot's events cut by the dashboard's filters: the date range on occurred_at (whole days)
    and, when a customer filter is set, only the events of the customers it keeps (anonymous visitors
    drop out: they have no country, channel, persona or segment)."""
    import datetime as dt

    import ibis

    e = events
    if f.get("date_from"):
        e = e.filter(e.occurred_at >= ibis.literal(dt.datetime.combine(f["date_from"], dt.time())))
    if f.get("date_to"):
        e = e.filter(e.occurred_at < ibis.literal(dt.datetime.combine(f["date_to"] + dt.timedelta(days=1), dt.time())))
    c = customers
    filtered = False
    for key, column in (("country", "country"), ("channel", "acquisition_channel"), ("persona", "persona_id")):
        if f.get(key) is not None:
            c = c.filter(c[column] == f[key])
            filtered = True
    if f.get("segment") is not None:
        m = members.filter((members.segment == f["segment"]) & members.left_at.isnull())
        c = c.filter(c.customer_id.isin(m.customer_id))
        filtered = True
    if filtered:
        e = e.filter(e.customer_id.isin(c.customer_id))
    return e
