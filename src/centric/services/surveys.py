"""Surveys: definitions, who to ask, signed links, and answers on their way to `feedback`.

A survey is defined in a JSON file (``centric survey add FILE``): its kind (nps, csat, ces, rating,
text, single_choice, multiple_choice), the question in each language, an optional follow-up
("What is the main reason for your score?"), choices, and targeting (RFM segment, days after an
order, a sample percentage, a minimum wait before asking the same customer again).

Rules this module implements:

- A link's token binds survey + customer + expiry + send id (HMAC-SHA256, base64url); the expiry
  and the send id travel in the link. An expired token, or one made for another survey or customer,
  is refused (forbidden) with the reason.
- One answer per customer per survey send: a linked answer's response id is derived from survey,
  customer and send, so answering again replaces the earlier answer (store/surveys.py keeps it in
  `feedback_history`). An anonymous answer is one per response id the widget chose.
- Answering returns a response token (HMAC over survey + response id); the follow-up comment must
  carry it.
- The server checks all of this against the published snapshot and spools the answer
  (``answer_record``, ``comment_record``); `centric ingest --collected` checks the survey rules again
  and writes `feedback` (store/surveys.py ``load_survey_records``). Changing a survey publishes the
  snapshot, so the server sees a close at once.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from centric.store import surveys as survey_store
from centric.store.survey_rules import (KINDS, MAX_ID_CHARS, MAX_TEXT_CHARS, Answer, SurveyError,  # noqa: F401
                                        check_answer, check_comment_text, check_open)

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_QUESTIONS = {
    "nps": {"en": "How likely are you to recommend us to a friend or colleague?",
            "es": "¿Qué probabilidad hay de que nos recomiendes a un amigo o colega?",
            "ca": "Quina probabilitat hi ha que ens recomanis a un amic o col·lega?",
            "pt": "Qual a probabilidade de nos recomendar a um amigo ou colega?"},
    "csat": {"en": "How satisfied are you with your order?", "es": "¿Qué satisfecho estás con tu pedido?",
             "ca": "Com de satisfet estàs amb la teva comanda?", "pt": "Qual o seu grau de satisfação com a encomenda?"},
    "ces": {"en": "How easy was it to get what you needed?", "es": "¿Qué fácil fue conseguir lo que necesitabas?",
            "ca": "Com de fàcil va ser aconseguir el que necessitaves?", "pt": "Quão fácil foi obter o que precisava?"},
}
DEFAULT_FOLLOW_UP = {"en": "What is the main reason for your score?", "es": "¿Cuál es el motivo principal de tu puntuación?",
                     "ca": "Quin és el motiu principal de la teva puntuació?", "pt": "Qual o principal motivo da sua nota?"}
DEFAULT_LINK_DAYS = 30
RECORD_SOURCE = "survey"


# -- definitions ------------------------------------------------------------------------------
def validate_definition(raw: dict, languages: list[str]) -> dict:
    """A complete definition from a user's JSON, or a SurveyError saying what is wrong."""
    if not isinstance(raw, dict):
        raise SurveyError("a survey definition is a JSON object with at least survey_id and kind")
    survey_id = str(raw.get("survey_id", "")).strip()
    if not survey_id or len(survey_id) > 64 or not all(c.isalnum() or c in "-_" for c in survey_id):
        raise SurveyError("survey_id must be 1-64 letters, digits, - or _")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SurveyError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    question = raw.get("question") or DEFAULT_QUESTIONS.get(kind)
    if not isinstance(question, dict) or not question:
        raise SurveyError("question must map languages to the question text, e.g. {\"en\": \"...\", \"es\": \"...\"}")
    choices = raw.get("choices")
    if kind in ("single_choice", "multiple_choice") and (not isinstance(choices, list) or len(choices) < 2):
        raise SurveyError(f"a {kind} survey needs a list of at least two choices")
    target = raw.get("target", {}) or {}
    sample = float(target.get("sample_percent", 100))
    if not 0 < sample <= 100:
        raise SurveyError("target.sample_percent must be in (0, 100]")
    follow_up = raw.get("follow_up", DEFAULT_FOLLOW_UP if kind in ("nps", "csat", "ces", "rating") else None)
    return {
        "survey_id": survey_id, "kind": kind, "question": question, "follow_up": follow_up, "choices": choices,
        "languages": [lang for lang in languages if lang in question] or list(question)[:1],
        "target": {"segment": target.get("segment"), "days_after_order": target.get("days_after_order"),
                   "sample_percent": sample, "min_days_between_asks": int(target.get("min_days_between_asks", 90))},
    }


def add_survey(store, settings, path: Path) -> dict:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SurveyError(f"{path} does not exist: write the survey definition as JSON first") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SurveyError(f"{path} is not valid JSON: {exc}") from None
    definition = validate_definition(raw, list(settings.languages))
    survey_store.save_definition(store, definition)
    _publish(store)
    return definition


