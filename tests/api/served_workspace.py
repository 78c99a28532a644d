"""A workspace served as a shop would run it, for the real-client tests of the collector.

Everything goes through the `centric` command a user types: `centric init`, `centric keys create
--kind write` (the key is the last line it prints), `centric serve` as a subprocess on a free port
(ready once /health answers), `centric ingest --collected`, and SIGTERM to stop. The tables are then
read through a read-only Store, the way `centric sql` reads them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

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


class ServedWorkspace:
    """A fresh workspace, a write key and `centric serve` on 127.0.0.1:<free port>."""

    def __init__(self, folder: Path, cors_origins: list[str] = ()):
        self.folder = Path(folder)
        self.cors_origins = list(cors_origins)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.write_key = ""
        self.proc: subprocess.Popen | None = None
        self.log = self.folder.parent / f"{self.folder.name}-serve.log"

    def start(self) -> "ServedWorkspace":
        centric("init", "--workspace", str(self.folder))
        if self.cors_origins:  # the shop's pages, in centric.toml's [server] cors_origins
            self._set_cors_origins()
        out = centric("keys", "create", "--kind", "write", "--workspace", str(self.folder)).stdout
        self.write_key = out.strip().splitlines()[-1].strip()
        assert self.write_key and " " not in self.write_key, f"no key on the last line of: {out!r}"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([CENTRIC, "serve", "--workspace", str(self.folder), "--port", str(self.port)],
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"centric serve exited {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as res:
                    if res.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"centric serve did not answer /health within 30 s:\n{self.log.read_text()}")

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
            raise AssertionError("centric serve did not stop within 10 s of SIGTERM")
        return time.monotonic() - began

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

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
