"""The survey API: texts per language, signed links, answers spooled and loaded once, comments with
the response's token, closed surveys, rate limits; the read API's keys."""

import time

import pytest
from fastapi.testclient import TestClient

from centric.api.app import create_app
from centric.services.surveys import set_status, survey_link, workspace_secret
from centric.services.workspace_files import open_store
from tests.api.conftest import load_spool, survey_app, table
from tests.api.spooled import records as spooled

NPS = "/api/surveys/nps-post-purchase/responses"


@pytest.fixture
def client(workspace):
    app, context = survey_app(workspace)
    with TestClient(app) as c:
        yield c
    context.close()


def _link_fields(workspace, survey="nps-post-purchase", customer="C1", **kw):
    """The customer fields of an answer, read from a link as the page passes them to the widget."""
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(survey_link("http://x", workspace_secret(workspace), survey, customer, **kw)).query)
    return {"customer_id": query["c"][0], "token": query["t"][0], "expires": int(query["e"][0]), "send": query["n"][0]}


def test_survey_texts_in_the_customers_language(client):
    es = client.get("/api/surveys/nps-post-purchase?lang=es").json()
    assert es["question"].startswith("¿Qué probabilidad") and es["min"] == 0 and es["max"] == 10
    assert client.get("/api/surveys/nps-post-purchase?lang=ca").json()["language"] == "ca"
    assert client.get("/api/surveys/why?lang=pt").json()["language"] == "en"
    assert client.get("/api/surveys/nope").status_code == 404


def test_linked_answer_and_comment_become_one_feedback_row(client, workspace):
    r = client.post(NPS, json={"score": 9, "language": "es", **_link_fields(workspace)})
    assert r.status_code == 201, r.text
    reply = r.json()
    assert reply["response_id"].startswith("c.") and reply["response_token"]
    put = client.put(f"{NPS}/{reply['response_id']}", json={"text": "Muy rápido", "response_token": reply["response_token"]})
    assert put.status_code == 200, put.text
    assert table(workspace, "feedback").empty  # the server only spooled: nothing in the database yet
    assert [r["kind"] for r in spooled(workspace)] == ["survey_answer", "survey_comment"]
    load = load_spool(workspace)
    assert (load.added, load.comments, load.rejected) == (1, 1, [])
    row = table(workspace, "feedback").iloc[0]
    assert (row["customer_id"], row["rating"], row["rating_scale"], row["source"], row["text"], row["language"]) == \
        ("C1", 9, "nps_0_10", "survey", "Muy rápido", "es")
    assert table(workspace, "customers").set_index("customer_id").loc["C1", "origin"] == "feedback"


@pytest.mark.parametrize("body, code, words", [
    ({"score": 11}, 400, "0 to 10"),
    ({"score": 7.5}, 400, "whole number"),
    ({}, 400, "required"),
    ({"score": 5, "customer_id": "C2", "token": "forged"}, 403, "token"),
    ({"score": 5, "text": "x" * 6000}, 422, "text"),
    ({"score": 5, "response_id": "bad id!"}, 422, "response_id"),
])
def test_bad_answers_get_clear_errors_and_spool_nothing(client, workspace, body, code, words):
    r = client.post(NPS, json=body)
    assert r.status_code == code and words in str(r.json()), r.text
    assert spooled(workspace) == []


def test_links_bind_survey_customer_and_expiry(client, workspace):
    expired = _link_fields(workspace, now=time.time() - 31 * 86_400, valid_days=30)
    r = client.post(NPS, json={"score": 9, **expired})
    assert r.status_code == 403 and "expired" in r.json()["error"]
    other_survey = _link_fields(workspace, survey="why")
    r = client.post(NPS, json={"score": 9, **other_survey})
    assert r.status_code == 403 and "another survey" in r.json()["error"]
    other_customer = {**_link_fields(workspace, customer="C1"), "customer_id": "C2"}
    r = client.post(NPS, json={"score": 9, **other_customer})
    assert r.status_code == 403 and "'C2'" in r.json()["error"]
    stretched = _link_fields(workspace)
    stretched["expires"] += 365 * 86_400
    assert client.post(NPS, json={"score": 9, **stretched}).status_code == 403
    no_expiry = {k: v for k, v in _link_fields(workspace).items() if k != "expires"}
    assert client.post(NPS, json={"score": 9, **no_expiry}).status_code == 403
    assert spooled(workspace) == []
    assert client.post(NPS, json={"score": 9, **_link_fields(workspace)}).status_code == 201


def test_answering_again_replaces_and_keeps_history(client, workspace):
    link = _link_fields(workspace, customer="C7")
    first = client.post(NPS, json={"score": 9, **link}).json()
    second = client.post(NPS, json={"score": 3, "response_id": "ignored-for-links", **link}).json()
    assert first["response_id"] == second["response_id"]  # one answer per customer per send
    client.post(NPS, json={"score": 6, **_link_fields(workspace, customer="C7", send="second-mailing")})
    load = load_spool(workspace)
    assert (load.added, load.replaced, load.rejected) == (2, 1, [])
    feedback = table(workspace, "feedback")
    assert sorted(feedback["rating"]) == [3, 6]
    history = table(workspace, "feedback_history")
    assert len(history) == 1 and history.iloc[0]["rating"] == 9
    assert history.iloc[0]["feedback_id"] == first["feedback_id"]
    assert history.iloc[0]["replaced_by"] == feedback.set_index("feedback_id").loc[first["feedback_id"], "record_id"]
    again = load_spool(workspace)  # the loader replays the same records: nothing changes
    assert (again.added, again.replaced, again.skipped) == (0, 0, 3)
    assert len(table(workspace, "feedback_history")) == 1 and len(table(workspace, "feedback")) == 2