def set_status(store, survey_id: str, status: str) -> None:
    """Open or close a survey; closing records when, and the server sees it at once (snapshot)."""
    found = survey_store.set_status(store, survey_id, status)
    if not found:
        raise SurveyError(f"no survey {survey_id!r}: see `centric survey list`", "not_found")
    _publish(store)


def _publish(store) -> None:
    from centric.services.collector import publish

    publish(store, Path(store.path).parent)  # the server reads survey definitions from the snapshot


def list_surveys(store):
    return survey_store.list_surveys(store)


def get_survey(store, survey_id: str) -> dict | None:
    return survey_store.get_survey(store, survey_id)


def open_survey(store, survey_id: str) -> dict:
    """The definition of a survey, or a not_found SurveyError."""
    definition = get_survey(store, survey_id)
    if definition is None:
        raise SurveyError(f"no survey {survey_id!r}", "not_found")
    return definition


def snapshot_survey(snapshot, survey_id: str) -> dict:
    """A survey's definition from the server's read snapshot, or a not_found SurveyError."""
    rows = snapshot.rows("surveys", survey_id=survey_id)
    if not rows:
        raise SurveyError(f"no survey {survey_id!r}", "not_found")
    row = rows[0]
    return survey_store.definition_of(row["definition"], row["status"], row.get("closed_at"))


def localised(definition: dict, language: str | None) -> dict:
    """The survey's texts in ``language`` (else its first language): what the widget shows."""
    lang = language if language in definition["question"] else definition["languages"][0]
    follow = definition.get("follow_up") or {}
    scale, low, high = KINDS[definition["kind"]]
    return {"survey_id": definition["survey_id"], "kind": definition["kind"], "language": lang,
            "question": definition["question"][lang], "follow_up": follow.get(lang) or follow.get("en"),
            "choices": definition.get("choices"), "min": low, "max": high, "status": definition["status"]}


# -- tokens -----------------------------------------------------------------------------------
def _mac(secret: str, *parts) -> str:
    message = json.dumps(list(parts), ensure_ascii=False, separators=(",", ":")).encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_token(secret: str, survey_id: str, customer_id: str, expires: int, send: str) -> str:
    """``<survey tag>.<mac>``: the MAC signs survey, customer, expiry and send; the short survey tag
    (itself an HMAC) only lets the server say "made for another survey" instead of a bare refusal."""
    return f"{_mac(secret, 'centric-survey-tag/v1', survey_id)[:8]}." \
           f"{_mac(secret, 'centric-survey-link/v1', survey_id, customer_id, int(expires), send)}"


