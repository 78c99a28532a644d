"""The customer summary on a real Spark standalone cluster (a master and two workers, each with its own
executor) gives what DuckDB gives on the same CDNOW orders: the Ibis expression is engine-free."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from centric.queries.customer_summary import customer_summary
from tests.cdnow import cdnow_orders
from tests.spark_cluster import WORKERS, cluster_session

pytestmark = pytest.mark.cluster


def wait_for_executors(spark, n: int, timeout: float = 120.0) -> list[str]:
    """host:port of each executor once n have registered with the driver (the driver's own entry left out)."""
    tracker = spark.sparkContext._jsc.sc().statusTracker()
    driver_port = int(spark.sparkContext.getConf().get("spark.driver.port"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [(i.host(), i.port()) for i in tracker.getExecutorInfos()]
        infos = [f"{host}:{port}" for host, port in found]
        executors = [e for e in infos if not e.endswith(f":{driver_port}")]
        # an executor is listed before its block manager has a port (127.0.0.1:0): wait until every one has
        if len(infos) >= n + 1 and all(port > 0 for _, port in found):
            return executors if len(executors) == len(infos) - 1 else infos[1:]
        time.sleep(0.5)
    raise AssertionError(f"fewer than {n} executors registered in {timeout:.0f} s")


def test_customer_summary_on_the_cluster_equals_duckdb(spark_cluster, tmp_path):
    import ibis

    orders = cdnow_orders()
    end = orders["ordered_at"].max().to_pydatetime()
    duck = ibis.duckdb.connect()
    want = duck.execute(customer_summary(duck.create_table("orders", orders), end))
    want = want.sort_values("customer_id").reset_index(drop=True)

    with cluster_session(spark_cluster, tmp_path, conf={"spark.sql.execution.arrow.pyspark.enabled": "true"}) as spark:
        assert spark.sparkContext.master == spark_cluster
        executors = wait_for_executors(spark, WORKERS)
        assert len(set(executors)) == WORKERS  # one executor per worker: the work is spread over both
        spark.createDataFrame(orders).repartition(2 * WORKERS).createOrReplaceTempView("orders")
        sp = ibis.pyspark.connect(spark)
        got = sp.execute(customer_summary(sp.table("orders"), end))
        got = got.sort_values("customer_id").reset_index(drop=True)

    assert len(got) == len(want) == orders["customer_id"].nunique() == 2357
    assert (want["frequency"] > 0).sum() > 500  # repeat buyers: monetary value and recency are exercised
    for col in want.columns:
        a, b = want[col], got[col]
        if pd.api.types.is_numeric_dtype(a.dtype):
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9, err_msg=col)
        elif pd.api.types.is_datetime64_any_dtype(a.dtype):
            assert (pd.to_datetime(a) == pd.to_datetime(b)).all(), col
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), col
