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


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory):
    """A 3,000-customer demo workspace with every analysis run (shared: tests must not rely on each other's writes)."""
    from centric.services.demo import run_demo

    path = tmp_path_factory.mktemp("demo-shop") / "shop"
    run_demo(path, n_customers=3000, seed=11)
    return path


# `make test` runs the suite on two pytest-xdist workers (-n 2 --dist loadgroup). Each test is grouped
# by the first expensive session fixture it asks for, or else by its module, so a session build and a
# module's fixtures are each made once, on one worker, not once per worker.
SHARED_BUILDS = ("demo_shop", "spark_cluster", "spark")


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = getattr(item, "fixturenames", ())
        group = next((name for name in SHARED_BUILDS if name in names), None)
        if group is None and item.get_closest_marker("spark") is not None:
            group = "spark"  # one local SparkSession per worker, reused by getOrCreate
        if group is None:
            group = item.nodeid.split("::", 1)[0]
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
