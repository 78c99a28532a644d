"""The Segment / RudderStack collection API: the HTTP tracking API's routes on this host.

Routes: ``POST /v1/batch`` (and ``/v1/import``), ``/v1/identify|track|page|screen|group|alias``,
analytics.js v2's short ``/v1/i|t|p|s|g|a|b`` (text/plain bodies), and
``GET /v1/projects/{writeKey}/settings``, which points analytics.js at this host. The write key comes
as HTTP Basic (username = key, as Segment's and RudderStack's SDKs send it) or as ``writeKey`` in the
body (analytics.js). Answers as Segment's API does: 200 ``{"success": true}``; 400 with a reason per
refused message (the others are still spooled); 401 without a live write key; 413 over the limits;
429 with Retry-After when the spool is behind. The rules of a message are in services/collector.py.

Rule: the POST routes are served by ``CollectFront``, a plain ASGI app in front of FastAPI (inside the
limits and CORS): it is the hot path of the server, and a request there goes through no routing,
dependency injection or response classes, only the body's bytes, the checks and the spool. Every
other request (settings, telemetry, surveys, the read API) goes on to FastAPI.
"""

from __future__ import annotations

import base64
import binascii
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from centric.api.context import Busy
from centric.api.limits import TooLarge, inflate
from centric.services import collector

OK = {"success": True}
OK_BODY = b'{"success":true}'  # rendered once: most answers are this one
_JSON = (b"content-type", b"application/json")
_OK_LENGTH = (b"content-length", str(len(OK_BODY)).encode())
UNAUTHORIZED = ("this endpoint needs a live write key (centric keys create --kind write), as HTTP Basic username "
                "or writeKey in the body")


class Unauthorized(Exception):
    pass


def basic_key(header: str | None) -> str | None:
    """The key of an ``Authorization: Basic`` header (its username, else its password), or None."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user or password or None


def _refusal(code: str, reason: str, **extra) -> dict:
    return {"success": False, "code": code, "message": reason, "error": reason, **extra}


def _invalid(reason: str, errors: list | None = None, accepted: int = 0) -> tuple[int, dict, list]:
    body = _refusal("invalid_request", reason, accepted=accepted)
    if errors is not None:
        body["errors"] = errors
    return 400, body, []


def _routes() -> dict[str, str | None]:
    routes: dict[str, str | None] = {"/v1/batch": None, "/v1/import": None, "/v1/b": None}
    for short, kind in collector.SHORT_ROUTES.items():
        routes[f"/v1/{kind}"] = routes[f"/v1/{short}"] = kind
    return routes


class CollectFront:
    """ASGI: ``POST`` to a collection route is answered here; everything else goes on to ``app``.

    ``state`` is the FastAPI app's (``app.state.ctx`` is the ServerContext)."""

    def __init__(self, ctx, app):
        self.ctx = ctx
        self.app = app
        self.state = app.state
        self.routes = _routes()
        self._keys: dict[bytes, str | None] = {}  # Authorization header -> its key (basic_key), as seen

    def _basic_key(self, header: bytes | None) -> str | None:
        """``basic_key`` of the header, remembered: a client sends the same header with every request.
        (Only the decoding is remembered; whether the key is live is asked every time.)"""
        if header is None:
            return None
        try:
            return self._keys[header]
        except KeyError:
            pass
        if len(self._keys) >= 1024:  # many clients or a scan of made-up headers: start again
            self._keys.clear()
        key = self._keys[header] = basic_key(header.decode("latin-1"))
        return key

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.routes:
            return await self.app(scope, receive, send)
        try:
            answer = await self.take(scope, receive)
        except TooLarge as exc:
            answer = 413, _refusal("too_large", exc.detail), [(b"connection", b"close")]
        except Busy as exc:
            answer = 429, _refusal("busy", str(exc)), [(b"retry-after", str(exc.retry_after).encode())]
        except OSError:  # the spool could not write (disk full, permissions): nothing was acknowledged
            answer = (503, _refusal("unavailable", "the collector cannot write its spool: retry later"),
                      [(b"retry-after", b"30")])
        if answer is None:  # fresh messages every time: a middleware (CORS) may add headers in place
            await send({"type": "http.response.start", "status": 200, "headers": [_JSON, _OK_LENGTH]})
            await send({"type": "http.response.body", "body": OK_BODY})
            return
        status, payload, extra = answer
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [_JSON, (b"content-length", str(len(body)).encode()), *extra]})
        await send({"type": "http.response.body", "body": body})

    async def take(self, scope, receive) -> tuple[int, dict, list] | None:
        """A request's answer (None: 200 with the common body), once its accepted messages are durable."""
        kind = self.routes[scope["path"]]
        message = await receive()
        if message["type"] != "http.request":  # the client went away: nothing was acknowledged
            raise OSError("client disconnected")
        raw = message.get("body", b"")
        if message.get("more_body"):
            chunks = [raw]
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    raise OSError("client disconnected")
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
            raw = b"".join(chunks)
        authorization = encoding = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"content-encoding":
                encoding = value.decode("latin-1").strip().lower()
        try:
            if encoding in ("gzip", "x-gzip", "deflate"):
                raw = inflate(raw, collector.MAX_BATCH_BYTES)
            elif encoding not in (None, "", "identity"):
                return _invalid(f"Content-Encoding {encoding!r} is not supported: send gzip or nothing")
            fields, items = collector.parse_request(raw, batch=kind is None)
        except ValueError as exc:
            return _invalid(str(exc))
        ctx = self.ctx
        key = self._basic_key(authorization) or fields.get("writeKey")
        info = ctx.keys.check(key if isinstance(key, str) else None, "write")
        if info is None:
            return 401, _refusal("unauthorized", UNAUTHORIZED), [(b"www-authenticate", b'Basic realm="centric"')]
        if items is None:
            return _invalid("a batch is {\"batch\": [messages]}")
        suppression = ctx.suppression
        accepted = collector.accept(items, source=info.id, kind=kind,
                                    sent_at=fields.get("sentAt") if kind is None else None,
                                    suppressed=suppression.is_suppressed if suppression.active() else None)
        # the parsed body is let go before the wait for the disk: 50 requests waiting on one fsync would
        # otherwise keep 50 batches of dicts alive, and the garbage collector walks them again and again
        items = fields = None
        await ctx.spool_lines(accepted.lines, len(accepted.ids))
        if accepted.errors:
            count = len(accepted.errors)
            return _invalid(f"{count} message{'s' if count > 1 else ''} refused: {accepted.errors[0]['reason']}",
                            accepted.errors, accepted=len(accepted.lines))
        if accepted.generated:
            return 200, {"success": True, "generatedMessageIds": accepted.generated}, []
        return None


def collect_routes(ctx) -> APIRouter:
    """The collection routes FastAPI serves itself (the POST routes are CollectFront's)."""
    router = APIRouter()

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
