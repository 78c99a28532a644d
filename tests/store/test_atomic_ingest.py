"""A load killed part-way leaves nothing of its file; the next run loads it whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb

SCRIPT = """
import sys
from pathlib import Path
from centric.store.connection import Store
from centric.store.ingest import ingest_table_file
store = Store(Path(sys.argv[1]), "UTC")
print("ready", flush=True)
ingest_table_file(store.con, "orders", Path(sys.argv[2]))
print("done", flush=True)
"""


def _big_orders(path, n):
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'o' || i AS order_id, 'c' || (i % 50000) AS customer_id, "
        f"(TIMESTAMP '2024-01-01' + to_seconds(i % 3000000))::VARCHAR AS ordered_at, 'completed' AS status, "
        f"(i % 1000) / 10.0 AS total FROM range({n}) r(i)) TO '{path}' (HEADER)"
    )
    con.close()


def test_sigkill_midway_leaves_nothing_then_loads_whole(tmp_path):
    data = tmp_path / "orders.csv"
    _big_orders(data, 3_000_000)
    db = tmp_path / "w.duckdb"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(db), str(data)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)  # well inside the load, which takes several seconds
    assert proc.poll() is None, "the load finished before it could be killed: make the file larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    from centric.store.connection import Store
    from centric.store.ingest import ingest_table_file

    with Store(db, "UTC") as store:
        assert store.count("orders") == 0
        assert store.count("customers") == 0
        assert store.count("quarantine") == 0
        report = ingest_table_file(store.con, "orders", data)
        assert store.count("orders") == 3_000_000 == report.tables["orders"].inserted
        assert store.count("customers") == 50_000
