"""The Segment / RudderStack collection API: the HTTP tracking API's routes on this host.

Routes: ``POST /v1/batch`` (and ``/v1/import``), ``/v1/identify|track|page|screen|group|alias``,
analytics.js v2's short ``/v1/i|t|p|s|g|a|b`` (text/plain bodies), and
``GET /v1/projects/{writeKey}/settings``, which points analytics.js at this host. The write key comes
as HTTP Basic (username = key, as Segment's and RudderStack's SDKs send it) or as ``writeKey`` in the
body (analytics.js). Answers as Segment's API does: 200 ``{"success": true}``; 400 with a reason per
refused message (the others are still spooled); 401 without a live write key; 413 over the limits;
429 with Retry-After when the spool is behind. The rules of a message are in services/collector.py.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from centric.api.limits import inflate
from centric.services import collector

OK = {"success": True}
OK_BODY = b'{"success":true}'  # rendered once: most answers are this one


class Unauthorized(Exception):
    pass


def basic_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user or password or None


def _invalid(reason: str, errors: list | None = None, accepted: int = 0) -> JSONResponse:
    body = {"success": False, "code": "invalid_request", "message": reason, "error": reason, "accepted": accepted}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=400)


def collect_routes(ctx) -> APIRouter:
    router = APIRouter()

    async def take(request: Request, kind: str | None) -> JSONResponse:
        raw = await request.body()
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        try:
            if encoding in ("gzip", "x-gzip", "deflate"):
                raw = inflate(raw, collector.MAX_BATCH_BYTES)
            elif encoding not in ("", "identity"):
                return _invalid(f"Content-Encoding {encoding!r} is not supported: send gzip or nothing")
            fields, items = collector.parse_request(raw, batch=kind is None)
        except ValueError as exc:
            return _invalid(str(exc))
        key = basic_key(request) or fields.get("writeKey")
        info = ctx.keys.check(key if isinstance(key, str) else None, "write")
        if info is None:
            raise Unauthorized()
        if items is None:
            return _invalid("a batch is {\"batch\": [messages]}")
        suppression = ctx.suppression
        accepted = collector.accept(items, source=info.id, kind=kind,
                                    sent_at=fields.get("sentAt") if kind is None else None,
                                    suppressed=suppression.is_suppressed if suppression.active() else None)
        await ctx.spool_lines(accepted.lines)
        if accepted.errors:
            count = len(accepted.errors)
            return _invalid(f"{count} message{'s' if count > 1 else ''} refused: {accepted.errors[0]['reason']}",
                            accepted.errors, accepted=len(accepted.lines))
        if accepted.generated:
            return JSONResponse({"success": True, "generatedMessageIds": accepted.generated})
        return Response(OK_BODY, media_type="application/json")

    def route(path: str, kind: str | None):
        async def handler(request: Request):
            return await take(request, kind)

        handler.__name__ = f"collect_{path.strip('/').replace('/', '_')}"
        router.add_api_route(path, handler, methods=["POST"], include_in_schema=True)

    route("/v1/batch", None)
    route("/v1/import", None)
    route("/v1/b", None)
    for short, kind in collector.SHORT_ROUTES.items():
        route(f"/v1/{kind}", kind)
        route(f"/v1/{short}", kind)

    @router.post("/v1/m")
    async def metrics():
        """analytics.js's own telemetry: accepted and dropped (its settings set sampleRate 0)."""
        return JSONResponse(OK)

    @router.get("/v1/projects/{write_key}/settings")
    async def settings(write_key: str, request: Request):
        if ctx.keys.check(write_key, "write") is None:
            raise Unauthorized()
        base = f"{request.url.scheme}://{request.headers.get('host') or request.url.netloc}"
        return JSONResponse(collector.client_settings(write_key, base))

    return router
