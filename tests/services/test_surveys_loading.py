"""Survey records from the spool become `feedback` rows exactly once, by the survey's rules
(store/surveys.py load_survey_records), and link tokens bind survey, customer, expiry and send."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from centric.services import surveys
from centric.services.workspace_files import init_workspace, open_store
from centric.store.survey_rules import SurveyError

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # 10:00 in Madrid (the workspace's time zone)


@pytest.fixture
def ws(tmp_path):
    folder = tmp_path / "shop"
    init_workspace(folder)
    (tmp_path / "nps.json").write_text(json.dumps({"survey_id": "nps", "kind": "nps"}))
    with open_store(folder) as (settings, store):
        surveys.add_survey(store, settings, tmp_path / "nps.json")
    return folder


def _answer(score, response="r1", at=T0, customer=None, text=None):
    record, _ = surveys.answer_record({"survey_id": "nps", "kind": "nps", "status": "open", "choices": None},
                                      surveys.Answer("nps", score=score, response_id=response, text=text), "s")
    record["received_at"] = at.isoformat()
    record["message"]["customer_id"] = customer
    return record


def _comment(text, response="r1", at=T0):
    definition = {"survey_id": "nps", "status": "open"}
    record, _ = surveys.comment_record(definition, response, text, surveys.response_token("s", "nps", response), "s")
    record["received_at"] = at.isoformat()
    return record


def _load(ws, records):
    with open_store(ws) as (_, store):
        return surveys.load_records(store, records)


def _rows(ws, table):
    with open_store(ws) as (_, store):
        return store.query_df(f"SELECT * FROM {table} ORDER BY received_at")


def test_times_are_the_shops_and_customers_from_answers_are_created(ws):
    load = _load(ws, [_answer(7, customer="NEW1")])
    assert load.added == 1
    row = _rows(ws, "feedback").iloc[0]
    assert row["received_at"] == dt.datetime(2026, 11, 2, 10, 0) and row["customer_id"] == "NEW1"
    with open_store(ws) as (_, store):
        assert store.query_df("SELECT origin FROM customers WHERE customer_id = 'NEW1'")["origin"].tolist() == ["feedback"]


def test_an_answer_that_arrives_late_goes_to_history_only(ws):
    newer, older = _answer(9, at=T0 + dt.timedelta(minutes=5)), _answer(2, at=T0)
    assert _load(ws, [newer]).added == 1
    load = _load(ws, [older])
    assert (load.added, load.replaced) == (0, 1)
    assert _rows(ws, "feedback")["rating"].tolist() == [9]
    history = _rows(ws, "feedback_history").iloc[0]
    assert history["rating"] == 2 and history["replaced_by"] == newer["id"]


def test_answer_and_comment_in_one_batch_and_every_record_once(ws):
    batch = [_comment("por el precio", at=T0 + dt.timedelta(seconds=30)), _answer(4)]  # comment listed first
    load = _load(ws, batch)
    assert (load.added, load.comments, load.rejected) == (1, 1, [])
    row = _rows(ws, "feedback").iloc[0]
    assert row["text"] == "por el precio" and row["record_id"] == batch[0]["id"]
    again = _load(ws, batch + batch)
    assert (again.added, again.comments, again.skipped) == (0, 0, 4)
    history = _rows(ws, "feedback_history")
    assert len(history) == 1 and pd.isna(history.iloc[0]["text"])  # the score before its comment


def test_a_changed_comment_replaces_and_the_same_one_is_a_no_op(ws):
    _load(ws, [_answer(4), _comment("first", at=T0 + dt.timedelta(seconds=10))])
    load = _load(ws, [_comment("first", at=T0 + dt.timedelta(seconds=20)),
                      _comment("second thoughts", at=T0 + dt.timedelta(seconds=30))])
    assert load.comments == 1
    assert _rows(ws, "feedback")["text"].tolist() == ["second thoughts"]
    assert _rows(ws, "feedback_history")["text"].fillna("(none)").tolist() == ["(none)", "first"]


def test_refused_records_come_back_with_their_reason_and_the_rest_loads(ws):
    late_comment = _comment("too late", response="r2", at=T0 + dt.timedelta(hours=25))
    orphan = _comment("no score", response="ghost")
    bad_score = _answer(5, response="r3")
    bad_score["message"]["score"] = 12
    wrong_id = _answer(5, response="r4")
    wrong_id["message"]["feedback_id"] = "other-survey:r4"
    load = _load(ws, [_answer(8, response="r2"), late_comment, orphan, bad_score, wrong_id])
    reasons = {rec["id"]: reason for rec, reason in load.rejected}
    assert load.added == 1 and len(reasons) == 4
    assert "24 hours" in reasons[late_comment["id"]] and "score comes first" in reasons[orphan["id"]]
    assert "0 to 10" in reasons[bad_score["id"]] and "survey" in reasons[wrong_id["id"]]
    assert _rows(ws, "feedback")["rating"].tolist() == [8]


def test_closed_survey_loads_what_arrived_before_the_close_only(ws):
    """The rule at load time: the close time decides, not when the loader runs."""
    before = _answer(6, response="a", at=dt.datetime.now(UTC) - dt.timedelta(minutes=1))
    with open_store(ws) as (_, store):
        surveys.set_status(store, "nps", "closed")
    after = _answer(6, response="b", at=dt.datetime.now(UTC) + dt.timedelta(minutes=1))
    comment_after = _comment("late", response="a", at=dt.datetime.now(UTC) + dt.timedelta(minutes=1))
    load = _load(ws, [before, after, comment_after])
    assert load.added == 1 and {rec["id"] for rec, _ in load.rejected} == {after["id"], comment_after["id"]}
    assert all("closed" in reason for _, reason in load.rejected)
    with open_store(ws) as (_, store):
        surveys.set_status(store, "nps", "open")
        assert surveys.get_survey(store, "nps")["closed_at"] is None
    assert _load(ws, [after]).added == 1  # reopened: nothing is closed any more


def test_the_server_refuses_closed_surveys_unknown_ones_and_bad_tokens():
    closed = {"survey_id": "nps", "kind": "nps", "status": "closed", "closed_at": None, "choices": None}
    with pytest.raises(SurveyError) as err:
        surveys.answer_record(closed, surveys.Answer("nps", score=5), "s")
    assert err.value.reason == "conflict"
    with pytest.raises(SurveyError) as err:
        surveys.comment_record(closed, "r1", "x", surveys.response_token("s", "nps", "r1"), "s")
    assert err.value.reason == "conflict"
    with pytest.raises(SurveyError) as err:
        surveys.comment_record({**closed, "status": "open"}, "r1", "x", surveys.response_token("other", "nps", "r1"), "s")
    assert err.value.reason == "forbidden"


@pytest.mark.parametrize("change, words", [
    ({"survey_id": "csat"}, "another survey"),
    ({"customer_id": "C2"}, "'C2'"),
    ({"send": "other-send"}, "does not match"),
    ({"expires": 1_900_000_000 + 1}, "does not match"),
    ({"token": None}, "needs the token"),
])
def test_a_link_token_binds_every_field(change, words):
    token = surveys.link_token("secret", "nps", "C1", 1_900_000_000, "send-1")
    fields = {"survey_id": "nps", "customer_id": "C1", "token": token, "expires": 1_900_000_000, "send": "send-1"}
    surveys.check_link("secret", surveys.Answer(**fields), now=1_800_000_000)
    with pytest.raises(SurveyError) as err:
        surveys.check_link("secret", surveys.Answer(**{**fields, **change}), now=1_800_000_000)
    assert err.value.reason == "forbidden" and words in str(err.value)


def test_a_link_expires_at_its_expiry():
    token = surveys.link_token("secret", "nps", "C1", 1_900_000_000, "s")
    answer = surveys.Answer("nps", customer_id="C1", token=token, expires=1_900_000_000, send="s")
    surveys.check_link("secret", answer, now=1_900_000_000)
    with pytest.raises(SurveyError, match="expired on 2030-03-17"):
        surveys.check_link("secret", answer, now=1_900_000_001)
    assert surveys.check_link("other-secret", surveys.Answer("nps"), now=0) is None  # anonymous: nothing to check


def test_linked_response_ids_are_one_per_customer_and_send():
    ids = {surveys.linked_response_id("s", "nps", c, send) for c in ("C1", "C2") for send in ("a", "b")}
    assert len(ids) == 4 and all(i.startswith("c.") for i in ids)
    assert surveys.linked_response_id("s", "nps", "C1", "a") == surveys.linked_response_id("s", "nps", "C1", "a")
