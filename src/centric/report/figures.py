"""How a KPI's value reads to a person, on the command line and in the report.

Rule: shares and probabilities as percentages with one decimal, counts of customers and orders and
anything of 1,000 or more without decimals, everything else with two; a missing value is blank.
"""

from __future__ import annotations


def kpi_text(value, unit) -> str:
    """A KPI value as a person reads it: shares as percentages, big numbers without decimals."""
    if value is None or value != value:
        return ""
    if unit in ("share", "probability"):
        return f"{100 * value:.1f}%"
    if unit in ("customers", "orders") or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}"
