"""Listening as the report and the KPI board read it, from the tables `centric listen` writes.

- overall: the scores over every customer (dimension "all"), each metric per period: "all" for the
  whole history, else one month (YYYY-MM);
- headline: overall scores for the whole history, one row per metric (nps, csat, ces), with n and
  the interval;
- by_month: one metric's overall score per month, in time order;
- top_drivers: the themes that cost the most NPS points (ties by theme);
- rising: the themes whose share of negative feedback is rising, the strongest rise (z) first;
- sentiment_mix: feedback per sentiment, the most frequent first.
"""

from __future__ import annotations


def overall(scores):
    return scores.filter(scores.dimension == "all")


def headline(scores):
    o = overall(scores)
    return o.filter(o.period == "all").select("metric", "n", "value", "low", "high").order_by("metric")


def by_month(scores, metric: str = "nps"):
    o = overall(scores)
    return o.filter((o.metric == metric) & (o.period != "all")).select("period", "value").order_by("period")


def top_drivers(drivers, n: int = 8):
    return drivers.order_by([drivers.nps_points_cost.desc(), drivers.theme]).limit(n)


def rising(trends):
    kept = trends.filter(trends.rising)
    return kept.order_by([kept.z.desc(), kept.theme])


def sentiment_mix(insights):
    g = insights.group_by("sentiment").aggregate(n=insights.count())
    return g.order_by([g.n.desc(), g.sentiment])
