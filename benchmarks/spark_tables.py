"""The Spark warehouse's table format, measured: a manifest commit of versioned Parquet against a plain
Parquet overwrite in place (Delta and Iceberg need Maven jars this machine cannot fetch: docs/spark.md).

For ROWS order-like rows on Spark local[2] it prints
- write: a new version + manifest replace (store/warehouse.py) vs `mode("overwrite")` on the table's path;
- read: a count and a sum through the manifest vs the plain path;
- a crash: a writer process killed (SIGKILL) while its tasks write the table's files, then what a reader
  sees: with the manifest, the old version (same rows); with the plain overwrite, what is left.

    python benchmarks/spark_tables.py [ROWS]
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000

WRITER = textwrap.dedent("""
    import sys, time
    from pyspark.sql import SparkSession, functions as f
    from centric.store.warehouse import Warehouse
    mode, root, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    frame = spark.range(rows, numPartitions=8).select(f.col("id").cast("string").alias("order_id"),
        (f.col("id") % 997).cast("string").alias("customer_id"), (f.col("id") * 0.37).cast("decimal(18,2)").alias("total"))
    print("started", flush=True)
    if mode == "manifest":
        wh = Warehouse(root)
        path = wh.new_location("orders")
        frame.write.parquet(str(path))
        wh.commit({"orders": path})
    else:
        frame.write.mode("overwrite").parquet(root + "/plain_orders")
    print("done", flush=True)
""")


def main() -> None:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as f

    from centric.store.warehouse import Warehouse

    root = Path(tempfile.mkdtemp(prefix="centric-tables-"))
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    frame = spark.range(ROWS, numPartitions=8).select(
        f.col("id").cast("string").alias("order_id"), (f.col("id") % 997).cast("string").alias("customer_id"),
        (f.col("id") * 0.37).cast("decimal(18,2)").alias("total"))
    wh = Warehouse(root)
    spark.range(10).count()  # warm-up
    results = {}
    for attempt in range(2):
        t = time.perf_counter()
        path = wh.new_location("orders")
        frame.write.parquet(str(path))
        c = time.perf_counter()
        wh.commit({"orders": path})
        results["manifest write"] = time.perf_counter() - t
        results["of which the commit"] = time.perf_counter() - c
        t = time.perf_counter()
        frame.write.mode("overwrite").parquet(str(root / "plain_orders"))
        results["plain overwrite"] = time.perf_counter() - t
    for name, where in (("manifest read", lambda: str(Warehouse(root).location("orders"))),
                        ("plain read", lambda: str(root / "plain_orders"))):
        t = time.perf_counter()
        table = spark.read.parquet(where())
        table.count(), table.agg(f.sum("total")).collect()
        results[name] = time.perf_counter() - t
    spark.stop()
    for name, seconds in results.items():
        print(f"{name:24s} {seconds:8.3f} s")
    # a writer killed mid-write: as soon as its task output appears (Spark's _temporary folder)
    for mode in ("manifest", "plain"):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        proc = subprocess.Popen([sys.executable, "-c", WRITER, mode, str(root), str(ROWS)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
        proc.stdout.readline()
        pattern = "tables/orders/*/_temporary" if mode == "manifest" else "plain_orders/_temporary"
        began = time.perf_counter()
        while not list(root.glob(pattern)) and proc.poll() is None and time.perf_counter() - began < 600:
            time.sleep(0.01)
        half = time.perf_counter() - began
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        import pyarrow.parquet as pq

        if mode == "manifest":
            where = Warehouse(root).location("orders")
        else:
            where = root / "plain_orders"
        try:
            rows = pq.read_table(where).num_rows
            seen = f"{rows} rows ({'all' if rows == ROWS else 'NOT all'} of {ROWS})"
        except Exception as exc:  # noqa: BLE001 - what a reader meets is the measurement
            seen = f"unreadable: {type(exc).__name__}"
        print(f"killed {mode:8s} writer mid-write ({half:.1f} s after it started writing): a reader sees {seen}")
    leftovers = len(list((root / "tables" / "orders").iterdir())) - 1
    swept = len(Warehouse(root).sweep())
    print(f"manifest: {leftovers} orphan version dir(s) left by the kill, {swept} removed by sweep()")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
