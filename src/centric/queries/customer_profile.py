"""The customer profile: one wide row per customer, the variables segments and personas read.

Five families of variables, as in the segmentation literature (Wedel & Kamakura 2000,
"Market Segmentation", ch. 1: general observable, product-specific observable and
unobservable bases):
- profile: age and age band, gender, places, language, acquisition channel, lifestyle tags;
- behaviour: orders, revenue, AOV, recency and the RFM segment (from customer_summary);
- consumption habits: categories, order channels, app share, discount share, basket size,
  time of purchase, returns;
- value: P(alive), predicted CLV and churn risk (from customer_value, when it exists);
- voice: NPS group, sentiment and themes (from feedback and feedback_insights).

Every customer appears once, buyers or not. Optional inputs (customer_value,
feedback_insights) may be None; their columns are then NULL.
"""

from __future__ import annotations

from centric.queries.customer_summary import purchases
from centric.queries.moments import timestamp
from centric.schema import AGE_BANDS


def age_band(age):
    """18-24 ... 55-64, 65+; NULL under 18 or unknown."""
    import ibis

    cases = [(age.between(lo, hi), f"{lo}-{hi}") for lo, hi in AGE_BANDS]
    return ibis.cases(*cases, (age >= 65, "65+"), else_=ibis.null("string"))


def _habits(orders, lines, end):
    """Per customer: categories, channels and the timing, discount and basket of completed purchases."""
    import ibis

    buys = purchases(orders, end)
    hour = buys.ordered_at.hour()
    dow = buys.ordered_at.day_of_week.index()  # Monday = 0
    per_order = buys.group_by("customer_id").aggregate(
        _n=buys.count(),
        order_channels=buys.channel.collect(distinct=True),
        app_share=(buys.channel == "app").cast("float64").mean(),
        discount_share=(buys.discount.fill_null(0) > 0).cast("float64").mean(),
        evening_share=(hour >= 18).cast("float64").mean(),
        weekend_share=(dow >= 5).cast("float64").mean(),
    )
    bought = lines.join(buys.select("order_id", "customer_id"), "order_id")
    bought = bought.mutate(line_value=bought.quantity.cast("float64") * bought.unit_price.cast("float64"))
    items = bought.group_by("customer_id").aggregate(
        _units=bought.quantity.sum(), _orders_with_lines=bought.order_id.nunique(),
        categories=bought.category.collect(distinct=True),
    )
    by_cat = bought.filter(bought.category.notnull()).group_by(["customer_id", "category"]).aggregate(
        v=bought.line_value.sum())
    rank = ibis.row_number().over(group_by=by_cat.customer_id, order_by=[ibis.desc(by_cat.v), by_cat.category])
    top = by_cat.mutate(_r=rank).filter(lambda t: t._r == 0).select("customer_id", top_category="category")
    return per_order, items, top


def _voice(feedback, insights, end):
    import ibis

    fb = feedback.filter(feedback.customer_id.notnull() & (feedback.received_at <= end))
    counts = fb.group_by("customer_id").aggregate(feedback_count=fb.count())
    nps = fb.filter((fb.rating_scale == "nps_0_10") & fb.rating.notnull())
    last = ibis.row_number().over(group_by=nps.customer_id, order_by=[ibis.desc(nps.received_at), ibis.desc(nps.feedback_id)])
    latest = nps.mutate(_r=last).filter(lambda t: t._r == 0).select("customer_id", nps=nps.rating.cast("int64"))
    parts = [counts, latest]
    if insights is not None:
        read = fb.select("feedback_id", "customer_id").join(insights, "feedback_id")
        mood = read.group_by("customer_id").aggregate(sentiment_score=read.sentiment_score.mean())
        themes = read.select("customer_id", theme=read.themes.unnest())
        themes = themes.group_by("customer_id").aggregate(themes=themes.theme.collect(distinct=True))
        parts += [mood, themes]
    return parts


