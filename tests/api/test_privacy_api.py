"""Privacy requests over the API: who may ask (read key: export; admin key only: erase), what the server
spools without opening the database, and what the loader does with them (bundle, erasure, failure),
followed through the status endpoint."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from centric.api.app import create_app
from centric.services.keys import create_key
from centric.services.privacy_requests import NO_CUSTOMER
from tests.services.test_privacy import _grep
from centric.workspace import Workspace
from tests.api.spooled import records
from tests.services.privacy_shop import KEEPER, TARGET, build_workspace

TARGET_IDS = [TARGET["customer_id"], TARGET["email"], *TARGET["anonymous_ids"]]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    path = build_workspace(tmp_path_factory.mktemp("privacy-api"))
    tokens = {kind: create_key(path, kind)[1] for kind in ("write", "read", "admin")}
    return path, tokens


@pytest.fixture
def ws(base, tmp_path):
    path = tmp_path / "ws"
    shutil.copytree(base[0], path)
    return path


@pytest.fixture
def keys(base):
    return {kind: {"X-Centric-Key": token} for kind, token in base[1].items()}


def _database_files_open() -> list[str]:
    """Files of centric.duckdb (or its WAL) this process holds open."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if "centric.duckdb" in target:
            out.append(target)
    return out


def _hold_database(ws):
    """Another process holding the workspace database open for writing (DuckDB locks the file), until killed."""
    import subprocess
    import sys

    code = ("import sys, time; from pathlib import Path; from centric.services.workspace_files import open_store\n"
            "with open_store(Path(sys.argv[1])) as (s, store):\n"
            "    store.con.execute('CREATE TABLE IF NOT EXISTS _held (x INTEGER)'); print('held', flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(ws)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ})
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_who_may_ask(ws, keys, base):
    holder = _hold_database(ws)  # the server must not need the database: all of this works while it is held
    try:
        _ask(ws, keys, base)
    finally:
        holder.kill()
        holder.wait()


def _ask(ws, keys, base):
    with TestClient(create_app(ws)) as client:
        body = {"customer": KEEPER["customer_id"]}
        assert client.post("/api/privacy/export", json=body).status_code == 401
        assert client.post("/api/privacy/export", json=body, headers={"X-Centric-Key": "cr_wrong"}).status_code == 401
        assert client.post("/api/privacy/export", json=body, headers=keys["write"]).status_code == 403
        ok = client.post("/api/privacy/export", json=body, headers={"Authorization": f"Bearer {base[1]['read']}"})
        assert ok.status_code == 202, ok.text
        export_id = ok.json()["request_id"]
        assert ok.json()["status_url"] == f"/api/privacy/requests/{export_id}"

        for kind in ("read", "write"):
            assert client.post("/api/privacy/erase", json=body, headers=keys[kind]).status_code == 403
        assert client.post("/api/privacy/erase", json=body).status_code == 401
        erase = client.post("/api/privacy/erase", json={**body, "request_id": "GDPR-2026-117"}, headers=keys["admin"])
        assert erase.status_code == 202 and erase.json()["request_id"] == "GDPR-2026-117"
        # a request id is taken once; bad bodies are refused with a reason
        again = client.post("/api/privacy/erase", json={**body, "request_id": "GDPR-2026-117"}, headers=keys["admin"])
        assert again.status_code == 409
        assert client.post("/api/privacy/export", json={"customer": " "}, headers=keys["read"]).status_code == 400
        assert client.post("/api/privacy/export", json={"customer": "x", "request_id": "../etc"},
                           headers=keys["read"]).status_code == 400
        assert client.post("/api/privacy/export", json={}, headers=keys["read"]).status_code == 422

        # status: read key sees exports, not erasures; admin sees both
        assert client.get(f"/api/privacy/requests/{export_id}", headers=keys["read"]).json()["status"] == "pending"
        assert client.get("/api/privacy/requests/GDPR-2026-117", headers=keys["read"]).status_code == 403
        pending = client.get("/api/privacy/requests/GDPR-2026-117", headers=keys["admin"])
        assert pending.status_code == 202 and pending.json()["status"] == "pending"
        assert "customer" not in pending.json()
        assert client.get("/api/privacy/requests/nope", headers=keys["admin"]).status_code == 404
        assert client.get(f"/api/privacy/requests/{export_id}").status_code == 401
        assert _database_files_open() == []

    spooled = [r for r in records(ws) if r["kind"] == "privacy_request"]
    assert [(r["message"]["action"], r["message"]["customer"]) for r in spooled] == [
        ("export", KEEPER["customer_id"]), ("erase", KEEPER["customer_id"])]
    read_id = next(k for k in _key_ids(ws) if k[1] == "read")[0]
    assert spooled[0]["message"]["requested_by"] == read_id and spooled[0]["id"] == export_id
    assert (ws / "exports" / export_id).stat().st_mode & 0o777 == 0o700
    assert (ws / "exports" / export_id / "status.json").stat().st_mode & 0o777 == 0o600


def _key_ids(ws):
    from centric.services.keys import list_keys

    return [(k.id, k.kind) for k in list_keys(ws)]


def test_loader_carries_requests_out(ws, keys):
    with TestClient(create_app(ws)) as client:
        keep = client.post("/api/privacy/export", json={"customer": KEEPER["email"]}, headers=keys["read"]).json()
        mine = client.post("/api/privacy/export", json={"customer": TARGET["email"]}, headers=keys["read"]).json()
        erase = client.post("/api/privacy/erase", json={"customer": TARGET["customer_id"]}, headers=keys["admin"]).json()
        nobody = client.post("/api/privacy/export", json={"customer": "nobody.here@example.net"},
                             headers=keys["read"]).json()
        assert _database_files_open() == []
    # the server is stopped (its spool sealed): a load carries the requests out, in the order received
    report = Workspace(ws).ingest_collected()
    statuses = {s["request_id"]: s for s in report.privacy_requests}
    assert [s["request_id"] for s in report.privacy_requests] == [keep["request_id"], mine["request_id"],
                                                                  erase["request_id"], nobody["request_id"]]

    with TestClient(create_app(ws)) as client:
        got = client.get(keep["status_url"], headers=keys["read"]).json()
        assert got["status"] == "done" and got["bundle_url"].endswith("/centric-export.json")
        bundle = client.get(got["bundle_url"], headers=keys["read"])
        assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("application/json")
        data = bundle.json()
        assert data["customer_id"] == KEEPER["customer_id"]
        assert {r["customer_id"] for r in data["tables"]["orders"]} == {KEEPER["customer_id"]}
        assert data["tables"]["customers"][0]["email"] == KEEPER["email"]
        folder = ws / "exports" / keep["request_id"]
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in folder.iterdir())

        # the target's own export ran before their erasure, which removed its bundle
        assert statuses[mine["request_id"]]["status"] == "done"
        assert client.get(f"{mine['status_url']}/centric-export.json", headers=keys["read"]).status_code == 410

        done = client.get(erase["status_url"], headers=keys["admin"]).json()
        assert done["status"] == "done" and "erased" in done["note"], done
        failed = client.get(nobody["status_url"], headers=keys["read"]).json()
        assert failed["status"] == "failed" and failed["reason"] == NO_CUSTOMER
        assert _database_files_open() == []

    wsp = Workspace(ws)
    assert wsp.sql(f"SELECT count(*) AS n FROM customers WHERE customer_id = '{TARGET['customer_id']}'")["n"][0] == 0
    assert wsp.sql("SELECT count(*) AS n FROM customers WHERE customer_id = "
                   f"'{KEEPER['customer_id']}'")["n"][0] == 1
    rows = wsp.sql("SELECT request_id, action, customer_id, customer_hash, status FROM privacy_requests "
                   "ORDER BY requested_at")
    by_id = {r["request_id"]: r for r in rows.to_dict("records")}
    assert pd.isna(by_id[erase["request_id"]]["customer_id"]) and len(by_id[erase["request_id"]]["customer_hash"]) == 64
    assert by_id[keep["request_id"]]["customer_id"] == KEEPER["customer_id"]
    assert mine["request_id"] not in by_id  # a request of the erased person is their data: erased with them
    # no byte of the workspace holds the erased person's ids: tables, file, spool, status files
    assert _grep(ws, TARGET_IDS) == {}

    # loaded once, carried out once: a second load does nothing
    assert Workspace(ws).ingest_collected().privacy_requests == []
    # asking again is harmless: done, nothing more removed, still no trace
    with TestClient(create_app(ws)) as client:
        again = client.post("/api/privacy/erase", json={"customer": TARGET["email"]}, headers=keys["admin"]).json()
    report = Workspace(ws).ingest_collected()
    assert [(s["request_id"], s["status"]) for s in report.privacy_requests] == [(again["request_id"], "done")]
    assert "already erased" in report.privacy_requests[0]["note"]
    assert _grep(ws, TARGET_IDS) == {}
    assert wsp.sql(f"SELECT count(*) AS n FROM customers WHERE customer_id = '{KEEPER['customer_id']}'")["n"][0] == 1