def test_anonymous_answers_one_per_response_id(client, workspace):
    assert client.post(NPS, json={"score": 2, "response_id": "same"}).status_code == 201
    assert client.post(NPS, json={"score": 8, "response_id": "same"}).status_code == 201
    assert client.post(NPS, json={"score": 5, "response_id": "other"}).status_code == 201
    load_spool(workspace)
    feedback = table(workspace, "feedback").set_index("feedback_id")
    assert feedback.loc["nps-post-purchase:same", "rating"] == 8 and len(feedback) == 2
    assert list(table(workspace, "feedback_history")["rating"]) == [2]
    assert feedback["customer_id"].isna().all()


def test_comments_need_the_response_token(client, workspace):
    mine = client.post(NPS, json={"score": 4, "response_id": "mine"}).json()
    theirs = client.post(NPS, json={"score": 10, "response_id": "theirs"}).json()
    r = client.put(f"{NPS}/theirs", json={"text": "spam"})
    assert r.status_code == 403 and "response_token" in r.json()["error"]
    r = client.put(f"{NPS}/theirs", json={"text": "spam", "response_token": mine["response_token"]})
    assert r.status_code == 403 and "does not match" in r.json()["error"]
    assert client.put(f"{NPS}/theirs", json={"text": "Genial", "response_token": theirs["response_token"]}).status_code == 200
    load = load_spool(workspace)
    assert load.comments == 1 and load.rejected == []
    texts = table(workspace, "feedback").set_index("feedback_id")["text"]
    assert texts["nps-post-purchase:theirs"] == "Genial" and texts.isna().sum() == 1


def test_closed_surveys_refuse_answers_and_comments(client, workspace):
    before = client.post(NPS, json={"score": 3, "response_id": "early"}).json()
    assert client.post("/api/surveys/why/responses", json={"choices": ["weather"]}).status_code == 400
    assert client.post("/api/surveys/why/responses", json={"choices": ["price"]}).status_code == 201
    assert client.post("/api/surveys/ghost/responses", json={"score": 1}).status_code == 404
    with open_store(workspace) as (_, store):
        set_status(store, "nps-post-purchase", "closed")
    time.sleep(0.6)  # the server's snapshot reader looks for a newer file at most twice a second
    r = client.post(NPS, json={"score": 3})
    assert r.status_code == 409 and "closed" in r.json()["error"]
    r = client.put(f"{NPS}/early", json={"text": "late", "response_token": before["response_token"]})
    assert r.status_code == 409
    load = load_spool(workspace)  # the answer spooled before the close is still valid
    assert (load.added, load.rejected) == (2, [])
    assert set(table(workspace, "feedback")["survey_id"]) == {"nps-post-purchase", "why"}


def test_anonymous_answers_are_rate_limited(workspace):
    app, context = survey_app(workspace, survey_anonymous_per_minute=1.0, survey_anonymous_burst=2)
    with TestClient(app) as c:
        assert [c.post(NPS, json={"score": 5}).status_code for _ in range(2)] == [201, 201]
        r = c.post(NPS, json={"score": 5})
        assert r.status_code == 429 and 50 <= int(r.headers["Retry-After"]) <= 60
        # a customer's signed link is not an anonymous answer
        assert c.post(NPS, json={"score": 5, **_link_fields(workspace)}).status_code == 201
        other = TestClient(app, client=("10.0.0.9", 5000))
        assert other.post(NPS, json={"score": 5}).status_code == 201
    context.close()
    assert len(spooled(workspace)) == 4


def test_link_page_escapes_what_it_echoes(client, workspace):
    link = survey_link("http://testserver", workspace_secret(workspace), "nps-post-purchase", "C9", score=10,
                       language="ca", send="s1")
    page = client.get(link.replace("http://testserver", "")).text
    assert 'data-score="10"' in page and 'data-lang="ca"' in page and 'data-send="s1"' in page
    hostile = client.get('/s/nps-post-purchase?c="><script>alert(1)</script>').text
    assert "<script>alert(1)" not in hostile and "&lt;script&gt;" in hostile
    assert client.get("/widget.js").headers["content-type"].startswith("application/javascript")
    assert client.get("/s/ghost").status_code == 404


def test_big_bodies_are_refused(workspace):
    with TestClient(create_app(workspace)) as c:
        r = c.post(NPS, content=b"{" + b" " * 20_000 + b"}", headers={"Content-Type": "application/json"})
        assert r.status_code == 413


def test_routes_need_only_the_four_parts_of_the_context(workspace):
    """survey_routes against a bare context: settings, secret, snapshot and an async spool. A spool
    that cannot write gets a 503 with Retry-After, and nothing is acknowledged."""
    from types import SimpleNamespace

    from fastapi import FastAPI

    from centric.api.surveys import survey_routes
    from centric.services.workspace_files import load_settings
    from centric.store.snapshot import Snapshot

    written = []

    async def spool(records):
        if records[0]["message"].get("score") == 0:
            raise OSError(28, "No space left on device")
        written.extend(records)

    ctx = SimpleNamespace(settings=load_settings(workspace), survey_secret="another-secret",
                          snapshot=Snapshot(workspace), spool=spool)
    app = FastAPI()
    app.include_router(survey_routes(ctx))
    with TestClient(app) as c:
        r = c.post(NPS, json={"score": 0})
        assert r.status_code == 503 and r.headers["Retry-After"] == "30"
        assert c.post(NPS, json={"score": 9, **_link_fields(workspace)}).status_code == 403  # signed by another secret
        reply = c.post(NPS, json={"score": 9}).json()
    assert [rec["message"]["feedback_id"] for rec in written] == [reply["feedback_id"]]
    assert written[0]["kind"] == "survey_answer" and written[0]["source"] == "survey"
