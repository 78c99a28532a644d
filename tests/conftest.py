from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_file(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared real data sets are not beside this checkout")
    return path


@pytest.fixture
def store(tmp_path):
    from centric.store.connection import Store

    s = Store(tmp_path / "t.duckdb", "Europe/Madrid")
    yield s
    s.close()


@pytest.fixture
def write(tmp_path):
    """Write a text file into the test's folder and return its path."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write


DEMO_CUSTOMERS, DEMO_SEED = 3000, 11  # the shared demo shop (demo_shop below)


def _centric_demo(path: Path) -> None:
    """`centric demo` as a user runs it (it calls services.demo.run_demo): the shop, every analysis, the report."""
    from click.testing import CliRunner

    from centric.cli.main import cli

    result = CliRunner().invoke(cli, ["demo", "--workspace", str(path), "--customers", str(DEMO_CUSTOMERS),
                                      "--seed", str(DEMO_SEED)])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory, worker_id):
    """A 3,000-customer demo workspace with every analysis run (shared: tests must not rely on each other's writes).

    Built once per test session with `centric demo` (its exit code checked: the command's own test), by
    the first xdist worker that needs it, under a file lock in the session's shared temp folder; every
    worker (that one included) works on its own copy, so no two processes open one DuckDB file. A
    module that writes to it works on a copy of its own (shutil.copytree, as test_kpis_service does)."""
    import fcntl
    import shutil

    if worker_id == "master":  # no xdist: build it where the test session keeps its files
        path = tmp_path_factory.mktemp("demo-shop") / "shop"
        _centric_demo(path)
        return path
    shared = tmp_path_factory.getbasetemp().parent / "demo-shop-shared"
    shared.mkdir(exist_ok=True)
    built = shared / "shop"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (shared / "done").exists():
                shutil.rmtree(built, ignore_errors=True)  # a worker that died half-way
                _centric_demo(built)
                (shared / "done").touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    path = tmp_path_factory.mktemp("demo-shop") / "shop"
    shutil.copytree(built, path, symlinks=True)
    return path


# -- a real Spark standalone cluster (tests/spark_cluster.py); tests that use it are marked `cluster` --
_CLUSTER = pytest.StashKey()


@pytest.fixture(scope="session")
def spark_cluster(request):
    """The URL (spark://127.0.0.1:PORT) of a standalone master with two workers (1 core, 1 GB each),
    started once per session and stopped, with its temp dir, at the end. Open a session on it with
    tests.spark_cluster.cluster_session(url, tmp_path). Skips without Java."""
    import shutil
    import tempfile

    if shutil.which("java") is None:
        pytest.skip("no Java runtime: the Spark cluster cannot start (make test installs one with apt-get)")
    from tests.spark_cluster import SparkCluster

    cluster = SparkCluster(Path(tempfile.mkdtemp(prefix="centric-spark-")))
    request.config.stash[_CLUSTER] = cluster
    cluster.start()  # raises with the tail of every log if the workers do not register
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used the cluster shows the tail of the master's, workers' and executors' logs."""
    outcome = yield
    report = outcome.get_result()
    cluster = item.config.stash.get(_CLUSTER, None)
    if report.failed and cluster is not None and "spark_cluster" in getattr(item, "fixturenames", ()):
        report.sections.append(("spark cluster logs", cluster.logs()))


def pytest_terminal_summary(terminalreporter, config):
    cluster = config.stash.get(_CLUSTER, None)
    if cluster is not None and cluster.started_in:
        terminalreporter.write_line(
            f"spark cluster: master and {cluster.workers} workers registered in {cluster.started_in:.1f} s ({cluster.url})")


# `make test` runs the suite on two pytest-xdist workers with --dist loadfile: a module's tests stay on
# one worker, so its module fixtures are built once; demo_shop is built once for both (above).
#
# xdist hands out modules in collection order, so the longest go first (longest-processing-time first:
# the two workers end close together). tests/module_seconds.json holds each module's measured seconds;
# `make test-times` measures them again (a module missing from it counts as a short one).
_TIMES = Path(__file__).with_name("module_seconds.json")


def pytest_addoption(parser):
    parser.addoption("--record-module-seconds", action="store_true",
                     help=f"write each module's measured seconds to {_TIMES.name} at the end")


def pytest_collection_modifyitems(session, config, items):
    import json

    seconds = json.loads(_TIMES.read_text()) if _TIMES.exists() else {}
    first = {}
    for i, item in enumerate(items):
        first.setdefault(item.nodeid.split("::")[0], i)
    # a stable sort: a module's tests keep their order and stay together
    items.sort(key=lambda item: (-seconds.get(item.nodeid.split("::")[0], 0.0), first[item.nodeid.split("::")[0]]))


_MEASURED: dict[str, float] = {}


def pytest_runtest_logreport(report):
    module = report.nodeid.split("::")[0]
    _MEASURED[module] = _MEASURED.get(module, 0.0) + report.duration


def pytest_sessionfinish(session, exitstatus):
    import json

    if session.config.getoption("--record-module-seconds") and _MEASURED and not hasattr(session.config, "workerinput"):
        _TIMES.write_text(json.dumps({m: round(t, 1) for m, t in sorted(_MEASURED.items())}, indent=0) + "\n")


@pytest.fixture(scope="session", autouse=True)
def centric_cache_dir():
    """No per-user cache folder in the suite (models/text/disk_cache.py: CENTRIC_CACHE_DIR empty): the
    suite never writes into ~/.cache/centric, and its processes read simplemma's dictionaries and
    py3langid's model as before. Measured 2026-12-01 on the listening test files: with a cache folder
    per run, 161.6 s of CPU against 139.2 s without (each run built the indexes again, and every worker
    paid up to a dictionary's decoding in index lookups before moving to memory). The tests of the cache
    (tests/models/text/test_lemma_index.py, test_language.py) point it at their tmp_path."""
    import os

    before = os.environ.get("CENTRIC_CACHE_DIR")
    os.environ["CENTRIC_CACHE_DIR"] = ""
    yield
    if before is None:
        os.environ.pop("CENTRIC_CACHE_DIR", None)
    else:
        os.environ["CENTRIC_CACHE_DIR"] = before
