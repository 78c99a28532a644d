"""Ingest of the canonical tables: formats, validation, quarantine, idempotence."""

from __future__ import annotations

import gzip
import json

import pytest

from centric.store.formats import ReadOptions
from centric.store.ingest import ingest_table_file
from centric.store.sources import SourceError

CUSTOMERS = (
    "customer_id,email,country,tags,birth_year,favourite_drink\n"
    "1,ana@example.com,ES,coffee|yoga,1980,tea\n"
    "2,not-an-email,Spain,\"[\"\"tech\"\"]\",1990,\n"
    "3,joan@example.cat,Narnia,,1985,coffee\n"
    "4,rui@example.pt,Portugal,,19x0,water\n"
    "5,eve@example.com,GB,,1975,\n"
)


def load(store, table, path, **kw):
    return ingest_table_file(store.con, table, path, timezone="Europe/Madrid", **kw)


def quarantine(store):
    return store.query_df("SELECT line, column_name, value, reason FROM quarantine ORDER BY line")


def test_customers_load_and_bad_rows_are_quarantined_with_line_and_reason(store, write):
    rep = load(store, "customers", write("c.csv", CUSTOMERS))
    assert rep.rows_read == 5
    assert rep.tables["customers"].inserted == 2
    q = quarantine(store)
    assert q[["line", "column_name"]].values.tolist() == [[3, "email"], [4, "country"], [5, "birth_year"]]
    assert q["value"].tolist() == ["not-an-email", "Narnia", "19x0"]
    df = store.query_df("SELECT * FROM customers ORDER BY customer_id")
    assert df["customer_id"].tolist() == ["1", "5"]
    assert list(df["tags"][0]) == ["coffee", "yoga"]
    assert json.loads(df["attributes"][0]) == {"favourite_drink": "tea"}
    assert df["attributes"][1] is None or json.loads(df["attributes"][1]) == {}
    assert df["origin"].tolist() == ["import", "import"]


def test_loading_twice_changes_nothing(store, write):
    path = write("c.csv", CUSTOMERS)
    load(store, "customers", path)
    before = store.query_df("SELECT * EXCLUDE (attributes), attributes::VARCHAR a FROM customers ORDER BY 1")
    rep = load(store, "customers", path)
    assert rep.tables["customers"].inserted == 0 and rep.tables["customers"].updated == 0
    assert rep.tables["customers"].unchanged == 2
    after = store.query_df("SELECT * EXCLUDE (attributes), attributes::VARCHAR a FROM customers ORDER BY 1")
    assert before.equals(after)
    assert store.count("quarantine") == 3


def test_changed_rows_are_updated(store, write):
    load(store, "customers", write("a.csv", "customer_id,email\n1,a@x.com\n2,b@x.com\n"))
    rep = load(store, "customers", write("b.csv", "customer_id,email\n1,a@x.com\n2,new@x.com\n3,c@x.com\n"))
    counts = rep.tables["customers"]
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 1)
    assert store.query_df("SELECT email FROM customers WHERE customer_id = '2'")["email"][0] == "new@x.com"


def test_list_column_accepts_json_array_and_pipes(store, write):
    load(store, "customers", write("c.csv", 'customer_id,tags\n1,"[""a"", ""b c""]"\n2,x | y|\n'))
    tags = store.query_df("SELECT tags FROM customers ORDER BY customer_id")["tags"]
    assert [list(t) for t in tags] == [["a", "b c"], ["x", "y"]]


def test_orders_parse_dates_amounts_and_create_customers(store, write):
    text = ("order_id,customer_id,ordered_at,status,total,currency\n"
            "A1,17850.0,2024-01-01 10:00:00 +0000,paid,\"10,5\",EUR\n"
            "A2,9,15/02/2024 10:00,completed,\"12,50\",EUR\n"
            "A3,9,not a date,completed,1,EUR\n"
            "A4,9,2024-03-01,completed,-5,EUR\n"
            "A5,9,2024-03-01T10:00:00Z,refunded,-5,EUR\n"
            "A6,,2024-03-02,completed,7,EUR\n")
    rep = load(store, "orders", write("o.csv", text))
    assert rep.tables["orders"].inserted == 4
    assert rep.customers_created == 2
    rows = store.con.execute("SELECT order_id, customer_id, ordered_at::VARCHAR t, status, total::DOUBLE total FROM orders ORDER BY 1").fetchall()
    assert [list(r) for r in rows] == [
        ["A1", "17850", "2024-01-01 11:00:00", "completed", 10.5],  # UTC 10:00 is 11:00 in Madrid
        ["A2", "9", "2024-02-15 10:00:00", "completed", 12.5],
        ["A5", "9", "2024-03-01 11:00:00", "refunded", -5.0],
        ["A6", None, "2024-03-02 00:00:00", "completed", 7.0],
    ]
    reasons = quarantine(store)["reason"].tolist()
    # 15/02/2024 proves the column day-first: a value that reads no way fails the column's format
    assert reasons == ["ordered_at does not match the column's format dmy (day first, e.g. 31/12/2024 23:59)",
                       "negative total on an order that is not refunded (a return)"]
    assert store.query_df("SELECT origin FROM customers")["origin"].unique().tolist() == ["order"]


