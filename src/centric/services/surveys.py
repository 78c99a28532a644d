"""Surveys: definitions, who to ask, and validated answers stored in `feedback`.

A survey is defined in a JSON file (``centric survey add FILE``): its kind (nps, csat, ces, rating,
text, single_choice, multiple_choice), the question in each language, an optional follow-up
("What is the main reason for your score?"), choices, and targeting (RFM segment, days after an
order, a sample percentage, a minimum wait before asking the same customer again). Answers come
from the one-click e-mail link and the widget through `centric serve`; each is checked (survey
exists and is open, score in range, sizes, duplicates) and becomes one `feedback` row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from centric.errors import CentricError

KINDS = {"nps": ("nps_0_10", 0, 10), "csat": ("csat_1_5", 1, 5), "ces": ("ces_1_7", 1, 7),
         "rating": ("stars_1_5", 1, 5), "text": (None, None, None), "single_choice": (None, None, None),
         "multiple_choice": (None, None, None)}
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
MAX_TEXT_CHARS = 5_000
MAX_ID_CHARS = 128


class SurveyError(CentricError):
    """A survey definition or an answer is not valid; the message says why.

    ``reason`` tells callers (the API) what kind of refusal it is: invalid, not_found, conflict
    (closed survey, duplicate submit) or forbidden (a customer token that does not match).
    """

    def __init__(self, message: str, reason: str = "invalid"):
        super().__init__(message)
        self.reason = reason


@dataclass
class Answer:
    survey_id: str
    score: float | None = None
    text: str | None = None
    choices: list[str] | None = None
    customer_id: str | None = None
    order_id: str | None = None
    language: str | None = None
    channel: str = "widget"
    response_id: str | None = None
    token: str | None = None


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
    store.con.execute("DELETE FROM surveys WHERE survey_id = ?", [definition["survey_id"]])
    store.con.execute("INSERT INTO surveys VALUES (?, ?, 'open', ?, ?)",
                      [definition["survey_id"], definition["kind"], json.dumps(definition, ensure_ascii=False),
                       dt.datetime.now()])
    return definition


def set_status(store, survey_id: str, status: str) -> None:
    if not get_survey(store, survey_id):
        raise SurveyError(f"no survey {survey_id!r}: see `centric survey list`", "not_found")
    store.con.execute("UPDATE surveys SET status = ? WHERE survey_id = ?", [status, survey_id])


def list_surveys(store) -> pd.DataFrame:
    return store.query_df("SELECT survey_id, kind, status, created_at FROM surveys ORDER BY created_at")


def get_survey(store, survey_id: str) -> dict | None:
    row = store.con.execute("SELECT definition, status FROM surveys WHERE survey_id = ?", [survey_id]).fetchone()
    if row is None:
        return None
    definition = json.loads(row[0])
    definition["status"] = row[1]
    return definition


def localised(definition: dict, language: str | None) -> dict:
    """The survey's texts in ``language`` (else its first language): what the widget shows."""
    lang = language if language in definition["question"] else definition["languages"][0]
    follow = definition.get("follow_up") or {}
    scale, low, high = KINDS[definition["kind"]]
    return {"survey_id": definition["survey_id"], "kind": definition["kind"], "language": lang,
            "question": definition["question"][lang], "follow_up": follow.get(lang) or follow.get("en"),
            "choices": definition.get("choices"), "min": low, "max": high, "status": definition["status"]}


def customer_token(secret: str, customer_id: str) -> str:
    """HMAC-SHA256 of the customer id: e-mail links carry it so nobody can answer as someone else."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()[:32]


def check_token(secret: str, customer_id: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(customer_token(secret, customer_id), str(token))


def workspace_secret(folder: Path) -> str:
    """The workspace's signing secret, created on first use (never printed or logged)."""
    path = Path(folder) / ".centric-secret"
    if not path.exists():
        try:  # created 0600 from the start (no moment readable by others)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def open_survey(store, survey_id: str) -> dict:
    """The definition of a survey, or a not_found SurveyError."""
    definition = get_survey(store, survey_id)
    if definition is None:
        raise SurveyError(f"no survey {survey_id!r}", "not_found")
    return definition


