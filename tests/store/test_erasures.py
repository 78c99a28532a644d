"""The hash an erased id is kept as: one rule, in Python (id_hash) and in SQL (HASH_SQL), that agree."""

from __future__ import annotations

import duckdb

from centric.store.erasures import HASH_SQL, id_hash, normalise

IDS = ["C-17", " C-17 ", "Ana@Shop.COM", "  ana@shop.com\t", "ana@shop.com\r\n", "\u00a0u-9\u3000", "AnonID-Abc",
       "anonid-abc", "42", "", "x@", " \t "]


def test_python_and_sql_hash_every_id_alike():
    con = duckdb.connect()
    sql = f"SELECT {HASH_SQL.format(x='?')}"
    for value in IDS:
        # HASH_SQL names x three times: the secret, then three copies of the id, are bound
        assert con.execute(sql, ["s3cret", value, value, value]).fetchone()[0] == id_hash("s3cret", value), value


def test_normalise_lowers_emails_only():
    assert normalise(" Ana@Shop.COM ") == "ana@shop.com"
    assert normalise(" AnonID-Abc ") == "AnonID-Abc"
    assert id_hash("s", "Ana@Shop.com") == id_hash("s", "ana@shop.com ")
    assert id_hash("s", "AnonID") != id_hash("s", "anonid") and id_hash("s", "a") != id_hash("t", "a")


def test_record_adds_each_hash_once(tmp_path):
    from centric.store import erasures
    from centric.store.connection import Store

    with Store(tmp_path / "centric.duckdb") as store:
        assert erasures.record(store, [("h1", "email"), ("h2", "customer_id"), ("h1", "identity")], "s", None) == 2
        assert erasures.record(store, [("h2", "customer_id"), ("h3", "anonymous_id")], "s", "GDPR-1") == 1
        assert erasures.record(store, [], "s", None) == 0
        rows = store.con.execute("SELECT id_hash, id_kind, subject_hash, request_id FROM erasures ORDER BY 1").fetchall()
    assert rows == [("h1", "email", "s", None), ("h2", "customer_id", "s", None), ("h3", "anonymous_id", "s", "GDPR-1")]
