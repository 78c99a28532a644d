"""The HTTP app of ``centric serve``: collection (Segment / RudderStack), surveys, and the read API.

``create_app(workspace)`` builds it. Rule: the server never opens the workspace database, so every
other command runs while it serves. Accepted messages and survey answers go to the spool (fsync'd
before the answer); reads come from the snapshot that ``centric run`` and ``survey add|close``
publish. Every handler is ``async`` and awaits the disk without holding a thread or a lock; limits
(api/limits.py) refuse oversized bodies as bytes arrive and excess requests at once. The collection POST
routes, the hot path, are answered in front of FastAPI by api/collect.py's ``CollectFront`` (inside
the limits and CORS); everything else is FastAPI's. The returned app's ``state.ctx`` is the
ServerContext.

Keys (``centric keys``): write keys guard ``/v1/*``, read keys the read API (``X-Centric-Key`` or
``Authorization: Bearer``); admin keys pass everywhere. Privacy requests (api/privacy.py): exports
with a read key, erasures with an admin key only; spooled, carried out by the loader. Survey pages and answers are public (answers
from known customers need the link's signed token).
"""

from __future__ import annotations

import math
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from centric.api.collect import UNAUTHORIZED, CollectFront, Unauthorized, collect_routes
from centric.api.context import MAX_BACKLOG, Busy, ServerContext, header_key
from centric.api.limits import MAX_IN_FLIGHT, Guard, TooLarge
from centric.api.consent import consent_routes
from centric.api.privacy import privacy_routes
from centric.api.surveys import survey_routes
from centric.errors import CentricError


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"success": False, "code": code, "message": message, "error": message},
                        status_code=status, headers=headers)


def _plain(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def create_app(workspace, allowed_origins: list[str] | None = None, max_in_flight: int = MAX_IN_FLIGHT,
               max_backlog: int = MAX_BACKLOG):
    """The ASGI app of one workspace (a centric.Workspace or its folder; ``Workspace.app()`` calls this).
    ``allowed_origins`` overrides ``[server] cors_origins``."""
    ctx = ServerContext(workspace, max_backlog)

    @asynccontextmanager
    async def lifespan(app):
        ctx.start()
        try:
            yield
        finally:
            ctx.close()

    app = FastAPI(title=f"centric: {ctx.settings.shop_name}", lifespan=lifespan)
    app.state.ctx = ctx

    def reader(request: Request):
        if ctx.keys.check(header_key(request), "read") is None:
            raise _Denied()

    @app.exception_handler(_Denied)
    async def denied(request, exc):
        return _error(401, "unauthorized", "this endpoint needs a read key (centric keys create --kind read) in the "
                                           "X-Centric-Key header")

    @app.exception_handler(Unauthorized)
    async def no_write_key(request, exc):
        return _error(401, "unauthorized", UNAUTHORIZED, {"WWW-Authenticate": 'Basic realm="centric"'})

    @app.exception_handler(Busy)
    async def busy(request, exc):
        return _error(429, "busy", str(exc), {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(TooLarge)
    async def too_large(request, exc):
        return _error(413, "too_large", exc.detail, {"Connection": "close"})

    @app.exception_handler(CentricError)
    async def centric_error(request, exc):
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return JSONResponse({"error": f"{where or 'request'}: {first.get('msg', 'invalid')}"}, status_code=422)

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    app.include_router(collect_routes(ctx))
    app.include_router(survey_routes(ctx))
    app.include_router(privacy_routes(ctx))
    app.include_router(consent_routes(ctx))

    @app.get("/api/scores", dependencies=[Depends(reader)])
    async def scores():
        rows = ctx.snapshot.rows("survey_scores", order_by=("metric", "dimension", "group"), period="all")
        return [{k: _plain(v) for k, v in row.items()} for row in rows]

    @app.get("/api/drivers", dependencies=[Depends(reader)])
    async def drivers():
        rows = ctx.snapshot.rows("feedback_drivers")
        rows.sort(key=lambda r: -(r.get("nps_points_cost") or 0))
        return [{k: _plain(v) for k, v in row.items()} for row in rows]

    # the collection POST routes are answered in front of FastAPI (api/collect.py), inside CORS and the limits
    front = CollectFront(ctx, app)
    origins = ctx.settings.server_cors_origins if allowed_origins is None else allowed_origins
    served = front
    if origins:
        served = CORSMiddleware(front, allow_origins=list(origins), allow_methods=["GET", "POST", "PUT"],
                                allow_headers=["Content-Type", "Authorization", "X-Centric-Key"])
    guard = Guard(served, max_in_flight=max_in_flight)
    guard.state = app.state  # app.state.ctx: the ServerContext, for whoever holds the served app
    return guard


class _Denied(Exception):
    pass
