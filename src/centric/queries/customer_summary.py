"""The customer summary as one Ibis expression: runs unchanged on DuckDB and on PySpark.

A purchase (`purchases`, the one definition every analysis uses) is a completed order of a known
customer whose net merchandise value is positive (what the customer kept of its goods after the
credit notes netted against it: queries/revenue.py, store/reversals.py), or of no value at all
(total and goods 0: a free order is still a transaction; postage or fees alone are not goods). A fully reversed order, a credit note, a
cancelled or pending order is not a purchase, and guest orders count in shop revenue, not here.
A purchase's `value` is its net merchandise value. These are final values (every credit note
loaded, as reports and KPIs ask); `purchases_as_of` reads them as known at the end of a day
(revenue.orders_as_of), for a backtest's cut-off.

Frequency, recency and T follow the BTYD convention of Fader, Hardie & Lee (2005), "Counting
your customers the easy way", in days: purchases on the same day count once, frequency =
purchase days - 1, recency = last - first purchase day, T = end of observation - first purchase
day. monetary_value is the mean net value of the repeat purchase days (as in lifetimes'
summary_data_from_transaction_data), 0 for a customer without repeats. revenue is the
customer's net merchandise revenue (queries/revenue.py: purchases net of returns, plus credit
notes linked to no order, at their dates); gross_revenue and returns stand beside it.

RFM scores are quantiles by percent rank, so ties share a score and the result is the same on
every engine: score = 1 + the number of cut points at or below the percent rank (the default cut
points 0.2, 0.4, 0.6, 0.8 give quintiles); m_score ranks revenue. Segments follow the common
R x F grid (Champions, Loyal, ... Hibernating, Lost); docs/segments.md defines each one.
"""

from __future__ import annotations

from centric.queries.moments import timestamp
from centric.queries.revenue import customer_revenue, orders_as_of, with_money

RFM_SEGMENTS = (
    # (segment, r scores, f scores): the first row that matches names the cell
    ("Champions", (5,), (4, 5)),
    ("Loyal", (3, 4), (4, 5)),
    ("Potential loyalists", (4, 5), (2, 3)),
    ("New", (5,), (1,)),
    ("Promising", (4,), (1,)),
    ("Need attention", (3,), (3,)),
    ("About to sleep", (3,), (1, 2)),
    ("At risk", (1, 2), (3, 4)),
    ("Can't lose them", (1, 2), (5,)),
    ("Lost", (1,), (1,)),
    ("Hibernating", (1, 2), (1, 2)),
)
DEFAULT_RFM_CUTS = (0.2, 0.4, 0.6, 0.8)


def rfm_segment_of(r: int, f: int) -> str:
    """The plain-Python reading of the segment grid (the oracle the Ibis expression is tested against)."""
    for name, rs, fs in RFM_SEGMENTS:
        if r in rs and f in fs:
            return name
    raise ValueError(f"no segment for R={r} F={f}")


def check_cuts(cuts) -> tuple[float, ...]:
    """Four increasing cut points strictly between 0 and 1 (five scores)."""
    cuts = tuple(float(c) for c in cuts)
    if len(cuts) != 4 or not (0 < cuts[0] and cuts[-1] < 1 and all(a < b for a, b in zip(cuts, cuts[1:]))):
        raise ValueError(f"RFM cut points must be four increasing shares between 0 and 1, got {list(cuts)}")
    return cuts


def purchases(orders, until=None):
    """Purchases (see the module's docstring) up to until (an Ibis timestamp) when given, with `value`
    (float64): the order's net merchandise value."""
    o = with_money(orders)
    buys = o.filter(o.is_purchase & o.customer_id.notnull())
    buys = buys.mutate(value=buys.net).drop("net", "gross", "is_purchase")
    return buys if until is None else buys.filter(buys.ordered_at <= until)


def purchases_as_of(orders, reversals, day, until=None):
    """purchases() as known at the end of `day` (a date or an Ibis date): an order's net value and
    whether it is a purchase count only the credit notes dated on or before `day`
    (revenue.orders_as_of). reversals None: purchases(orders, until)."""
    return purchases(orders_as_of(orders, reversals, day), until)