def test_order_lines_need_their_order_and_a_positive_price(store, write):
    load(store, "orders", write("o.csv", "order_id,ordered_at\nA1,2024-01-01\n"))
    rep = load(store, "order_lines", write("l.csv", "order_id,line_no,quantity,unit_price\n"
                                                    "A1,1,2,3.5\nA1,2,-1,3.5\nA1,3,1,0\nA1,4,1,-2\nB9,1,1,1\nA1,5,0,1\n"))
    assert rep.tables["order_lines"].inserted == 2
    assert quarantine(store)["reason"].tolist() == [
        "unit_price is zero", "unit_price is negative", "unknown order_id: load the orders first", "quantity is zero"]


def test_duplicate_keys_keep_the_last_line(store, write):
    load(store, "customers", write("c.csv", "customer_id,email\n1,old@x.com\n2,b@x.com\n1,new@x.com\n"))
    assert store.query_df("SELECT email FROM customers WHERE customer_id = '1'")["email"][0] == "new@x.com"
    q = quarantine(store)
    assert q["line"].tolist() == [2]
    assert "(line 4 is loaded)" in q["value"][0]


def test_map_renames_and_unmapped_columns_are_kept(store, write):
    path = write("o.csv", "Order,Client,When,Amount,Coupon\nX1,c1,2024-05-01,9.99,SPRING\n")
    load(store, "orders", path, mapping={"order_id": "Order", "customer_id": "Client", "ordered_at": "When", "total": "Amount"})
    row = store.query_df("SELECT order_id, customer_id, total::DOUBLE t, attributes::VARCHAR a FROM orders").iloc[0]
    assert (row["order_id"], row["customer_id"], row["t"]) == ("X1", "c1", 9.99)
    assert json.loads(row["a"]) == {"Coupon": "SPRING"}


def test_clear_errors_for_missing_columns_and_bad_maps(store, write):
    with pytest.raises(SourceError, match="no column for ordered_at"):
        load(store, "orders", write("o.csv", "order_id\nA1\n"))
    with pytest.raises(SourceError, match="no column 'Nope'"):
        load(store, "orders", write("o2.csv", "order_id,ordered_at\nA1,2024-01-01\n"), mapping={"total": "Nope"})
    with pytest.raises(SourceError, match="not a column of orders"):
        load(store, "orders", write("o3.csv", "order_id,ordered_at\nA1,2024-01-01\n"), mapping={"colour": "x"})
    with pytest.raises(SourceError, match="empty"):
        load(store, "orders", write("o4.csv", ""))
    with pytest.raises(SourceError, match="no such file"):
        load(store, "orders", write("o5.csv", "x").with_name("missing.csv"))
    assert store.count("orders") == 0


@pytest.mark.parametrize("encoding,bom", [("utf-8", ""), ("utf-8", "\ufeff"), ("utf-16", ""), ("latin-1", "")])
def test_encodings_and_bom(store, write, encoding, bom):
    text = bom + "customer_id;city\r\n1;Lleida\r\n2;Sant Cugat del Vallès\r\n3;\"Línia\r\nnova\"\r\n"
    # UTF-8 unless the user names the encoding (a UTF-16 byte-order mark names itself)
    options = ReadOptions.build(encoding=encoding) if encoding == "latin-1" else None
    load(store, "customers", write("c.csv", text, encoding=encoding), options=options)
    cities = store.query_df("SELECT city FROM customers ORDER BY customer_id")["city"].tolist()
    assert cities == ["Lleida", "Sant Cugat del Vallès", "Línia\r\nnova"]