def _spool(ws, messages: list[tuple[str, dict]]) -> None:
    """Spool privacy_request records as the server would (message id, message), in a sealed file."""
    from centric.store.spool import SpoolFile, encode, record

    spool = SpoolFile(ws / "spool")
    spool.append([encode(record("privacy_request", message, mid, "k1")) for mid, message in messages])
    spool.seal()


def test_loader_records_each_request_once_and_quarantines_bad_ones(ws):
    export = {"action": "export", "customer": KEEPER["customer_id"], "request_id": "dup-1", "requested_by": "k1"}
    _spool(ws, [("m1", export), ("m2", export),  # the same request id twice: one request
                ("m3", {**export, "action": "delete", "request_id": "bad-1"}),
                ("m4", {"action": "erase", "request_id": "bad-2"})])
    report = Workspace(ws).ingest_collected()
    assert [(s["request_id"], s["status"]) for s in report.privacy_requests] == [("dup-1", "done")]
    assert report.quarantined["action is not one of export/erase"] == 1
    assert report.quarantined["missing customer"] == 1
    wsp = Workspace(ws)
    rows = wsp.sql("SELECT request_id, status, requested_by FROM privacy_requests").to_dict("records")
    assert rows == [{"request_id": "dup-1", "status": "done", "requested_by": "k1"}]
    assert (ws / "exports" / "dup-1" / "centric-export.json").is_file()
    # the same request spooled again later is a duplicate, not a second export
    _spool(ws, [("m5", export)])
    again = Workspace(ws).ingest_collected()
    assert again.privacy_requests == [] and again.duplicates == 1


