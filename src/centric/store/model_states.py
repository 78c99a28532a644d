"""Reads of the `model_states` table by model name (services/run_ledger.py load_model, save_model).

Rule: one row per model, read with the name bound as a parameter: the same SQL text for every model,
so nothing is compiled per model name (an Ibis filter on a literal name compiled anew for each of the
six models an incremental run loads, 15-30 ms each whatever the table holds).
"""

from __future__ import annotations


def model_state(store, model: str) -> tuple[str | None, str | None] | None:
    """(fitted_on, state) of `model` as JSON text, or None when no row is saved."""
    row = store.con.execute("SELECT CAST(fitted_on AS VARCHAR), CAST(state AS VARCHAR) FROM model_states "
                            "WHERE model = ? LIMIT 1", [model]).fetchone()
    return None if row is None else (row[0], row[1])


def fitted_at(store, model: str):
    """When `model` was last fitted (None when no row is saved)."""
    row = store.con.execute("SELECT fitted_at FROM model_states WHERE model = ? LIMIT 1", [model]).fetchone()
    return None if row is None else row[0]
