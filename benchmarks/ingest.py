"""Ingest throughput: centric's validated load of a 10M-line orders CSV against a bare DuckDB read_csv.

Both run in this process on the same file, each into a fresh database file. The bare anchor is
`CREATE TABLE orders AS SELECT * FROM read_csv(file)` (types sniffed, no validation). centric
stages, validates every cell, quarantines, de-duplicates keys, merges and creates the customers
the orders name. Target: within 2x of the bare read.

This machine's timings drift by +-10% from run to run, so each side runs `--repeat` times
(alternating, each into a fresh database) and the best times are compared, as timeit does; the
medians are printed beside them.

    python benchmarks/ingest.py [--rows 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from centric.store.connection import Store
from centric.store.ingest import ingest_table_file


def make_csv(path: Path, rows: int) -> None:
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'o' || i AS order_id, 'c' || (hash(i) % {max(rows // 10, 1)}) AS customer_id,
        (TIMESTAMP '2022-01-01' + to_seconds((hash(i * 7) % 63072000)::BIGINT))::VARCHAR AS ordered_at,
        CASE WHEN i % 20 = 0 THEN 'refunded' WHEN i % 33 = 0 THEN 'cancelled' ELSE 'completed' END AS status,
        'EUR' AS currency, CASE WHEN i % 20 = 0 THEN -1 ELSE 1 END * round(10 + (hash(i * 3) % 20000) / 100.0, 2) AS total,
        round((hash(i * 5) % 500) / 100.0, 2) AS discount, 4.95 AS shipping,
        CASE WHEN i % 3 = 0 THEN 'web' ELSE 'app' END AS channel
        FROM range({rows}) r(i)) TO '{path}' (HEADER)"""
    )
    con.close()


def bare_load(data: Path, db: Path, rows: int) -> tuple[float, object]:
    con = duckdb.connect(str(db))
    t = time.perf_counter()
    con.execute("CREATE TABLE orders AS SELECT * FROM read_csv(?)", [str(data)])
    con.execute("CHECKPOINT")
    took = time.perf_counter() - t
    count, total = con.execute("SELECT count(*), sum(total)::DECIMAL(18,2) FROM orders").fetchone()
    con.close()
    db.unlink()
    assert count == rows, count
    return took, total


def centric_load(data: Path, db: Path, rows: int, bare_total):
    store = Store(db, "UTC")
    t = time.perf_counter()
    report = ingest_table_file(store.con, "orders", data, timezone="UTC")
    store.con.execute("CHECKPOINT")
    took = time.perf_counter() - t
    count, total = store.con.execute("SELECT count(*), sum(total) FROM orders").fetchone()
    quarantined = store.count("quarantine")
    customers = store.count("customers")
    store.close()
    db.unlink()
    assert count == rows and quarantined == 0, (count, quarantined)
    assert total == bare_total, (total, bare_total)
    return took, report, customers


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="centric-bench-"))
    try:
        data = work / "orders.csv"
        t = time.perf_counter()
        make_csv(data, args.rows)
        print(f"data: {args.rows:,} lines, {data.stat().st_size / 1e6:.0f} MB, made in {time.perf_counter() - t:.1f} s")

        bare_times, our_times = [], []
        for run in range(args.repeat):
            took, bare_total = bare_load(data, work / f"bare{run}.duckdb", args.rows)
            bare_times.append(took)
            took, report, customers = centric_load(data, work / f"centric{run}.duckdb", args.rows, bare_total)
            our_times.append(took)
        bare, ours = min(bare_times), min(our_times)
        print(f"bare DuckDB read_csv -> table : {bare:6.2f} s  {args.rows / bare:12,.0f} rows/s "
              f"(median {statistics.median(bare_times):.2f} s of {args.repeat})")
        print(f"centric ingest (validated)    : {ours:6.2f} s  {args.rows / ours:12,.0f} rows/s "
              f"(median {statistics.median(our_times):.2f} s; {report.tables['orders'].inserted:,} orders, "
              f"{customers:,} customers created)")
        print(f"ratio centric / bare          : {ours / bare:6.2f}x best, "
              f"{statistics.median(our_times) / statistics.median(bare_times):.2f}x median  (target <= 2.0x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
