"""The survey routes: the widget, a survey's texts, the e-mail link page, answers and comments.

``survey_routes(ctx)`` returns an APIRouter. ``ctx`` gives ``settings``, ``survey_secret`` (the
link-signing secret, separate from API keys), ``snapshot`` (the published read snapshot) and
``await ctx.spool(records)`` (durable when it returns). The routes never open the workspace database:
an answer is checked against the snapshot (services/surveys.py) and spooled; `centric ingest
--collected` makes it a `feedback` row.

Anonymous answers and every comment are rate-limited per client address by a token bucket. The
routes are ``async`` and the bucket is touched only on the event loop, so it needs no lock, and no
lock is ever held across an ``await``; snapshot reads run in the thread pool.
"""

from __future__ import annotations

import html
import math
import time
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from centric.i18n import negotiate, normalise
from centric.i18n.widgets import widget_words
from centric.services import surveys

STATUS_OF = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409}
ID_PATTERN = r"^[A-Za-z0-9_-]+$"


class AnswerIn(BaseModel):
    score: float | None = None
    text: str | None = Field(default=None, max_length=surveys.MAX_TEXT_CHARS)
    choices: list[str] | None = Field(default=None, max_length=50)
    customer_id: str | None = Field(default=None, max_length=surveys.MAX_ID_CHARS)
    token: str | None = Field(default=None, max_length=128)
    expires: int | None = None
    send: str | None = Field(default=None, max_length=64, pattern=ID_PATTERN)
    order_id: str | None = Field(default=None, max_length=surveys.MAX_ID_CHARS)
    language: str | None = Field(default=None, max_length=8)
    response_id: str | None = Field(default=None, max_length=64, pattern=ID_PATTERN)
    channel: str | None = Field(default="widget", max_length=32)


class CommentIn(BaseModel):
    text: str = Field(max_length=surveys.MAX_TEXT_CHARS)
    response_token: str | None = Field(default=None, max_length=64)


class RateLimiter:
    """A token bucket per client: ``per_minute`` tokens a minute, at most ``burst`` saved up.

    ``take(key)`` returns 0 when the request may go ahead, else the seconds until it may. Call it
    from one thread (the event loop). At most ``max_clients`` buckets are kept: the fullest are the
    ones that may be forgotten, so the oldest entries go first.
    """

    def __init__(self, per_minute: float, burst: int, clock=time.monotonic, max_clients: int = 10_000):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) / self.rate
        while len(self._buckets) > self.max_clients:
            self._buckets.pop(next(iter(self._buckets)))
        return wait


def _refuse(exc: surveys.SurveyError) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=STATUS_OF.get(exc.reason, 400))


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def survey_routes(ctx) -> APIRouter:
    router = APIRouter()
    settings = ctx.settings
    limiter = RateLimiter(settings.survey_anonymous_per_minute, settings.survey_anonymous_burst)
    widget_code = (resources.files("centric.api") / "static" / "widget.js").read_bytes()  # read once, served often

    async def definition(survey_id: str) -> dict:
        return await run_in_threadpool(surveys.snapshot_survey, ctx.snapshot, survey_id)

    def limited(request: Request) -> JSONResponse | None:
        wait = limiter.take(_client(request))
        if wait <= 0:
            return None
        return JSONResponse({"error": "too many answers from this address: try again shortly"}, status_code=429,
                            headers={"Retry-After": str(max(1, math.ceil(wait)))})

    async def spool(record: dict) -> JSONResponse | None:
        try:
            await ctx.spool([record])
        except OSError:  # disk full, permissions: refuse, and say when to try again
            return JSONResponse({"error": "the answer could not be stored: try again shortly"}, status_code=503,
                                headers={"Retry-After": "30"})
        return None

    @router.get("/widget.js")
    async def widget():
        return Response(widget_code, media_type="application/javascript; charset=utf-8",
                        headers={"Cache-Control": "max-age=300"})

    @router.get("/api/surveys/{survey_id}")
    async def survey(survey_id: str, request: Request, lang: str | None = None):
        """The survey's texts in the customer's language (?lang=, else Accept-Language, else the
        workspace's language, among the survey's own languages), with the widget's words ("ui")."""
        try:
            found = await definition(survey_id)
        except surveys.SurveyError as exc:
            return _refuse(exc)
        wanted = lang if lang in found["question"] else _preferred(found, request.headers.get("accept-language"), lang)
        shown = surveys.localised(found, wanted)
        shown["ui"] = widget_words(normalise(shown["language"]) or negotiate(lang, None, settings.language))
        return shown

    def _preferred(found: dict, accept: str | None, lang: str | None) -> str | None:
        from centric.i18n.negotiate import parse_accept_language

        for tag in ([lang] if lang else []) + parse_accept_language(accept) + [settings.language]:
            code = str(tag or "").split("-")[0].lower()
            if code in found["question"]:
                return code
        return None

    @router.post("/api/surveys/{survey_id}/responses", status_code=201)
    async def answer(survey_id: str, body: AnswerIn, request: Request):
        fields = body.model_dump(exclude={"channel"})
        given = surveys.Answer(survey_id=survey_id, channel=body.channel or "widget", **fields)
        try:
            found = await definition(survey_id)
            if not given.customer_id and (refused := limited(request)) is not None:
                return refused
            record, reply = surveys.answer_record(found, given, ctx.survey_secret)
        except surveys.SurveyError as exc:
            return _refuse(exc)
        return await spool(record) or reply

    @router.put("/api/surveys/{survey_id}/responses/{response_id}")
    async def comment(survey_id: str, response_id: str, body: CommentIn, request: Request):
        try:
            found = await definition(survey_id)
            if (refused := limited(request)) is not None:
                return refused
            record, reply = surveys.comment_record(found, response_id, body.text, body.response_token,
                                                   ctx.survey_secret)
        except surveys.SurveyError as exc:
            return _refuse(exc)
        return await spool(record) or reply

    @router.get("/s/{survey_id}", response_class=HTMLResponse)
    async def link(survey_id: str, request: Request, score: int | None = None, c: str | None = None, t: str | None = None,
                   e: str | None = None, n: str | None = None, lang: str | None = None, o: str | None = None):
        """The page an e-mail link opens: the widget, with the score the customer clicked selected."""
        try:
            await definition(survey_id)
        except surveys.SurveyError as exc:
            return _refuse(exc)
        attrs = {"data-survey": survey_id, "data-lang": lang or "", "data-score": "" if score is None else str(score),
                 "data-customer": c or "", "data-token": t or "", "data-expires": e or "", "data-send": n or "",
                 "data-order": o or "", "data-target": "#survey"}
        attributes = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items() if v)
        shown = negotiate(lang, request.headers.get("accept-language"), settings.language)
        words = widget_words(shown)
        page = (f'<!doctype html><html lang="{shown}"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width,initial-scale=1">'
                f'<title>{html.escape(words["title"] % {"shop": settings.shop_name})}</title></head><body>'
                f'<main id="survey"><noscript>{html.escape(words["noscript"])}</noscript></main>'
                f'<script src="/widget.js" {attributes}></script></body></html>')
        return HTMLResponse(page)

    return router
