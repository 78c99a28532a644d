"""Dates, numbers and encodings are read per column from the whole file; an ambiguous one is refused."""

from __future__ import annotations

import json

import pytest

from centric.store.formats import (
    D_DMY, D_EITHER, D_ISO, D_MDY, N_COMMA, N_EITHER, N_PLAIN, N_POINT, FormatError, ReadOptions, decide,
)
from centric.store.ingest import ingest_table_file
from centric.store.sources import SourceError


def load(store, table, path, **kw):
    return ingest_table_file(store.con, table, path, timezone="Europe/Madrid", **kw)


def times(store):
    return [r[0] for r in store.con.execute("SELECT ordered_at::VARCHAR FROM orders ORDER BY order_id").fetchall()]


def quarantine(store):
    return [list(r) for r in store.con.execute("SELECT line, column_name, value, reason FROM quarantine ORDER BY line").fetchall()]


def test_month_first_export_is_read_month_first_from_its_evidence(store, write):
    # 12/13/2010 can only be month-first: so 12/1/2010 is 1 December, not 12 January
    text = "order_id,ordered_at\nA,12/1/2010 8:26\nB,12/13/2010 9:00\nC,1/2/2011 10:15\n"
    rep = load(store, "orders", write("us.csv", text))
    assert rep.tables["orders"].inserted == 3 and rep.quarantined_rows == 0
    assert times(store) == ["2010-12-01 08:26:00", "2010-12-13 09:00:00", "2011-01-02 10:15:00"]


def test_day_first_export_is_read_day_first(store, write):
    text = "order_id,ordered_at\nA,01/12/2010 08:26\nB,13/12/2010 09:00\nC,02.01.2011\n"
    load(store, "orders", write("eu.csv", text))
    assert times(store) == ["2010-12-01 08:26:00", "2010-12-13 09:00:00", "2011-01-02 00:00:00"]


def test_all_ambiguous_dates_are_refused_then_load_with_the_option(store, write):
    path = write("o.csv", "order_id,ordered_at\nA,12/1/2010 8:26\nB,1/2/2011 10:15\n")
    with pytest.raises(SourceError, match="--date-format dmy or --date-format mdy") as err:
        load(store, "orders", path)
    assert "orders.ordered_at" in str(err.value) and "12/1/2010 8:26" in str(err.value)
    assert store.count("orders") == 0 and store.count("quarantine") == 0
    load(store, "orders", path, options=ReadOptions.build(date_format="mdy"))
    assert times(store) == ["2010-12-01 08:26:00", "2011-01-02 10:15:00"]
    # a strptime format for one column reads the same
    load(store, "orders", path, options=ReadOptions.build(date_format=["ordered_at=%d/%m/%Y %H:%M"]))
    assert times(store) == ["2010-01-12 08:26:00", "2011-02-01 10:15:00"]


def test_a_row_contradicting_the_columns_format_is_quarantined(store, write):
    path = write("o.csv", "order_id,ordered_at\nA,12/1/2010 8:26\nB,13/12/2010 9:00\nC,2010-12-02 10:00:00\n")
    rep = load(store, "orders", path, options=ReadOptions.build(date_format="mdy"))
    assert rep.rows_read == 3 and rep.tables["orders"].inserted == 2
    # ISO text is unambiguous: it is read in every column
    assert times(store) == ["2010-12-01 08:26:00", "2010-12-02 10:00:00"]
    assert quarantine(store) == [[3, "ordered_at", "13/12/2010 9:00",
                                  "ordered_at does not match the column's format mdy (month first, e.g. 12/31/2024 23:59)"]]


def test_a_column_proving_both_orders_is_refused(store, write):
    path = write("o.csv", "order_id,ordered_at\nA,12/13/2010\nB,13/12/2010\nC,1/2/2011\n")
    with pytest.raises(SourceError, match="mixes day-first and month-first.*--date-format"):
        load(store, "orders", path)


def test_an_ambiguous_column_takes_the_order_the_files_other_dates_prove(store, write):
    from centric.store.order_exports import ingest_order_export

    # one date column alone proves nothing: refused
    with pytest.raises(SourceError, match="customers.created_at has no date with a day above 12"):
        load(store, "customers", write("c.csv", "customer_id,created_at\nc1,12/1/2010\nc2,3/4/2011\n"))
    # Created at is ambiguous, but Cancelled at in the same export proves month-first
    path = write("shopify.csv", "Name,Created at,Cancelled at,Lineitem quantity,Lineitem price\n"
                                "#1,12/1/2010 10:00,12/13/2010 09:00,1,5.00\n#2,1/2/2011 11:00,,2,3.00\n")
    ingest_order_export(store.con, "shopify", path, timezone="Europe/Madrid")
    assert times(store) == ["2010-12-01 10:00:00", "2011-01-02 11:00:00"]


