"""The survey API: texts per language, validated answers, signed customers, keys for reads."""

import pytest
from fastapi.testclient import TestClient

from centric.api.app import create_app
from centric.services.surveys import customer_token, survey_link, workspace_secret
from centric.services.workspace_files import open_store


@pytest.fixture
def client(workspace):
    with TestClient(create_app(workspace)) as c:
        yield c


def _feedback(workspace):
    with open_store(workspace) as (_, store):
        return store.query_df("SELECT * FROM feedback ORDER BY feedback_id")


def test_survey_texts_in_the_customers_language(client):
    es = client.get("/api/surveys/nps-post-purchase?lang=es").json()
    assert es["question"].startswith("¿Qué probabilidad") and es["min"] == 0 and es["max"] == 10
    assert client.get("/api/surveys/nps-post-purchase?lang=ca").json()["language"] == "ca"
    assert client.get("/api/surveys/why?lang=pt").json()["language"] == "en"
    assert client.get("/api/surveys/nope").status_code == 404


def test_answer_with_signed_customer_and_follow_up(client, workspace):
    token = customer_token(workspace_secret(workspace), "C1")
    r = client.post("/api/surveys/nps-post-purchase/responses",
                    json={"score": 9, "customer_id": "C1", "token": token, "response_id": "r1", "language": "es"})
    assert r.status_code == 201, r.text
    assert client.put("/api/surveys/nps-post-purchase/responses/r1", json={"text": "Muy rápido"}).status_code == 200
    row = _feedback(workspace).iloc[0]
    assert (row["customer_id"], row["rating"], row["rating_scale"], row["source"], row["text"]) == \
        ("C1", 9, "nps_0_10", "survey", "Muy rápido")


@pytest.mark.parametrize("body, code, words", [
    ({"score": 11}, 400, "0 to 10"),
    ({"score": 7.5}, 400, "whole number"),
    ({}, 400, "required"),
    ({"score": 5, "customer_id": "C2", "token": "forged"}, 403, "token"),
    ({"score": 5, "text": "x" * 6000}, 422, "text"),
    ({"score": 5, "response_id": "bad id!"}, 422, "response_id"),
])
def test_bad_answers_get_clear_errors_and_store_nothing(client, workspace, body, code, words):
    r = client.post("/api/surveys/nps-post-purchase/responses", json=body)
    assert r.status_code == code and words in r.json()["error"]
    assert _feedback(workspace).empty


def test_duplicates_closed_surveys_and_choices(client, workspace):
    body = {"score": 3, "response_id": "same"}
    assert client.post("/api/surveys/nps-post-purchase/responses", json=body).status_code == 201
    assert client.post("/api/surveys/nps-post-purchase/responses", json=body).status_code == 409
    assert client.post("/api/surveys/why/responses", json={"choices": ["weather"]}).status_code == 400
    assert client.post("/api/surveys/why/responses", json={"choices": ["price"]}).status_code == 201
    assert client.post("/api/surveys/ghost/responses", json={"score": 1}).status_code == 404
    with open_store(workspace) as (_, store):
        from centric.services.surveys import set_status

        set_status(store, "nps-post-purchase", "closed")
    assert client.post("/api/surveys/nps-post-purchase/responses", json={"score": 3}).status_code == 409
    assert len(_feedback(workspace)) == 2


def test_big_bodies_are_refused(client):
    r = client.post("/api/surveys/nps-post-purchase/responses", content=b"{" + b" " * 20_000 + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_reads_need_the_key(client, workspace):
    assert client.get("/api/scores").status_code == 401
    assert client.get("/api/scores", headers={"X-Centric-Key": "wrong"}).status_code == 401
    assert client.get("/api/scores", headers={"X-Centric-Key": workspace_secret(workspace)}).status_code == 200


def test_link_page_escapes_what_it_echoes(client, workspace):
    link = survey_link("http://testserver", workspace_secret(workspace), "nps-post-purchase", "C9", score=10, language="ca")
    page = client.get(link.replace("http://testserver", "")).text
    assert 'data-score="10"' in page and 'data-lang="ca"' in page
    hostile = client.get('/s/nps-post-purchase?c="><script>alert(1)</script>').text
    assert "<script>alert(1)" not in hostile and "&lt;script&gt;" in hostile
    assert client.get("/widget.js").headers["content-type"].startswith("application/javascript")
