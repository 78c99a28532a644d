"""The server's own rules, routed in-process (TestClient): body limits, read keys, CORS, admission
(503 past the in-flight limit, 429 when the spool is behind), survey commands publishing the snapshot,
the bind warning. Survey behaviour is in test_api.py; a real process in test_serve.py."""

import pytest
from fastapi.testclient import TestClient

from centric.api.app import create_app
from centric.services.keys import create_key, revoke_key
from centric.services.surveys import survey_link, workspace_secret
from tests.api.spooled import records


@pytest.fixture
def client(workspace):
    with TestClient(create_app(workspace)) as c:
        yield c


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
    client.app.state.ctx.keys._checked = float("-inf")
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

    release, inside = asyncio.Event(), []

    async def slow_app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] != "/health":
            inside.append(scope["path"])  # past the guard: in flight
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def main():
        transport = httpx.ASGITransport(app=Guard(slow_app, max_in_flight=2))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = [asyncio.create_task(client.post("/v1/batch", content=b"{}")) for _ in range(2)]
            async with asyncio.timeout(30):  # both held inside the app (not a fixed pause: a loaded machine is slow)
                while len(inside) < 2:
                    await asyncio.sleep(0.005)
            refused = await client.post("/v1/batch", content=b"{}")
            health = await client.get("/health")
            release.set()
            return refused, health, [await t for t in held]

    refused, health, held = asyncio.run(main())
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert health.status_code == 200 and [r.status_code for r in held] == [200, 200]


def test_guard_counts_every_body_not_framed_by_a_content_length_within_the_limit():
    """A Content-Length within the limit (and no Transfer-Encoding) frames the body: the app reads it as
    is. Any other body is counted as it arrives, even when it also names a small Content-Length."""
    import asyncio

    from centric.api.limits import Guard, TooLarge

    limit = 500 * 1024

    def run(headers, chunks):
        sent, seen = [], []
        pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

        async def receive():
            return pending.pop(0)

        async def send(message):
            sent.append(message)

        async def app(scope, receive, send):
            while True:
                message = await receive()
                seen.append(len(message["body"]))
                if not message["more_body"]:
                    break
            await send({"type": "http.response.start", "status": 200, "headers": []})

        scope = {"type": "http", "method": "POST", "path": "/v1/batch", "headers": headers}
        try:
            asyncio.run(Guard(app)(scope, receive, send))
        except TooLarge:
            return "413", seen
        return sent[0]["status"], seen

    body = b"x" * 1000
    assert run([(b"content-length", b"1000")], [body]) == (200, [1000])
    assert run([(b"content-length", str(limit + 1).encode())], [body])[0] == 413  # refused before reading
    big = [b"y" * 100_000] * 6
    assert run([(b"transfer-encoding", b"chunked")], big) == ("413", [100_000] * 5)
    # a small Content-Length beside Transfer-Encoding does not switch the counting off
    assert run([(b"content-length", b"10"), (b"transfer-encoding", b"chunked")], big) == ("413", [100_000] * 5)


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


def test_collection_answers_carry_cors_and_a_spool_that_cannot_write_acknowledges_nothing(workspace):
    """The /v1 POST routes are answered in front of FastAPI (api/collect.py CollectFront): CORS still applies
    to them, several requests share one submit to the spool, and a write that fails is a 503, not a 2xx."""
    import asyncio

    import httpx

    _, key = create_key(workspace, "write")
    message = {"userId": "u", "event": "E", "writeKey": key, "messageId": "m1"}
    with TestClient(create_app(workspace, allowed_origins=["https://shop.example"])) as c:
        r = c.post("/v1/t", content=__import__("json").dumps(message), headers={"Origin": "https://shop.example",
                                                                                  "Content-Type": "text/plain"})
        assert r.status_code == 200 and r.json() == {"success": True}
        assert r.headers["access-control-allow-origin"] == "https://shop.example"
        evil = c.post("/v1/t", json=message, headers={"Origin": "https://evil.example"})
        assert evil.status_code == 200 and "access-control-allow-origin" not in evil.headers
    assert len(records(workspace)) == 2

    app = create_app(workspace)
    ctx = app.state.ctx
    submitted = []

    async def main():
        ctx.start()
        real = ctx.writer.submit_lines
        ctx.writer.submit_lines = lambda lines, count=None: submitted.append(len(lines)) or real(lines, count)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", auth=(key, "")) as client:
            batch = {"batch": [{"type": "track", "userId": f"u{i}", "event": "E"} for i in range(3)]}
            together = await asyncio.gather(*(client.post("/v1/batch", json=batch) for _ in range(4)))

            def broken(lines, count=None):
                raise OSError(28, "No space left on device")

            ctx.writer.submit_lines = broken
            failed = await client.post("/v1/track", json={"userId": "u", "event": "lost"})
        ctx.close()
        return together, failed

    together, failed = asyncio.run(main())
    assert [r.status_code for r in together] == [200] * 4
    assert sum(submitted) == 12 and len(submitted) < 4  # one submit carried several requests' lines
    assert failed.status_code == 503 and failed.headers["retry-after"] == "30"
    assert len(records(workspace)) == 2 + 12 and not any(r["message"]["event"] == "lost" for r in records(workspace))
