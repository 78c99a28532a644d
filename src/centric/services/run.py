"""`centric run`: every analysis that exists, in dependency order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from centric.services.summary import build_customer_summary


def _collected(store, settings, workspace) -> int:
    """What the collector acknowledged since the last load, first, so every analysis sees it. The two
    steps after it finish what `centric ingest --collected` does (services/ingest.py ingest_collected):
    the identities, rebuilt once per run, then the privacy requests sent over the API."""
    from centric.services.ingest import load_collected_messages

    if workspace is None:
        return 0
    return sum(load_collected_messages(store, settings, workspace).loaded.values())


def _privacy_requests(store, settings, workspace) -> int:
    """The privacy requests sent over the API, with the identities current; returns how many were done."""
    from centric.services.privacy_requests import execute_pending

    if workspace is None:
        return 0
    return len(execute_pending(store, settings, Path(workspace)))


def _customer_value(store, settings, workspace) -> int:
    from centric.services.clv import ClvError, build_customer_value

    try:
        return build_customer_value(store, settings).customers
    except ClvError:
        return 0  # too little history for the models yet: `centric clv` says why


def _listen(store, settings, workspace) -> int:
    from centric.services.listen import listen

    if not store.has_rows("feedback"):
        return 0  # nothing to read yet
    return listen(store, settings).feedback


def _profiles(store, settings, workspace) -> int:
    from centric.services.profiles import build_customer_profiles

    return build_customer_profiles(store, settings) if store.has_rows("customers") else 0


def _segments(store, settings, workspace) -> int:
    from centric.services.segments import refresh

    if workspace is None or not store.has_rows("customer_profiles"):
        return 0
    return len(refresh(workspace, store, settings, rebuild_profiles=False))


def _personas(store, settings, workspace) -> int:
    from centric.services.personas import PersonaError, build_personas

    try:
        return len(build_personas(store, settings, rebuild_profiles=False).cards)
    except PersonaError:
        return 0  # too few customers yet: `centric personas` says why


def _journey(store, settings, workspace) -> int:
    from centric.services.journey import JourneyError, build_journey

    try:
        return len(build_journey(store, settings).transitions)
    except JourneyError:
        return 0  # no customers yet


def _kpis(store, settings, workspace) -> int:
    from centric.services.kpis import KpiError, build_kpis

    try:
        return len(build_kpis(store, settings))
    except KpiError:
        return 0  # no orders yet


# (step name, function(store, settings, workspace) -> rows written). Later analyses append here.
def _identities(store, settings, workspace) -> int:
    from centric.services.identity import rebuild

    return rebuild(store)


OUTPUT_OF = {"journey": "stage_transitions", "segments": "segments", "personas": "personas"}

STEPS: list[tuple[str, Callable]] = [
    ("collected", _collected),
    ("identities", _identities),
    ("privacy_requests", _privacy_requests),
    ("customer_summary", lambda store, settings, workspace: build_customer_summary(store, cuts=settings.rfm_cuts)),
    ("customer_value", _customer_value),
    ("feedback_insights", _listen),
    ("customer_profiles", _profiles),
    ("segments", _segments),
    ("personas", _personas),
    ("journey", _journey),
    ("kpis", _kpis),
]


# The steps a Spark workspace runs (docs/spark.md): the others need DuckDB's own SQL (the collector's
# spool, privacy requests, segment membership) and are skipped there (`skipped_on`; the run result lists them).
SPARK_STEPS = frozenset({"identities", "customer_summary", "customer_value", "feedback_insights",
                         "customer_profiles", "personas", "journey", "kpis"})


def skipped_on(store) -> list[str]:
    """The steps `run_all` leaves out on this store's engine."""
    if getattr(store, "engine", "duckdb") != "spark":
        return []
    return [name for name, _ in STEPS if name not in SPARK_STEPS]


def run_all(store, settings, on_step: Callable[[str], None] | None = None, workspace: Path | None = None,
            stop: Callable[[], bool] | None = None, full: bool = False) -> dict[str, int]:
    """Every step in order; returns rows written per step (a RunSteps: `.decisions` says per step what
    was recomputed and why, services/run_ledger.py). A step whose inputs did not change since the
    last run is reused; one that has an incremental form (services/incremental.py) runs it unless
    `full`. When `stop()` turns true the steps not begun are skipped (the result then lacks them) and
    the snapshot is not published: the server keeps the last complete run's. Each step writes each
    of its tables in one transaction, so a step cut short by a signal or a kill leaves every table as
    it was before or as the step wrote it, never half."""
    from contextlib import ExitStack

    from centric.services.consent import counted_once
    from centric.services.incremental import RunSteps
    from centric.services.run_ledger import READS, Ledger

    from centric.store.compiled import PERSISTED_FILE, persisted

    skipped = set(skipped_on(store))
    ledger = Ledger(store, workspace, full=full)
    results = RunSteps(decisions=ledger.decisions)
    with ExitStack() as scope:
        if workspace is not None:  # the SQL this run compiles, kept for the next run's process
            scope.enter_context(persisted(Path(workspace) / PERSISTED_FILE))
        counting = False
        for name, step in STEPS:
            if name in skipped:
                continue
            if stop is not None and stop():
                return results
            if name in READS and not counting:
                # from here on no step writes events, consents or identities: what consent leaves out of
                # an analysis is counted once per purpose (personas and the journey share analytics)
                scope.enter_context(counted_once(digests=ledger.digests, full=ledger.full))
                counting = True
            _step(store, settings, workspace, ledger, results, name, step, on_step)
        if workspace is not None:
            from centric.services.dashboard_snapshot import publish_all

            # what `centric serve` shows (store/snapshot.py), from the digests the ledger took: only what changed
            # (collector.publish's work, without importing the collector's JSON and message libraries)
            # a privacy request carried out after the identities step deleted identity rows: they are then
            # not those rebuilt from the events (a visitor shared with another customer keeps a partial span)
            current = "identities" in results and not results.get("privacy_requests")
            publish_all(store, workspace, known=ledger.known(), plan=results.snapshot, whole=full,
                        identities_current=current)
    return results


def _step(store, settings, workspace, ledger, results, name: str, step: Callable, on_step) -> None:
    """Run one step as its ledger decision says (reused, incremental or full) and record it."""
    import time

    from centric.services.incremental import INCREMENTAL

    if on_step:
        on_step(name)
    began, decision = time.perf_counter(), ledger.decide(name)
    mode = reason = None
    if decision.mode == "reused":
        rows = store.count(OUTPUT_OF.get(name, name))
    elif decision.mode == "incremental" and name in INCREMENTAL:
        rows, mode, reason = INCREMENTAL[name](store, settings, workspace, decision)
    else:
        rows = step(store, settings, workspace)
        if decision.mode == "incremental":  # no incremental form: its whole result is the exact one
            mode, reason = "full", f"{decision.reason}; recomputed whole (exact, and cheap next to the fits)"
    results[name] = rows
    ledger.done(name, rows, time.perf_counter() - began, mode, reason)