def record_answer(store, answer: Answer, secret: str | None = None, now: dt.datetime | None = None) -> str:
    """Validate an answer and store it in `feedback`; returns its feedback_id.

    With ``secret``, a customer id is accepted only with its signed token (``customer_token``).
    """
    definition = open_survey(store, answer.survey_id)
    if definition["status"] != "open":
        raise SurveyError(f"survey {answer.survey_id!r} is closed", "conflict")
    if secret is not None and answer.customer_id and not check_token(secret, answer.customer_id, answer.token):
        raise SurveyError("the customer token does not match: use the link centric made", "forbidden")
    scale, low, high = KINDS[definition["kind"]]
    if scale is not None:
        if answer.score is None:
            raise SurveyError(f"a score from {low} to {high} is required")
        if not (low <= answer.score <= high) or float(answer.score) != int(answer.score):
            raise SurveyError(f"score must be a whole number from {low} to {high}")
    text = answer.text
    if text is not None and len(text) > MAX_TEXT_CHARS:
        raise SurveyError(f"the answer is longer than {MAX_TEXT_CHARS:,} characters")
    if definition["kind"] in ("single_choice", "multiple_choice"):
        picked = answer.choices or []
        if not picked or any(c not in definition["choices"] for c in picked) or (
                definition["kind"] == "single_choice" and len(picked) != 1):
            raise SurveyError("choose from the survey's choices")
        text = "; ".join(picked) + (f" | {text}" if text else "")
    if definition["kind"] == "text" and not (text or "").strip():
        raise SurveyError("the answer is empty")
    for value in (answer.customer_id, answer.order_id, answer.response_id):
        if value is not None and len(str(value)) > MAX_ID_CHARS:
            raise SurveyError("an identifier is too long")
    response = answer.response_id or secrets.token_hex(8)
    feedback_id = f"{answer.survey_id}:{response}"
    now = now or dt.datetime.now()
    with store.transaction() as con:
        if con.execute("SELECT 1 FROM feedback WHERE feedback_id = ?", [feedback_id]).fetchone():
            raise SurveyError("this answer was already received (duplicate submit)", "conflict")
        if answer.customer_id:
            con.execute("INSERT INTO customers (customer_id, origin) SELECT ?, 'feedback' "
                        "WHERE NOT EXISTS (SELECT 1 FROM customers WHERE customer_id = ?)",
                        [answer.customer_id, answer.customer_id])
        con.execute(
            "INSERT INTO feedback (feedback_id, customer_id, order_id, received_at, source, channel, rating, "
            "rating_scale, text, language, survey_id) VALUES (?, ?, ?, ?, 'survey', ?, ?, ?, ?, ?, ?)",
            [feedback_id, answer.customer_id, answer.order_id, now, answer.channel,
             None if scale is None else float(answer.score), scale, text, answer.language, answer.survey_id])
    return feedback_id


def add_comment(store, survey_id: str, response_id: str, text: str, within_hours: int = 24) -> str:
    """The follow-up answer ("main reason for your score") joins the score already stored."""
    if not isinstance(text, str) or not text.strip():
        raise SurveyError("the answer is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise SurveyError(f"the answer is longer than {MAX_TEXT_CHARS:,} characters")
    feedback_id = f"{survey_id}:{response_id}"
    row = store.con.execute("SELECT text, received_at FROM feedback WHERE feedback_id = ?", [feedback_id]).fetchone()
    if row is None:
        raise SurveyError("no such answer: send the score first", "not_found")
    if row[0]:
        raise SurveyError("this answer already has a comment (duplicate submit)", "conflict")
    if row[1] < dt.datetime.now() - dt.timedelta(hours=within_hours):
        raise SurveyError("this answer is too old to add a comment")
    store.con.execute("UPDATE feedback SET text = ? WHERE feedback_id = ?", [text, feedback_id])
    return feedback_id


def audience(store, survey_id: str, at: dt.datetime | None = None, seed: int = 0) -> pd.DataFrame:
    """Customers to ask now: targeting by RFM segment and days after the last order, a stable sample
    percentage, and nobody asked (answered) within the survey's minimum wait."""
    target = open_survey(store, survey_id)["target"]
    at = at or store.con.execute("SELECT coalesce(max(ordered_at), now()) FROM orders").fetchone()[0]
    days_after = target.get("days_after_order")
    sql = """
        SELECT c.customer_id, c.language, s.rfm_segment, s.last_order_at
        FROM customers c LEFT JOIN customer_summary s USING (customer_id)
        WHERE (? IS NULL OR s.rfm_segment = ?)
          AND (? IS NULL OR date_diff('day', s.last_order_at, ?::TIMESTAMP) BETWEEN ? AND ? + 6)
          AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.customer_id = c.customer_id AND f.survey_id = ?
                          AND f.received_at > ?::TIMESTAMP - to_days(?))
          AND (hash(c.customer_id || ?) % 10000) < ? * 100
        ORDER BY c.customer_id"""
    params = [target.get("segment"), target.get("segment"), days_after, at, days_after, days_after, survey_id, at,
              int(target["min_days_between_asks"]), f"{survey_id}:{seed}", float(target["sample_percent"])]
    return store.query_df(sql, params)


def survey_link(base_url: str, secret: str, survey_id: str, customer_id: str, score: int | None = None,
                language: str | None = None) -> str:
    """An e-mail link with a one-click prefilled score and a signed customer."""
    from urllib.parse import urlencode

    query = {"c": customer_id, "t": customer_token(secret, customer_id)}
    if score is not None:
        query["score"] = score
    if language:
        query["lang"] = language
    return f"{base_url.rstrip('/')}/s/{survey_id}?{urlencode(query)}"
