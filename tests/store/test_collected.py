"""The loader of collected messages: every acknowledged spooled message lands exactly once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from centric.config import Settings
from centric.store import collected
from centric.store.collected import load_collected
from centric.store.connection import Store
from centric.store.spool import SpoolFile, encode, record, spool_folder

UTC = dt.timezone.utc
RECEIVED = dt.datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def ws(tmp_path):
    settings = Settings(currency="EUR", timezone="Europe/Madrid")
    store = Store(tmp_path / "centric.duckdb", timezone=settings.timezone)
    yield tmp_path, store, settings
    store.close()


def load(ws):
    path, store, settings = ws
    return load_collected(store, path, settings)


def q(store, sql, params=None):
    return store.con.execute(sql, params or []).fetchall()


def spool(ws, messages, seal=True, max_bytes=64 << 20):
    """Write records to a new spool file (sealed unless seal=False); returns the SpoolFile."""
    sf = SpoolFile(spool_folder(ws[0]), max_bytes=max_bytes)
    sf.append([encode(rec(m)) for m in messages])
    if seal:
        sf.seal()
    return sf


def rec(m):
    if "_record" in m:
        return m["_record"]
    m = dict(m)
    kind = m.pop("_kind", m.get("type", "track"))
    received = m.pop("_received", RECEIVED)
    return record(kind, m, m.get("messageId"), "key1", received_at=received)


def track(mid, event="Product Viewed", user="u1", **extra):
    return {"type": "track", "messageId": mid, "userId": user, "event": event,
            "timestamp": "2026-11-29T09:59:00Z", "properties": extra.pop("properties", {"sku": "A1"}), **extra}


def open_path(sf):
    return sf._path


def test_each_call_type_lands_as_one_event(ws):
    path, store, settings = ws
    spool(ws, [
        track("t1", context={"page": {"url": "https://shop/x"}, "sessionId": "s9"}),
        {"type": "page", "messageId": "p1", "anonymousId": "a1", "name": "Home", "properties": {"url": "/"}},
        {"type": "screen", "messageId": "s1", "userId": "u1", "name": "Cart"},
        {"type": "identify", "messageId": "i1", "userId": "u2", "traits": {"email": "X@Shop.com", "plan": "pro"}},
        {"type": "alias", "messageId": "a1", "userId": "u2", "previousId": "a1"},
        {"type": "group", "messageId": "g1", "userId": "u2", "groupId": "acme", "traits": {"size": 10}},
    ])
    rep = load(ws)
    rows = {r[0]: r[1:] for r in q(store, "SELECT event_id, name, customer_id, anonymous_id, session_id, channel, "
                                          "properties::VARCHAR, context::VARCHAR FROM events")}
    assert rows["t1"][:5] == ("Product Viewed", "u1", None, "s9", "web")
    assert json.loads(rows["t1"][6])["page"]["url"] == "https://shop/x"
    assert rows["p1"][0] == "Page Viewed" and rows["p1"][2] == "a1"
    assert json.loads(rows["p1"][5]) == {"url": "/", "name": "Home"}
    assert rows["s1"][0] == "Screen Viewed" and rows["s1"][4] == "app"
    assert rows["i1"][0] == "Identified" and json.loads(rows["i1"][5])["plan"] == "pro"
    assert rows["a1"][0] == "Alias" and json.loads(rows["a1"][5]) == {"previousId": "a1"}
    assert rows["g1"][0] == "Group" and json.loads(rows["g1"][5]) == {"size": 10, "groupId": "acme"}
    assert rep.messages_read == 6 and rep.tables["events"].inserted == 6 and rep.quarantined_rows == 0


def test_two_loads_and_two_files_load_each_message_once(ws):
    path, store, settings = ws
    spool(ws, [track("m1"), track("m2")])
    assert load(ws).tables["events"].inserted == 2
    again = load(ws)
    assert again.messages_read == 0  # the sealed file is skipped
    spool(ws, [track("m2"), track("m3"), track("m3")])  # a retry of m2, and m3 twice
    rep = load(ws)
    assert rep.messages_read == 3 and rep.duplicates == 2 and rep.tables["events"].inserted == 1
    assert q(store, "SELECT event_id, count(*) FROM events GROUP BY 1 ORDER BY 1") == [("m1", 1), ("m2", 1), ("m3", 1)]


def test_open_file_gaining_lines_and_partial_last_line(ws):
    path, store, settings = ws
    sf = spool(ws, [track("o1"), track("o2")], seal=False)
    p = open_path(sf)
    assert p.name.endswith(".jsonl.open")
    with open(p, "ab") as f:  # a writer killed mid-line: never acknowledged
        f.write(encode(rec(track("o3")))[:25])
    rep = load(ws)
    assert rep.tables["events"].inserted == 2
    assert q(store, "SELECT bytes_loaded, lines_loaded, sealed FROM spool_loads")[0][1:] == (2, False)
    with open(p, "ab") as f:  # the line completes, and another arrives
        f.write(encode(rec(track("o3")))[25:])
        f.write(encode(rec(track("o4"))))
    assert load(ws).tables["events"].inserted == 2
    sf.append([encode(rec(track("o5")))])
    sf.seal()  # renamed to .jsonl: progress follows the file
    rep = load(ws)
    assert rep.messages_read == 1 and rep.tables["events"].inserted == 1
    assert load(ws).messages_read == 0
    assert sorted(r[0] for r in q(store, "SELECT event_id FROM events")) == ["o1", "o2", "o3", "o4", "o5"]
    assert q(store, "SELECT sealed, lines_loaded FROM spool_loads") == [(True, 5)]


def test_crash_inside_the_transaction_leaves_nothing_and_rerun_loads_once(ws, monkeypatch):
    path, store, settings = ws
    spool(ws, [track("c1"), {"type": "identify", "messageId": "c2", "userId": "u7", "traits": {"email": "a@b.co"}},
               track("c3", event="Order Completed", properties={"order_id": "O1", "total": 10,
                                                                "products": [{"sku": "A", "price": 10, "quantity": 1}]}),
               {"type": "track", "messageId": "bad", "event": "X"}])

    def boom(con, segments):
        raise RuntimeError("kill -9")

    monkeypatch.setattr(collected, "record_progress", boom)
    with pytest.raises(RuntimeError):
        load(ws)
    for table in ("events", "customers", "orders", "order_lines", "quarantine", "spool_loads"):
        assert store.count(table) == 0, table
    monkeypatch.undo()
    rep = load(ws)
    assert rep.tables["events"].inserted == 3 and rep.quarantined_rows == 1
    assert load(ws).messages_read == 0
    assert store.count("events") == 3 and store.count("orders") == 1 and store.count("quarantine") == 1


def test_a_database_error_inside_the_segment_handler_surfaces_as_itself(ws, monkeypatch):
    """A failed statement aborts the loader's transaction: the handler's clean-up must not run statements
    then (they would fail with "transaction is aborted" and hide the cause); its temp tables go with the
    rollback, and the next load loads everything once."""
    import duckdb

    from centric.store import segment_calls

    path, store, settings = ws
    spool(ws, [track("d1"), track("d2", event="Order Completed", properties={"order_id": "O9", "total": 5})])

    def failing_orders(con, ctx):
        con.execute("SELECT CAST('not a number' AS INTEGER)")

    monkeypatch.setattr(segment_calls, "load_orders", failing_orders)
    with pytest.raises(duckdb.ConversionException, match="not a number"):
        load(ws)
    for table in ("events", "orders", "spool_loads"):
        assert store.count(table) == 0, table
    temp = {name for (name,) in q(store, "SELECT table_name FROM duckdb_tables() WHERE temporary UNION ALL "
                                         "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal")}
    assert not temp & {"_calls", "_good", "_events", "_records", "_spool", "_spool_checked"}, temp
    monkeypatch.undo()
    assert load(ws).tables["events"].inserted == 2
    assert store.count("orders") == 1 and load(ws).messages_read == 0


def test_order_completed_fills_orders_and_lines(ws):
    path, store, settings = ws
    props = {"order_id": "50314b8e", "total": 27.50, "revenue": 25.00, "shipping": 3, "tax": 2, "discount": 2.5,
             "coupon": "hasbros", "currency": "EUR",
             "products": [{"product_id": "507f", "sku": "45790-32", "name": "Monopoly", "category": "Games",
                           "price": 19, "quantity": 1},
                          {"product_id": "505b", "name": "Uno", "category": "Games", "price": 3, "quantity": 2},
                          {"sku": "SHIP", "name": "Postage", "category": "shipping", "price": 3}]}
    spool(ws, [track("oc1", event="Order Completed", user="u5", properties=props),
               track("oc2", event="Order Completed", user="u5", properties=props)])  # the thank-you page reloaded
    rep = load(ws)
    order = q(store, "SELECT order_id, customer_id, status, currency, total, discount, shipping, event_id, "
                     "merchandise, net_merchandise, attributes->>'coupon' FROM orders")
    assert order == [("50314b8e", "u5", "completed", "EUR", pytest.approx(27.5), pytest.approx(2.5), pytest.approx(3),
                      "oc1", pytest.approx(25 - 2.5), pytest.approx(22.5), "hasbros")]
    lines = q(store, "SELECT line_no, sku, product_name, category, quantity, unit_price FROM order_lines ORDER BY 1")
    assert lines == [(1, "45790-32", "Monopoly", "Games", 1, 19), (2, "505b", "Uno", "Games", 2, 3)]
    assert q(store, "SELECT kind, amount FROM order_charges") == [("shipping", 3)]
    assert store.count("events") == 2 and rep.tables["orders"].inserted == 1 and rep.tables["orders"].unchanged == 1
    assert q(store, "SELECT origin FROM customers WHERE customer_id = 'u5'") == [("order",)]


def test_order_in_another_currency_is_converted_or_quarantined(ws):
    path, store, settings = ws
    store.con.execute("INSERT INTO fx_rates VALUES ('2026-01-01', 'USD', 0.9)")
    base = {"products": [{"sku": "A", "price": 10, "quantity": 2}]}
    spool(ws, [track("x1", event="Order Completed", properties={"order_id": "U1", "total": 20, "currency": "USD", **base}),
               track("x2", event="Order Completed", properties={"order_id": "G1", "total": 20, "currency": "GBP", **base})])
    load(ws)
    assert q(store, "SELECT order_id, total, original_total, fx_rate FROM orders") == [
        ("U1", pytest.approx(18), pytest.approx(20), pytest.approx(0.9))]
    assert q(store, "SELECT unit_price FROM order_lines") == [(pytest.approx(9),)]
    reason = q(store, "SELECT table_name, reason FROM quarantine")
    assert reason[0][0] == "orders" and "no GBP rate" in reason[0][1]
    assert store.count("events") == 2  # the message itself is loaded


def test_identify_fills_customers_without_wiping(ws):
    path, store, settings = ws
    store.con.execute("INSERT INTO customers (customer_id, city, acquisition_channel, origin) "
                      "VALUES ('u1', 'Girona', 'organic', 'import')")
    spool(ws, [{"type": "identify", "messageId": "i1", "userId": "u1", "timestamp": "2026-11-29T09:00:00Z",
                "traits": {"email": "Ana@Example.com", "birthday": "1990-05-01", "gender": "female",
                           "address": {"country": "ES", "street": "Major 1"}, "plan": "gold"},
                "context": {"locale": "ca-ES"}},
               {"type": "identify", "messageId": "i2", "userId": "u1", "traits": {"loyalty": 3, "age": 40}},
               {"type": "identify", "messageId": "i3", "userId": "u9", "traits": {"email": "not-an-email"}},
               {"type": "identify", "messageId": "i4", "userId": "u1", "traits": {"plan": "silver", "tier": 1}},
               {"type": "identify", "messageId": "i5", "userId": "u1", "traits": {"plan": "platinum"}}])
    rep = load(ws)
    row = q(store, "SELECT email, birth_year, gender, country, city, language, acquisition_channel, origin, "
                   "attributes::VARCHAR FROM customers WHERE customer_id = 'u1'")[0]
    assert row[:8] == ("ana@example.com", 1986, "female", "ES", "Girona", "ca", "organic", "import")
    assert json.loads(row[8]) == {"address": {"country": "ES", "street": "Major 1"}, "plan": "platinum", "loyalty": 3,
                                  "tier": 1}  # merged in message order: the last plan wins
    assert q(store, "SELECT reason FROM quarantine WHERE table_name = 'customers'") == [("email is not an e-mail address",)]
    assert store.count("events") == 5 and rep.tables["customers"].updated == 1


def test_clock_skew_is_corrected(ws):
    path, store, settings = ws
    # the device's clock is 1 hour fast: it stamped 11:59 and sent at 12:00, received at 10:00 UTC
    skewed = {"type": "track", "messageId": "k1", "userId": "u", "event": "X",
              "timestamp": "2026-11-29T11:59:00Z", "sentAt": "2026-11-29T12:00:00Z"}
    rudder = {"type": "track", "messageId": "k2", "userId": "u", "event": "X",
              "originalTimestamp": "2026-11-29T09:58:30Z", "sentAt": "2026-11-29T09:59:00Z"}
    plain = {"type": "track", "messageId": "k3", "userId": "u", "event": "X", "timestamp": "2026-11-29T08:00:00Z"}
    bare = {"type": "track", "messageId": "k4", "userId": "u", "event": "X"}
    spool(ws, [skewed, rudder, plain, bare])
    load(ws)
    got = dict(q(store, "SELECT event_id, strftime(occurred_at, '%H:%M:%S') FROM events"))
    # Europe/Madrid is UTC+1 in November
    assert got == {"k1": "10:59:00", "k2": "10:59:30", "k3": "09:00:00", "k4": "11:00:00"}


BAD = [
    ({"type": "track", "messageId": "b1", "event": "X"}, "no userId and no anonymousId"),
    ({"type": "track", "messageId": "b2", "userId": "u"}, "track call without an event name"),
    ({"type": "track", "messageId": "b3", "userId": "u", "event": {"x": 1}}, "track call without an event name"),
    ({"type": "track", "messageId": "b4", "userId": "u", "event": "X", "timestamp": "yesterday"},
     "timestamp is not a date and time"),
    ({"type": "track", "messageId": "b5", "userId": "u", "event": "Order Completed", "properties": {"total": 3}},
     "Order Completed without order_id"),
    ({"type": "track", "messageId": "b6", "userId": "u\nv", "event": "X"}, "userId holds a control character"),
    ({"type": "track", "messageId": "b7", "userId": "u", "event": "X", "properties": {"blob": "x" * 40000}},
     "message larger than 32 KB"),
    ({"type": "track", "messageId": "b8", "userId": {"id": 1}, "event": "X"}, "userId is not a string"),
    ({"_record": {"id": "b9", "kind": "", "received_at": RECEIVED.isoformat(), "source": "k", "message": {}}},
     "missing kind"),
    ({"_record": {"id": "b9b", "kind": "Track-Call", "received_at": RECEIVED.isoformat(), "source": "k",
                  "message": {"userId": "u", "event": "X"}}}, "kind is not a call type"),
    ({"_record": {"id": "b\t10", "kind": "track", "received_at": RECEIVED.isoformat(), "source": "k",
                  "message": {"userId": "u", "event": "X"}}}, "messageId holds a control character"),
    ({"type": "track", "messageId": "b11", "userId": "u", "event": "X", "properties": [1, 2]},
     "properties is not a JSON object"),
]


def test_malformed_messages_are_quarantined_with_their_reason(ws):
    path, store, settings = ws
    sf = spool(ws, [track("ok1")] + [m for m, _ in BAD], seal=False)
    with open(open_path(sf), "ab") as f:
        f.write(b'{"id": "broken", "kind": "track", "mess\n')  # a whole line that is not JSON
    rep = load(ws)
    rows = q(store, "SELECT line, reason, source_file FROM quarantine ORDER BY line")
    assert [r[0] for r in rows] == list(range(2, len(BAD) + 3))
    for (_, reason), row in zip(BAD, rows):
        assert row[1].startswith(reason), (reason, row)
    assert rows[-1][1] == "line is not a JSON record with a message object"
    assert {r[2] for r in rows} == {open_path(sf).name[: -len(".open")]}
    assert q(store, "SELECT event_id FROM events") == [("ok1",)]
    assert rep.quarantined_rows == len(BAD) + 1 and load(ws).messages_read == 0


def test_an_erased_line_beside_an_unreadable_one_is_skipped_not_quarantined(ws):
    """An erasure blanks a line in place (store/spool_erase.py); the JSON scan skips it, and so must the
    line-by-line reading a file with a broken line falls back to."""
    path, store, settings = ws
    sf = spool(ws, [track("ok1"), track("gone"), track("ok2")], seal=False)
    file = open_path(sf)
    lines = file.read_bytes().splitlines(keepends=True)
    lines[1] = b" " * (len(lines[1]) - 1) + b"\n"
    file.write_bytes(b"".join(lines) + b'{"id": "broken", "kind": "track", "mess\n')
    rep = load(ws)
    assert q(store, "SELECT reason FROM quarantine") == [("line is not a JSON record with a message object",)]
    assert sorted(q(store, "SELECT event_id FROM events")) == [("ok1",), ("ok2",)]
    assert rep.messages_read == 3 and rep.quarantined_rows == 1


def test_kinds_without_a_handler_wait_in_spool_pending(ws, monkeypatch):
    path, store, settings = ws
    answer = {"_record": record("future_kind", {"survey": "nps", "score": 9}, "sa1", "survey", RECEIVED)}
    spool(ws, [track("e1"), answer])
    rep = load(ws)
    assert rep.pending == {"future_kind": 1} and store.count("events") == 1 and store.count("quarantine") == 0
    assert q(store, "SELECT message_id, line FROM spool_pending") == [("sa1", 2)]
    seen = []

    def answers(con, records, ctx):
        seen.extend(con.execute(f"SELECT id, message->>'score' FROM {records}").fetchall())

    monkeypatch.setitem(collected.HANDLERS, "future_kind", answers)
    load(ws)
    assert seen == [("sa1", "9")] and store.count("spool_pending") == 0
    load(ws)
    assert seen == [("sa1", "9")]


def test_cli_ingest_collected(tmp_path):
    from click.testing import CliRunner

    from centric.cli.main import cli

    runner = CliRunner()
    work = tmp_path / "shop"
    assert runner.invoke(cli, ["init", "--workspace", str(work)]).exit_code == 0
    spool((work, None, None), [track("cli1"), track("cli2"), {"type": "track", "messageId": "cli3", "event": "X"}])
    result = runner.invoke(cli, ["ingest", "--collected", "--workspace", str(work)])
    assert result.exit_code == 0, result.output
    assert "2 messages read" not in result.output and "3 messages read" in result.output
    assert "events" in result.output and "no userId and no anonymousId" in result.output
    again = runner.invoke(cli, ["ingest", "--collected", "--workspace", str(work)])
    assert again.exit_code == 0 and "0 messages read" in again.output
    bad = runner.invoke(cli, ["ingest", "--collected", "orders", "x.csv", "--workspace", str(work)])
    assert bad.exit_code != 0 and "--collected" in bad.output


def test_workspace_run_loads_collected_messages_first(tmp_path):
    from centric import Workspace

    ws = Workspace(tmp_path / "shop")
    ws.init()
    spool((ws.path, None, None), [track("r1", event="Order Completed", user="c1",
                                        properties={"order_id": "R1", "total": 12,
                                                    "products": [{"sku": "A", "price": 12, "quantity": 1}]}),
                                  track("r2", user="c1")])
    results = ws.run()
    assert list(results)[0] == "collected" and results["collected"] >= 4  # 2 events, 1 order, 1 line (+ customer)
    summary = ws.sql("SELECT customer_id, orders, revenue FROM customer_summary")
    assert summary.to_dict("records") == [{"customer_id": "c1", "orders": 1, "revenue": 12}]
    assert ws.ingest_collected().messages_read == 0


def test_consent_context_fills_the_ledger_and_marks_anonymous_events(ws):
    """Segment's categoryPreferences and RudderStack's consentManagement: an identified sender's choice
    becomes consents rows at the message's time; every event keeps the choice under properties.consent,
    which is how an anonymous visitor's banner answer is read."""
    path, store, settings = ws
    spool(ws, [
        {"type": "identify", "messageId": "i1", "userId": "u7", "timestamp": "2026-11-29T09:00:00Z",
         "context": {"consent": {"categoryPreferences": {"Analytics": True, "Advertising": False}}}},
        {"type": "page", "messageId": "p7", "anonymousId": "anon-7", "timestamp": "2026-11-29T09:01:00Z",
         "context": {"consentManagement": {"provider": "oneTrust", "allowedConsentIds": ["C0001", "C0002"],
                                           "deniedConsentIds": ["C0004"]}}},
        track("t7", user="u8"),  # no consent context: nothing written
    ])
    load(ws)
    ledger = q(store, "SELECT customer_id, category, granted, source FROM consents ORDER BY category")
    assert ledger == [("u7", "analytics", True, "collector"), ("u7", "marketing", False, "collector")]
    marked = q(store, "SELECT properties->'consent' FROM events WHERE event_id = 'p7'")[0][0]
    assert json.loads(marked) == {"essential": True, "analytics": True, "marketing": False}
    assert q(store, "SELECT properties->'consent' FROM events WHERE event_id = 't7'") == [(None,)]
    load(ws)  # loading again adds nothing
    assert q(store, "SELECT count(*) FROM consents") == [(2,)]


