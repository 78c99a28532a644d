"""`centric run` from cron or in a loop: one run at a time per workspace, and rounds that stop cleanly.

Rules:
- One run at a time. A run holds an exclusive lock (flock) on `WORKSPACE/run.lock` from before it
  opens the database until it has closed it. The lock goes with the process however it ends (also
  `kill -9`), so a lock is never stale. A run that finds it held does nothing and raises `RunBusy`;
  so does one that finds the database held by another command (`centric ingest`, `privacy erase`, ...).
  The CLI exits with `BUSY_EXIT` (75, EX_TEMPFAIL of sysexits.h: "try again later") and one line.
- `centric run --every 15m` starts a round every interval, counted from the start of the previous
  round; a round that takes longer than the interval is followed at once by the next (rounds never
  overlap). Between rounds it holds neither the lock nor the database, so every other command, and a
  cron run, can use the workspace then. A round that fails with a user's error (the database busy,
  bad data) is reported in its line and the next round comes as planned.
- Stopping (`Stop`, SIGTERM or SIGINT): the first signal lets the current step finish and skips the
  rest of the round; the sleep between rounds ends at once. A second signal abandons the current step
  at once: its open transaction rolls back. Every step writes each table in one transaction (services/
  run.py), so either way, and also after a kill, each table is the old one or the new one, never
  half of one. The loop then returns and `centric run` exits 0.
- Only the steps can be abandoned: the lock and the database are taken before the block a second
  signal may cut short and given back after it, so no signal can skip closing the database (the
  interrupt is raised once at most: whatever runs after it runs whole). What the abandoned step left
  in memory (DuckDB connections and results held by its frames) is collected at once, while the
  interpreter is whole: left to the interpreter's exit, DuckDB's worker threads can abort the process
  ("terminate called without an active exception", exit -6) instead of it exiting 0.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from centric.errors import CentricError

BUSY_EXIT = 75  # EX_TEMPFAIL: a temporary failure, the next scheduled run will do it
LOCK_FILE = "run.lock"
_INTERVAL = re.compile(r"(\d{1,7})([smh])")
_UNIT = {"s": 1, "m": 60, "h": 3600}


class ScheduleError(CentricError):
    """An interval `--every` cannot read."""


class RunBusy(CentricError):
    """Another run (or another command) holds the workspace: this run did nothing."""

    exit_code = BUSY_EXIT


def parse_interval(text: str) -> int:
    """'30s', '15m', '1h' -> seconds (whole numbers and one unit; more than 0, at most a week)."""
    match = _INTERVAL.fullmatch(str(text).strip().lower())
    seconds = int(match.group(1)) * _UNIT[match.group(2)] if match else 0
    if not match or not 0 < seconds <= 7 * 24 * 3600:
        raise ScheduleError(f"--every {text!r} is not an interval: give a whole number and a unit, s, m or h "
                            "(30s, 15m, 1h), more than 0 and at most a week")
    return seconds


@contextmanager
def run_lock(workspace: Path):
    """Hold `WORKSPACE/run.lock` for the block, or raise RunBusy naming the run that holds it."""
    import fcntl

    path = Path(workspace) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
            who = f" (pid {holder[0]}, started {holder[1]})" if len(holder) >= 2 else ""
            raise RunBusy(f"another `centric run` is still going on {workspace}{who}: "
                          "this one did nothing") from None
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {started}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing drops the lock


@dataclass
class RunResult:
    steps: dict[str, int]  # rows written per step run
    left_out: list[str]  # what personas and the journey left out for want of consent
    seconds: float
    skipped: list[str] = field(default_factory=list)  # steps not run: a stop came first

    @property
    def complete(self) -> bool:
        return not self.skipped


def run_once(workspace: Path, on_step: Callable[[str], None] | None = None,
             stop: Callable[[], bool] | None = None, full: bool = False) -> RunResult:
    """One `centric run` under the run lock: every step (services/run.py; `full`: nothing reused or
    incremental), then the consent lines. `stop` is asked before each step; a `Stop`'s second signal
    may abandon the steps, and only them: the lock and the store are taken before its `interruptible()`
    block and given back after it (the module's rules)."""
    from centric.services.consent import messages as consent_messages
    from centric.services.run import STEPS, run_all
    from centric.services.workspace_files import load_settings, open_store
    from centric.store.connection import StoreBusy

    load_settings(workspace)  # not a workspace: say so before taking any lock
    interruptible = getattr(stop, "interruptible", nullcontext)
    began = time.monotonic()
    with run_lock(workspace), ExitStack() as opened:
        try:
            settings, store = opened.enter_context(open_store(workspace))
        except StoreBusy as exc:  # only here: the database was never opened, so nothing was done
            raise RunBusy(f"{exc}; this run did nothing") from None
        with interruptible():
            steps = run_all(store, settings, on_step=on_step, workspace=workspace, stop=stop, full=full)
            left_out = consent_messages(store, ("personas", "journey"))
    return RunResult(steps, left_out, time.monotonic() - began, [name for name, _ in STEPS if name not in steps])


class Stop:
    """While entered, SIGTERM and SIGINT ask to stop: the first sets `requested` (and ends `sleep`), the
    second, inside `interruptible()` (a round's steps), raises KeyboardInterrupt where the program is (its
    open transaction rolls back) and sets `abandoned`; outside it there is nothing to abandon (the loop is
    already stopping, or the round is giving back its lock and database), so it is ignored, as are later
    ones: a round's line is never lost to a signal arriving while it is printed, and what runs after the
    interrupt (closing the database) is never cut short. The previous handlers come back on exit. Main
    thread only."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.requested: str | None = None  # the name of the signal that asked
        self.abandoned = False
        self._previous: dict = {}
        self._armed = 0  # inside interruptible(): a second signal raises

    @contextmanager
    def interruptible(self):
        """The block a second signal abandons (raising KeyboardInterrupt in it)."""
        self._armed += 1
        try:
            yield
        finally:
            self._armed -= 1

    def __enter__(self) -> "Stop":
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def ignore_after_exit(self) -> None:
        """For a program that ends once the loop has stopped (`centric run --every`): on exit the
        signals are ignored instead of given back, so one sent on the heels of the first (a
        supervisor's TERM after an INT) cannot kill the process while it finishes."""
        self._previous = {sig: signal.SIG_IGN for sig in self.SIGNALS}

    def _handle(self, signum, frame) -> None:
        if self.requested is None:
            self.requested = signal.Signals(signum).name
        elif not self.abandoned and self._armed:
            self.abandoned = True
            raise KeyboardInterrupt

    def __call__(self) -> bool:
        return self.requested is not None

    def sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`, ending within 0.2 s of a stop request."""
        end = time.monotonic() + seconds
        while self.requested is None and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))


@dataclass
class Round:
    number: int
    started: dt.datetime
    result: RunResult | None = None
    busy: str | None = None  # RunBusy: the round did nothing
    error: str | None = None  # a user's error stopped the round in `step`
    step: str | None = None  # the step running when the round ended early
    abandoned: bool = False  # a second signal abandoned `step`
    next_at: dt.datetime | None = None

    def line(self) -> str:
        """What the round did, in one line, for a log."""
        text = f"{self.started:%Y-%m-%d %H:%M:%S} round {self.number}:"
        if self.abandoned and self.step is None:  # the second signal came before the first step began
            text += " stopped before its first step on a second signal; no table was touched"
        elif self.abandoned:
            text += (f" abandoned `{self.step}` on a second signal; each of its tables is whole, the old one "
                     "or the new one")
        elif self.busy is not None:
            text += f" skipped: {self.busy}"
        elif self.error is not None:
            text += f" failed{f' in `{self.step}`' if self.step else ''}: {self.error}"
        else:
            r = self.result
            rows = ", ".join(f"{name} {n:,}" for name, n in r.steps.items())
            text += f" {len(r.steps)} steps in {r.seconds:.1f} s: {rows or 'none'} (rows)"
            if r.skipped:
                text += (f"; stopped before {', '.join(r.skipped)} (the server keeps the last complete "
                         "round's figures)")
        if self.next_at is not None:
            text += f"; next round at {self.next_at:%H:%M:%S}"
        return text


def run_every(workspace: Path, seconds: float, report: Callable[[Round], None], stop: Stop) -> int:
    """Rounds of `run_once` every `seconds` until `stop` asks (see the module's rules); each round is
    passed to `report` once done. Returns the number of rounds begun."""
    from centric.services.workspace_files import load_settings

    load_settings(workspace)  # a typo in --workspace fails now, not every round
    number = 0
    while not stop():
        number += 1
        began = time.monotonic()
        this = Round(number, dt.datetime.now().astimezone())
        current: list[str] = []
        try:
            this.result = run_once(workspace, on_step=current.append, stop=stop)  # its steps interruptible()
        except BaseException as exc:
            this.step = current[-1] if current else None
            if stop.abandoned:  # whatever the interrupted call raised on its way out
                this.abandoned = True
            elif isinstance(exc, RunBusy):
                this.busy = str(exc)
            elif isinstance(exc, CentricError):
                this.error = str(exc)
            else:
                raise
        if this.abandoned:
            _let_go()
        if not stop():
            this.next_at = this.started + dt.timedelta(seconds=max(seconds, time.monotonic() - began))
        report(this)
        if this.next_at is not None:
            stop.sleep(began + seconds - time.monotonic())
    return number


def _let_go() -> None:
    """After an abandoned step: free now what its frames held. The interrupt's traceback keeps the step's
    frames, and with them DuckDB connections, relations and Arrow streams, in reference cycles that only
    the garbage collector frees. Left to the interpreter's exit, they are freed while Python finalizes,
    where DuckDB's teardown can abort the process ("terminate called without an active exception",
    exit -6: its worker threads cannot take the GIL then; duckdb/duckdb#13904). The store itself is
    already closed (run_once gives it back outside the interruptible block)."""
    import gc

    gc.collect()
