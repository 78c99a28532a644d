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
    if getattr(store, "engine", "duckdb") == "spark":
        _record_on_spark(store, (analysis, purpose, int(customers_left_out), int(events_left_out),
                                 int(anonymous_events_left_out), now))
        return
    with store.transaction() as con:
        con.execute("DELETE FROM consent_exclusions WHERE analysis = ?", [analysis])
        con.execute("INSERT INTO consent_exclusions (analysis, purpose, customers_left_out, events_left_out, "
                    "anonymous_events_left_out, computed_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [analysis, purpose, int(customers_left_out), int(events_left_out),
                     int(anonymous_events_left_out), now])


def _record_on_spark(store, row: tuple) -> None:
    """The same rewrite of one analysis's row, as a new version of the table (store/warehouse.py)."""
    import pandas as pd

    db = store.ibis()
    kept = db.execute(db.table("consent_exclusions").select(*COLUMNS))
    kept = kept[kept["analysis"] != row[0]]
    frame = pd.concat([kept, pd.DataFrame([row], columns=list(COLUMNS))], ignore_index=True)
    store.replace_table("consent_exclusions", frame)


def exclusions(store):
    """Every analysis's latest row, as pandas, in a stable order."""
    if getattr(store, "engine", "duckdb") == "spark":
        db = store.ibis()
        return db.execute(db.table("consent_exclusions").select(*COLUMNS).order_by("analysis"))
    return store.query_df(f"SELECT {', '.join(COLUMNS)} FROM consent_exclusions ORDER BY analysis")
