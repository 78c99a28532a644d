"""The Spark warehouse's commit protocol (store/warehouse.py), without Spark: one manifest replace
publishes every table of a commit, a writer killed mid-write leaves the published state untouched,
and what it left is swept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from centric.store.warehouse import MANIFEST, Warehouse, table_schemas


def _write(wh: Warehouse, table: str, rows: int):
    path = wh.new_location(table)
    path.mkdir(parents=True)
    pq.write_table(pa.table({"x": list(range(rows))}), path / "part-0.parquet")
    return path


def _rows(wh: Warehouse, table: str) -> int:
    return pq.read_table(wh.location(table)).num_rows


def test_commit_publishes_every_table_at_once_and_removes_superseded(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    wh.commit({"a": _write(wh, "a", 1), "b": _write(wh, "b", 2)})
    old_a = wh.location("a")
    manifest = wh.commit({"a": _write(wh, "a", 10), "b": _write(wh, "b", 20)})
    assert manifest["version"] == 2
    assert (_rows(wh, "a"), _rows(wh, "b")) == (10, 20)
    assert not old_a.exists()  # superseded versions are removed after the commit
    assert sorted(p.name for p in (tmp_path / "wh" / "tables").iterdir()) == ["a", "b"]
    assert len(list((tmp_path / "wh" / "tables" / "a").iterdir())) == 1


def test_a_commit_from_a_stale_version_is_refused(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    wh.commit({"a": _write(wh, "a", 1)})
    with pytest.raises(RuntimeError, match="changed during this write"):
        wh.commit({"a": _write(wh, "a", 2)}, expected_version=0)
    assert _rows(wh, "a") == 1


def test_a_writer_killed_mid_write_leaves_the_published_tables_and_its_leftovers_are_swept(tmp_path):
    root = tmp_path / "wh"
    wh = Warehouse(root)
    wh.commit({"orders": _write(wh, "orders", 3)})
    before = (root / MANIFEST).read_text()
    # a writer that has written part of a new version and is killed before its commit
    script = textwrap.dedent(f"""
        import os, sys, time
        import pyarrow as pa, pyarrow.parquet as pq
        from centric.store.warehouse import Warehouse
        wh = Warehouse({str(root)!r})
        path = wh.new_location("orders"); path.mkdir(parents=True)
        pq.write_table(pa.table({{"x": list(range(1000))}}), path / "part-0.parquet")
        print("written", flush=True)
        time.sleep(60)
        wh.commit({{"orders": path}})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert proc.stdout.readline().strip() == "written"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert (root / MANIFEST).read_text() == before
    assert _rows(wh, "orders") == 3  # readers resolve the manifest: the old version
    assert len(list((root / "tables" / "orders").iterdir())) == 2  # the orphan is there...
    swept = wh.sweep()
    assert len(swept) == 1 and _rows(wh, "orders") == 3  # ...until swept; the published one stays
    assert json.loads((root / MANIFEST).read_text())["version"] == 1


def test_empty_first_versions_have_the_duckdb_schema(tmp_path):
    wh = Warehouse(tmp_path / "wh")
    schemas = table_schemas()
    wh.create_empty(schemas)
    orders = pq.read_table(wh.location("orders"))
    assert orders.num_rows == 0
    assert orders.schema.field("total").type == pa.decimal128(18, 2)
    assert orders.schema.field("ordered_at").type == pa.timestamp("us")
    assert pa.types.is_list(pq.read_table(wh.location("customers")).schema.field("tags").type)
    assert "_ingest_log" in schemas and "customer_summary" in schemas
    assert wh.create_empty(schemas)["version"] == 1  # a second call changes nothing
    assert os.stat(tmp_path / "wh" / MANIFEST).st_mode & 0o777 == 0o600


def test_init_with_the_spark_engine_saves_it_and_lays_out_the_warehouse(tmp_path):
    from click.testing import CliRunner

    from centric.cli.main import cli
    from centric.config import Settings

    ws, wh = tmp_path / "shop", tmp_path / "wh"
    result = CliRunner().invoke(cli, ["init", "--workspace", str(ws), "--engine", "spark",
                                      "--spark-master", "spark://10.0.0.5:7077", "--warehouse", str(wh)])
    assert result.exit_code == 0, result.output
    settings = Settings.load(ws / "centric.toml")
    assert (settings.engine, settings.spark_master, settings.warehouse) == ("spark", "spark://10.0.0.5:7077", str(wh))
    assert Warehouse(wh).location("orders") is not None and not (ws / "centric.duckdb").exists()
    assert Settings.load(ws / "centric.toml").to_toml() == settings.to_toml()  # read back as written
    bad = CliRunner().invoke(cli, ["init", "--workspace", str(tmp_path / "x"), "--engine", "spark",
                                   "--spark-master", "yarn; rm -rf /"])
    assert bad.exit_code == 1 and "spark_master" in bad.output and "Traceback" not in bad.output
    mixed = CliRunner().invoke(cli, ["init", "--workspace", str(tmp_path / "y"), "--warehouse", str(wh)])
    assert mixed.exit_code == 2 and "--engine spark" in mixed.output
    plain = CliRunner().invoke(cli, ["init", "--workspace", str(tmp_path / "z")])
    assert plain.exit_code == 0 and Settings.load(tmp_path / "z" / "centric.toml").engine == "duckdb"
