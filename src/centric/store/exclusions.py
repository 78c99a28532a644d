"""The `consent_exclusions` table: one row per analysis, what it left out for want of consent.

Rule: an analysis that filters by consent rewrites its own row (and only its own) each time it runs,
so the table always says what the latest run of each analysis left out; the snapshot publishes it to
the API. Values are bound parameters.
"""

from __future__ import annotations

import datetime as dt

COLUMNS = ("analysis", "purpose", "customers_left_out", "events_left_out", "anonymous_events_left_out",
           "computed_at")


def record_exclusion(store, analysis: str, purpose: str, customers_left_out: int, events_left_out: int,
                     anonymous_events_left_out: int) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    with store.transaction() as con:
        con.execute("DELETE FROM consent_exclusions WHERE analysis = ?", [analysis])
        con.execute("INSERT INTO consent_exclusions (analysis, purpose, customers_left_out, events_left_out, "
                    "anonymous_events_left_out, computed_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [analysis, purpose, int(customers_left_out), int(events_left_out),
                     int(anonymous_events_left_out), now])


def exclusions(store):
    """Every analysis's latest row, as pandas, in a stable order."""
    return store.query_df(f"SELECT {', '.join(COLUMNS)} FROM consent_exclusions ORDER BY analysis")
