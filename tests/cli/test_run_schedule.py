"""`centric run` from cron and `centric run --every`, as real processes on a tiny workspace.

Rules under test (services/schedule.py): one run at a time per workspace: a second `centric run` while
one is going (or while another command holds the database) says so in one line and exits 75 having
done nothing; `--every` runs rounds and prints one line per round; SIGTERM mid-round lets the running
step finish and exits 0 within seconds; a second signal abandons the step; every table stays whole;
`centric serve` keeps answering and collecting while a run loads what it collected. (The sleep between
rounds ending at once on SIGTERM is tests/services/test_schedule.py's.)
"""

from __future__ import annotations

import queue
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid

import httpx
import pytest

from tests.api.server import CENTRIC, Server, basic, centric, start_probe

BUSY = 75


def _orders(n_customers: int = 12) -> tuple[str, int]:
    """A few orders per customer (1 to 3, by customer number); returns the CSV and how many customers."""
    rows = ["order_id,customer_id,ordered_at,total"]
    for c in range(n_customers):
        for k in range(1 + c % 3):
            rows.append(f"O{c}-{k},c{c},2024-{1 + (c + 4 * k) % 12:02d}-{1 + c % 27:02d},{10 + 3 * c + k}")
    return "\n".join(rows) + "\n", n_customers


TABLES = ("customer_summary", "customer_value", "identities", "customer_profiles", "kpis", "stage_transitions")


