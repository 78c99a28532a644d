"""Privacy requests: the export holds every row the catalog says is the person's, the erasure leaves none
of their ids in any byte of the workspace, and erased ids are dropped when they come back."""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from centric.cli.main import cli
from centric.services.workspace_files import open_store
from centric.store.compiled import PERSISTED_FILE
from centric.store.spool import SpoolFile, SpoolWriter, encode, record
from centric.workspace import Workspace
from tests.services.privacy_shop import KEEPER, SHARED_ANON, TARGET, TARGET_TEXT, build_workspace

TARGET_IDS = [TARGET["customer_id"], TARGET["email"], *TARGET["anonymous_ids"]]
PERSON_COLUMNS = ("customer_id", "user_id", "anonymous_id", "email")


def _spool_lines(person: dict, n: int) -> list[bytes]:
    out = []
    for i in range(n):
        anon = person["anonymous_ids"][i % len(person["anonymous_ids"])]
        out.append(encode(record("identify", {"userId": person["customer_id"], "anonymousId": anon,
                                              "traits": {"email": person["email"]}}, f"{anon}-id-{i}", "k")))
        out.append(encode(record("page", {"anonymousId": anon, "properties": {"url": f"https://shop.test/?a={anon}"}},
                                 f"{anon}-page-{i}", "k")))
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    path = build_workspace(root)
    spool = SpoolFile(path / "spool")
    spool.append(_spool_lines(TARGET, 2) + _spool_lines(KEEPER, 2))
    spool.seal()
    return path


@pytest.fixture
def ws(base, tmp_path):
    path = tmp_path / "ws"
    shutil.copytree(base, path)
    return path


def _grep(folder: Path, needles) -> dict[str, set[str]]:
    """Every file under folder whose raw bytes contain a needle."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            hits = {n for n in needles if n.lower().encode() in data}
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def _scan(db: Path, customer_id: str, anonymous_ids: set[str] | None = None) -> dict[str, list[tuple]]:
    """Independently of centric's code: every table of the catalog, rows of the person by their ids,
    and the rows linked to their orders and feedback by key. anonymous_ids: fixed, else those of their
    events no other customer used."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        email = con.execute("SELECT lower(email) FROM customers WHERE customer_id = ?", [customer_id]).fetchone()[0]
        anons = {r[0] for r in con.execute("SELECT DISTINCT anonymous_id FROM events WHERE customer_id = ? "
                                           "AND anonymous_id IS NOT NULL", [customer_id]).fetchall()}
        shared = {r[0] for r in con.execute("SELECT DISTINCT anonymous_id FROM events WHERE customer_id <> ?",
                                            [customer_id]).fetchall()}
        anons = anons - shared if anonymous_ids is None else anonymous_ids
        values = {"customer_id": {customer_id} | {f"anon:{a}" for a in anons}, "user_id": {customer_id},
                  "anonymous_id": anons, "email": {email}}
        orders = [r[0] for r in con.execute("SELECT order_id FROM orders WHERE customer_id = ?", [customer_id]).fetchall()]
        feedback = [r[0] for r in con.execute("SELECT feedback_id FROM feedback WHERE customer_id = ? OR order_id IN "
                                              "(SELECT unnest(?))", [customer_id, orders]).fetchall()]
        keys = {"order_id": orders, "credit_order_id": orders, "reverses_order_id": orders, "feedback_id": feedback}
        columns: dict[str, list[str]] = {}
        for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                         "WHERE table_schema = 'main'").fetchall():
            columns.setdefault(table, []).append(column)
        out = {}
        for table, cols in columns.items():
            tests, params = [], []
            for column in cols:
                if column in values:
                    tests.append(f'lower(CAST("{column}" AS VARCHAR)) IN (SELECT lower(unnest(?)))')
                    params.append(sorted(values[column]))
                elif column in keys and table not in ("orders", "feedback") or column == "reverses_order_id":
                    tests.append(f'CAST("{column}" AS VARCHAR) IN (SELECT unnest(?))')
                    params.append(keys[column])
            if table == "feedback":
                tests.append("order_id IN (SELECT unnest(?))")
                params.append(orders)
            if tests:
                out[table] = con.execute(f'SELECT * FROM "{table}" WHERE {" OR ".join(tests)}', params).fetchall()
        out["quarantine"] = [r for r in con.execute("SELECT * FROM quarantine").fetchall()
                             if any(i in (r[4] or "") for i in [customer_id, email, *anons, *orders])]
        return out
    finally:
        con.close()


