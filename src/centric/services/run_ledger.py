"""The run ledger: what each step of `centric run` last computed from, so the next run does only what changed.

Rules:
- Each step names the tables it reads (`READS`). Before a step runs, the ledger compares each of
  them ([rows, content digest], store/fingerprint.py) and the settings' fingerprint (centric.toml and
  the saved segment files) with what the step's last run recorded in `run_ledger`.
- Nothing changed and the step's output is there: the step is **reused** (not run), and says so.
- Something changed: the step runs, **incremental** where it knows how (listening reads only new or
  changed texts with its saved models; personas assign new and changed customers to the nearest
  existing persona; CLV refits warm-started from the last parameters; the journey recomputes the stages
  and paths of the affected customers only), **full** otherwise (cheap steps whose full result is the
  exact answer: summary and RFM, profiles, segments, KPIs).
- `centric run --full` (Workspace.run(full=True)) runs every step from scratch and refits every model.
- A step that always runs (the collector's load, identities, privacy requests) is not in `READS`.
Each step's decision (mode and reason) goes into `run_ledger` with its rows and time, and into the
run's result; the CLI prints a line per step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

INPUTS = ("customers", "orders", "order_lines", "events", "feedback", "consents", "marketing_spend", "fx_rates",
          "identities", "erasures")

# step -> the tables whose content decides whether the step has anything new to compute
READS: dict[str, tuple[str, ...]] = {
    "customer_summary": ("orders", "order_lines"),
    "customer_value": ("orders", "order_lines", "customers", "marketing_spend"),
    "feedback_insights": ("feedback", "orders", "order_lines"),
    "customer_profiles": INPUTS,
    "segments": INPUTS,
    "personas": INPUTS,
    "journey": INPUTS,
    "kpis": INPUTS + ("surveys",),
}
# step -> the input tables it may write (the summary fills the order values a workspace loaded by an older
# centric lacks): their digests are taken again after it
WRITES: dict[str, tuple[str, ...]] = {"customer_summary": ("orders",)}
# step -> an output table that must hold rows for the step to be reused
OUTPUT = {"customer_summary": "customer_summary", "customer_value": "customer_value",
          "feedback_insights": "feedback_insights", "customer_profiles": "customer_profiles",
          "segments": "segments", "personas": "personas", "journey": "journey_stages", "kpis": "kpis"}


@dataclass
class Decision:
    step: str
    mode: str  # full | incremental | reused
    reason: str
    inputs: dict | None = None  # what the step computes from (written to the ledger once it has run)
    seconds: float | None = None

    def line(self, rows: int | None = None) -> str:
        shown = "" if rows is None else f" {rows:,} rows,"
        took = "" if self.seconds is None else f" ({self.seconds:.1f} s)"
        return f"{self.step}:{shown} {self.mode}{took}: {self.reason}"


def settings_fingerprint(workspace: Path | None) -> str:
    """sha256 of centric.toml and the saved segment definitions (what the user configures)."""
    h = hashlib.sha256()
    if workspace is not None:
        folder = Path(workspace)
        for path in [folder / "centric.toml", *sorted((folder / "segments").glob("*.json"))]:
            if path.is_file():
                h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def last(store) -> dict[str, dict]:
    """step -> its run_ledger row (inputs parsed)."""
    if not store.has_rows("run_ledger"):
        return {}
    db = store.ibis()
    t = db.table("run_ledger")
    frame = db.execute(t.select("step", "mode", "reason", inputs=t.inputs.cast("string")))
    return {r["step"]: {**r, "inputs": json.loads(r["inputs"] or "{}")} for r in frame.to_dict("records")}


class Ledger:
    """The decisions of one run, and their record."""

    def __init__(self, store, workspace: Path | None, full: bool = False):
        # Incremental runs are DuckDB's for now (Store.digests is DuckDB SQL): a Spark workspace
        # recomputes every step, keeps no ledger, and says so.
        self.spark = getattr(store, "engine", "duckdb") == "spark"
        self.store, self.full = store, full or self.spark
        self.settings = settings_fingerprint(workspace)
        self.previous = {} if self.spark else last(store)
        self.decisions: dict[str, Decision] = {}
        self._digests: dict[str, list] = {}
        self._existing: set[str] | None = None

    def digests(self, tables) -> dict[str, list]:
        """{table: [rows, digest]} of input tables, each computed once per run: the steps that read them
        write only their own outputs, so an input read by several steps (events by five) is scanned once;
        those a step may write (`WRITES`) are taken again after it. The run hands them to the snapshot's
        publish at its end (services/dashboard_snapshot.py)."""
        missing = [t for t in tables if t not in self._digests]
        if missing:
            self._digests.update(self.store.digests(missing))
        return {t: self._digests[t] for t in tables}

    def known(self) -> dict[str, list]:
        """The digests taken so far this run (of inputs nothing has written since)."""
        return dict(self._digests)

    def _state(self, step: str) -> dict:
        if self._existing is None:
            self._existing = _existing(self.store)
        tables = [t for t in READS[step] if t in self._existing]
        return {"tables": self.digests(tables), "settings": self.settings}

    def decide(self, step: str) -> Decision:
        """Whether `step` runs, and why. Steps outside READS always run (mode full)."""
        if step not in READS:
            decision = Decision(step, "full", "runs every time")
        else:
            now = None if self.spark else self._state(step)
            before = self.previous.get(step, {}).get("inputs") or {}
            if self.spark:
                decision = Decision(step, "full", "Spark runs every step whole (incremental runs are DuckDB's)")
            elif self.full:
                decision = Decision(step, "full", "--full asked for it", now)
            elif not before:
                decision = Decision(step, "full", "first run", now)
            elif before.get("settings") != now["settings"]:
                decision = Decision(step, "full", "the settings changed", now)
            elif before.get("tables") == now["tables"] and self.store.has_rows(OUTPUT[step]):
                decision = Decision(step, "reused", "nothing new since the last run", now)
            else:
                decision = Decision(step, "incremental", "new data: " + changed(before.get("tables", {}),
                                                                                  now["tables"]), now)
        self.decisions[step] = decision
        return decision

    def done(self, step: str, rows: int, seconds: float, mode: str | None = None, reason: str | None = None) -> None:
        """Record the step in run_ledger (the step may have refined its mode and reason)."""
        for table in WRITES.get(step, ()):
            self._digests.pop(table, None)
        decision = self.decisions[step]
        decision.mode, decision.reason = mode or decision.mode, reason or decision.reason
        decision.seconds = seconds
        if decision.inputs is None:
            return
        if decision.mode == "reused":  # the output is the last run's: keep the state it was computed from
            decision.inputs = self.previous[step]["inputs"]
        record(self.store, step, decision.mode, decision.reason, decision.inputs, rows, seconds)


def record(store, step: str, mode: str, reason: str, inputs: dict, rows: int, seconds: float) -> None:
    """Write `step`'s run_ledger row (its row only)."""
    import pandas as pd

    from centric.store.connection import RowUpdate

    row = pd.DataFrame([{
        "step": step, "mode": mode, "reason": reason, "inputs": json.dumps(inputs), "rows": int(rows),
        "seconds": float(seconds), "ran_at": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
    }])
    store.replace_table("run_ledger", RowUpdate("step", [step], row))