def test_epoch_seconds_and_milliseconds(store, write):
    text = "event_id,occurred_at,name\ne1,1700000000,Product Viewed\ne2,1700003600.5,Product Viewed\n"
    load(store, "events", write("s.csv", text))
    ms = "event_id,occurred_at,name\ne3,1700000000123,Product Viewed\ne4,1699999999000,Product Viewed\n"
    load(store, "events", write("ms.csv", ms))
    got = dict(store.con.execute("SELECT event_id, occurred_at::VARCHAR FROM events").fetchall())
    # 1700000000 is 2023-11-14 22:13:20 UTC, 23:13:20 in Madrid
    assert got == {"e1": "2023-11-14 23:13:20", "e2": "2023-11-15 00:13:20.5",
                   "e3": "2023-11-14 23:13:20.123", "e4": "2023-11-14 23:13:19"}


@pytest.mark.parametrize("cells,expected", [
    (['"1.234,56"', '"12,5"', "7"], [1234.56, 12.5, 7.0]),
    (['"1,234.56"', "12.5", "7"], [1234.56, 12.5, 7.0]),
    (['"€ 1 234,56"', '"0,5"', '"1.000.000"'], [1234.56, 0.5, 1000000.0]),
])
def test_decimal_comma_and_decimal_point_columns(store, write, cells, expected):
    rows = "".join(f"O{i},2024-01-01,{c}\n" for i, c in enumerate(cells))
    rep = load(store, "orders", write("o.csv", "order_id,ordered_at,total\n" + rows))
    assert rep.quarantined_rows == 0
    assert [float(r[0]) for r in store.con.execute("SELECT total FROM orders ORDER BY order_id").fetchall()] == expected


def test_ambiguous_thousands_are_refused_then_load_with_decimal(store, write):
    path = write("o.csv", 'order_id,ordered_at,total\nA,2024-01-01,"1,234"\nB,2024-01-01,5\n')
    with pytest.raises(SourceError, match="orders.total .*1,234.*--decimal"):
        load(store, "orders", path)
    load(store, "orders", path, options=ReadOptions.build(decimal=","))
    assert float(store.con.execute("SELECT total FROM orders WHERE order_id = 'A'").fetchone()[0]) == 1.23
    load(store, "orders", path, options=ReadOptions.build(decimal="."))
    assert float(store.con.execute("SELECT total FROM orders WHERE order_id = 'A'").fetchone()[0]) == 1234.0
    # another number column of the file that proves its mark settles it
    load(store, "orders", write("o2.csv", 'order_id,ordered_at,total,discount\nC,2024-01-01,"1,234",2.50\n'))
    assert float(store.con.execute("SELECT total FROM orders WHERE order_id = 'C'").fetchone()[0]) == 1234.0


def test_a_number_written_with_the_other_mark_is_quarantined(store, write):
    path = write("o.csv", 'order_id,ordered_at,total\nA,2024-01-01,"1.234,50"\nB,2024-01-01,12.50\n')
    with pytest.raises(SourceError, match="mixes decimal points and decimal commas"):
        load(store, "orders", path)
    rep = load(store, "orders", path, options=ReadOptions.build(decimal=","))
    assert rep.tables["orders"].inserted == 1
    assert quarantine(store)[0][2:] == ["12.50", "total does not match the column's number format "
                                                 "(decimal comma, e.g. 1.234,56)"]