def test_gzip_jsonl_and_parquet(store, tmp_path):
    import pandas as pd

    gz = tmp_path / "e.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write('{"event_id": "e1", "occurred_at": "2024-01-01T10:00:00Z", "name": "Product Viewed", "properties": {"sku": "A"}, "utm": "x"}\n')
        fh.write("not json\n")
        fh.write('{"event_id": "e2", "occurred_at": "2024-01-02", "name": "Order Completed", "customer_id": 42}\n')
    rep = ingest_table_file(store.con, "events", gz, timezone="UTC")
    assert rep.tables["events"].inserted == 2
    assert quarantine(store)[["line", "reason"]].values.tolist() == [[2, "not a JSON object"]]
    props = store.query_df("SELECT properties::VARCHAR p FROM events WHERE event_id = 'e1'")["p"][0]
    assert json.loads(props) == {"sku": "A", "utm": "x"}
    assert store.query_df("SELECT customer_id FROM events WHERE event_id = 'e2'")["customer_id"][0] == "42"

    pq = tmp_path / "spend.parquet"
    pd.DataFrame({"spent_on": pd.to_datetime(["2024-01-01", "2024-01-02"]).date, "channel": ["ads", "ads"],
                  "campaign": ["a", "a"], "amount": [10.0, -1.0]}).to_parquet(pq)
    rep = ingest_table_file(store.con, "marketing_spend", pq, timezone="UTC")
    assert rep.tables["marketing_spend"].inserted == 1 and rep.quarantined_rows == 1


def test_malformed_csv_records_are_quarantined_and_lines_stay_right(store, write):
    text = "customer_id,email\n1,a@x.com\n2\n3,c@x.com,extra\n4,bad\n5,e@x.com\n"
    rep = load(store, "customers", write("c.csv", text))
    assert rep.tables["customers"].inserted == 2
    q = quarantine(store)
    assert q["line"].tolist() == [3, 4, 5]
    assert q["reason"][0].startswith("malformed CSV record")
    assert q["reason"][2] == "email is not an e-mail address"


def test_feedback_rating_must_fit_its_scale(store, write):
    text = ("feedback_id,received_at,source,rating,rating_scale,text\n"
            "f1,2024-01-01,survey,9,nps_0_10,great\nf2,2024-01-01,survey,11,nps_0_10,x\n"
            "f3,2024-01-01,review,4,,nice\nf4,2024-01-01,tweet,,,hi\nf5,2024-01-01,review,5,stars_1_5,<script>alert(1)</script>\n")
    rep = load(store, "feedback", write("f.csv", text))
    assert rep.tables["feedback"].inserted == 2
    assert quarantine(store)["reason"].tolist() == [
        "rating outside 0-10 for nps_0_10", "rating given without rating_scale", "source must be one of survey, review, ticket, social, chat, other"]
    assert store.query_df("SELECT text FROM feedback WHERE feedback_id = 'f5'")["text"][0] == "<script>alert(1)</script>"


def test_consents_booleans(store, write):
    rep = load(store, "consents", write("c.csv", "customer_id,category,granted,recorded_at\n1,marketing,yes,2024-01-01\n1,analytics,0,2024-01-01\n2,marketing,maybe,2024-01-01\n"))
    assert rep.tables["consents"].inserted == 2 and rep.customers_created == 1
    assert store.query_df("SELECT granted FROM consents ORDER BY category")["granted"].tolist() == [False, True]


def test_blanks_around_numbers_and_dates_and_blank_required_cells(store, write):
    text = ("order_id,ordered_at,total,discount\n"
            " A1 , 2024-01-01 10:00:00 , 12.50 ,  \n"
            "A2,   ,3,\n"
            "A3,2024-01-02T10:00:00+01:00 ,x1,\n"
            "A4,1850-01-01,1,\n")
    rep = load(store, "orders", write("o.csv", text))
    assert rep.tables["orders"].inserted == 1
    row = store.con.execute("SELECT order_id, ordered_at::VARCHAR, total::DOUBLE, discount FROM orders").fetchone()
    assert row == ("A1", "2024-01-01 10:00:00", 12.5, None)
    q = quarantine(store)
    assert q["reason"].tolist() == ["missing ordered_at", "total is not an amount", "ordered_at is outside the years 1900-2200"]
    assert q["value"].tolist()[1] == "x1"
