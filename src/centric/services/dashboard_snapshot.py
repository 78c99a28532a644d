"""What `centric run` (and every command that changes what the server shows) publishes for
`centric serve`: the API's tables plus the dashboard's (store/snapshot.py, queries/dashboard.py).

Rule: the snapshot is the server's only view of the workspace, and it is published whole and
atomically. The dashboard's events are the ones recorded under analytics consent (the purpose of the
funnel, services/consent.py), so nothing the shop may not analyse reaches a page; an erasure
(services/privacy.py) republishes, so the erased person leaves the snapshot too.
"""

from __future__ import annotations

from pathlib import Path

from centric.store.snapshot import DASHBOARD_TABLES, SNAPSHOT_TABLES, publish_snapshot


def dashboard_expressions(store, settings) -> dict:
    """name -> Ibis expression of the dashboard's row-level tables."""
    from centric.queries import dashboard as q
    from centric.services import consent

    db = store.ibis()
    events, _ = consent.events_and_left_out(store, settings, "funnel")
    return {
        "dash_customers": q.dash_customers(db.table("customers"), db.table("customer_summary"),
                                           db.table("customer_value"), db.table("customer_personas"),
                                           db.table("personas")),
        "dash_orders": q.dash_orders(db.table("orders")),
        "dash_feedback": q.dash_feedback(db.table("feedback"), db.table("feedback_insights")),
        "dash_events": q.dash_events(events, user_keys=getattr(store, "engine", "duckdb") == "duckdb"),
        "dash_stage_moves": q.dash_stage_moves(db.table("journey_stages")),
    }


def publish_all(store, workspace: Path, settings=None) -> Path:
    """Publish the API's and the dashboard's tables in one atomic swap; returns the snapshot's path."""
    from centric.services.workspace_files import load_settings

    settings = settings if settings is not None else load_settings(Path(workspace))
    return publish_snapshot(store, workspace, SNAPSHOT_TABLES + DASHBOARD_TABLES,
                            derived=dashboard_expressions(store, settings))
