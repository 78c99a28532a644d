"""The loop of `centric run --every` (services/schedule.py) in-process, with real signals and a stand-in
for the run itself (tests/cli/test_run_schedule.py runs the real thing): the sleep ends within a
fraction of a second of SIGTERM, a busy round is reported and the loop goes on, the handlers that
were there before come back, and intervals read as documented."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from centric.services import schedule
from centric.services.schedule import RunBusy, RunResult, ScheduleError, Stop, parse_interval, run_every


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("15m", 900), ("1h", 3600), (" 2H ", 7200), ("168h", 604800)])
def test_intervals(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "15", "0m", "1.5h", "15 m", "m", "-1s", "1d", "169h", "15m30s", "ten"])
def test_nonsense_intervals(text):
    with pytest.raises(ScheduleError, match="not an interval"):
        parse_interval(text)


def _later(seconds: float, *signals, sent: list | None = None) -> threading.Timer:
    """Send `signals` to this process `seconds` from now (the time.monotonic() of sending into `sent`)."""
    def send():
        if sent is not None:
            sent.append(time.monotonic())
        for sig in signals:
            os.kill(os.getpid(), sig)
    timer = threading.Timer(seconds, send)
    timer.start()
    return timer


def test_sigterm_ends_the_sleep_between_rounds_at_once(tmp_path, monkeypatch):
    from centric.services.workspace_files import init_workspace

    init_workspace(tmp_path)
    calls = []
    monkeypatch.setattr(schedule, "run_once", lambda ws, on_step=None, stop=None: calls.append(ws) or
                        RunResult({"collected": 0}, [], 0.01))
    before = signal.getsignal(signal.SIGTERM)
    rounds, sent = [], []
    with Stop() as stop:
        timer = _later(0.5, signal.SIGTERM, sent=sent)
        n = run_every(tmp_path, 5, rounds.append, stop)  # uninterrupted: 5 s
        ended = time.monotonic()
    timer.join()
    assert n == 1 and len(calls) == 1 and stop.requested == "SIGTERM" and not stop.abandoned
    # timed from the signal, not from the start (the timer's thread may wake late on a loaded machine)
    assert sent and 0 < ended - sent[0] < 0.5, (sent, ended)  # woke within 0.5 s of the signal, not at 5 s
    assert "round 1: 1 steps" in rounds[0].line() and "next round at" in rounds[0].line()
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_busy_round_is_reported_and_the_loop_goes_on(tmp_path, monkeypatch):
    from centric.services.workspace_files import init_workspace

    init_workspace(tmp_path)
    outcomes = [RunBusy("another `centric run` is still going"), RunResult({"collected": 3}, [], 0.01)]

    def run_once(workspace, on_step=None, stop=None):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(schedule, "run_once", run_once)
    lines = []

    def report(one):
        lines.append(one.line())
        if one.number == 2:
            os.kill(os.getpid(), signal.SIGINT)

    with Stop() as stop:
        assert run_every(tmp_path, 1, report, stop) == 2
    assert "round 1: skipped: another `centric run` is still going" in lines[0]
    assert "round 2: 1 steps" in lines[1] and "collected 3" in lines[1], lines


def test_a_second_signal_raises_inside_a_step_only_and_later_ones_are_ignored():
    with Stop() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop() and not stop.abandoned
        os.kill(os.getpid(), signal.SIGINT)  # between steps (a round's line being printed): nothing to abandon
        time.sleep(0.05)
        assert not stop.abandoned
        with pytest.raises(KeyboardInterrupt), stop.interruptible():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        assert stop.abandoned
        with stop.interruptible():
            os.kill(os.getpid(), signal.SIGTERM)  # ignored: no exception, the process lives
            time.sleep(0.05)
    assert stop.requested == "SIGTERM"


def test_a_second_signal_while_a_round_is_reported_loses_no_line(tmp_path, monkeypatch):
    from centric.services.workspace_files import init_workspace

    init_workspace(tmp_path)
    monkeypatch.setattr(schedule, "run_once", lambda ws, on_step=None, stop=None:
                        os.kill(os.getpid(), signal.SIGINT) or RunResult({"collected": 0}, [], 0.01))
    lines = []

    def report(one):
        os.kill(os.getpid(), signal.SIGTERM)  # the second signal, as the round's line is written
        time.sleep(0.05)
        lines.append(one.line())

    with Stop() as stop:
        assert run_every(tmp_path, 1, report, stop) == 1
    assert not stop.abandoned and len(lines) == 1 and "round 1: 1 steps" in lines[0], lines


def test_the_run_lock_is_one_at_a_time_and_names_its_holder(tmp_path):
    with schedule.run_lock(tmp_path):
        with pytest.raises(RunBusy, match=rf"pid {os.getpid()}, started "):
            with schedule.run_lock(tmp_path):
                pass
    with schedule.run_lock(tmp_path):  # released on exit
        assert oct((tmp_path / "run.lock").stat().st_mode & 0o777) == "0o600"


def test_a_publish_cut_short_leaves_the_old_snapshot_and_no_half_copy(tmp_path):
    from centric.services.workspace_files import init_workspace, open_store
    from centric.store.snapshot import publish_snapshot, snapshot_path

    init_workspace(tmp_path)
    with open_store(tmp_path) as (_, store):
        publish_snapshot(store, tmp_path)
        old = snapshot_path(tmp_path).read_bytes()
        with pytest.raises(Exception, match="no_such_table"):  # fails half-way, as a second signal would
            publish_snapshot(store, tmp_path, tables=("kpis", "no_such_table"))
    assert [p.name for p in snapshot_path(tmp_path).parent.iterdir()] == ["api.duckdb"]
    assert snapshot_path(tmp_path).read_bytes() == old


def test_a_second_signal_as_the_round_closes_its_store_cannot_skip_closing_it(tmp_path, monkeypatch):
    """The second signal arriving just as the round gives its database back (CI once saw the process abort
    at exit, -6, when a second signal skipped the close and DuckDB was left to the interpreter's exit):
    only the steps are interruptible, so it is ignored there and the store is closed."""
    import duckdb

    from centric.services import run as run_service
    from centric.services.workspace_files import init_workspace
    from centric.store.connection import Store

    init_workspace(tmp_path)
    # the first signal during the steps: the rest of the round is skipped, the round ends normally
    monkeypatch.setattr(run_service, "run_all", lambda store, settings, **_: os.kill(os.getpid(), signal.SIGTERM) or {})
    closed, real_close = [], Store.close

    def close(self):
        os.kill(os.getpid(), signal.SIGINT)  # the second signal, at the cleanup point
        time.sleep(0.05)  # its handler runs by now: a KeyboardInterrupt here would skip the close below
        real_close(self)
        closed.append(self)

    monkeypatch.setattr(Store, "close", close)
    rounds = []
    with Stop() as stop:
        assert run_every(tmp_path, 1, rounds.append, stop) == 1
    assert stop.requested == "SIGTERM" and not stop.abandoned
    assert len(closed) == 1, "the store was not closed"
    with pytest.raises(duckdb.ConnectionException):
        closed[0].con.execute("SELECT 1")
    line = rounds[0].line()
    assert "0 steps in " in line and "; stopped before collected, " in line and "next round" not in line, line


def test_what_an_abandoned_step_held_is_freed_before_the_loop_goes_on(tmp_path, monkeypatch):
    """A second signal inside a step: the step's frames (kept by the interrupt's traceback, in reference
    cycles) and the DuckDB connection they hold are freed before the round is reported, not left to the
    interpreter's exit (where DuckDB's teardown can abort the process)."""
    import gc
    import weakref

    import duckdb

    from centric.services import run as run_service
    from centric.services.workspace_files import init_workspace

    class Held:
        pass

    init_workspace(tmp_path)
    held = []

    def run_all(store, settings, on_step=None, **_):
        on_step("identities")
        con = duckdb.connect()  # a connection of the step's own, as publishing the snapshot opens
        con.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
        cycle = Held()
        cycle.con, cycle.self = con, cycle  # a reference cycle: only the garbage collector frees it
        held.append(weakref.ref(cycle))
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)  # abandoned here
        return {}

    monkeypatch.setattr(run_service, "run_all", run_all)
    alive_when_reported = []
    was_enabled = gc.isenabled()
    gc.disable()  # no collection by chance: only the loop's own frees the cycle
    try:
        with Stop() as stop:
            run_every(tmp_path, 1, lambda one: alive_when_reported.append(held[0]() is not None), stop)
    finally:
        if was_enabled:
            gc.enable()
    assert stop.abandoned and alive_when_reported == [False]
