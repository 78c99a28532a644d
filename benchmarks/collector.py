"""The collector under load: `centric serve` against a FastAPI route that only returns 200, in one run.

All servers run the same way (a subprocess, uvicorn, the same options) on this machine, side by side,
and take the load in turns (``--rounds`` slices each, the order rotating), so a change in the machine's
load falls on all of them alike. The load is
the same for both: ``--clients`` keep-alive connections (50), spread over ``--processes`` client
processes of plain asyncio HTTP/1.1 (no client library in the way), each posting Segment batches of
``--batch`` messages (100, every messageId unique) for ``--seconds`` (10). Reported: messages per
second accepted (200 answers x batch), p50 and p99 latency per request, and centric's share of the
ceiling (and, for reference, of the same route when it reads the body before answering: what receiving
the bytes costs alone), and the CPU time each server process used per request (user + system, all its
threads, from /proc): steadier than the rates on a shared machine. Then a crash run: load, ``kill -9`` mid-load, and every acknowledged messageId is counted in
the spool files (lost = acknowledged and absent, duplicated = present more than once).

Targets: >= 5,000 messages/s accepted, within 2x of the ceiling, 0 lost, 0 duplicated.

    python benchmarks/collector.py [--seconds 10] [--rounds 5] [--clients 50] [--batch 100] [--processes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections import Counter
from pathlib import Path

CEILING_APP = textwrap.dedent('''
    import sys, uvicorn
    from fastapi import FastAPI, Request, Response
    app = FastAPI()

    if sys.argv[2] == "read":
        @app.post("/v1/batch")
        async def batch(request: Request):
            await request.body()
            return Response(status_code=200)
    else:
        @app.post("/v1/batch")
        async def batch():
            return Response(status_code=200)

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    # the options of `centric serve` (Workspace.serve), and its gc.freeze() and gc thresholds before serving
    import gc
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", limit_concurrency=1024,
                backlog=2048, timeout_graceful_shutdown=2, timeout_keep_alive=30, access_log=False)
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def start_centric(workspace: Path, port: int) -> subprocess.Popen:
    script = Path(sys.executable).parent / "centric"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "centric.cli.main"]
    proc = subprocess.Popen(command + ["serve", "--workspace", str(workspace), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_healthy(port, proc)
    return proc


def start_ceiling(port: int, mode: str = "plain") -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", CEILING_APP, str(port), mode], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    wait_healthy(port, proc)
    return proc


def template(batch: int) -> bytes:
    """A Segment batch whose messageIds all start with a 20-character placeholder, replaced per request."""
    messages = [{"type": "track", "userId": f"user-{i % 37}", "anonymousId": f"anon-{i}", "event": "Product Viewed",
                 "messageId": f"@@@@@@@@@@@@@@@@@@@@-{i:03d}", "timestamp": "2026-11-29T10:00:00.000Z",
                 "properties": {"product_id": f"P{i:05d}", "name": "Linen shirt", "price": 39.9, "currency": "EUR"},
                 "context": {"library": {"name": "analytics-python", "version": "2.4.0"}, "ip": "203.0.113.9"}}
                for i in range(batch)]
    return json.dumps({"batch": messages, "sentAt": "2026-11-29T10:00:00.100Z"}).encode()


async def _connection(port, head, body, seconds, tag, out):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        prefix = f"{tag}{n:08d}".encode().ljust(20, b"x")
        assert len(prefix) == 20
        n += 1
        payload = body.replace(b"@@@@@@@@@@@@@@@@@@@@", prefix)
        started = time.perf_counter()
        try:
            writer.write(head + payload)
            status = int((await reader.readline()).split()[1])
            length, close = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and value.strip().lower() == "close":
                    close = True
            await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            out["errors"] += 1
            writer.close()
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            continue
        out["latency"].append(time.perf_counter() - started)
        out["status"][status] = out["status"].get(status, 0) + 1
        if status == 200:
            out["acked"].append(prefix.decode())
        if close:
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()


def client_process(args) -> dict:
    port, key, clients, seconds, batch, worker, rnd = args
    body = template(batch)
    auth = base64.b64encode(f"{key}:".encode()).decode()
    head = (f"POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic {auth}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    out = {"latency": [], "status": {}, "acked": [], "errors": 0}
    import logging

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # writes to a killed server are counted, not logged

    async def main():
        await asyncio.gather(*(_connection(port, head, body, seconds, f"r{rnd}w{worker}c{c:03d}n", out)
                               for c in range(clients)))

    asyncio.run(main())
    return out


def drive(port: int, key: str, clients: int, seconds: float, batch: int, processes: int, pool=None,
          rnd: int = 0, server: subprocess.Popen | None = None) -> dict:
    """``clients`` connections for ``seconds`` (client processes from ``pool``, else a new pool)."""
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    work = [(port, key, n, seconds, batch, i, rnd) for i, n in enumerate(shares)]
    cpu = server_cpu(server)
    started = time.perf_counter()
    if pool is None:
        with mp.get_context("spawn").Pool(processes) as own:
            parts = own.map(client_process, work)
    else:
        parts = pool.map(client_process, work)
    elapsed = time.perf_counter() - started
    cpu = server_cpu(server) - cpu if cpu is not None else None
    return summary([{"parts": parts, "seconds": seconds, "elapsed": elapsed, "server_cpu": cpu}], batch)


def summary(slices: list[dict], batch: int) -> dict:
    """Slices of load on one server, added up: messages/s over the slices' time, latency over all requests."""
    parts = [p for s in slices for p in s["parts"]]
    seconds = sum(s["seconds"] for s in slices)
    latency = sorted(x for p in parts for x in p["latency"])
    status: Counter = Counter()
    for p in parts:
        status.update(p["status"])
    ok = status.get(200, 0)
    cpus = [s["server_cpu"] for s in slices]
    requests = sum(status.values())
    return {"messages_per_s": ok * batch / seconds, "requests": requests, "status": dict(status),
            "errors": sum(p["errors"] for p in parts), "elapsed": sum(s["elapsed"] for s in slices),
            "p50_ms": 1000 * latency[len(latency) // 2] if latency else None,
            "p99_ms": 1000 * latency[min(len(latency) - 1, int(len(latency) * 0.99))] if latency else None,
            "cpu_ms_per_request": (1000 * sum(cpus) / requests if requests and None not in cpus else None),
            "acked": [a for p in parts for a in p["acked"]], "slices": slices}


def server_cpu(proc: subprocess.Popen | None) -> float | None:
    """CPU seconds the server process has used (user + system, all threads), None where /proc is absent."""
    if proc is None:
        return None
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def spooled_ids(workspace: Path) -> Counter:
    from centric.store.spool import read_records, spool_files

    counts: Counter = Counter()
    for path in spool_files(workspace / "spool"):
        counts.update(rec["id"] for rec in read_records(path))  # a batch record: each of its messages
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5, help="slices each server's --seconds is cut into")
    args = parser.parse_args()

    from centric.services.keys import create_key
    from centric.services.workspace_files import init_workspace

    work = Path(tempfile.mkdtemp(prefix="centric-bench-collector-"))
    workspace = work / "shop"
    init_workspace(workspace)
    _, key = create_key(workspace, "write", "bench")
    print(f"load: {args.clients} clients in {args.processes} processes, batches of {args.batch}, {args.seconds:g} s "
          f"each; {os.cpu_count()} cores")

    # the three servers run side by side and take the load in turns (--rounds slices each, the order
    # rotating), so a change in the machine's load (other work on it) falls on all three alike
    servers = {}
    try:
        for name, start in (("ceiling", lambda p: start_ceiling(p)), ("reference", lambda p: start_ceiling(p, "read")),
                            ("centric", lambda p: start_centric(workspace, p))):
            port = free_port()
            servers[name] = (port, start(port))
        slices: dict[str, list] = {name: [] for name in servers}
        per_slice = args.seconds / args.rounds
        with mp.get_context("spawn").Pool(args.processes) as pool:
            for rnd in range(args.rounds):
                names = list(servers)
                for name in names[rnd % 3:] + names[:rnd % 3]:
                    port, proc = servers[name]
                    slices[name].extend(drive(port, key, args.clients, per_slice, args.batch, args.processes, pool,
                                              rnd, proc)["slices"])
    finally:
        for _, proc in servers.values():
            stop(proc)
    ceiling, reader, centric = (summary(slices[name], args.batch) for name in ("ceiling", "reference", "centric"))
    stored = spooled_ids(workspace)
    acked_ids = [f"{p}-{i:03d}" for p in centric["acked"] for i in range(args.batch)]
    for name, r in (("ceiling (FastAPI route that returns 200)", ceiling),
                    ("reference: the route reads the body first", reader), ("centric serve", centric)):
        cpu = f"{r['cpu_ms_per_request']:.2f} ms" if r["cpu_ms_per_request"] is not None else "?"
        print(f"{name:42s} {r['messages_per_s']:>10,.0f} messages/s  p50 {r['p50_ms']:.1f} ms  "
              f"p99 {r['p99_ms']:.1f} ms  server CPU/request {cpu}  answers {r['status']}  errors {r['errors']}")
    ratio = centric["messages_per_s"] / ceiling["messages_per_s"]
    print(f"centric / ceiling: {ratio:.2f} ({1 / ratio:.2f}x slower); centric / reference "
          f"{centric['messages_per_s'] / reader['messages_per_s']:.2f}; "
          f"spool check of the timed run: {sum(1 for i in acked_ids if stored[i] != 1)} acknowledged ids not "
          f"stored exactly once of {len(acked_ids):,}")

    # the crash run: kill -9 mid-load
    crash = work / "crash"
    init_workspace(crash)
    _, crash_key = create_key(crash, "write", "bench")
    port = free_port()
    proc = start_centric(crash, port)
    killer_delay = min(3.0, args.seconds / 2)
    seconds = max(4.0, args.seconds / 2)

    def kill_later():
        time.sleep(killer_delay)
        os.kill(proc.pid, signal.SIGKILL)

    import threading

    threading.Thread(target=kill_later, daemon=True).start()
    result = drive(port, crash_key, args.clients, seconds, args.batch, args.processes)
    proc.wait(10)
    stored = spooled_ids(crash)
    acked_ids = [f"{p}-{i:03d}" for p in result["acked"] for i in range(args.batch)]
    lost = sum(1 for i in acked_ids if stored[i] == 0)
    duplicated = sum(1 for n in stored.values() if n > 1)
    print(f"kill -9 after {killer_delay:g} s: {len(acked_ids):,} messages acknowledged, {sum(stored.values()):,} "
          f"messages spooled, {lost} lost, {duplicated} duplicated "
          f"({len(set(stored) - set(acked_ids)):,} spooled but not acknowledged: in flight at the kill; a "
          f"client retries them and the loader's dedupe on messageId keeps one)")
    verdict = (centric["messages_per_s"] >= 5000 and ratio >= 0.5 and lost == 0 and duplicated == 0)
    print("targets (>= 5,000 messages/s, within 2x of the ceiling, 0 lost, 0 duplicated):",
          "met" if verdict else "NOT met")


if __name__ == "__main__":
    main()
