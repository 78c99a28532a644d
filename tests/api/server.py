"""`centric serve` as a real subprocess on a free port, a workspace served as a shop runs it, and a plain
asyncio load generator.

``Server`` starts `centric serve` (ready once /health answers; its output goes to a log file) and stops
it with SIGTERM, as a service manager does. ``ServedWorkspace`` does everything through the `centric`
command a user types: `centric init`, `centric keys create --kind write` (the key is the last line it
prints), ``Server``, `centric ingest --collected`; its tables are read through a read-only Store, the
way `centric sql` reads them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

CENTRIC = shutil.which("centric", path=str(Path(sys.executable).parent)) or shutil.which("centric") or "centric"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def centric(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run one `centric` command; a failure raises with its output (the error is the evidence)."""
    done = subprocess.run([CENTRIC, *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"`centric {' '.join(args)}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@contextlib.contextmanager
def serve_in_thread(app, log_level: str = "warning", timeout: float = 30.0):
    """``app`` served by uvicorn in a thread of this process; yields its URL. The socket is bound here
    and handed to uvicorn, so no other process can take the port between choosing and binding it."""
    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the in-process server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


class Server:
    """`centric serve --workspace WORKSPACE` on 127.0.0.1:<free port>, its output in ``log``."""

    def __init__(self, workspace, port: int | None = None):
        self.workspace = Path(workspace)
        self.proc: subprocess.Popen | None = None
        self._chosen = port is None  # a free port: another may take it before the server binds it
        self._use(port or free_port())

    def _use(self, port: int) -> None:
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.log = self.workspace.parent / f"{self.workspace.name}-serve-{port}.log"

    def start(self, timeout: float = 60.0) -> "Server":
        for _ in range(3):
            try:
                return self._start(timeout)
            except AssertionError:
                # between free_port() closing its socket and the server binding, another process (an
                # xdist worker's server or client) took the port: a fresh one, rather than a flaky failure
                if not (self._chosen and self.proc.poll() is not None and "address already in use" in self.log_text()):
                    raise
                self._use(free_port())
        return self._start(timeout)

    def _start(self, timeout: float) -> "Server":
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([CENTRIC, "serve", "--workspace", str(self.workspace), "--port", str(self.port)],
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"centric serve exited {self.proc.returncode}:\n{self.log_text()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"centric serve did not answer /health within {timeout:.0f} s:\n{self.log_text()}")

    def signal(self, sig) -> None:
        os.kill(self.proc.pid, sig)

    def stop(self) -> float:
        """SIGTERM, as a service manager stops it; returns the seconds it took to exit."""
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
            raise AssertionError("centric serve did not stop within 10 s of SIGTERM") from None
        return time.monotonic() - began

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def rss_kb(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


class ServedWorkspace:
    """A fresh workspace, a write key and ``Server`` on it."""

    def __init__(self, folder: Path, cors_origins: list[str] = ()):
        self.folder = Path(folder)
        self.cors_origins = list(cors_origins)
        self.write_key = ""
        self.server = Server(self.folder)
        self.port, self.url = self.server.port, self.server.url

    def start(self) -> "ServedWorkspace":
        centric("init", "--workspace", str(self.folder))
        if self.cors_origins:  # the shop's pages, in centric.toml's [server] cors_origins
            self._set_cors_origins()
        out = centric("keys", "create", "--kind", "write", "--workspace", str(self.folder)).stdout
        self.write_key = out.strip().splitlines()[-1].strip()
        assert self.write_key and " " not in self.write_key, f"no key on the last line of: {out!r}"
        self.server.start(timeout=30)
        self.port, self.url = self.server.port, self.server.url  # a port taken meanwhile: it moved
        return self

    def _set_cors_origins(self) -> None:
        toml = self.folder / "centric.toml"
        line = "cors_origins = " + json.dumps(self.cors_origins)
        lines = toml.read_text().splitlines()
        if "[server]" in "\n".join(lines):
            lines = [line if x.startswith("cors_origins") else x for x in lines]
        else:
            lines += ["", "[server]", line]
        toml.write_text("\n".join(lines) + "\n")

    def stop(self) -> float:
        return self.server.stop()

    def log_text(self) -> str:
        return self.server.log_text()

    def ingest_collected(self) -> str:
        return centric("ingest", "--collected", "--workspace", str(self.folder)).stdout

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        """Rows of a read-only query on the workspace database (what `centric sql` shows)."""
        from centric.services.workspace_files import open_store

        with open_store(self.folder, read_only=True) as (_, store):
            frame = store.query_df(sql, params)
        return frame.astype(object).where(frame.notna(), None).to_dict("records")  # NULL is None, not NaN

    def count_by_id(self, table: str, column: str, ids) -> dict[str, int]:
        """How many rows of `table` hold each id in `column` (0 when absent)."""
        ids = sorted(set(ids))
        found = {r["id"]: int(r["n"]) for r in self.rows(
            f"SELECT {column} AS id, count(*) AS n FROM {table} WHERE {column} IN (SELECT unnest(?)) GROUP BY 1",
            [ids])}
        return {i: found.get(i, 0) for i in ids}


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def batch(n: int, prefix: str | None = None) -> tuple[list[str], bytes]:
    prefix = prefix or uuid.uuid4().hex
    ids = [f"{prefix}-{i}" for i in range(n)]
    body = {"batch": [{"type": "track", "userId": f"u{i % 97}", "event": "Product Viewed", "messageId": mid,
                       "properties": {"product_id": f"P{i}", "price": 19.99}, "timestamp": "2026-11-29T10:00:00Z"}
                      for i, mid in enumerate(ids)], "sentAt": "2026-11-29T10:00:01Z"}
    return ids, json.dumps(body).encode()


async def load(url: str, key: str, clients: int, seconds: float, per_batch: int = 10,
               acked: list | None = None, stop: "asyncio.Event | None" = None, min_each: int = 0) -> dict:
    """``clients`` connections each posting batches for ``seconds`` (and until it has posted ``min_each``:
    on a loaded machine a first wave of 200 can take longer than the seconds): status counts (and acked ids)."""
    counts: dict = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30,
                                 headers={"Authorization": basic(key), "Content-Type": "application/json"}) as client:
        end = time.monotonic() + seconds

        async def one():
            posted = 0
            while (time.monotonic() < end or posted < min_each) and not (stop and stop.is_set()):
                posted += 1
                ids, body = batch(per_batch)
                try:
                    r = await client.post("/v1/batch", content=body)
                    code = r.status_code
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                counts[code] = counts.get(code, 0) + 1
                if code == 200 and acked is not None:
                    acked.extend(ids)
                if code in (429, 503):
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(one() for _ in range(clients)))
    return counts


PROBE = """
import sys, threading, time, httpx
url, seconds = sys.argv[1], float(sys.argv[2])
worst, n, bad = 0.0, 0, 0
ended = threading.Event()  # stdin closed: what was measured is over
threading.Thread(target=lambda: (sys.stdin.read(), ended.set()), daemon=True).start()
print("ready", flush=True)
end = time.monotonic() + seconds
with httpx.Client(timeout=5) as c:
    while time.monotonic() < end or not ended.is_set() and time.monotonic() < end + 600:
        t = time.monotonic()
        try:
            ok = c.get(url + "/health", headers={"Connection": "close"}).status_code == 200
        except httpx.HTTPError:
            ok = False
        worst, n, bad = max(worst, time.monotonic() - t), n + 1, bad + (not ok)
        time.sleep(0.1)
print(worst, n, bad)
"""


def start_probe(url: str, seconds: float) -> subprocess.Popen:
    """/health asked every 0.1 s from its own process for at least `seconds` and until `communicate()`
    (which closes its stdin), after which it prints the worst latency, count and failures. Returns once
    it asks (its start-up, seconds on a loaded machine, is not in its window)."""
    probe = subprocess.Popen([sys.executable, "-c", PROBE, url, str(seconds)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert probe.stdout.readline().strip() == "ready", "the /health probe did not start"
    return probe