def test_run_carries_out_an_erasure_and_goes_on(ws):
    """`centric run` starts with the load (services/run.py); the erasure closes and reopens the store it
    was given, and the next step computes on the reopened store without the person."""
    from centric.services.ingest import ingest_collected
    from centric.services.run import STEPS
    from centric.services.summary import build_customer_summary
    from centric.services.workspace_files import open_store

    assert STEPS[0][0] == "collected"
    _spool(ws, [("m1", {"action": "erase", "customer": TARGET["email"], "request_id": "case-9", "requested_by": "k1"})])
    with open_store(ws) as (settings, store):
        report = ingest_collected(store, settings, ws)
        assert [(s["request_id"], s["status"]) for s in report.privacy_requests] == [("case-9", "done")]
        assert build_customer_summary(store, cuts=settings.rfm_cuts) > 0
    wsp = Workspace(ws)
    assert wsp.sql(f"SELECT count(*) AS n FROM customer_summary WHERE customer_id = '{TARGET['customer_id']}'")["n"][0] == 0
    assert wsp.sql(f"SELECT count(*) AS n FROM customer_summary WHERE customer_id = '{KEEPER['customer_id']}'")["n"][0] == 1
    assert wsp.sql("SELECT count(*) AS n FROM erasures WHERE request_id = 'case-9'")["n"][0] >= 3


def test_erasure_while_the_server_writes(ws, keys):
    """The load runs while the server is live: the spool file it still writes holds the erase request; the
    note says it is cleaned when sealed, and the requests sent after the load are loaded by the next one."""
    with TestClient(create_app(ws)) as client:
        client.post("/api/privacy/erase", json={"customer": TARGET["customer_id"]}, headers=keys["admin"])
        report = Workspace(ws).ingest_collected()
        assert _database_files_open() == []  # the load's store is closed; the server never opened one
        [status] = report.privacy_requests
        assert status["status"] == "done" and "cleaned when it seals them" in status["note"]
        later = client.post("/api/privacy/export", json={"customer": KEEPER["customer_id"]}, headers=keys["read"])
        assert later.status_code == 202
    report = Workspace(ws).ingest_collected()
    assert [(s["request_id"], s["status"]) for s in report.privacy_requests] == [(later.json()["request_id"], "done")]
    assert Workspace(ws).sql(f"SELECT count(*) AS n FROM customers WHERE customer_id = '{TARGET['customer_id']}'")["n"][0] == 0


def test_the_collector_refuses_an_erased_person_at_the_door(ws, keys, base):
    """Before an erasure the person's messages are spooled; once a load has carried it out (and published the
    snapshot) the server refuses them, by userId or by the e-mail in traits, and still takes everybody else's
    in the same batch. (The check is skipped while nobody is erased: it must come back on by itself.)"""
    import base64

    auth = {"Authorization": "Basic " + base64.b64encode(f"{base[1]['write']}:".encode()).decode()}

    def send(client):
        return client.post("/v1/batch", headers=auth, json={"batch": [
            {"type": "track", "userId": TARGET["customer_id"], "event": "Product Viewed", "messageId": "door-1"},
            {"type": "identify", "anonymousId": "door-new", "traits": {"email": TARGET["email"]}, "messageId": "door-2"},
            {"type": "track", "userId": KEEPER["customer_id"], "event": "Product Viewed", "messageId": "door-3"}]})

    with TestClient(create_app(ws)) as client:
        assert send(client).status_code == 200
        assert client.post("/api/privacy/erase", json={"customer": TARGET["customer_id"]},
                           headers=keys["admin"]).status_code == 202
    Workspace(ws).ingest_collected()
    with TestClient(create_app(ws)) as client:
        answer = send(client)
    assert answer.status_code == 400, answer.text
    assert [e["index"] for e in answer.json()["errors"]] == [0, 1] and answer.json()["accepted"] == 1
    assert all("erased" in e["reason"] for e in answer.json()["errors"])
