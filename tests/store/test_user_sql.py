"""A user's own SQL (Store.run_user_sql): SELECT only, on a read-only store only; and the end of observation."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from centric.store.connection import Store, StoreError
from centric.store.user_sql import SqlRefused


@pytest.fixture()
def db_path(tmp_path):
    path = tmp_path / "centric.duckdb"
    with Store(path) as store, store.transaction() as con:
        con.execute("INSERT INTO orders (order_id, customer_id, ordered_at, status, currency, total) VALUES "
                    "('o1', 'c1', '2024-03-01 10:00', 'completed', 'EUR', 10), "
                    "('o2', 'c2', '2024-03-05 09:30:00.25', 'pending', 'EUR', 5)")
    return path


def test_runs_selects_and_returns_the_last_result(db_path):
    with Store(db_path, read_only=True) as store:
        df = store.run_user_sql("SELECT count(*) AS n FROM orders; SELECT order_id FROM orders ORDER BY 1")
    assert df["order_id"].tolist() == ["o1", "o2"]


@pytest.mark.parametrize("query, says", [
    ("DELETE FROM orders", "only SELECT"),
    ("SELECT 1; DROP TABLE orders", "only SELECT"),  # refused before the first statement runs
    ("ATTACH 'other.duckdb'", "only SELECT"),
    ("SELEC 1", "not valid SQL"),
    ("  ", "no SQL statement"),
    ("SELECT * FROM read_csv('/etc/passwd')", "disabled"),
    ("SELECT * FROM nope", "nope"),
])
def test_refusals_are_one_line(db_path, query, says):
    with Store(db_path, read_only=True) as store:
        with pytest.raises(SqlRefused, match=says) as info:
            store.run_user_sql(query)
        assert "\n" not in str(info.value)
        assert store.count("orders") == 2


def test_a_writable_store_runs_no_user_sql(db_path):
    with Store(db_path) as store:
        with pytest.raises(StoreError, match="read-only"):
            store.run_user_sql("SELECT 1")


def test_observation_end_is_the_last_order_as_a_datetime(db_path, tmp_path):
    from centric.services.summary import build_customer_summary, observation_end

    with Store(db_path) as store:
        end = observation_end(store)
        assert type(end) is dt.datetime and end == dt.datetime(2024, 3, 5, 9, 30, 0, 250000)
        assert build_customer_summary(store) == 1
    with Store(tmp_path / "empty.duckdb") as store:
        assert observation_end(store) is None
        store.replace_table("customer_summary", pd.DataFrame({"customer_id": ["x"]}))
        assert build_customer_summary(store) == 0 and not store.has_rows("customer_summary")