def _counts(workspace) -> dict[str, int]:
    """Rows of the run's output tables, read as `centric sql` reads them (read-only)."""
    from centric.services.workspace_files import open_store

    with open_store(workspace, read_only=True) as (_, store):
        return {table: store.count(table) for table in TABLES}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A tiny shop, loaded and run once: every output table full."""
    from centric import Workspace

    folder = tmp_path_factory.mktemp("sched") / "shop"
    csv, customers = _orders()
    (folder.parent / "orders.csv").write_text(csv)
    shop = Workspace(folder)  # in this process: the same services `centric` calls, without its start-up
    shop.init()
    shop.ingest("orders", str(folder.parent / "orders.csv"))
    shop.run()
    counts = _counts(folder)
    assert counts["customer_summary"] == customers and all(counts.values()), counts
    return folder, counts


@pytest.fixture
def shop(base, tmp_path):
    folder, counts = base
    copy = tmp_path / "shop"
    shutil.copytree(folder, copy)
    return copy, counts


class Loop:
    """`centric run --every INTERVAL` as a real process; its output lines read as they come."""

    def __init__(self, workspace, every: str):
        self.proc = subprocess.Popen([CENTRIC, "run", "--workspace", str(workspace), "--every", every],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: list[str] = []
        self.seen: list[float] = []  # the time.monotonic() each line was read
        self._new: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.seen.append(time.monotonic())
            self.lines.append(line.rstrip("\n"))
            self._new.put(line)
        self._new.put(None)

    def rounds(self) -> list[str]:
        return [x for x in self.lines if re.search(r" round \d+: ", x)]

    def wait_for(self, test, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not test():
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None and self._new.empty():
                raise AssertionError(f"not seen within {timeout:.0f} s; output so far:\n" + "\n".join(self.lines))
            try:
                self._new.get(timeout=min(left, 0.5))
            except queue.Empty:
                pass

    def stop(self, *signals, gap: float = 0.2, timeout: float = 30) -> float:
        """Send the signals (`gap` s apart), wait for the exit; the seconds from the last one to the loop's
        "stopped by" line. (The exit comes after it, once the interpreter has torn down everything a round
        imported: 3.5-8 s on a loaded 2-core machine, all of it garbage collection; the exit is waited for,
        within `timeout`, but not timed: it is not the loop's doing.)"""
        for i, sig in enumerate(signals):
            if i:
                time.sleep(gap)
            self.proc.send_signal(sig)
        sent = time.monotonic()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("centric run --every did not stop:\n" + "\n".join(self.lines)) from None
        self._reader.join(10)  # every line read (the queue being empty does not say so: the reader may lag)
        stopped = [t for t, line in zip(self.seen, self.lines) if " stopped by " in line]
        assert stopped, "no \"stopped by\" line:\n" + "\n".join(self.lines)
        return stopped[-1] - sent


def _held(path) -> bool:
    """Whether some process holds a flock on `path`, read from /proc/locks (taking it to see would make the
    round that wants it busy)."""
    import os

    inode = str(os.stat(path).st_ino)
    with open("/proc/locks") as locks:  # "1: FLOCK  ADVISORY  WRITE 28938 08:01:1234567 0 EOF"
        for fields in map(str.split, locks):
            if "FLOCK" in fields and "->" not in fields and fields[fields.index("FLOCK") + 4].split(":")[-1] == inode:
                return True
    return False


def _wait_in_round(workspace, loop: Loop, timeout: float = 60) -> None:
    """Until a round of `loop` is in its steps: it holds the run lock and a step has written (DuckDB's
    write-ahead log is there; closing the database folds it in, so between rounds there is none). Rounds
    come each second, but a loaded machine is slow: a fixed pause would guess (and once guessed wrong)."""
    lock, wal = workspace / "run.lock", workspace / "centric.duckdb.wal"
    deadline = time.monotonic() + timeout
    while not (_held(lock) and wal.exists()):
        assert time.monotonic() < deadline and loop.proc.poll() is None, loop.lines
        time.sleep(0.005)


def _reported(line: str, step: str) -> int:
    return int(re.search(rf"\b{step} ([\d,]+)", line).group(1).replace(",", ""))


def test_a_run_refuses_while_another_command_holds_the_database(shop):
    from centric.services.ingest import ingest_files
    from centric.services.workspace_files import open_store

    workspace, counts = shop
    (workspace.parent / "more.csv").write_text("order_id,customer_id,ordered_at,total\nN1,newcomer,2024-06-01,30\n")
    with open_store(workspace) as (settings, store):  # `centric ingest`, still loading
        ingest_files(store, settings, "orders", [str(workspace.parent / "more.csv")])
        busy = subprocess.run([CENTRIC, "run", "--workspace", str(workspace)], capture_output=True, text=True,
                              timeout=60)
    assert busy.returncode == BUSY, (busy.stdout, busy.stderr)
    said = (busy.stdout + busy.stderr).strip().splitlines()
    assert len(said) == 1 and "in use by another process" in said[0] and "did nothing" in said[0], said
    after = _counts(workspace)
    assert after["identities"] == counts["identities"] + 1  # the ingest's own doing
    assert {**after, "identities": 0} == {**counts, "identities": 0}  # the newcomer is not summarised: it did nothing


@pytest.mark.parametrize("every", ["0s", "15", "1.5h", "2w", "-5m", "8d"])
def test_nonsense_intervals_are_refused_in_one_line(shop, every):
    workspace, _ = shop
    r = subprocess.run([CENTRIC, "run", "--workspace", str(workspace), "--every", every], capture_output=True,
                       text=True, timeout=60)
    said = (r.stdout + r.stderr).strip().splitlines()
    assert r.returncode == 1 and len(said) == 1 and "not an interval" in said[0] and repr(every) in said[0], said


def test_every_1s_runs_rounds_and_sigterm_mid_round_exits_0_with_whole_tables(shop):
    workspace, counts = shop
    loop = Loop(workspace, "1s")
    try:
        loop.wait_for(lambda: len(loop.rounds()) >= 2, 120)
        second = loop.rounds()[1]
        assert " 11 steps in " in second and "next round at" in second, second
        assert _reported(second, "customer_summary") == counts["customer_summary"]
        _wait_in_round(workspace, loop)  # round 3 (round 2 let the lock and the database go before its line)
        took = loop.stop(signal.SIGTERM)
    finally:
        if loop.proc.poll() is None:
            loop.proc.kill()
    assert loop.proc.returncode == 0, loop.lines
    assert took < 12, f"{took:.1f} s to stop"  # the step running finishes: here at most journey, ~3 s (8 s loaded)
    assert re.search(r"stopped by SIGTERM after [3-9] rounds", loop.lines[-1]), loop.lines
    assert "; stopped before " in loop.rounds()[-1], loop.rounds()[-1]  # signalled mid-round: the rest skipped
    print(f"\nstopped {took:.2f} s after SIGTERM; last round: {loop.rounds()[-1]}")
    assert _counts(workspace) == counts  # every table whole: rewritten from the same data, none half
    assert sorted(p.name for p in (workspace / "snapshot").iterdir()) == ["api.duckdb"]  # no copy left half-made


def test_a_second_signal_abandons_the_step_and_every_table_stays_whole(shop):
    workspace, counts = shop
    loop = Loop(workspace, "1s")
    try:
        loop.wait_for(lambda: loop.rounds(), 120)  # round 1 done: everything imported, rounds come each second
        _wait_in_round(workspace, loop)  # a later round, in its steps
        took = loop.stop(signal.SIGINT, signal.SIGTERM, gap=0.005)
    finally:
        if loop.proc.poll() is None:
            loop.proc.kill()
    assert loop.proc.returncode == 0, loop.lines
    assert took < 5, f"{took:.1f} s to stop after the second signal"
    assert "stopped by SIGINT" in loop.lines[-1], loop.lines
    last = loop.rounds()[-1]
    assert "abandoned `" in last or "stopped before" in last, last  # the round ended early either way
    assert "`None`" not in last, last
    print(f"\nstopped {took:.2f} s after the second signal; {last}")
    assert _counts(workspace) == counts


def _batch(ids: list[str]) -> dict:
    return {"batch": [{"type": "track", "userId": f"c{i % 5}", "event": "Product Viewed", "messageId": mid,
                       "properties": {"product_id": f"P{i}"}, "timestamp": "2024-06-01T10:00:00Z"}
                      for i, mid in enumerate(ids)]}


def _events_by_id(workspace, ids) -> set[int]:
    """How many `events` rows each id has, as a set (``{1}``: every id loaded exactly once)."""
    from collections import Counter

    from centric import Workspace

    found = Counter(Workspace(workspace).table("events")["event_id"])
    return {found.get(i, 0) for i in ids}


def test_cron_runs_while_serving_one_at_a_time_and_the_server_keeps_answering(base, tmp_path):
    """`centric serve` up; a cron run starts, a second overlaps it and refuses; the first completes,
    loading what the server acknowledged; /health and /v1/batch answer throughout."""
    from centric import Workspace
    from centric.services.keys import create_key

    folder, counts = base
    workspace, lock = tmp_path / "served", tmp_path / "served" / "run.lock"
    shutil.copytree(folder, workspace)
    write_key = create_key(workspace, "write")[1]
    server = Server(workspace).start()
    try:
        url, auth = server.url, {"Authorization": basic(write_key)}
        before = [f"before-{uuid.uuid4().hex}-{i}" for i in range(40)]
        r = httpx.post(url + "/v1/batch", headers=auth, json=_batch(before))
        assert r.status_code == 200, r.text
        probe = start_probe(url, 6)
        first = subprocess.Popen([CENTRIC, "run", "--workspace", str(workspace)], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().split()[:1] == [str(first.pid)]):
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()[0]
            time.sleep(0.05)
        second = subprocess.Popen([CENTRIC, "run", "--workspace", str(workspace)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        during, answers, overlapped = [], [], None
        while first.poll() is None:  # the server collects while the run works
            ids = [f"during-{uuid.uuid4().hex}-{i}" for i in range(10)]
            answers.append(httpx.post(url + "/v1/batch", headers=auth, json=_batch(ids), timeout=5).status_code)
            during += ids if answers[-1] == 200 else []
            if overlapped is None and second.poll() is not None:
                overlapped = first.poll() is None
            time.sleep(0.2)
        out = first.communicate()[0]
        said = second.communicate(timeout=60)
        worst, n, failed = probe.communicate(timeout=30)[0].split()
    finally:
        took = server.stop()
    assert overlapped, "the first run ended before the second was refused: no overlap was tested"
    lines = (said[0] + said[1]).strip().splitlines()
    assert second.returncode == BUSY, (second.returncode, said)
    assert len(lines) == 1 and "still going" in lines[0] and f"pid {first.pid}" in lines[0], lines
    assert first.returncode == 0, out
    assert f"customer_summary: {counts['customer_summary']} rows" in out
    assert int(re.search(r"collected: ([\d,]+) rows", out).group(1).replace(",", "")) >= len(before)
    assert answers and set(answers) == {200}, answers
    assert int(failed) == 0 and int(n) >= 20 and float(worst) < 1.0, (worst, n, failed)
    print(f"\n/health: {n} asked during the run, worst {float(worst) * 1000:.0f} ms; {len(answers)} batches "
          f"accepted during it; serve stopped in {took:.1f} s")
    assert _events_by_id(workspace, before) == {1}
    Workspace(workspace).ingest_collected()  # what came during the run loads once, whenever it is loaded
    assert _events_by_id(workspace, before + during) == {1}