def test_one_latin1_line_is_quarantined_and_changes_no_other_line(store, write, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("customer_id,city\n1,Lleidà\n2,Girona\n".encode() + b"3,Vall\xe8s\n" + "4,Lleidà\n".encode())
    rep = load(store, "customers", path)
    assert rep.rows_read == 4 and rep.tables["customers"].inserted == 3 and rep.quarantined_rows == 1
    cities = dict(store.con.execute("SELECT customer_id, city FROM customers").fetchall())
    assert cities == {"1": "Lleidà", "2": "Girona", "4": "Lleidà"}
    (line, _, _, reason), = quarantine(store)
    assert line == 4 and reason.startswith("line is not valid UTF-8: use --encoding")
    assert store.count("customers") + store.count("quarantine") == rep.rows_read
    # the same bytes named as Latin-1 load whole (and read the UTF-8 lines as Latin-1, as asked)
    rep = load(store, "customers", path, options=ReadOptions.build(encoding="latin-1"))
    assert rep.quarantined_rows == 0 and store.count("customers") == 4


def test_json_lines_with_a_bad_byte(store, tmp_path):
    path = tmp_path / "e.jsonl"
    good = '{"event_id": "e%d", "occurred_at": "2024-01-01", "name": "Product Viewed", "city": "Lleidà"}\n'
    path.write_bytes((good % 1).encode() + b'{"event_id": "e2", "occurred_at": "2024-01-01", "name": "x\xe0"}\n'
                     + (good % 3).encode())
    rep = load(store, "events", path)
    assert rep.rows_read == 3 and rep.tables["events"].inserted == 2
    assert [q[0] for q in quarantine(store)] == [2]
    props = store.con.execute("SELECT properties->>'city' FROM events ORDER BY event_id").fetchall()
    assert props == [("Lleidà",), ("Lleidà",)]


def test_control_characters_in_keys_are_quarantined(store, write):
    text = 'customer_id,email\n"a\x00b",a@x.com\n"c\td",c@x.com\ne,e@x.com\n'
    rep = load(store, "customers", write("c.csv", text))
    assert rep.tables["customers"].inserted == 1
    assert [(q[0], q[1], q[3]) for q in quarantine(store)] == [
        (2, "customer_id", "customer_id holds a control character (NUL, tab or line break)"),
        (3, "customer_id", "customer_id holds a control character (NUL, tab or line break)")]


def test_bad_options_are_one_line_errors():
    for kw, message in [({"encoding": "ebcdic"}, "--encoding ebcdic"), ({"decimal": ";"}, "--decimal ;"),
                        ({"date_format": "dd/mm"}, "--date-format dd/mm")]:
        with pytest.raises(FormatError, match=message):
            ReadOptions.build(**kw)


def test_a_bad_strptime_format_is_refused(store, write):
    with pytest.raises(FormatError, match="not a strptime format"):
        load(store, "orders", write("o.csv", "order_id,ordered_at\nA,1/2/2010\n"),
             options=ReadOptions.build(date_format="%Q/%m"))


def test_decide_rules():
    kinds = {"a": "timestamp", "b": "timestamp", "n": "money", "m": "money"}
    opts = ReadOptions()
    # evidence one way decides; none shares the file's; both ways is refused
    f, u = decide(kinds, {"a": {D_MDY: 1, D_EITHER: 5}, "b": {D_EITHER: 3}, "n": {N_POINT: 1}, "m": {N_EITHER: 2}}, opts)
    assert (f.dates, f.numbers, u) == ({"a": "mdy", "b": "mdy"}, {"n": ".", "m": "."}, [])
    _, u = decide(kinds, {"a": {D_MDY: 1, D_DMY: 1}, "b": {D_ISO: 4}, "n": {N_PLAIN: 1}, "m": {N_POINT: 1, N_COMMA: 1}}, opts)
    assert [x.column for x in u] == ["a", "m"]
    _, u = decide(kinds, {"a": {D_EITHER: 1}, "b": {D_EITHER: 1}, "n": {N_EITHER: 1}, "m": {}}, opts)
    assert [x.column for x in u] == ["a", "b", "n"]
    f, u = decide(kinds, {"a": {D_EITHER: 1}}, ReadOptions.build(date_format="dmy", decimal=","))
    assert (f.dates, f.numbers, u) == ({"a": "dmy", "b": "dmy"}, {"n": ",", "m": ","}, [])


def test_cli_refuses_then_loads_with_date_format(tmp_path):
    from click.testing import CliRunner

    from centric.cli.main import cli

    ws = tmp_path / "shop"
    assert CliRunner().invoke(cli, ["init", "--workspace", str(ws)]).exit_code == 0
    path = tmp_path / "o.csv"
    path.write_text('order_id,ordered_at,total\nA,12/1/2010 8:26,"1.234,50"\nB,1/2/2011 10:15,"2,5"\n')
    r = CliRunner().invoke(cli, ["ingest", "orders", str(path), "--workspace", str(ws)])
    assert r.exit_code != 0 and "--date-format" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["ingest", "orders", str(path), "--workspace", str(ws), "--date-format", "mdy"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["sql", "SELECT order_id, ordered_at::VARCHAR t, total::DOUBLE total FROM orders ORDER BY 1",
                                 "--format", "json", "--workspace", str(ws)])
    assert json.loads(r.output) == [{"order_id": "A", "t": "2010-12-01 08:26:00", "total": 1234.5},
                                    {"order_id": "B", "t": "2011-01-02 10:15:00", "total": 2.5}]
    r = CliRunner().invoke(cli, ["ingest", "orders", str(path), "--workspace", str(ws), "--encoding", "klingon"])
    assert r.exit_code != 0 and "--encoding klingon" in r.output
