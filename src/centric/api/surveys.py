"""Survey routes: a survey's texts, answers from links and the widget, follow-up comments, the link page.

Rule: definitions come from the published snapshot (``centric survey add|close`` publish it); an
accepted answer or comment is checked here and spooled (kind ``survey_answer`` / ``survey_comment``,
the checked answer as ``message``); the loader turns it into a ``feedback`` row. Nothing here opens
the workspace database.
"""

from __future__ import annotations

import html
import json
import secrets

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from centric.services import collector, surveys


class AnswerIn(BaseModel):
    score: float | None = None
    text: str | None = Field(default=None, max_length=surveys.MAX_TEXT_CHARS)
    choices: list[str] | None = None
    customer_id: str | None = Field(default=None, max_length=surveys.MAX_ID_CHARS)
    token: str | None = Field(default=None, max_length=128)
    order_id: str | None = Field(default=None, max_length=surveys.MAX_ID_CHARS)
    language: str | None = Field(default=None, max_length=8)
    response_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    channel: str | None = Field(default="widget", max_length=32)


class CommentIn(BaseModel):
    text: str = Field(max_length=surveys.MAX_TEXT_CHARS)


def definition(ctx, survey_id: str) -> dict:
    """A survey's definition from the snapshot, or a not_found SurveyError."""
    rows = ctx.snapshot.rows("surveys", survey_id=survey_id)
    if not rows:
        raise surveys.SurveyError(f"no survey {survey_id!r}", "not_found")
    found = json.loads(rows[0]["definition"])
    found["status"] = rows[0]["status"]
    return found


def checked_answer(found: dict, answer: surveys.Answer, secret: str) -> dict:
    """The answer as it will be stored, or a SurveyError (the checks of surveys.record_answer that
    need no database; duplicates are settled by the loader on the record id)."""
    if found["status"] != "open":
        raise surveys.SurveyError(f"survey {answer.survey_id!r} is closed", "conflict")
    if answer.customer_id and not surveys.check_token(secret, answer.customer_id, answer.token):
        raise surveys.SurveyError("the customer token does not match: use the link centric made", "forbidden")
    scale, low, high = surveys.KINDS[found["kind"]]
    if scale is not None:
        if answer.score is None:
            raise surveys.SurveyError(f"a score from {low} to {high} is required")
        if not (low <= answer.score <= high) or float(answer.score) != int(answer.score):
            raise surveys.SurveyError(f"score must be a whole number from {low} to {high}")
    text = answer.text
    if found["kind"] in ("single_choice", "multiple_choice"):
        picked = answer.choices or []
        if not picked or any(c not in found["choices"] for c in picked) or (
                found["kind"] == "single_choice" and len(picked) != 1):
            raise surveys.SurveyError("choose from the survey's choices")
        text = "; ".join(picked) + (f" | {text}" if text else "")
    if found["kind"] == "text" and not (text or "").strip():
        raise surveys.SurveyError("the answer is empty")
    response = answer.response_id or secrets.token_hex(8)
    return {"feedback_id": f"{answer.survey_id}:{response}", "survey_id": answer.survey_id, "response_id": response,
            "customer_id": answer.customer_id, "order_id": answer.order_id, "channel": answer.channel,
            "rating": None if scale is None else float(answer.score), "rating_scale": scale, "text": text,
            "language": answer.language}


def survey_routes(ctx) -> APIRouter:
    router = APIRouter()

    @router.get("/api/surveys/{survey_id}")
    async def survey(survey_id: str, lang: str | None = None):
        return surveys.localised(definition(ctx, survey_id), lang)

    @router.post("/api/surveys/{survey_id}/responses", status_code=201)
    async def answer(survey_id: str, body: AnswerIn):
        fields = body.model_dump(exclude={"channel"})
        given = surveys.Answer(survey_id=survey_id, channel=body.channel or "widget", **fields)
        message = checked_answer(definition(ctx, survey_id), given, ctx.secret)
        await ctx.spool_lines([collector.survey_line("survey_answer", message, message["feedback_id"])])
        return {"feedback_id": message["feedback_id"]}

    @router.put("/api/surveys/{survey_id}/responses/{response_id}")
    async def comment(survey_id: str, response_id: str, body: CommentIn):
        found = definition(ctx, survey_id)
        if found["status"] != "open":
            raise surveys.SurveyError(f"survey {survey_id!r} is closed", "conflict")
        if not body.text.strip():
            raise surveys.SurveyError("the answer is empty")
        feedback_id = f"{survey_id}:{response_id}"
        message = {"feedback_id": feedback_id, "survey_id": survey_id, "response_id": response_id, "text": body.text}
        await ctx.spool_lines([collector.survey_line("survey_comment", message, f"{feedback_id}:comment")])
        return {"feedback_id": feedback_id}

    @router.get("/s/{survey_id}", response_class=HTMLResponse)
    async def link(survey_id: str, score: int | None = None, c: str | None = None, t: str | None = None,
                   lang: str | None = None, o: str | None = None):
        """The page an e-mail link opens: the widget with the score the customer clicked prefilled."""
        definition(ctx, survey_id)
        attrs = {"data-survey": survey_id, "data-lang": lang or "", "data-score": "" if score is None else str(score),
                 "data-customer": c or "", "data-token": t or "", "data-order": o or "", "data-target": "#survey"}
        attributes = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items() if v)
        page = (f'<!doctype html><html lang="{html.escape(lang or "en")}"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width,initial-scale=1">'
                f'<title>{html.escape(ctx.settings.shop_name)}</title></head><body>'
                f'<main id="survey"></main><script src="/widget.js" {attributes}></script></body></html>')
        return HTMLResponse(page)

    return router