def test_consent_context_of_many_events_agrees_with_the_mapping_of_each(ws):
    """Payloads repeat over events (mapped once each): every event still gets its own message's choice,
    and each identified sender a ledger row per category at each message's time, as
    consent_context.from_context and consent_rows give them message by message."""
    from centric.store.consent_context import consent_rows, from_context

    path, store, settings = ws
    contexts = [
        {"consent": {"categoryPreferences": {"Analytics": True, "Advertising": False}}},
        {"consent": {"categoryPreferences": {"C0002": "yes", "marketing": True, "weird": 3}}},
        {"consentManagement": {"allowedConsentIds": ["C0001"], "deniedConsentIds": ["C0002", "C0004"]}},
        {"consent": {"categoryPreferences": None}, "consentManagement": {"allowedConsentIds": "C0003"}},
        {"consent": "all", "consentManagement": {"deniedConsentIds": {"C0003": "Analytics"}}},
        {"page": {"url": "/"}},
    ]
    messages = []
    for i in range(60):
        user = {"userId": f"u{i % 4}"} if i % 3 else {"anonymousId": f"a{i}"}
        messages.append({"type": "track", "messageId": f"m{i}", "event": "Product Viewed", **user,
                         "timestamp": f"2026-11-29T09:{i:02d}:00Z", "context": contexts[i % len(contexts)]})
    spool(ws, messages)
    load(ws)
    marked = {r[0]: (json.loads(r[1]) if r[1] else None)
              for r in q(store, "SELECT event_id, properties->'consent' FROM events")}
    ledger = sorted(q(store, "SELECT customer_id, category, granted, strftime(recorded_at, '%H:%M') FROM consents"))
    expected_ledger = set()
    for i, m in enumerate(messages):
        choice = from_context(m["context"], dict(settings.consent_ids))
        assert marked[m["messageId"]] == (choice.categories or None), m
        if "userId" in m:
            expected_ledger |= {(r["customer_id"], r["category"], r["granted"], f"{10:02d}:{i:02d}")
                                for r in consent_rows(m["userId"], choice, None, "collector")}
    assert ledger == sorted(expected_ledger) and len(ledger) > 10