def check_link(secret: str, answer: Answer, now: float | None = None) -> None:
    """Refuse (forbidden) an answer for a customer whose link token is missing, altered, made for
    another survey or customer, or expired."""
    if not answer.customer_id:
        return
    if not answer.token or answer.expires is None or not answer.send:
        raise SurveyError("a customer's answer needs the token, expiry and send id of the link centric made",
                          "forbidden")
    tag, _, _ = str(answer.token).partition(".")
    if not hmac.compare_digest(tag, _mac(secret, "centric-survey-tag/v1", answer.survey_id)[:8]):
        raise SurveyError(f"this link's token was made for another survey, not {answer.survey_id!r}", "forbidden")
    try:
        expires = int(answer.expires)
    except (TypeError, ValueError):
        raise SurveyError("the link's expiry is not a number", "forbidden") from None
    expected = link_token(secret, answer.survey_id, answer.customer_id, expires, str(answer.send))
    if not hmac.compare_digest(expected, str(answer.token)):
        raise SurveyError(f"the token does not match customer {answer.customer_id!r}: use the link centric made "
                          "for them (this one was made for someone else, or altered)", "forbidden")
    if (now if now is not None else time.time()) > expires:
        when = dt.datetime.fromtimestamp(expires, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        raise SurveyError(f"this link expired on {when}: ask the shop for a new one", "forbidden")


def linked_response_id(secret: str, survey_id: str, customer_id: str, send: str) -> str:
    """The one response id of a customer in a survey send (the dot keeps it apart from widget ids)."""
    return "c." + _mac(secret, "centric-survey-response/v1", survey_id, customer_id, send)[:22]


def response_token(secret: str, survey_id: str, response_id: str) -> str:
    """What the follow-up comment of a response must carry."""
    return _mac(secret, "centric-survey-comment/v1", survey_id, response_id)[:32]


def check_response_token(secret: str, survey_id: str, response_id: str, token: str | None) -> None:
    if not token:
        raise SurveyError("a comment needs the response_token its answer returned", "forbidden")
    if not hmac.compare_digest(response_token(secret, survey_id, response_id), str(token)):
        raise SurveyError("the response_token does not match this response", "forbidden")


def workspace_secret(folder: Path) -> str:
    """The workspace's link-signing secret, created on first use (never printed or logged)."""
    from centric.services.workspace_files import secret_file

    return secret_file(Path(folder) / ".centric-secret")


def new_send_id(now: dt.datetime | None = None) -> str:
    """A send id: the day plus a random tail (one per mailing)."""
    return f"{(now or dt.datetime.now(dt.timezone.utc)).strftime('%Y%m%d')}-{secrets.token_hex(3)}"


def survey_link(base_url: str, secret: str, survey_id: str, customer_id: str, score: int | None = None,
                language: str | None = None, valid_days: int = DEFAULT_LINK_DAYS, send: str | None = None,
                now: float | None = None) -> str:
    """An e-mail link with a signed customer, expiry and send, and an optional one-click prefilled score."""
    expires = int((now if now is not None else time.time()) + valid_days * 86_400)
    send = send or new_send_id()
    query = {"c": customer_id, "e": expires, "n": send, "t": link_token(secret, survey_id, customer_id, expires, send)}
    if score is not None:
        query["score"] = score
    if language:
        query["lang"] = language
    return f"{base_url.rstrip('/')}/s/{survey_id}?{urlencode(query)}"


# -- answers: checked at the server, spooled, loaded later ------------------------------------
def answer_record(definition: dict, answer: Answer, secret: str, now: float | None = None) -> tuple[dict, dict]:
    """Check an answer against its survey (open, link token, score, sizes) and build the spool record.

    Returns (record, reply): the reply tells the widget its feedback_id, response_id and response_token.
    """
    from centric.store.spool import record

    check_open(definition)
    check_link(secret, answer, now)
    check_answer(definition, answer)
    if answer.customer_id:
        response_id = linked_response_id(secret, answer.survey_id, answer.customer_id, str(answer.send))
    else:
        response_id = answer.response_id or secrets.token_hex(8)
    feedback_id = f"{answer.survey_id}:{response_id}"
    message = {"survey_id": answer.survey_id, "response_id": response_id, "feedback_id": feedback_id,
               "customer_id": answer.customer_id, "order_id": answer.order_id, "score": answer.score,
               "text": answer.text, "choices": answer.choices, "language": answer.language,
               "channel": answer.channel, "send": answer.send if answer.customer_id else None}
    reply = {"feedback_id": feedback_id, "response_id": response_id,
             "response_token": response_token(secret, answer.survey_id, response_id)}
    return record("survey_answer", message, uuid.uuid4().hex, RECORD_SOURCE), reply


def comment_record(definition: dict, response_id: str, text, token: str | None, secret: str) -> tuple[dict, dict]:
    """Check a follow-up comment (open survey, the response's token, text) and build its spool record."""
    from centric.store.spool import record

    survey_id = definition["survey_id"]
    check_open(definition)
    check_response_token(secret, survey_id, response_id, token)
    check_comment_text(text)
    feedback_id = f"{survey_id}:{response_id}"
    message = {"survey_id": survey_id, "response_id": response_id, "feedback_id": feedback_id, "text": text}
    return record("survey_comment", message, uuid.uuid4().hex, RECORD_SOURCE), {"feedback_id": feedback_id}


def load_records(store, records: list[dict]):
    """Load spooled survey records into `feedback` in one transaction (what the collector's loader does
    for these kinds); returns store.surveys.SurveyLoad."""
    return survey_store.load_records(store, records)


def audience(store, survey_id: str, at: dt.datetime | None = None, seed: int = 0, settings=None,
             consent_at: dt.datetime | None = None) -> pd.DataFrame:
    """Customers to ask now: targeting by RFM segment and days after the last order, a stable sample
    percentage, nobody asked (answered) within the survey's minimum wait, and only customers who hold
    marketing consent at consent_at (now by default: the e-mail goes out now; services/consent.py). The
    frame's attrs["consent"] says how many were left out for want of it."""
    from centric.services.consent import keep_consenting

    frame = survey_store.audience_frame(store, survey_id, open_survey(store, survey_id)["target"], at, seed)
    frame, left_out = keep_consenting(store, settings, frame, "survey_audience", consent_at)
    frame.attrs["consent"] = left_out
    return frame


def audience_links(frame, base_url: str, secret: str, survey_id: str, valid_days: int, send: str,
                   now: float | None = None):
    """The audience with one signed link per customer, all of one send."""
    frame = frame.copy()
    frame["link"] = [survey_link(base_url, secret, survey_id, str(c), language=lang if isinstance(lang, str) else None,
                                 valid_days=valid_days, send=send, now=now)
                     for c, lang in zip(frame["customer_id"], frame["language"])]
    return frame
