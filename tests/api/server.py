"""Start `centric serve` as a real subprocess on a free port, and a plain asyncio load generator."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workspace, port: int | None = None):
        self.workspace = workspace
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, timeout: float = 60.0) -> "Server":
        script = os.path.join(os.path.dirname(sys.executable), "centric")
        command = [script] if os.path.exists(script) else [sys.executable, "-m", "centric.cli.main"]
        self.proc = subprocess.Popen(command + ["serve", "--workspace", str(self.workspace), "--port", str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"centric serve exited: {self.proc.stderr.read().decode()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("centric serve did not start")

    def signal(self, sig) -> None:
        os.kill(self.proc.pid, sig)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_kb(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


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
               acked: list | None = None, stop: "asyncio.Event | None" = None) -> dict:
    """``clients`` connections each posting batches for ``seconds``: status counts (and acked ids)."""
    counts: dict = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30,
                                 headers={"Authorization": basic(key), "Content-Type": "application/json"}) as client:
        end = time.monotonic() + seconds

        async def one():
            while time.monotonic() < end and not (stop and stop.is_set()):
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
import sys, time, httpx
url, seconds = sys.argv[1], float(sys.argv[2])
worst, n, bad = 0.0, 0, 0
end = time.monotonic() + seconds
with httpx.Client(timeout=5) as c:
    while time.monotonic() < end:
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
    """/health asked every 0.1 s from its own process: prints the worst latency, count and failures."""
    return subprocess.Popen([sys.executable, "-c", PROBE, url, str(seconds)], stdout=subprocess.PIPE, text=True)
