"""An Ibis PySpark backend (Spark in local mode) with an `events` view of a pandas frame, for the
tests that check a query gives the same result on DuckDB and PySpark."""

from __future__ import annotations

import shutil
from contextlib import contextmanager

import ibis
import pandas as pd
import pytest

SCHEMA = "event_id string, occurred_at timestamp, customer_id string, anonymous_id string, name string, channel string"


@contextmanager
def spark_events(frame: pd.DataFrame, tmp_path, app: str = "centric-test"):
    """Yields the backend; skips without Java; stops Spark afterwards."""
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: PySpark cannot start (make test installs one with apt-get)")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName(app)
             .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.sql.warehouse.dir", str(tmp_path / "wh")).getOrCreate())
    try:
        records = [tuple(None if pd.isna(v) else v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
                         for v in r) for r in frame.itertuples(index=False)]
        spark.createDataFrame(records, SCHEMA).createOrReplaceTempView("events")
        yield ibis.pyspark.connect(spark)
    finally:
        spark.stop()