def observation_end(orders):
    """The end of observation: the time of the last order (of any status), null without orders."""
    return orders.ordered_at.max()


def customer_summary(orders, observed_until, cuts=DEFAULT_RFM_CUTS):
    """Per-customer summary from the `orders` table expression.

    observed_until: a datetime, the end of the observation period (usually the last order).
    cuts: the percent-rank cut points of the RFM scores (quintiles by default).
    """
    import ibis

    cuts = check_cuts(cuts)
    end = timestamp(observed_until)
    end_day = end.date()
    buys = purchases(orders, end)
    buys = buys.mutate(day=buys.ordered_at.date())

    per_day = buys.group_by(["customer_id", "day"]).aggregate(day_total=buys.value.sum())
    first_day = per_day.group_by("customer_id").aggregate(first_day=per_day.day.min())
    repeat = (
        per_day.join(first_day, "customer_id")
        .filter(lambda t: t.day > t.first_day)
        .group_by("customer_id")
        .aggregate(repeat_days=lambda t: t.day.count(), repeat_value=lambda t: t.day_total.sum())
    )

    base = buys.group_by("customer_id").aggregate(
        first_order_at=buys.ordered_at.min(),
        last_order_at=buys.ordered_at.max(),
        orders=buys.count(),
        first_day=buys.day.min(),
        last_day=buys.day.max(),
    )
    money = customer_revenue(orders, end)

    s = base.left_join(repeat, "customer_id").left_join(money, "customer_id")
    s = s.select(
        "customer_id", "first_order_at", "last_order_at", "orders", "first_day", "last_day",
        revenue=s.revenue.fill_null(0.0),
        gross_revenue=s.gross_revenue.fill_null(0.0),
        returns=s.returns.fill_null(0.0),
        repeat_days=s.repeat_days.fill_null(0),
        repeat_value=s.repeat_value.fill_null(0.0),
    )
    s = s.mutate(
        net_revenue=s.revenue,
        aov=s.revenue / s.orders,
        frequency=s.repeat_days,
        recency=s.last_day.delta(s.first_day, unit="day").cast("float64"),
        T=end_day.delta(s.first_day, unit="day").cast("float64"),
        monetary_value=ibis.ifelse(s.repeat_days > 0, s.repeat_value / s.repeat_days, 0.0),
        days_since_last_order=end_day.delta(s.last_day, unit="day").cast("float64"),
    )
    s = rfm_scores(s, cuts).mutate(observed_until=end)
    return s.select(
        "customer_id", "first_order_at", "last_order_at", "orders", "revenue", "gross_revenue", "returns",
        "net_revenue", "aov", "frequency", "recency", "T", "monetary_value", "days_since_last_order", "r_score",
        "f_score", "m_score", "rfm_score", "rfm_segment", "observed_until",
    )


def rfm_scores(t, cuts=DEFAULT_RFM_CUTS):
    """Add r_score, f_score, m_score, rfm_score and rfm_segment to a table with days_since_last_order,
    orders and revenue."""
    t = t.mutate(
        r_score=rfm_score(-t.days_since_last_order, cuts),
        f_score=rfm_score(t.orders, cuts),
        m_score=rfm_score(t.revenue, cuts),
    )
    return t.mutate(
        rfm_score=t.r_score.cast("string").concat(t.f_score.cast("string"), t.m_score.cast("string")),
        rfm_segment=_segment(t.r_score, t.f_score),
    )


def rfm_score(value, cuts=DEFAULT_RFM_CUTS):
    """1 + the number of cut points at or below the value's percent rank: ties share a score."""
    import ibis

    rank = ibis.percent_rank().over(ibis.window(order_by=value))
    score = ibis.literal(1, "int64")
    for cut in cuts:
        score = score + ibis.ifelse(rank >= cut, 1, 0)
    return score


def _segment(r, f):
    import ibis

    case = ibis.cases(
        *[(r.isin(list(rs)) & f.isin(list(fs)), name) for name, rs, fs in RFM_SEGMENTS],
        else_="Unclassified",
    )
    return case