def _counts(db: Path, customer_id: str, anonymous_ids: set[str] | None = None) -> dict[str, int]:
    return {table: len(rows) for table, rows in _scan(db, customer_id, anonymous_ids).items()}


def _totals(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main'").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def test_every_table_of_the_catalog_is_classified(ws):
    from centric.store.privacy import catalog, classify

    with open_store(ws, read_only=True) as (_, store):
        kinds = classify(catalog(store))
    assert not [t for t, k in kinds.items() if k == "unclassified"], kinds
    assert {"customers", "orders", "events", "feedback", "consents", "segment_members", "journey_stages",
            "customer_value", "customer_personas", "customer_profiles", "customer_summary", "marked_events",
            "marked_inputs"} <= {t for t, k in kinds.items() if k == "person"}


def test_export_holds_every_row_an_independent_scan_finds(ws, tmp_path):
    scan = _scan(ws / "centric.duckdb", TARGET["customer_id"])
    expected = {t: rows for t, rows in scan.items() if rows}
    # the planted person is in every kind of table: the comparison below can fail
    assert {"customers", "orders", "order_lines", "events", "feedback", "feedback_insights", "consents",
            "customer_summary", "customer_value", "customer_profiles", "segment_members", "customer_personas",
            "journey_stages", "quarantine", "marked_events", "marked_inputs"} <= set(expected)
    out = tmp_path / "request"
    result = Workspace(ws).privacy_export(TARGET["email"], out)
    assert result.customer_id == TARGET["customer_id"]
    bundle = json.loads((out / "centric-export.json").read_text())
    assert {t for t, rows in bundle["tables"].items() if rows} == set(expected)
    for table, rows in expected.items():
        assert len(bundle["tables"][table]) == len(rows), table
        with open(out / f"{table}.csv", newline="") as handle:
            assert sum(1 for _ in csv.reader(handle)) == len(rows) + 1, table
    assert {r["event_id"] for r in bundle["tables"]["events"]} == {r[0] for r in scan["events"]}
    assert {r["order_id"] for r in bundle["tables"]["order_lines"]} == {r[0] for r in scan["orders"]}
    # values as written: decimals as text, timestamps ISO, JSON parsed
    order = bundle["tables"]["orders"][0]
    assert isinstance(order["total"], str) and "." in order["total"] and "T" in order["ordered_at"]
    assert bundle["ids"]["emails"] == [TARGET["email"]]
    assert sorted(bundle["ids"]["anonymous_ids"]) == sorted(TARGET["anonymous_ids"])
    assert SHARED_ANON not in json.dumps(bundle["ids"]) and bundle["ids"]["anonymous_ids_shared_with_another_customer"] == 1
    assert [m["model"] for m in bundle["how_computed"]["models"]] == ["BetaGeo"]  # chosen and churn source
    assert bundle["how_computed"]["models"][0]["params"]["alpha"] == 4.4
    # the definitions of exactly the person's segments and personas (the cards themselves left out)
    member_of = {r["segment"] for r in bundle["tables"]["segment_members"]}
    assert member_of and {s["segment"] for s in bundle["how_computed"]["segments"]} == member_of
    personas = [p["persona_id"] for p in bundle["how_computed"]["personas"]]
    assert personas == [r["persona_id"] for r in bundle["tables"]["customer_personas"]] and len(personas) == 1
    assert "card" not in bundle["how_computed"]["personas"][0]
    assert [q["quote"]["text"] for q in bundle["persona_quotes"]] == [TARGET_TEXT]
    # the spool: the person's lines (identify and a page carrying only their anonymous id), nobody else's
    spooled = [m["record"]["message"] for m in bundle["spooled_messages"]]
    assert len(spooled) == 4 and KEEPER["customer_id"] not in json.dumps(spooled)
    assert KEEPER["email"] not in (out / "centric-export.json").read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.iterdir())