def test_few_calls_read_from_the_calls_table_keep_their_rules(ws):
    """Identify traits, orders and consent are read from the calls table, not from the messages: an
    identify whose traits come only in context.traits (RudderStack) still fills customers, an
    Order Completed its order, and a consent key written with a JSON escape in the spool line
    (`consentM\\u0061nagement`) is still found (the spool scan re-serialises it unescaped)."""
    path, store, settings = ws
    ident_msg = {"type": "identify", "messageId": "i9", "userId": "u9", "timestamp": "2026-11-29T09:00:00Z",
                 "context": {"traits": {"email": "u9@example.com", "city": "Girona"}}}
    consent_msg = {"type": "page", "messageId": "p9", "userId": "u9", "timestamp": "2026-11-29T09:01:00Z",
                   "context": {"consentManagement": {"allowedConsentIds": ["C0002"], "deniedConsentIds": ["C0004"]}}}
    order_msg = track("o9", event="Order Completed", user="u9",
                      properties={"order_id": "ord-9", "total": 30, "currency": "EUR",
                                  "products": [{"sku": "S1", "price": 30, "quantity": 1}]})
    sf = SpoolFile(spool_folder(path))
    sf.append([encode(rec(ident_msg)), encode(rec(consent_msg)).replace(b"consentManagement", b"consentM\\u0061nagement"),
               encode(rec(order_msg))])
    sf.seal()
    load(ws)
    assert q(store, "SELECT email, city FROM customers WHERE customer_id = 'u9'") == [("u9@example.com", "Girona")]
    assert q(store, "SELECT customer_id, total FROM orders WHERE order_id = 'ord-9'") == [("u9", 30)]
    assert q(store, "SELECT sku FROM order_lines WHERE order_id = 'ord-9'") == [("S1",)]
    assert q(store, "SELECT DISTINCT customer_id FROM consents") == [("u9",)]
    assert json.loads(q(store, "SELECT properties->'consent' FROM events WHERE event_id = 'p9'")[0][0])


