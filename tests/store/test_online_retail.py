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


def test_known_invoices_have_their_dates(retail):
    store, _, _ = retail
    con = store.con
    got = dict(con.execute("SELECT order_id, ordered_at::VARCHAR FROM orders WHERE order_id IN "
                           "('536365', 'C536379', '539993', '581587')").fetchall())
    assert got == {"536365": "2010-12-01 08:26:00", "C536379": "2010-12-01 09:41:00",
                   "539993": "2011-01-04 10:00:00", "581587": "2011-12-09 12:50:00"}
    first, last = con.execute("SELECT min(ordered_at)::VARCHAR, max(ordered_at)::DATE::VARCHAR FROM orders").fetchone()
    assert (first, last) == ("2010-12-01 08:26:00", "2011-12-09")


def _us_export(path, target, until: str):
    """The UCI lines before `until` with InvoiceDate written as the original export writes it (12/1/2010 8:26)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * REPLACE (strftime(InvoiceDate::TIMESTAMP, '%-m/%-d/%Y %-H:%M') AS InvoiceDate)
                   FROM read_csv(?, all_varchar = true) WHERE InvoiceDate < ?) TO '{target}' (HEADER)""",
                [str(path), until])
    con.close()


def test_us_dates_of_the_original_export_read_month_first(tmp_path):
    """12/1/2010 8:26 is 1 December: the lines of 12/13/2010 onwards prove month-first."""
    from centric.store.connection import Store
    from centric.store.formats import ReadOptions
    from centric.store.sources import SourceError

    path = shared_file("online_retail_uci", "online_retail.csv.gz")
    us = tmp_path / "us.csv"
    _us_export(path, us, "2010-12-15")
    with Store(tmp_path / "u.duckdb", "Europe/London") as store:
        ingest_order_export(store.con, "online_retail", us, timezone="Europe/London")
        con = store.con
        assert con.execute("SELECT ordered_at::VARCHAR FROM orders WHERE order_id = '536365'").fetchone()[0] == \
            "2010-12-01 08:26:00"
        assert con.execute("SELECT min(ordered_at)::DATE::VARCHAR, max(ordered_at)::DATE::VARCHAR FROM orders").fetchone() == \
            ("2010-12-01", "2010-12-14")
    # the first days alone (every day <= 12) prove nothing: refused, then read as the user says
    early = tmp_path / "early.csv"
    _us_export(path, early, "2010-12-10")
    with Store(tmp_path / "e.duckdb", "Europe/London") as store:
        with pytest.raises(SourceError, match="--date-format"):
            ingest_order_export(store.con, "online_retail", early, timezone="Europe/London")
        assert store.count("orders") == 0
        ingest_order_export(store.con, "online_retail", early, timezone="Europe/London",
                            options=ReadOptions.build(date_format="mdy"))
        assert store.con.execute("SELECT max(ordered_at)::DATE::VARCHAR FROM orders").fetchone()[0] == "2010-12-09"