def test_a_new_table_with_a_customer_id_is_exported_and_erased_without_being_named(ws, tmp_path):
    con = duckdb.connect(str(ws / "centric.duckdb"))
    con.execute("CREATE TABLE loyalty_points (customer_id VARCHAR, points INTEGER)")
    con.execute("INSERT INTO loyalty_points VALUES (?, 10), (?, 20)", [TARGET["customer_id"], KEEPER["customer_id"]])
    con.close()
    result = Workspace(ws).privacy_export(TARGET["customer_id"], tmp_path / "out")
    assert result.rows["loyalty_points"] == 1
    erased = Workspace(ws).privacy_erase(TARGET["customer_id"])
    assert erased.rows_deleted["loyalty_points"] == 1
    assert Workspace(ws).sql("SELECT customer_id FROM loyalty_points")["customer_id"].tolist() == [KEEPER["customer_id"]]


def test_erase_leaves_no_byte_of_the_person_in_the_workspace(ws):
    db = ws / "centric.duckdb"
    Workspace(ws).privacy_export(TARGET["customer_id"], ws / "exports" / "req-1")
    # SQL a run kept for the next one (store/compiled.py) may hold a literal naming the person
    (ws / PERSISTED_FILE).write_text(json.dumps({"entries": {"d": f"SELECT 1 WHERE x = '{TARGET['email']}'"}}))
    before = _grep(ws, TARGET_IDS)
    # the search can fail: before, the ids are in the database file, the spool, the snapshot-free export
    assert "centric.duckdb" in before and any(p.startswith("spool/") for p in before)
    assert any(p.startswith("exports/") for p in before)
    keeper_before = _counts(db, KEEPER["customer_id"], set(KEEPER["anonymous_ids"]))
    target_before = _counts(db, TARGET["customer_id"])
    totals_before = _totals(db)
    # the events marked by consent kept between runs (services/marked.py) hold the person: their own events,
    # the shared device's events merged into them, their consent records and spans (marked_inputs)
    assert target_before["marked_events"] >= target_before["events"] > 0
    assert target_before["marked_inputs"] > 0

    result = Workspace(ws).privacy_erase(TARGET["customer_id"], request_id="GDPR-117")

    assert _grep(ws, TARGET_IDS) == {}
    assert result.residue == {} and not (ws / PERSISTED_FILE).exists()
    assert not (ws / "centric.duckdb.wal").exists()
    assert _counts(db, KEEPER["customer_id"], set(KEEPER["anonymous_ids"])) == keeper_before
    totals = _totals(db)
    for table, n in target_before.items():
        assert totals[table] == totals_before[table] - n, table
    assert result.rows_deleted["orders"] == target_before["orders"] > 0
    assert result.rows_deleted["marked_events"] == target_before["marked_events"]
    left = Workspace(ws).sql("SELECT count(*) AS n FROM marked_events WHERE customer_id = '{}' OR anonymous_id IN "
                             "('{}', '{}')".format(TARGET["customer_id"], *TARGET["anonymous_ids"]))
    assert left["n"][0] == 0
    assert totals["erasures"] == len(TARGET_IDS) + target_before["orders"]
    # the shared device's anonymous id and the keeper's events on it stay
    ws_api = Workspace(ws)
    assert ws_api.sql(f"SELECT count(*) AS n FROM events WHERE anonymous_id = '{SHARED_ANON}'")["n"][0] > 0
    # what remains: hashes with the request, in the database and in the snapshot the server reads
    rows = ws_api.sql("SELECT id_kind, request_id FROM erasures")
    assert set(rows["request_id"]) == {"GDPR-117"}
    assert sorted(rows["id_kind"].value_counts().items())[:3] == [("anonymous_id", 2), ("customer_id", 1), ("email", 1)]
    from centric.services.privacy import Suppression

    assert Suppression(ws).is_suppressed([TARGET["anonymous_ids"][1]])
    assert not Suppression(ws).is_suppressed([KEEPER["customer_id"], KEEPER["email"]])
    assert ws_api.is_suppressed(TARGET["email"].upper()) and not ws_api.is_suppressed(KEEPER["email"])
    # the persona card lost the person's quote and kept the other
    cards = ws_api.sql("SELECT card FROM personas ORDER BY persona_id")["card"].map(json.loads).tolist()
    assert [q["text"] for q in cards[0]["quotes"]] == ["Great quality, fast delivery, will buy again."]
    # the spool kept the keeper's lines
    lines = b"".join(p.read_bytes() for p in (ws / "spool").glob("*.jsonl"))
    kept = [line for line in lines.splitlines() if line.strip()]  # the person's lines are blanked in place
    assert lines.count(KEEPER["customer_id"].encode()) == 2 and len(kept) == 4


