"""The KPI board's lifetime figures that come from other analyses' tables (services/kpis.py).

- value_by: per group of customers with a profile (customer_profiles) and a summary
  (customer_summary): aov = their revenue / their orders (null without orders), the repeat-customer
  rate (queries/shop_board.repeat_buyer) and the mean predicted CLV. Groups: the acquisition
  channel, or, given customer_personas and personas, the persona's name (customers in no persona
  are left out).
- acquisition_spend: one row: all marketing spend of the acquisition channels in clv_rollups and
  the new customers those channels acquired; their ratio is the blended CAC.
- channel_cac: per acquisition channel with a CAC: cac and clv_to_cac, in clv_rollups' order.
"""

from __future__ import annotations

from centric.queries.shop_board import repeat_buyer


def value_by(profiles, summary, members=None, personas=None):
    """Columns: group, aov, repeat_customer_rate, clv. Personas when members and personas are given."""
    s = summary.select("customer_id", _repeat=repeat_buyer(summary))
    t = profiles.select("customer_id", "acquisition_channel", "revenue", "orders", "predicted_clv").join(
        s, "customer_id")
    if members is None:
        group = t.acquisition_channel
    else:
        t = (t.join(members.select("customer_id", "persona_id"), "customer_id")
             .join(personas.select("persona_id", "name"), "persona_id"))
        group = t.name
    return t.group_by(group.name("group")).aggregate(
        aov=t.revenue.sum() / t.orders.sum().nullif(0), repeat_customer_rate=t._repeat.mean(),
        clv=t.predicted_clv.mean())


def _channels(rollups):
    return rollups.filter(rollups.dimension == "acquisition_channel")


def acquisition_spend(rollups):
    c = _channels(rollups)
    return c.aggregate(spend=c.marketing_spend.sum(), new_customers=c.new_customers.sum())


def channel_cac(rollups):
    c = _channels(rollups)
    return c.filter(c.cac.notnull()).select("group_name", "cac", "clv_to_cac")
