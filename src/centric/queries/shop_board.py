"""The shop at a glance, as the report's first section and the KPI board read it, from customer_summary.

Every customer in customer_summary has at least one purchase (queries/customer_summary.py defines a
purchase), so the rows are the customers who bought.
- repeat_buyer: 1.0 for a customer with purchases on two or more days (frequency > 0), else 0.0;
  its mean over customers is the repeat-purchase rate.
- totals: one row: buyers, orders (their purchases), revenue (net merchandise, float64),
  avg_orders (purchases per buyer), repeat_rate, observed_until (the end of observation).
- by_segment: per RFM segment: customers, share of the buyers, revenue, mean orders and mean days
  since the last order; the largest segment first (ties by name).
- top_customers: the n customers with the most revenue (ties by customer_id).
- orders_histogram: customers per number of purchases, `cap` and more in one bucket ("10+"),
  in the order of the number of purchases.
- quarantine_reasons: quarantined rows per input table and reason, the most frequent first.
"""

from __future__ import annotations


def repeat_buyer(summary):
    import ibis

    return ibis.ifelse(summary.frequency > 0, 1.0, 0.0)


def totals(summary):
    s = summary
    return s.aggregate(
        buyers=s.count(), orders=s.orders.sum(), revenue=s.revenue.sum().cast("float64"),
        avg_orders=s.orders.mean(), repeat_rate=repeat_buyer(s).mean(), observed_until=s.observed_until.max(),
    )


def by_segment(summary):
    s = summary
    g = s.group_by("rfm_segment").aggregate(
        customers=s.count(), revenue=s.revenue.sum().cast("float64"), avg_orders=s.orders.mean(),
        avg_days_since=s.days_since_last_order.mean(),
    )
    g = g.mutate(share=g.customers / g.customers.sum())
    return g.select("rfm_segment", "customers", "share", "revenue", "avg_orders", "avg_days_since").order_by(
        [g.customers.desc(), g.rfm_segment])


def top_customers(summary, n: int = 15):
    s = summary.select("customer_id", "orders", "revenue", "aov", "frequency", "recency", "T", "rfm_score",
                       "rfm_segment")
    s = s.mutate(revenue=s.revenue.cast("float64"))
    return s.order_by([s.revenue.desc(), s.customer_id]).limit(n)


def orders_histogram(summary, cap: int = 10):
    """Columns: orders (the bucket's label: "1", "2", ..., "10+"), customers."""
    import ibis

    s = summary
    bucket = ibis.ifelse(s.orders >= cap, f"{cap}+", s.orders.cast("string"))
    h = s.group_by(bucket.name("bucket")).aggregate(customers=s.count(), _least=s.orders.min())
    return h.order_by(h._least).select(orders=h.bucket, customers=h.customers)


def quarantine_reasons(quarantine, n: int = 30):
    q = quarantine
    g = q.group_by(["table_name", "reason"]).aggregate(rows=q.count())
    return g.order_by([g.rows.desc(), g.table_name, g.reason]).limit(n)