def _consent(consents, end):
    import ibis

    c = consents.filter((consents.category == "marketing") & (consents.recorded_at <= end))
    last = ibis.row_number().over(group_by=c.customer_id, order_by=ibis.desc(c.recorded_at))
    return c.mutate(_r=last).filter(lambda t: t._r == 0).select("customer_id", marketing_consent="granted")


def customer_profile(tables: dict, observed_until):
    """The profile expression. tables: Ibis tables by name (customers, customer_summary, orders, order_lines,
    events, feedback, consents; customer_value and feedback_insights optional)."""
    import ibis

    end = timestamp(observed_until)
    c = tables["customers"]
    age = (end.year() - c.birth_year.cast("int64"))
    age = ibis.ifelse(age.between(0, 120), age, ibis.null("int64"))
    p = c.select("customer_id", "created_at", "gender", "country", "region", "city", "language",
                 "acquisition_channel", tags=c.tags, age=age)
    s = tables["customer_summary"].select(
        "customer_id", "orders", revenue=lambda t: t.revenue.cast("float64"), aov="aov",
        days_since_last_order="days_since_last_order", rfm_segment="rfm_segment", _returns=lambda t: t.returns.cast("float64"),
        _gross=lambda t: t.gross_revenue.cast("float64"))
    per_order, items, top = _habits(tables["orders"], tables["order_lines"], end)
    ev = tables["events"].filter(lambda t: t.customer_id.notnull() & (t.occurred_at <= end))
    events = ev.group_by("customer_id").aggregate(events=ev.count(), event_names=ev.name.collect(distinct=True))
    parts = [s, per_order, items, top, events, *_voice(tables["feedback"], tables.get("feedback_insights"), end),
             _consent(tables["consents"], end)]
    if tables.get("customer_value") is not None:
        parts.append(tables["customer_value"].select("customer_id", "p_alive", "predicted_clv", "churn_risk"))
    t = p
    for part in parts:
        t = t.left_join(part, "customer_id").drop("customer_id_right")
    cols = set(t.columns)

    def col(name, typ):
        return t[name] if name in cols else ibis.null(typ)

    mood = col("sentiment_score", "float64")
    nps = col("nps", "int64")
    return t.select(
        "customer_id", "created_at", "age", age_band=age_band(t.age), gender=t.gender, country=t.country,
        region=t.region, city=t.city, language=t.language, acquisition_channel=t.acquisition_channel, tags=t.tags,
        orders=t.orders.fill_null(0), revenue=t.revenue.fill_null(0.0), aov=t.aov,
        days_since_last_order=t.days_since_last_order, rfm_segment=t.rfm_segment,
        categories=t.categories.sort(), top_category=t.top_category, order_channels=t.order_channels.sort(),
        app_share=t.app_share, discount_share=t.discount_share,
        items_per_order=t._units.cast("float64") / t._orders_with_lines,
        evening_share=t.evening_share, weekend_share=t.weekend_share,
        returns_share=ibis.ifelse(t._gross > 0, t._returns / t._gross, ibis.null("float64")),
        event_names=t.event_names.sort(), events=t.events.fill_null(0),
        p_alive=col("p_alive", "float64"), predicted_clv=col("predicted_clv", "float64"),
        churn_risk=col("churn_risk", "string"),
        feedback_count=t.feedback_count.fill_null(0), nps=nps,
        nps_group=ibis.cases((nps >= 9, "promoter"), (nps >= 7, "passive"), (nps >= 0, "detractor"),
                             else_=ibis.null("string")),
        sentiment_score=mood,
        sentiment=ibis.cases((mood > 0.05, "positive"), (mood < -0.05, "negative"), (mood.notnull(), "neutral"),
                             else_=ibis.null("string")),
        themes=col("themes", "array<string>").sort(),
        marketing_consent=t.marketing_consent,
        observed_until=end,
    )