def test_deleting_without_the_rewrite_would_leave_the_bytes(ws):
    """Why erase rewrites the file: DELETE and CHECKPOINT leave deleted values in the file's blocks."""
    con = duckdb.connect(str(ws / "centric.duckdb"))
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.columns WHERE table_schema = 'main' "
                                        "AND column_name = 'customer_id'").fetchall()]
    for table in tables:
        con.execute(f'DELETE FROM "{table}" WHERE customer_id = ?', [TARGET["customer_id"]])
    con.execute("CHECKPOINT")
    con.close()
    assert TARGET["customer_id"].encode() in (ws / "centric.duckdb").read_bytes()


def test_erased_ids_sent_again_as_csv_are_dropped_not_quarantined(ws, base):
    inputs = base.parent / "inputs"
    Workspace(ws).privacy_erase(TARGET["customer_id"])
    totals = _totals(ws / "centric.duckdb")
    dropped = {}
    for name in ("customers", "orders", "order_lines", "events", "feedback", "consents"):
        (report,) = Workspace(ws).ingest(name, str(inputs / f"{name}.csv"))
        dropped[name] = report.suppressed
    assert dropped["customers"] == 1 and dropped["orders"] == 6 and dropped["order_lines"] == 5
    assert dropped["consents"] == 2 and dropped["feedback"] == 5
    assert dropped["events"] >= 13
    after = _totals(ws / "centric.duckdb")
    for table in ("customers", "orders", "order_lines", "events", "feedback", "consents"):
        assert after[table] == totals[table], table
    ws_api = Workspace(ws)
    assert ws_api.sql("SELECT count(*) AS n FROM quarantine WHERE value LIKE '%erase%'")["n"][0] == 0
    # a bad row after a dropped one keeps its own line number in quarantine
    late = base.parent / "late.csv"
    late.write_text(f"customer_id,email,birth_year\n{TARGET['customer_id']},x@example.org,1980\n"
                    f"c-new,{TARGET['email']},1981\nc-bad,bad@example.org,not-a-year\n")
    (report,) = ws_api.ingest("customers", str(late))
    assert report.suppressed == 2 and report.quarantined_rows == 1
    assert ws_api.sql(f"SELECT line FROM quarantine WHERE source_file = '{late}'")["line"].tolist() == [4]
    assert ws_api.sql(f"SELECT count(*) AS n FROM customers WHERE customer_id = '{TARGET['customer_id']}'")["n"][0] == 0


def test_erase_again_is_harmless_and_an_unknown_customer_is_one_line(ws):
    first = Workspace(ws).privacy_erase(TARGET["customer_id"])
    totals = _totals(ws / "centric.duckdb")
    again = Workspace(ws).privacy_erase(TARGET["email"])
    assert again.already_erased and not first.already_erased
    assert _totals(ws / "centric.duckdb") == totals
    r = CliRunner().invoke(cli, ["privacy", "erase", TARGET["customer_id"], "--workspace", str(ws)])
    assert r.exit_code == 0 and "already erased" in r.output
    r = CliRunner().invoke(cli, ["privacy", "erase", "nobody-at-all", "--workspace", str(ws)])
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1
    assert r.output.startswith("Error: no customer 'nobody-at-all'")
    r = CliRunner().invoke(cli, ["privacy", "export", "nobody-at-all", "-o", str(ws / "x"), "--workspace", str(ws)])
    assert r.exit_code == 1 and "no customer" in r.output and not (ws / "x").exists()