@pytest.mark.parametrize("broken", [False, True], ids=["one-scan", "a-file-with-a-broken-line"])
def test_lines_of_several_files_read_in_one_scan_keep_their_file_and_line(ws, broken):
    """All the new lines of every spool file are read by one scan (store/collected.stage); each bad line
    is still quarantined with its own file and line, in a file partly loaded before too. A file with
    a line that is not JSON makes the loader read the files one by one: the same rows result."""
    path, store, settings = ws
    first = spool(ws, [track("a1"), track("a2")], seal=False)
    assert load(ws).tables["events"].inserted == 2
    first.append([encode(rec(track("a3", user=None))), encode(rec(track("a4")))])  # lines 3 and 4
    second = spool(ws, [track("b1"), {"type": "track", "messageId": "b2", "userId": "u"}, track("b3")])
    third = spool(ws, [track("c1"), track("c2")], seal=False)
    if broken:
        with open(open_path(third), "ab") as f:
            f.write(b'{"id": "c3", "kind": "track", "mess\n')
    third.append([encode(rec(track("c4", anonymousId="x\ty")))])
    rep = load(ws)
    key = {sf: open_path(sf).name.removesuffix(".open") for sf in (first, second, third)}
    expected = [(key[first], 3, "no userId and no anonymousId"),
                (key[second], 2, "track call without an event name"),
                (key[third], 3 + broken, "anonymousId holds a control character (NUL, tab or line break)")]
    if broken:
        expected.append((key[third], 3, "line is not a JSON record with a message object"))
    assert sorted(q(store, "SELECT source_file, line, reason FROM quarantine")) == sorted(expected)
    assert sorted(r[0] for r in q(store, "SELECT event_id FROM events")) == ["a1", "a2", "a4", "b1", "b3", "c1", "c2"]
    assert rep.messages_read == 8 + broken and rep.quarantined_rows == 3 + broken
    assert dict(q(store, "SELECT file, lines_loaded FROM spool_loads")) == {
        key[first]: 4, key[second]: 3, key[third]: 3 + broken}
    assert load(ws).messages_read == 0
