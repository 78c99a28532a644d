"""A real Spark standalone cluster on localhost for the tests: one master and two workers.

The rule: a test that says it runs "on a cluster" runs on separate JVMs that talk over the network
(a master, two workers each starting its own executor), never on `local[*]`. pyspark's wheel ships
the launcher classes (org.apache.spark.deploy.master.Master, org.apache.spark.deploy.worker.Worker)
and their jars, so nothing is downloaded: each daemon is `java -cp <pyspark>/jars/* <class>`.

- The master's ports (RPC, web UI) are free ports chosen at run time; workers bind to port 0 (any).
- Each worker offers 1 core and 1 GB to executors; daemon heaps are small (256 MB).
- Everything (logs, the workers' work dirs, shuffle and temp files) lives under one temp dir that is
  removed when the cluster stops (unless CENTRIC_KEEP_CLUSTER=1).
- `start()` returns once the master's web UI JSON (/json) lists both workers ALIVE; if that does not
  happen in time, it stops what it started and raises with the tail of every log.
- `stop()` ends each daemon's own process group (executors and Python workers are their children).

Use it through the session fixture `spark_cluster` (tests/conftest.py, marker `cluster`), which yields
the master URL `spark://127.0.0.1:PORT`; `cluster_session(url, tmp_path)` opens a SparkSession on it
with the settings a driver on this host needs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

WORKERS = 2
WORKER_CORES = 1
WORKER_MEMORY = "1g"
EXECUTOR_MEMORY = "1g"  # one executor per worker takes all its memory
DAEMON_HEAP = "256m"
START_TIMEOUT = 120.0


def spark_home() -> Path:
    """pyspark's install folder: it holds jars/ (the whole Spark runtime) and bin/."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def scala_version() -> str:
    """The Scala binary version of the jars pyspark ships (spark-core_2.13-*.jar gives 2.13)."""
    for jar in (spark_home() / "jars").glob("spark-core_*.jar"):
        return jar.name.split("_", 1)[1].split("-", 1)[0]
    return "2.13"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SparkCluster:
    """A standalone master and `workers` workers on 127.0.0.1, under `root` (a temp dir)."""

    root: Path
    workers: int = WORKERS
    url: str = ""
    web_ui: str = ""
    started_in: float = 0.0
    procs: list = field(default_factory=list)  # (name, Popen, log path)

    # -- start -----------------------------------------------------------------------------------
    def _env(self) -> dict:
        env = dict(os.environ)
        env.update(
            SPARK_HOME=str(spark_home()),
            SPARK_SCALA_VERSION=scala_version(),  # bin/load-spark-env.sh sets it; the executor launcher needs it
            SPARK_LOCAL_IP="127.0.0.1",
            SPARK_LOCAL_DIRS=str(self.root / "local"),
            SPARK_WORKER_DIR=str(self.root / "work"),
            PYSPARK_PYTHON=sys.executable,  # executors' Python workers (pandas UDFs) use this venv
            PYSPARK_DRIVER_PYTHON=sys.executable,
        )
        env.pop("SPARK_CONF_DIR", None)
        return env

    def _launch(self, name: str, main: str, *args: str) -> None:
        log = self.root / "logs" / f"{name}.log"
        java = shutil.which("java") or "java"
        cmd = [
            # daemons only route messages: a small heap, and the quick JIT tier starts them sooner
            java, f"-Xmx{DAEMON_HEAP}", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            f"-Djava.io.tmpdir={self.root / 'tmp'}",
            "-Dspark.master.rest.enabled=false", "-Dspark.ui.showConsoleProgress=false",
            "-cp", str(spark_home() / "jars" / "*"), main, *args,
        ]
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=self._env(), cwd=self.root, start_new_session=True)
        self.procs.append((name, proc, log))

    def start(self, timeout: float = START_TIMEOUT) -> "SparkCluster":
        t0 = time.perf_counter()
        for sub in ("logs", "work", "local", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        port, ui = free_port(), free_port()
        self.url, self.web_ui = f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui}"
        try:
            # workers start once the master's RPC port answers (before its web UI): a worker that
            # finds no master retries only after 5 to 15 s
            self._launch("master", "org.apache.spark.deploy.master.Master",
                         "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui))
            self._wait(lambda _: _accepts(port), timeout, "master listening", poll_status=False)
            for i in range(self.workers):
                self._launch(f"worker-{i + 1}", "org.apache.spark.deploy.worker.Worker",
                             "--host", "127.0.0.1", "--port", "0", "--webui-port", "0",
                             "--cores", str(WORKER_CORES), "--memory", WORKER_MEMORY,
                             "--work-dir", str(self.root / "work" / f"worker-{i + 1}"), self.url)
            self._wait(lambda s: s is not None and self.alive_workers(s) >= self.workers, timeout,
                       f"{self.workers} workers registered")
        except BaseException:
            self.stop(keep=True)
            raise
        self.started_in = time.perf_counter() - t0
        return self

    def status(self) -> dict | None:
        """The master's state as its web UI serves it (/json), None while it does not answer."""
        try:
            with urllib.request.urlopen(f"{self.web_ui}/json", timeout=2) as r:
                return json.load(r)
        except (OSError, ValueError):
            return None

    @staticmethod
    def alive_workers(state: dict) -> int:
        return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")

    def _wait(self, ready, timeout: float, what: str, poll_status: bool = True) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [(n, p.returncode) for n, p, _ in self.procs if p.poll() is not None]
            if dead:
                raise RuntimeError(f"Spark cluster: {dead} exited while waiting for {what}\n{self.logs()}")
            if ready(self.status() if poll_status else None):
                return
            time.sleep(0.2)
        raise RuntimeError(f"Spark cluster: no {what} after {timeout:.0f} s\n{self.logs()}")

    # -- report and stop -------------------------------------------------------------------------
    def logs(self, lines: int = 40) -> str:
        """The last lines of every daemon's log and of every executor's stderr (for failure reports)."""
        parts = []
        files = [(n, log) for n, _, log in self.procs]
        work = self.root / "work"
        if work.exists():
            files += [(str(p.relative_to(work)), p) for p in sorted(work.rglob("stderr"))]
        for name, path in files:
            try:
                tail = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                tail = ["(no log)"]
            parts.append(f"----- {name} ({path}) -----\n" + "\n".join(tail))
        return "\n".join(parts)

    def stop(self, keep: bool = False) -> None:
        """Stop the workers (and, with them, their executors), then the master; remove the temp dir
        unless keep (or CENTRIC_KEEP_CLUSTER=1)."""
        for _, proc, _ in reversed(self.procs):
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
        for _, proc, _ in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            _signal_group(proc.pid, signal.SIGKILL)  # stragglers of the group (executors, python workers)
        if not keep and os.environ.get("CENTRIC_KEEP_CLUSTER") != "1":
            shutil.rmtree(self.root, ignore_errors=True)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _signal_group(pgid: int, sig) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@contextmanager
def running_cluster(workers: int = WORKERS):
    """A started cluster in a fresh temp dir, stopped (and the dir removed) on exit."""
    cluster = SparkCluster(Path(tempfile.mkdtemp(prefix="centric-spark-")), workers=workers)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@contextmanager
def cluster_session(url: str, tmp_path: Path, app: str = "centric-cluster-test", conf: dict | None = None):
    """A SparkSession whose executors run on the standalone cluster at url; stopped on exit.

    The driver runs in this process (client mode) and binds to 127.0.0.1; shuffle partitions are few
    (the data of tests is small). conf: extra Spark settings ({"spark.x": "y"}), which win.
    """
    from pyspark.sql import SparkSession

    settings = {
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.executor.memory": EXECUTOR_MEMORY,
        "spark.executor.cores": str(WORKER_CORES),
        "spark.cores.max": str(WORKERS * WORKER_CORES),
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.warehouse.dir": str(tmp_path / "warehouse"),
        "spark.local.dir": str(tmp_path / "driver-local"),
        "spark.pyspark.python": sys.executable,
    }
    settings.update(conf or {})
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the executors' Python workers: this venv's
    builder = SparkSession.builder.master(url).appName(app)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if spark.sparkContext.master != url:
        spark.stop()
        raise RuntimeError(f"a Spark session on {spark.sparkContext.master} is still open in this process: "
                           f"stop it before opening one on {url}")
    try:
        yield spark
    finally:
        spark.stop()