def test_a_spool_file_a_live_server_writes_is_rewritten_once_sealed(ws):
    writer = SpoolWriter(ws / "spool", max_seconds=3600)
    writer.submit([json.loads(line) for line in _spool_lines(TARGET, 1) + _spool_lines(KEEPER, 1)]).result(5)
    open_file = next((ws / "spool").glob("*.jsonl.open"))
    result = Workspace(ws).privacy_erase(TARGET["customer_id"])
    assert result.spool_files_pending == [open_file.name]
    assert TARGET["email"].encode() in open_file.read_bytes()  # a live writer's file is never touched
    assert set(_grep(ws, TARGET_IDS)) == {f"spool/{open_file.name}"}
    writer.close()
    assert not open_file.exists()
    again = Workspace(ws).privacy_erase(TARGET["customer_id"])
    assert again.spool_files_pending == [] and again.spool_lines_removed == 2  # matched by their hashes
    assert _grep(ws, TARGET_IDS) == {}
    sealed = open_file.with_name(open_file.name[: -len(".open")])
    assert sealed.read_bytes().count(KEEPER["customer_id"].encode()) == 1


def test_an_open_file_whose_writer_died_is_rewritten_whole_lines_only(ws):
    dead = ws / "spool" / "1-99999-000001.jsonl.open"
    keeper = _spool_lines(KEEPER, 1)
    dead.write_bytes(b"".join(_spool_lines(TARGET, 1) + keeper) + b'{"id":"partial","message":{"userId":"cust-')
    os.chmod(dead, 0o600)  # its writer was killed mid-write: no lock, a partial last line
    Workspace(ws).privacy_erase(TARGET["customer_id"])
    gone = _spool_lines(TARGET, 1)
    blanked = b"".join(b" " * (len(line) - 1) + b"\n" for line in gone)  # same offsets for everyone else
    assert dead.read_bytes() == blanked + b"".join(keeper)
    assert stat.S_IMODE(dead.stat().st_mode) == 0o600


def test_ids_an_identities_table_merged_into_the_person_are_exported_and_erased(ws, tmp_path):
    merged = {"user": "legacy-user-8812aa", "anon": "anon-merged-4411cc", "email": "old.mail.93@example.org"}
    con = duckdb.connect(str(ws / "centric.duckdb"))
    con.execute("INSERT INTO identities (id_type, id_value, customer_id, merged_by) VALUES ('user_id', ?, ?, 'm-1'), "
                "('anonymous_id', ?, ?, 'm-2'), ('email', ?, ?, 'm-3'), ('anonymous_id', ?, ?, 'm-4')",
                [merged["user"], TARGET["customer_id"], merged["anon"], TARGET["customer_id"], merged["email"],
                 TARGET["customer_id"], KEEPER["anonymous_ids"][0], KEEPER["customer_id"]])
    con.execute("INSERT INTO customers (customer_id, email, origin) VALUES (?, ?, 'import')", [merged["user"], merged["email"]])
    con.execute("INSERT INTO events (event_id, occurred_at, anonymous_id, customer_id, name) VALUES "
                "('ev-m1', '2024-01-01', NULL, ?, 'Product Viewed'), ('ev-m2', '2024-01-02', ?, NULL, 'Product Viewed')",
                [merged["user"], merged["anon"]])
    theirs = con.execute("SELECT count(*) FROM identities WHERE customer_id = ?", [TARGET["customer_id"]]).fetchone()[0]
    con.close()
    Workspace(ws).privacy_export(TARGET["customer_id"], tmp_path / "out")
    bundle = json.loads((tmp_path / "out" / "centric-export.json").read_text())
    assert merged["user"] in bundle["ids"]["customer_ids"] and merged["anon"] in bundle["ids"]["anonymous_ids"]
    assert {"ev-m1", "ev-m2"} <= {e["event_id"] for e in bundle["tables"]["events"]}
    assert len(bundle["tables"]["identities"]) == theirs >= 3  # the 3 merged here and their own ids
    result = Workspace(ws).privacy_erase(TARGET["customer_id"])
    assert result.rows_deleted["identities"] == theirs
    assert _grep(ws, [*TARGET_IDS, *merged.values()]) == {}
    left = set(Workspace(ws).sql("SELECT customer_id FROM identities")["customer_id"])
    assert TARGET["customer_id"] not in left and KEEPER["customer_id"] in left
    assert Workspace(ws).is_suppressed(merged["email"]) and Workspace(ws).is_suppressed(merged["user"])


