"""The UCI Online Retail export through its preset: every one of the 541,909 lines accounted for."""

from __future__ import annotations

import pytest

from centric.store.order_exports import ingest_order_export
from tests.conftest import shared_file

LINES = 541_909


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    from centric.store.connection import Store

    path = shared_file("online_retail_uci", "online_retail.csv.gz")
    store = Store(tmp_path_factory.mktemp("uci") / "u.duckdb", "Europe/London")
    first = ingest_order_export(store.con, "online_retail", path, timezone="Europe/London")
    yield store, path, first
    store.close()


def test_every_line_is_loaded_or_quarantined(retail):
    store, _, report = retail
    assert report.rows_read == LINES
    assert store.count("order_lines") + store.count("quarantine") == LINES
    reasons = dict(store.con.execute("SELECT reason, count(*) FROM quarantine GROUP BY 1").fetchall())
    assert reasons == {"exact duplicate of an earlier line": 5268, "unit_price is zero": 2514, "unit_price is negative": 2}


def test_customers_guests_and_returns(retail):
    store, _, _ = retail
    assert store.count("customers") == 4372
    con = store.con
    # cancellations (invoices C...) are returns: refunded orders with negative totals and quantities
    bad = con.execute("SELECT count(*) FROM orders WHERE order_id LIKE 'C%' AND (status <> 'refunded' OR total >= 0)").fetchone()[0]
    assert bad == 0
    assert con.execute("SELECT count(*) FROM order_lines WHERE order_id LIKE 'C%' AND quantity > 0").fetchone()[0] == 0
    # guest orders are loaded without a customer and counted in revenue
    guests = con.execute("SELECT count(*) FROM orders WHERE customer_id IS NULL").fetchone()[0]
    assert guests > 1000
    assert con.execute("SELECT count(*) FROM customers WHERE origin <> 'order'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM customers WHERE country = 'GB'").fetchone()[0] > 3900


def test_second_run_changes_nothing(retail):
    store, path, _ = retail
    before = [store.count(t) for t in ("customers", "orders", "order_lines", "quarantine")]
    again = ingest_order_export(store.con, "online_retail", path, timezone="Europe/London")
    assert all(c.inserted == 0 and c.updated == 0 for c in again.tables.values())
    assert [store.count(t) for t in ("customers", "orders", "order_lines", "quarantine")] == before
