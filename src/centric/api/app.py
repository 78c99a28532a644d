"""The HTTP API of a workspace: survey definitions, answers from links and the widget, and scores.

``create_app(workspace)`` builds the app; ``centric serve`` runs it with uvicorn on 127.0.0.1.
Public endpoints (what a shop's pages call): the widget script, a survey's texts, posting an answer.
Read endpoints (scores, drivers) need the workspace's key in the ``X-Centric-Key`` header. One
DuckDB connection serves the app, behind a lock: requests run in a thread pool.
"""

from __future__ import annotations

import hmac
import html
import json
import threading
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import Depends, FastAPI, Header, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from centric.errors import CentricError
from centric.services import surveys
from centric.services.workspace_files import load_settings, open_store

MAX_BODY_BYTES = 16_384
STATUS_OF = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409}


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


def create_app(workspace: Path, api_key: str | None = None, allowed_origins: list[str] | None = None) -> FastAPI:
    """The app of one workspace. ``api_key`` guards the read endpoints (default: the workspace secret)."""
    workspace = Path(workspace)
    settings = load_settings(workspace)
    secret = surveys.workspace_secret(workspace)
    key = api_key or secret
    lock = threading.Lock()
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app):
        with open_store(workspace) as (_, store):
            state["store"] = store
            yield
        state.clear()

    app = FastAPI(title=f"centric: {settings.shop_name}", lifespan=lifespan)
    app.add_middleware(CORSMiddleware, allow_origins=allowed_origins or ["*"], allow_methods=["GET", "POST", "PUT"],
                       allow_headers=["Content-Type"])

    def store():
        with lock:
            yield state["store"]

    def reader(x_centric_key: str | None = Header(default=None)):
        if not x_centric_key or not hmac.compare_digest(x_centric_key, key):
            raise _Denied()

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse({"error": f"request larger than {MAX_BODY_BYTES} bytes"}, status_code=413)
        return await call_next(request)

    @app.exception_handler(surveys.SurveyError)
    async def survey_error(request, exc):
        return JSONResponse({"error": str(exc)}, status_code=STATUS_OF.get(exc.reason, 400))

    @app.exception_handler(_Denied)
    async def denied(request, exc):
        return JSONResponse({"error": "this endpoint needs the workspace key in the X-Centric-Key header"},
                            status_code=401)

    @app.exception_handler(CentricError)
    async def centric_error(request, exc):
        return JSONResponse({"error": str(exc)}, status_code=400)

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse({"error": f"{where or 'request'}: {first.get('msg', 'invalid')}"}, status_code=422)

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/widget.js")
    def widget():
        code = (resources.files("centric.api") / "static" / "widget.js").read_text(encoding="utf-8")
        return Response(code, media_type="application/javascript; charset=utf-8", headers={"Cache-Control": "max-age=300"})

    @app.get("/api/surveys/{survey_id}")
    def survey(survey_id: str, lang: str | None = None, db=Depends(store)):
        return surveys.localised(surveys.open_survey(db, survey_id), lang)

    @app.post("/api/surveys/{survey_id}/responses", status_code=201)
    def answer(survey_id: str, body: AnswerIn, db=Depends(store)):
        fields = body.model_dump(exclude={"channel"})
        answer = surveys.Answer(survey_id=survey_id, channel=body.channel or "widget", **fields)
        return {"feedback_id": surveys.record_answer(db, answer, secret=secret)}

    @app.put("/api/surveys/{survey_id}/responses/{response_id}")
    def comment(survey_id: str, response_id: str, body: CommentIn, db=Depends(store)):
        return {"feedback_id": surveys.add_comment(db, survey_id, response_id, body.text)}

    @app.get("/s/{survey_id}", response_class=HTMLResponse)
    def link(survey_id: str, score: int | None = None, c: str | None = None, t: str | None = None,
             lang: str | None = None, o: str | None = None, db=Depends(store)):
        """The page an e-mail link opens: the widget with the score the customer clicked prefilled."""
        surveys.open_survey(db, survey_id)
        attrs = {"data-survey": survey_id, "data-lang": lang or "", "data-score": "" if score is None else str(score),
                 "data-customer": c or "", "data-token": t or "", "data-order": o or "", "data-target": "#survey"}
        attributes = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items() if v)
        page = (f'<!doctype html><html lang="{html.escape(lang or "en")}"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width,initial-scale=1">'
                f'<title>{html.escape(settings.shop_name)}</title></head><body>'
                f'<main id="survey"></main><script src="/widget.js" {attributes}></script></body></html>')
        return HTMLResponse(page)

    @app.get("/api/scores", dependencies=[Depends(reader)])
    def scores(db=Depends(store)):
        frame = db.query_df("SELECT * FROM survey_scores WHERE period = 'all' ORDER BY metric, dimension, \"group\"")
        return json.loads(frame.to_json(orient="records"))

    @app.get("/api/drivers", dependencies=[Depends(reader)])
    def drivers(db=Depends(store)):
        return json.loads(db.query_df("SELECT * FROM feedback_drivers ORDER BY nps_points_cost DESC").to_json(orient="records"))

    return app


class _Denied(Exception):
    pass