def changed(before: dict, now: dict) -> str:
    """'orders +13 rows, feedback +6 rows, events changed' from two {table: [rows, digest]}."""
    parts = []
    for table, (rows, dig) in now.items():
        old = before.get(table)
        if old is None:
            parts.append(f"{table} new")
        elif old[1] != dig:
            delta = rows - old[0]
            parts.append(f"{table} {delta:+,} rows" if delta else f"{table} changed")
    return ", ".join(parts) or "an output was missing"


def _existing(store) -> set[str]:
    return set(store.ibis().list_tables())


# -- fitted models an incremental run reuses ------------------------------------------------------
def load_model(store, model: str) -> tuple[dict, dict] | None:
    """(fitted_on, state) of a saved model, or None."""
    if not store.has_rows("model_states"):
        return None
    if getattr(store, "engine", "duckdb") == "duckdb":  # the name bound: one SQL text for every model
        from centric.store.model_states import model_state

        found = model_state(store, model)
        return None if found is None else (json.loads(found[0]), json.loads(found[1]))
    db = store.ibis()
    t = db.table("model_states")
    frame = db.execute(t.filter(t.model == model).select(fitted_on=t.fitted_on.cast("string"),
                                                         state=t.state.cast("string")))
    if frame.empty:
        return None
    return json.loads(frame["fitted_on"].iloc[0]), json.loads(frame["state"].iloc[0])


def save_model(store, model: str, fitted_on: dict, state: dict, refitted: bool = True) -> None:
    """Save a model's state (its row only: the other models' states, the listening readings' megabytes among
    them, are neither read nor rewritten); `refitted=False` (a state updated without a fit) keeps its fitted_at."""
    import pandas as pd

    from centric.store.connection import RowUpdate

    when = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    if not refitted and getattr(store, "engine", "duckdb") == "duckdb":
        from centric.store.model_states import fitted_at

        when = fitted_at(store, model) or when
    elif not refitted:
        db = store.ibis()
        t = db.table("model_states")
        before = db.execute(t.filter(t.model == model).select("fitted_at"))
        when = before["fitted_at"].iloc[0] if len(before) else when
    row = pd.DataFrame([{"model": model, "fitted_at": when,
                         "fitted_on": json.dumps(fitted_on), "state": json.dumps(state)}])
    store.replace_table("model_states", RowUpdate("model", [model], row))


def drop_model(store, model: str) -> None:
    import pandas as pd

    db = store.ibis()
    t = db.table("model_states")
    others = db.execute(t.filter(t.model != model).select("model", "fitted_at", fitted_on=t.fitted_on.cast("string"),
                                                          state=t.state.cast("string")))
    store.replace_table("model_states", others if len(others) else pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ("model", "fitted_at", "fitted_on", "state")}))


def share_shift(before: dict, now: dict) -> float:
    """Total-variation distance between two {category: share} (0: same mix, 1: disjoint)."""
    keys = set(before) | set(now)
    return 0.5 * sum(abs(float(before.get(k, 0.0)) - float(now.get(k, 0.0))) for k in keys)


def shares(values) -> dict:
    import pandas as pd

    s = pd.Series(list(values), dtype=object).fillna("none").astype(str)
    return {k: round(float(v), 6) for k, v in s.value_counts(normalize=True).items()} if len(s) else {}
