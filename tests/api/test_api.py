"""The survey routes and the read API, routed in-process (TestClient): texts per language, checked
answers spooled, signed customers, read keys. Behaviour that needs a real server is in test_serve.py."""

import pytest
from fastapi.testclient import TestClient

from centric.api.app import create_app
from centric.services.collector import publish
from centric.services.keys import create_key, revoke_key
from centric.services.surveys import customer_token, set_status, survey_link, workspace_secret
from centric.services.workspace_files import open_store
from tests.api.spooled import feedback, records


@pytest.fixture
def client(workspace):
    with TestClient(create_app(workspace)) as c:
        yield c


def test_survey_texts_in_the_customers_language(client):
    es = client.get("/api/surveys/nps-post-purchase?lang=es").json()
    assert es["question"].startswith("¿Qué probabilidad") and es["min"] == 0 and es["max"] == 10
    assert client.get("/api/surveys/nps-post-purchase?lang=ca").json()["language"] == "ca"
    assert client.get("/api/surveys/why?lang=pt").json()["language"] == "en"
    assert client.get("/api/surveys/nope").status_code == 404


def test_answer_with_signed_customer_and_follow_up_is_spooled(client, workspace):
    token = customer_token(workspace_secret(workspace), "C1")
    r = client.post("/api/surveys/nps-post-purchase/responses",
                    json={"score": 9, "customer_id": "C1", "token": token, "response_id": "r1", "language": "es"})
    assert r.status_code == 201, r.text
    assert client.put("/api/surveys/nps-post-purchase/responses/r1", json={"text": "Muy rápido"}).status_code == 200
    kinds = [(rec["kind"], rec["id"], rec["source"]) for rec in records(workspace)]
    assert kinds == [("survey_answer", "nps-post-purchase:r1", "survey"),
                     ("survey_comment", "nps-post-purchase:r1:comment", "survey")]
    row = feedback(workspace)[0]
    assert (row["customer_id"], row["rating"], row["rating_scale"], row["text"], row["language"]) == \
        ("C1", 9, "nps_0_10", "Muy rápido", "es")


@pytest.mark.parametrize("body, code, words", [
    ({"score": 11}, 400, "0 to 10"),
    ({"score": 7.5}, 400, "whole number"),
    ({}, 400, "required"),
    ({"score": 5, "customer_id": "C2", "token": "forged"}, 403, "token"),
    ({"score": 5, "text": "x" * 6000}, 422, "text"),
    ({"score": 5, "response_id": "bad id!"}, 422, "response_id"),
])
def test_bad_answers_get_clear_errors_and_spool_nothing(client, workspace, body, code, words):
    r = client.post("/api/surveys/nps-post-purchase/responses", json=body)
    assert r.status_code == code and words in r.json()["error"]
    assert records(workspace) == []


def test_closed_surveys_and_choices(client, workspace):
    assert client.post("/api/surveys/why/responses", json={"choices": ["weather"]}).status_code == 400
    assert client.post("/api/surveys/why/responses", json={"choices": ["price"]}).status_code == 201
    assert client.post("/api/surveys/ghost/responses", json={"score": 1}).status_code == 404
    with open_store(workspace) as (_, store):
        set_status(store, "nps-post-purchase", "closed")
        publish(store, workspace)
    client.app.app.state.ctx.snapshot._checked = float("-inf")  # skip the half-second recheck wait
    assert client.post("/api/surveys/nps-post-purchase/responses", json={"score": 3}).status_code == 409
    assert client.put("/api/surveys/nps-post-purchase/responses/x", json={"text": "late"}).status_code == 409
    assert [r["kind"] for r in records(workspace)] == ["survey_answer"]


