"""An Ibis PySpark backend (Spark in local mode) with an `events` view of a pandas frame, for the
tests that check a query gives the same result on DuckDB and PySpark.

One local[2] session per test process: started by the first test that needs it and stopped at the end
of the test session (tests/conftest.py, pytest_sessionfinish). Starting the JVM and warming Spark up
took most of each such test's time, and four modules did it in turn. Each test replaces the temporary
views it reads (createOrReplaceTempView), so none reads another's data."""

from __future__ import annotations

import shutil
from contextlib import contextmanager

import ibis
import pandas as pd
import pytest

SCHEMA = "event_id string, occurred_at timestamp, customer_id string, anonymous_id string, name string, channel string"

_SESSION: dict = {}


def local_spark():
    """The process's local[2] SparkSession (started on first use); skips without Java."""
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: PySpark cannot start (make test installs one with apt-get)")
    if "spark" not in _SESSION:
        import tempfile

        from pyspark.sql import SparkSession

        warehouse = tempfile.mkdtemp(prefix="centric-spark-wh-")
        _SESSION["warehouse"] = warehouse
        _SESSION["spark"] = (SparkSession.builder.master("local[2]").appName("centric-tests")
                             .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
                             .config("spark.sql.shuffle.partitions", "4")
                             .config("spark.sql.warehouse.dir", warehouse).getOrCreate())
    return _SESSION["spark"]


def stop_local_spark() -> None:
    """Stop the process's session, if one was started, and remove its warehouse folder."""
    spark = _SESSION.pop("spark", None)
    if spark is not None:
        spark.stop()
        shutil.rmtree(_SESSION.pop("warehouse"), ignore_errors=True)


def spark_view(spark, frame: pd.DataFrame, schema: str, name: str) -> None:
    """frame as the temporary view `name` (replacing any view of that name)."""
    records = [tuple(None if pd.isna(v) else v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
                     for v in r) for r in frame.itertuples(index=False)]
    spark.createDataFrame(records, schema).createOrReplaceTempView(name)


@contextmanager
def spark_events(frame: pd.DataFrame, tmp_path=None, app: str = "centric-test"):
    """Yields the backend on the process's local session with `events` holding frame; skips without Java.
    (tmp_path and app are kept for the callers: the shared session has its own warehouse and name.)"""
    spark = local_spark()
    spark_view(spark, frame, SCHEMA, "events")
    yield ibis.pyspark.connect(spark)
