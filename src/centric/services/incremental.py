"""The incremental forms of `centric run`'s steps, and what a run says it did.

Rule: a step with new data runs its incremental form when it has one; the form itself decides whether
its saved models still hold (the drift checks in services/listen_incremental.py, personas_incremental.py,
clv_incremental.py) and otherwise runs the full step, saying why. Each form returns (rows, mode, reason).

The journey recomputes the stages of the affected customers only (services/journey_incremental.py:
customers with changed inputs, and those whose status moved with time), recounts moves, rates, cohorts
and paths from them (exact), and keeps its drivers' hazard models and repeat-purchase curve until the
history moved REFIT_DAYS (30) past their fit.
Steps without an incremental form run whole when their inputs changed, because their full result is
the exact answer and costs little next to the model fits: customer_summary and RFM (one grouped scan of
the orders), customer_profiles, segments (memberships are written only where they change, so the
segment history is itself incremental) and KPIs.
"""

from __future__ import annotations


class RunSteps(dict):
    """{step: rows} as `run` always returned, with `.decisions`: {step: run_ledger.Decision} (mode, reason)."""

    def __init__(self, *args, decisions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.decisions = decisions if decisions is not None else {}
        # what the publish of the snapshot kept, patched and wrote whole (services/dashboard_snapshot.py)
        self.snapshot: dict = {}

    def lines(self) -> list[str]:
        """One line per step: 'feedback_insights: 2,586 rows, incremental: ... 6 new or changed texts read ...'."""
        lines = [self.decisions[name].line(rows) if name in self.decisions else f"{name}: {rows:,} rows"
                 for name, rows in self.items()]
        if self.snapshot:
            patched = ", ".join(self.snapshot["patched"])
            lines.append(f"snapshot: {len(self.snapshot['kept'])} tables kept (unchanged), "
                         + (f"{patched} patched (what the new data touches), " if patched else "")
                         + f"{len(self.snapshot['written'])} written whole")
        return lines


def _listen(store, settings, workspace, decision):
    from centric.services.listen import listen
    from centric.services.listen_incremental import listen_incremental

    if not store.has_rows("feedback"):
        return 0, "full", "no feedback yet"
    result, why = listen_incremental(store, settings)
    if result is not None:
        return result.feedback, "incremental", f"{decision.reason}; {why}"
    return listen(store, settings).feedback, "full", f"{decision.reason}; refit: {why}"


def _personas(store, settings, workspace, decision):
    from centric.services.personas import PersonaError, build_personas
    from centric.services.personas_incremental import assign_incremental

    try:
        result, why = assign_incremental(store, settings)
        if result is not None:
            return len(result.cards), "incremental", f"{decision.reason}; {why}"
        return (len(build_personas(store, settings, rebuild_profiles=False).cards), "full",
                f"{decision.reason}; re-clustered: {why}")
    except PersonaError:
        return 0, "full", "too few customers for personas"


def _customer_value(store, settings, workspace, decision):
    from centric.services.clv import ClvError, build_customer_value
    from centric.services.clv_incremental import refit_incremental

    try:
        result, why = refit_incremental(store, settings)
        if result is not None:
            return result.customers, "incremental", f"{decision.reason}; {why}"
        return build_customer_value(store, settings).customers, "full", f"{decision.reason}; {why}"
    except ClvError:
        return 0, "full", "too little history for the models yet"


def _journey(store, settings, workspace, decision):
    """Stages recomputed for the affected customers only (services/journey_incremental.py), moves, rates,
    cohorts and paths recounted; the drivers' hazard models and the repeat-purchase curve refitted only
    once the history moved REFIT_DAYS past their fit (then the whole journey is built)."""
    import pandas as pd

    from centric.services.journey import JourneyError, build_journey
    from centric.services.journey_incremental import update_journey
    from centric.services.run_ledger import load_model
    from centric.services.summary import observation_end

    saved, end = load_model(store, "journey"), observation_end(store)
    moved = None if saved is None or end is None else (pd.Timestamp(end) - pd.Timestamp(saved[0]["end"])).days
    try:
        if moved is not None and 0 <= moved <= REFIT_DAYS:
            kept = f"drivers and repeat curve kept (fitted {moved} days ago)"
            result, why = update_journey(store, settings)
            if result is not None:
                return len(result.transitions), "incremental", f"{decision.reason}; {why}; {kept}"
            rows = len(build_journey(store, settings, drivers=False).transitions)
            return rows, "incremental", f"{decision.reason}; stages recomputed whole: {why}; {kept}"
        why = "no saved fit" if moved is None else f"history moved {moved} days since the drivers' fit"
        return len(build_journey(store, settings).transitions), "full", f"{decision.reason}; refit: {why}"
    except JourneyError:
        return 0, "full", "no customers yet"


REFIT_DAYS = 30

INCREMENTAL = {"journey": _journey, "customer_value": _customer_value, "feedback_insights": _listen, "personas": _personas}
