"""Customer value rolled up by RFM segment and by acquisition channel, with CAC and CLV:CAC.

For every customer with a predicted value (customer_value): revenue to date is customer_summary's
net revenue (0 when absent), the RFM segment customer_summary's ('Unclassified' when absent), the
acquisition channel the customer's ('unknown' when absent).
- by segment: customers, revenue, mean P(alive), mean and total CLV, share in the high churn band;
- by channel: the same, plus the channel's marketing spend, the customers it acquired (first
  purchase between its first and last day of spend), CAC = spend / those customers, and CLV:CAC =
  the mean of (margin x revenue to date + predicted CLV) over those customers / CAC.
"""

from __future__ import annotations

COLUMNS = ("dimension", "group_name", "customers", "revenue", "mean_p_alive", "mean_clv", "total_clv",
           "high_churn_risk_share", "marketing_spend", "new_customers", "cac", "clv_to_cac")


def _values(customer_value, customer_summary, customers):
    import ibis

    s = customer_summary.select("customer_id", "revenue", "first_order_at", "rfm_segment")
    c = customers.select("customer_id", "acquisition_channel")
    v = (customer_value.select("customer_id", "p_alive", "predicted_clv", "churn_risk")
         .left_join(s, "customer_id").drop("customer_id_right")
         .left_join(c, "customer_id").drop("customer_id_right"))
    return v.select(
        "customer_id", p_alive=v.p_alive.cast("float64"), predicted_clv=v.predicted_clv.cast("float64"),
        high=ibis.ifelse(v.churn_risk == "high", 1.0, 0.0),
        revenue=v.revenue.cast("float64").fill_null(0.0), first_order_at=v.first_order_at,
        rfm_segment=v.rfm_segment.fill_null("Unclassified"),
        acquisition_channel=v.acquisition_channel.fill_null("unknown"),
    )


def _summary(v, dimension: str, column: str):
    import ibis

    g = v.group_by(v[column].name("group_name")).aggregate(
        customers=v.count(), revenue=v.revenue.sum(), mean_p_alive=v.p_alive.mean(),
        mean_clv=v.predicted_clv.mean(), total_clv=v.predicted_clv.sum(), high_churn_risk_share=v.high.mean(),
    )
    return g.mutate(dimension=ibis.literal(dimension))


def clv_rollups(customer_value, customer_summary, customers, marketing_spend, margin: float):
    """The clv_rollups rows (COLUMNS) as one expression."""
    import ibis

    v = _values(customer_value, customer_summary, customers)
    by_segment = _summary(v, "rfm_segment", "rfm_segment").mutate(
        marketing_spend=ibis.null("float64"), new_customers=ibis.null("int64"), cac=ibis.null("float64"),
        clv_to_cac=ibis.null("float64"))
    spend = marketing_spend.group_by("channel").aggregate(
        spend=marketing_spend.amount.cast("float64").sum(), since=marketing_spend.spent_on.min(),
        until=marketing_spend.spent_on.max())
    joined = v.join(spend, v.acquisition_channel == spend.channel)
    joined = joined.filter(joined.first_order_at.date().between(joined.since, joined.until))
    acquired = joined.group_by(joined.acquisition_channel.name("channel")).aggregate(
        new_customers=joined.count(),
        mean_value=(ibis.literal(float(margin)) * joined.revenue + joined.predicted_clv).mean())
    ch = _summary(v, "acquisition_channel", "acquisition_channel")
    ch = (ch.left_join(spend.select("channel", "spend"), ch.group_name == spend.channel).drop("channel")
          .left_join(acquired, ch.group_name == acquired.channel).drop("channel"))
    cac = ch.spend / ibis.ifelse(ch.new_customers == 0, ibis.null("int64"), ch.new_customers)
    by_channel = ch.mutate(
        marketing_spend=ch.spend, new_customers=ch.new_customers.cast("int64"), cac=cac,
        clv_to_cac=ch.mean_value / ibis.ifelse(cac == 0, ibis.null("float64"), cac))
    return by_segment.select(*COLUMNS).union(by_channel.select(*COLUMNS))
