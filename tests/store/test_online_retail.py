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
    first = ingest_order_export(store.con, "online_retail", path, timezone="Europe/London", currency="GBP")
    yield store, path, first
    store.close()


def test_every_line_is_loaded_or_quarantined(retail):
    store, _, report = retail
    assert report.rows_read == LINES
    # postage, fees, manual adjustments, discounts, samples and vouchers are order charges, not lines
    assert store.count("order_lines") + store.count("order_charges") + store.count("quarantine") == LINES
    assert store.count("order_charges") > 2000
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
    before = [store.count(t) for t in ("customers", "orders", "order_lines", "order_charges", "quarantine")]
    again = ingest_order_export(store.con, "online_retail", path, timezone="Europe/London", currency="GBP")
    assert all(c.inserted == 0 and c.updated == 0 for c in again.tables.values())
    assert [store.count(t) for t in ("customers", "orders", "order_lines", "order_charges", "quarantine")] == before


# -- money: what the customers kept --------------------------------------------------------------

def _summary(store):
    from centric.queries.customer_summary import customer_summary

    end = store.con.execute("SELECT max(ordered_at) FROM orders").fetchone()[0]
    return store.ibis().execute(customer_summary(store.ibis().table("orders"), end)).set_index("customer_id")


def test_reversed_orders_are_netted_and_are_no_purchases(retail):
    store, _, _ = retail
    con = store.con
    rows = dict((o, (float(m), float(r), float(n))) for o, m, r, n in con.execute(
        "SELECT order_id, merchandise, returned, net_merchandise FROM orders "
        "WHERE order_id IN ('541431', 'C541433', '581483', 'C581484')").fetchall())
    # 12346's 77,183.60 order, credited 16 minutes later by C541433 (no reference: matched by sku and quantity)
    assert rows["541431"] == (77183.6, 77183.6, 0.0)
    assert rows["C541433"] == (-77183.6, 0.0, 0.0)
    # 16446's 168,469.60 order, credited the same day
    assert rows["581483"] == (168469.6, 168469.6, 0.0)
    assert rows["C581484"][2] == 0.0
    summary = _summary(store)
    assert "12346" not in summary.index  # its one order was fully reversed: no purchase at all
    assert summary.loc["16446", "revenue"] < 10 and summary.loc["16446", "orders"] == 1
    assert summary["revenue"].max() < 300_000  # the top customers are net of refunds


def test_customer_revenue_matches_pandas_on_the_raw_file(retail):
    """Oracle: per customer, the raw lines with a CustomerID (exact duplicates and lines with a price <= 0 left
    out, as ingest quarantines them), goods and discount lines only (no postage, fees, manual adjustments,
    samples, vouchers), purchases and credits summed: what the customer kept."""
    import pandas as pd

    from centric.store.presets import NON_PRODUCT_CODES

    store, path, _ = retail
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="latin-1")
    raw = raw[~raw.duplicated(keep="first")]
    price, qty = raw["UnitPrice"].astype(float), raw["Quantity"].astype(int)
    code = raw["StockCode"].str.strip().str.upper()
    charge = code.map(NON_PRODUCT_CODES)
    goods = charge.isna() & ~code.str.startswith("GIFT_0")
    keep = (price > 0) & (raw["CustomerID"] != "") & (goods | (charge == "discount"))
    lines = raw[keep].assign(value=(qty * price)[keep], cid=raw["CustomerID"].str.replace(r"\.0$", "", regex=True))
    want = lines.groupby("cid")["value"].sum()
    summary = _summary(store)
    got = summary["revenue"].astype(float)
    assert len(got) > 4000
    diff = (got - want.reindex(got.index)).abs()
    assert diff.max() < 0.01, diff.sort_values().tail()
    missing = want.drop(got.index)  # customers without a purchase kept nothing
    assert (missing <= 0.005).all(), missing.sort_values().tail()
    assert abs(got.sum() + missing.sum() - want.sum()) < 0.01
    # gross - returns = net, for every customer
    assert ((summary["gross_revenue"] - summary["returns"] - summary["revenue"]).abs() < 0.005).all()


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
