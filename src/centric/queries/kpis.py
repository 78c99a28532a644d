"""Monthly purchase KPIs as one Ibis expression: buyers, orders, revenue, AOV, purchase frequency,
repeat-customer rate, retention and churn, and the time between orders.

Purchases are customer_summary's (net value > 0, see queries/revenue.py). For a calendar month m:
- buyers: customers with a purchase in m; orders: their purchases in m; revenue: the net
  merchandise revenue of known customers dated in m (purchases net of their returns, and credit
  notes linked to no order), as customer_summary sums it;
- aov = revenue / orders; purchase_frequency = orders / buyers;
- repeat_customer_rate: share of m's buyers who had bought before m;
- retention_rate: share of the buyers of m-1 who bought again in m; churn_rate = 1 - retention;
- days_between_orders: mean days from a purchase day to the customer's next one, over the
  purchase days that fall in m and have an earlier one.
"""

from __future__ import annotations

from centric.queries.customer_summary import purchases
from centric.queries.moments import timestamp
from centric.queries.revenue import counted_orders


def monthly_kpis(orders, observed_until):
    import ibis

    end = timestamp(observed_until)
    buys = purchases(orders, end)
    buys = buys.mutate(month=buys.ordered_at.truncate("M").date(), day=buys.ordered_at.date())
    first = buys.group_by("customer_id").aggregate(first_month=buys.month.min())
    per = buys.group_by(["month"]).aggregate(orders=buys.count(), buyers=buys.customer_id.nunique())
    money = counted_orders(orders, end)
    money = money.filter(money.customer_id.notnull())
    money = money.group_by(money.ordered_at.truncate("M").date().name("month")).aggregate(revenue=money.net.sum())
    per = per.left_join(money, "month").drop("month_right")
    per = per.mutate(revenue=per.revenue.fill_null(0.0))
    active = buys.select("customer_id", "month").distinct().join(first, "customer_id")
    repeat = active.group_by("month").aggregate(
        returning=(active.first_month < active.month).cast("int64").sum())
    before = active.month.lag().over(group_by=active.customer_id, order_by=active.month)
    stayed = active.mutate(_before=before).filter(
        lambda t: t._before.notnull() & (t._before.add(ibis.interval(months=1)).cast("date") == t.month))
    retained = stayed.group_by("month").aggregate(retained=stayed.count())
    days = buys.select("customer_id", "day", "month").distinct()
    last = days.day.lag().over(group_by=days.customer_id, order_by=days.day)
    gaps = days.mutate(gap=days.day.delta(last, unit="day").cast("float64")).filter(lambda t: t.gap.notnull())
    gap = gaps.group_by("month").aggregate(days_between_orders=gaps.gap.mean())
    t = (per.left_join(repeat, "month").drop("month_right")
         .left_join(retained, "month").drop("month_right")
         .left_join(gap, "month").drop("month_right"))
    previous = t.buyers.lag().over(order_by=t.month)
    previous_month = t.month.lag().over(order_by=t.month)
    consecutive = previous_month.add(ibis.interval(months=1)).cast("date") == t.month
    t = t.mutate(previous_buyers=ibis.ifelse(consecutive, previous, ibis.null("int64")))
    return t.select(
        "month", "buyers", "orders", "revenue",
        aov=t.revenue / t.orders,
        purchase_frequency=t.orders.cast("float64") / t.buyers,
        repeat_customer_rate=t.returning.fill_null(0).cast("float64") / t.buyers,
        retention_rate=ibis.ifelse(t.previous_buyers > 0, t.retained.fill_null(0).cast("float64") / t.previous_buyers,
                                   ibis.null("float64")),
        days_between_orders=t.days_between_orders,
    ).order_by("month")
