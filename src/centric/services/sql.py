"""Read-only SQL on a workspace, for `centric sql` and Workspace.sql.

A user's own SQL is the point of the command, so it is the one place a service hands SQL text on:
Store.run_user_sql runs it (SELECT statements only, on a store opened read-only: store/user_sql.py).
"""

from __future__ import annotations

from centric.store.user_sql import SqlRefused

__all__ = ["SqlRefused", "run_read_only"]


def run_read_only(store, query: str):
    """Run one or more SELECT statements; return the last one's result as a DataFrame."""
    return store.run_user_sql(query)
