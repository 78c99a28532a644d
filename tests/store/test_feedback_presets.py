"""Feedback presets: Zendesk and Freshdesk tickets, reviews and social posts through the validated ingest."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from centric.store.ingest import ingest_table_file
from centric.store.presets import TABLE_PRESETS
from centric.store.sources import SourceError
from tests.conftest import shared_file


def load(store, path, preset):
    chosen = TABLE_PRESETS[preset]
    return ingest_table_file(store.con, chosen.table, path, timezone="Europe/Madrid", preset=chosen)


def feedback(store):
    return store.query_df("SELECT * FROM feedback ORDER BY feedback_id")


ZENDESK_CSV = (
    "ID,Subject,Description,Created at,Via,Satisfaction,Requester external id,Priority\n"
    "101,Where is my order?,It has been ten days and nothing arrived,2025-03-01 10:00:00,Email,Bad,c1,high\n"
    "102,Thanks!,\"The refund came fast,\nthank you\",2025-03-02T09:30:00Z,Web Widget,Good,c2,low\n"
    "103,Size question,,2025-03-03 12:00:00,Chat,Offered,,normal\n"
    "104,No date,Lost,,Email,,c1,low\n"
)


def test_zendesk_csv_becomes_tickets_with_csat(store, write):
    rep = load(store, write("tickets.csv", ZENDESK_CSV), "zendesk")
    assert rep.tables["feedback"].inserted == 3 and rep.quarantined_rows == 1
    assert store.query_df("SELECT line, reason FROM quarantine").to_dict("records") == [
        {"line": 5, "reason": "missing received_at"}]
    f = feedback(store)
    assert f["source"].tolist() == ["ticket"] * 3
    assert f["text"].tolist() == ["Where is my order?. It has been ten days and nothing arrived",
                                  "Thanks!. The refund came fast,\nthank you", "Size question"]
    assert f["channel"].tolist() == ["email", "web widget", "chat"]
    assert f["rating"].tolist()[:2] == [1.0, 5.0] and pd.isna(f["rating"][2])
    assert f["rating_scale"].tolist()[:2] == ["csat_1_5"] * 2 and pd.isna(f["rating_scale"][2])
    assert f["customer_id"].tolist()[:2] == ["c1", "c2"]
    assert json.loads(f["attributes"][0]) == {"Priority": "high"}
    # 09:30 UTC is 10:30 in Madrid
    assert str(f["received_at"][1]) == "2025-03-02 10:30:00"
    assert store.count("customers") == 2
    again = load(store, write("tickets.csv", ZENDESK_CSV), "zendesk")
    assert again.tables["feedback"].unchanged == 3 and store.count("feedback") == 3


def test_zendesk_json_lines_with_nested_fields(store, write):
    rows = [
        {"id": 7, "subject": "Broken box", "description": "The package arrived crushed", "created_at": "2025-04-01T08:00:00Z",
         "via": {"channel": "email", "source": {"from": {}}}, "satisfaction_rating": {"score": "bad"},
         "tags": ["damaged", "vip"], "external_id": "c9", "locale": "es-ES"},
        {"id": 8, "subject": "Great", "description": "<script>alert(1)</script>", "created_at": "2025-04-02T08:00:00Z",
         "via": {"channel": "web"}, "satisfaction_rating": {"score": "unoffered"}, "external_id": None},
    ]
    path = write("tickets.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    rep = load(store, path, "zendesk")
    assert rep.tables["feedback"].inserted == 2 and rep.quarantined_rows == 0
    f = feedback(store)
    assert f["channel"].tolist() == ["email", "web"]
    assert f["rating"][0] == 1.0 and pd.isna(f["rating"][1])
    assert f["language"][0] == "es"
    assert f["text"][1] == "Great. <script>alert(1)</script>"  # stored as text, escaped where shown
    assert json.loads(json.loads(f["attributes"][0])["tags"]) == ["damaged", "vip"]  # nested values keep their JSON text


def test_freshdesk_csv_and_api_sources(store, write):
    csv = ("Ticket ID,Subject,Description,Source,Created time,Status,Unique External ID\n"
           "1,Late delivery,Still waiting,Email,2025-05-01 10:00:00,Open,c1\n"
           "2,Wrong size,Too small,Feedback Widget,2025-05-02 10:00:00,Closed,\n")
    load(store, write("fd.csv", csv), "freshdesk")
    api = [{"id": 3, "subject": "Call me", "description_text": "Please", "source": 3,
            "created_at": "2025-05-03T10:00:00Z"}]
    load(store, write("fd.jsonl", json.dumps(api[0]) + "\n"), "freshdesk")
    f = feedback(store)
    assert f["channel"].tolist() == ["email", "feedback_widget", "phone"]
    assert f["source"].unique().tolist() == ["ticket"]
    assert json.loads(f["attributes"][0]) == {"Status": "Open"}


def test_reviews_keep_stars_on_their_scale(store, write):
    csv = ("review_id,title,body,rating,review_date,source,reviewer_name,product_id\n"
           "r1,Love it,Fits perfectly,5,2025-06-01,web,Ana,p1\n"
           "r2,,Meh,3,2025-06-02,,Joan,p2\n"
           "r3,Bad,Broke at once,9,2025-06-03,,Rui,p3\n")
    rep = load(store, write("reviews.csv", csv), "reviews")
    assert rep.tables["feedback"].inserted == 2
    assert store.query_df("SELECT reason FROM quarantine")["reason"].tolist() == ["rating outside 1-5 for stars_1_5"]
    f = store.query_df("SELECT * FROM feedback ORDER BY received_at")
    assert f["text"].tolist() == ["Love it. Fits perfectly", "Meh"]
    assert f["rating_scale"].tolist() == ["stars_1_5"] * 2 and f["channel"].tolist() == ["web", "reviews"]


def test_a_file_that_is_not_the_export_is_refused_clearly(store, write):
    with pytest.raises(SourceError, match="does not look like a zendesk export: no column for feedback_id"):
        load(store, write("x.csv", "Subject,Created at\nhi,2025-01-01\n"), "zendesk")


def test_airline_tweets_load_as_social_posts(store):
    path = shared_file("airline_tweets_en", "Tweets.csv")
    rep = load(store, path, "social")
    lines = len(pd.read_csv(path))
    assert rep.rows_read == lines
    assert rep.tables["feedback"].inserted + rep.quarantined_rows == lines
    f = store.query_df("SELECT source, channel, count(*) AS n, min(received_at) AS first FROM feedback GROUP BY ALL")
    assert f["source"].tolist() == ["social"] and f["channel"].tolist() == ["social"]
    assert f["n"][0] == rep.tables["feedback"].inserted
    # "2015-02-16 23:36:05 -0800" in Madrid time is 2015-02-17 08:36:05
    assert str(f["first"][0]) == "2015-02-17 08:36:05"
    names = store.query_df("SELECT attributes->>'name' AS name FROM feedback LIMIT 1")["name"][0]
    assert isinstance(names, str) and names
