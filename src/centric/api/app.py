"""The HTTP API of a workspace: survey definitions, answers from links and the widget, and scores.

``create_app(workspace)`` builds the app; ``centric serve`` runs it with uvicorn on 127.0.0.1.
Public endpoints (what a shop's pages call): the widget script, a survey's texts, posting an answer.
Read endpoints (scores, drivers) need the workspace's key in the ``X-Centric-Key`` header. One
DuckDB connection serves the read endpoints, behind a lock: requests run in a thread pool. The survey
routes (api/surveys.py) read the snapshot and write the spool only; the collector's server replaces
this app.
"""

from __future__ import annotations

import hmac
import json
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Header, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from centric.api.surveys import survey_routes
from centric.errors import CentricError
from centric.services import surveys
from centric.services.survey_context import SurveyContext
from centric.services.workspace_files import load_settings, open_store

MAX_BODY_BYTES = 16_384
STATUS_OF = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409}


def create_app(workspace: Path, api_key: str | None = None, allowed_origins: list[str] | None = None) -> FastAPI:
    """The app of one workspace. ``api_key`` guards the read endpoints (default: the workspace secret)."""
    workspace = Path(workspace)
    settings = load_settings(workspace)
    secret = surveys.workspace_secret(workspace)
    key = api_key or secret
    lock = threading.Lock()
    state: dict = {}

    context = SurveyContext(workspace, settings)

    @asynccontextmanager
    async def lifespan(app):
        with open_store(workspace) as (_, store):
            state["store"] = store
            yield
        state.clear()
        context.close()

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

    app.include_router(survey_routes(context))

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

