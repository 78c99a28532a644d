"""How a KPI's value reads to a person, on the command line and in the report, in their language.

Rule: shares and probabilities as percentages with one decimal, money with the shop's currency,
scores on their own scale (NPS points, CSAT as % satisfied, CES 1-7), counts of customers and orders
and anything of 1,000 or more without decimals, everything else with two; a missing value is blank.
"""

from __future__ import annotations

from centric.i18n import fmt_money, fmt_number, fmt_percent, fmt_points


def kpi_text(value, unit, lang: str = "en", currency: str | None = None) -> str:
    """A KPI value as a person reads it: shares as percentages, money with its currency, big numbers
    without decimals."""
    if value is None or value != value:
        return ""
    if unit in ("share", "probability"):
        return fmt_percent(value, lang)
    if unit == "% satisfied":  # CSAT is stored 0-100
        return fmt_percent(value / 100, lang)
    if unit == "currency" and currency:
        return fmt_money(value, currency, lang, 0 if abs(value) >= 1000 else 2)
    if unit == "points":
        return fmt_points(value, lang)
    if unit in ("customers", "orders") or abs(value) >= 1000:
        return fmt_number(value, lang, 0)
    return fmt_number(value, lang, 2)