def test_big_bodies_are_refused(client, workspace):
    r = client.post("/api/surveys/nps-post-purchase/responses", content=b"{" + b" " * 20_000 + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert records(workspace) == []


def test_reads_need_a_read_key(client, workspace):
    _, write = create_key(workspace, "write")
    info, read = create_key(workspace, "read")
    _, admin = create_key(workspace, "admin")
    assert client.get("/api/scores").status_code == 401
    assert client.get("/api/scores", headers={"X-Centric-Key": "wrong"}).status_code == 401
    # the survey-link secret is no key
    assert client.get("/api/scores", headers={"X-Centric-Key": workspace_secret(workspace)}).status_code == 401
    assert client.get("/api/scores", headers={"X-Centric-Key": write}).status_code == 401
    assert client.get("/api/scores", headers={"X-Centric-Key": read}).status_code == 200
    assert client.get("/api/drivers", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
    revoke_key(workspace, info.id)
    client.app.app.state.ctx.keys._checked = float("-inf")
    assert client.get("/api/scores", headers={"X-Centric-Key": read}).status_code == 401


def test_link_page_escapes_what_it_echoes(client, workspace):
    link = survey_link("http://testserver", workspace_secret(workspace), "nps-post-purchase", "C9", score=10, language="ca")
    page = client.get(link.replace("http://testserver", "")).text
    assert 'data-score="10"' in page and 'data-lang="ca"' in page
    hostile = client.get('/s/nps-post-purchase?c="><script>alert(1)</script>').text
    assert "<script>alert(1)" not in hostile and "&lt;script&gt;" in hostile
    assert client.get("/widget.js").headers["content-type"].startswith("application/javascript")


def test_no_cors_unless_configured(workspace):
    with TestClient(create_app(workspace)) as c:
        r = c.options("/api/surveys/why/responses", headers={"Origin": "https://evil.example",
                                                             "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in r.headers
    toml = workspace / "centric.toml"
    toml.write_text(toml.read_text().replace("cors_origins = []", 'cors_origins = ["https://shop.example"]'))
    with TestClient(create_app(workspace)) as c:
        ok = c.options("/api/surveys/why/responses", headers={"Origin": "https://shop.example",
                                                              "Access-Control-Request-Method": "POST"})
        assert ok.headers["access-control-allow-origin"] == "https://shop.example"
        bad = c.options("/api/surveys/why/responses", headers={"Origin": "https://evil.example",
                                                               "Access-Control-Request-Method": "POST"})
        assert bad.headers.get("access-control-allow-origin") != "https://evil.example"


def test_guard_answers_503_past_the_in_flight_limit_but_never_on_health():
    import asyncio

    import httpx

    from centric.api.limits import Guard

    release = asyncio.Event()

    async def slow_app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] != "/health":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def main():
        transport = httpx.ASGITransport(app=Guard(slow_app, max_in_flight=2))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = [asyncio.create_task(client.post("/v1/batch", content=b"{}")) for _ in range(2)]
            await asyncio.sleep(0.05)
            refused = await client.post("/v1/batch", content=b"{}")
            health = await client.get("/health")
            release.set()
            return refused, health, [await t for t in held]

    refused, health, held = asyncio.run(main())
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert health.status_code == 200 and [r.status_code for r in held] == [200, 200]


def test_a_spool_that_is_behind_answers_429_with_retry_after(workspace):
    _, key = create_key(workspace, "write")
    with TestClient(create_app(workspace, max_backlog=-1)) as c:  # every write finds the spool "behind"
        r = c.post("/v1/track", json={"userId": "u", "event": "E"}, auth=(key, ""))
        assert r.status_code == 429 and r.headers["retry-after"] == "1" and r.json()["code"] == "busy"
        r = c.post("/api/surveys/nps-post-purchase/responses", json={"score": 9})
        assert r.status_code == 429
    assert records(workspace) == []


def test_survey_commands_publish_what_the_server_reads(workspace, tmp_path):
    from click.testing import CliRunner

    from centric.cli.main import cli
    from centric.services.collector import open_snapshot

    r = CliRunner().invoke(cli, ["survey", "close", "why", "--workspace", str(workspace)])
    assert r.exit_code == 0, r.output
    assert open_snapshot(workspace).rows("surveys", survey_id="why")[0]["status"] == "closed"
    r = CliRunner().invoke(cli, ["keys", "create", "--kind", "read", "--name", "dash", "--workspace", str(workspace)])
    key = r.output.strip().splitlines()[-1]
    listed = CliRunner().invoke(cli, ["keys", "list", "--workspace", str(workspace)]).output
    assert r.exit_code == 0 and key.startswith("cr_") and "dash" in listed and key not in listed
    key_id = listed.split("\t")[0]
    assert "revoked" in CliRunner().invoke(cli, ["keys", "revoke", key_id, "--workspace", str(workspace)]).output
    assert "revoked" in CliRunner().invoke(cli, ["keys", "list", "--workspace", str(workspace)]).output
    bad = CliRunner().invoke(cli, ["keys", "revoke", "nope", "--workspace", str(workspace)])
    assert bad.exit_code == 1 and "centric keys list" in bad.output


def test_serve_warns_off_localhost_and_says_where_keys_are(workspace, monkeypatch):
    import uvicorn
    from click.testing import CliRunner

    from centric.cli.main import cli

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    runner = CliRunner()
    local = runner.invoke(cli, ["serve", "--workspace", str(workspace)])
    wide = runner.invoke(cli, ["serve", "--workspace", str(workspace), "--host", "0.0.0.0"])
    assert local.exit_code == wide.exit_code == 0
    assert "Warning" not in local.output and "Warning: binding to 0.0.0.0" in wide.output
    assert "centric keys" in local.output
    assert calls[0]["limit_concurrency"] and calls[0]["timeout_graceful_shutdown"] <= 3
