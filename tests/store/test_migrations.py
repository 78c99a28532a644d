"""Opening an older workspace upgrades its schema and keeps its data."""

from __future__ import annotations

import duckdb

from centric.schema import ALL_TABLES
from centric.store.connection import Store, StoreError
from centric.store.migrations import SCHEMA_VERSION, current_version


def test_upgrade_adds_missing_columns_and_keeps_rows(tmp_path):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))  # a workspace from before _centric_meta, with fewer order columns
    con.execute("CREATE TABLE orders (order_id VARCHAR, ordered_at TIMESTAMP, total DECIMAL(18,2))")
    con.execute("INSERT INTO orders VALUES ('A1', TIMESTAMP '2024-01-01 10:00', 12.5)")
    con.close()
    with Store(db) as store:
        assert current_version(store.con) == SCHEMA_VERSION
        cols = [r[0] for r in store.con.execute("DESCRIBE orders").fetchall()]
        assert set(ALL_TABLES["orders"].names) <= set(cols)
        assert store.con.execute("SELECT order_id, total::DOUBLE, status FROM orders").fetchall() == [("A1", 12.5, None)]
    with Store(db) as store:  # a second open changes nothing
        assert store.count("orders") == 1


def test_newer_workspace_is_refused_with_a_clear_error(tmp_path):
    db = tmp_path / "new.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("UPDATE _centric_meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    try:
        Store(db)
    except StoreError as exc:
        assert "upgrade centric" in str(exc)
    else:
        raise AssertionError("a newer schema was opened")