def test_cli_export_and_erase(ws, tmp_path):
    (ws / "report.html").write_text(f"<html><td>{TARGET['email']}</td></html>")  # as an older report named them
    r = CliRunner().invoke(cli, ["privacy", "export", TARGET["customer_id"], "-o", str(tmp_path / "out"),
                                 "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    assert "centric-export.json" in r.output and (tmp_path / "out" / "orders.csv").exists()
    r = CliRunner().invoke(cli, ["privacy", "erase", TARGET["customer_id"], "--request-id", "R-9",
                                 "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    assert f"Erased customer {TARGET['customer_id']}" in r.output and "database rewritten" in r.output
    # written again without them, or removed when it cannot be (this shop has no KPI board for it)
    assert "report.html rewritten" in r.output or "report.html removed" in r.output
    assert not (ws / "report.html").exists() or TARGET["email"] not in (ws / "report.html").read_text()


def test_an_erased_person_sent_again_is_refused_at_the_door_and_by_the_loader(ws):
    """After an erasure the collector refuses the person's messages (it reads the erased hashes from the
    snapshot, never the database), and a message that reached the spool anyway (written by a client
    before the erasure was published) is dropped by the loader, counted, never loaded or quarantined."""
    from fastapi.testclient import TestClient

    from centric.api.app import create_app
    from centric.services.keys import create_key

    Workspace(ws).privacy_erase(TARGET["customer_id"])
    _, key = create_key(ws, "write")
    with TestClient(create_app(ws)) as client:
        refused = client.post("/v1/track", json={"userId": TARGET["customer_id"], "event": "Product Viewed",
                                                 "messageId": "again-1"}, auth=(key, ""))
        by_mail = client.post("/v1/identify", json={"anonymousId": "new-device", "messageId": "again-2",
                                                    "traits": {"email": TARGET["email"].upper()}}, auth=(key, ""))
        kept = client.post("/v1/track", json={"userId": KEEPER["customer_id"], "event": "Product Viewed",
                                              "messageId": "keeper-1"}, auth=(key, ""))
    assert refused.status_code == 400 and "erased" in refused.json()["message"]
    assert by_mail.status_code == 400 and kept.status_code == 200
    late = SpoolFile(ws / "spool")  # a line spooled before the erasure reached the server
    late.append([encode(record("track", {"userId": TARGET["customer_id"], "event": "Product Viewed",
                                         "timestamp": "2024-03-01T10:00:00Z"}, "late-1", "k"))])
    late.seal()
    with open_store(ws) as (settings, store):
        from centric.services.ingest import ingest_collected

        report = ingest_collected(store, settings, ws)
        assert report.suppressed == 1
        assert store.con.execute("SELECT count(*) FROM events WHERE event_id IN ('late-1', 'again-1')").fetchone()[0] == 0
        assert store.con.execute("SELECT count(*) FROM events WHERE event_id = 'keeper-1'").fetchone()[0] == 1
        assert store.con.execute("SELECT count(*) FROM quarantine WHERE value LIKE ?",
                                 [f"%{TARGET['customer_id']}%"]).fetchone()[0] == 0


def test_suppression_follows_the_snapshot_it_reads(tmp_path):
    """The server's Suppression reads erased hashes from the read snapshot: none from a snapshot without
    an erasures table, the new ones once a newer snapshot is published (the Snapshot says it changed)."""
    import time as clock

    from centric.services.privacy import Suppression, _secret, id_hash
    from centric.store.connection import Store
    from centric.store.snapshot import Snapshot, publish_snapshot

    store = Store(tmp_path / "centric.duckdb")  # migrated: every table, erasures too
    publish_snapshot(store, tmp_path, tables=("surveys",))  # as an older centric published it
    snapshot = Snapshot(tmp_path)
    suppression = Suppression(tmp_path, snapshot)
    assert not suppression.active() and not suppression.is_suppressed(["gone@shop.test"])
    store.con.execute("INSERT INTO erasures VALUES (?, 'email', 's', NULL, now())",
                      [id_hash(_secret(tmp_path), "gone@shop.test")])
    publish_snapshot(store, tmp_path)
    store.close()
    clock.sleep(0.6)  # a reader looks for a newer snapshot at most every 0.5 s
    assert suppression.active() and suppression.is_suppressed([" Gone@Shop.test"])
    assert not suppression.is_suppressed(["kept@shop.test"])
    snapshot.close()
