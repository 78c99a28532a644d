"""The rules an answer to a survey must follow, as pure functions of the survey's definition.

Rule: the same checks run twice, with the same code. The server runs them against the published
snapshot before it spools an answer (so a bad answer gets its 4xx at once), and the loader runs them
again against the workspace's `surveys` table when the answer becomes a `feedback` row (the survey may
have changed or closed in between). Nothing here opens a database or knows a secret.

A survey that is closed refuses answers and comments received after it closed: an answer that
reached the spool before ``closed_at`` is still valid when it is loaded later (``open_at``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from centric.errors import CentricError

KINDS = {"nps": ("nps_0_10", 0, 10), "csat": ("csat_1_5", 1, 5), "ces": ("ces_1_7", 1, 7),
         "rating": ("stars_1_5", 1, 5), "text": (None, None, None), "single_choice": (None, None, None),
         "multiple_choice": (None, None, None)}
MAX_TEXT_CHARS = 5_000
MAX_ID_CHARS = 128
COMMENT_WITHIN_HOURS = 24


class SurveyError(CentricError):
    """A survey definition, an answer or a link is not valid; the message says why.

    ``reason`` tells callers (the API) what kind of refusal it is: invalid (400), forbidden (403: a
    token that does not match or has expired), not_found (404), conflict (409: a closed survey).
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
    expires: int | None = None
    send: str | None = None


def open_at(definition: dict, received_at: dt.datetime | None = None) -> bool:
    """Whether the survey took answers at ``received_at`` (now when None).

    ``definition`` carries ``status`` and ``closed_at`` (naive, the workspace's time zone, like
    ``received_at``). A closed survey without a closing time refuses everything.
    """
    if definition.get("status") == "open":
        return True
    closed_at = definition.get("closed_at")
    return received_at is not None and closed_at is not None and received_at < closed_at


def check_open(definition: dict, received_at: dt.datetime | None = None) -> None:
    if not open_at(definition, received_at):
        raise SurveyError(f"survey {definition['survey_id']!r} is closed", "conflict")


def check_answer(definition: dict, answer: Answer) -> dict:
    """The `feedback` fields of a valid answer (rating, rating_scale, text), or a SurveyError.

    Checks the score against the survey's scale, the choices against its choices, sizes and
    emptiness. It does not check whether the survey is open or who answers: see ``check_open`` and
    the link tokens in services/surveys.py.
    """
    scale, low, high = KINDS[definition["kind"]]
    score = answer.score
    if scale is not None:
        if score is None:
            raise SurveyError(f"a score from {low} to {high} is required")
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise SurveyError(f"score must be a whole number from {low} to {high}")
        if not (low <= score <= high) or float(score) != int(score):
            raise SurveyError(f"score must be a whole number from {low} to {high}")
    text = answer.text
    if text is not None and not isinstance(text, str):
        raise SurveyError("text must be a string")
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
    for value in (answer.customer_id, answer.order_id, answer.response_id, answer.send):
        if value is not None and len(str(value)) > MAX_ID_CHARS:
            raise SurveyError("an identifier is too long")
    return {"rating": None if scale is None else float(score), "rating_scale": scale, "text": text}


def check_comment_text(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise SurveyError("the answer is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise SurveyError(f"the answer is longer than {MAX_TEXT_CHARS:,} characters")
    return text


def check_comment_time(answered_at: dt.datetime, commented_at: dt.datetime,
                       within_hours: int = COMMENT_WITHIN_HOURS) -> None:
    if commented_at - answered_at > dt.timedelta(hours=within_hours):
        raise SurveyError(f"the comment came more than {within_hours} hours after the answer")
