"""Limits the server enforces before a handler does any work.

Rules:

- A request body is counted as its bytes arrive, chunked or not: past the limit of its route
  (500 KB on /v1, 16 KB elsewhere) reading stops and the answer is 413. A Content-Length over the
  limit is refused before a byte of the body is read (and a body framed by a Content-Length within
  the limit, without Transfer-Encoding, cannot pass it: the HTTP server reads that many bytes as the
  body, so it is not counted again). gzip bodies are limited after inflating too.
- At most ``max_in_flight`` requests are worked on at once; the next get 503 with Retry-After at
  once (the server answers rather than queues). ``/health`` is never refused.
"""

from __future__ import annotations

import json
import zlib

from starlette.exceptions import HTTPException

from centric.services.collector import MAX_BATCH_BYTES

OTHER_BODY_BYTES = 16_384
MAX_IN_FLIGHT = 256


class TooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the request is larger than {limit // 1024} KB")
        self.limit = limit


def body_limit(path: str) -> int:
    return MAX_BATCH_BYTES if path.startswith("/v1/") else OTHER_BODY_BYTES


def inflate(raw: bytes, limit: int) -> bytes:
    """A gzip (or zlib) body inflated, refusing more than ``limit`` bytes of output (no gzip bombs)."""
    inflater = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, detected
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"the body is not valid gzip: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise TooLarge(limit)
    if not inflater.eof:
        raise ValueError("the gzip body is cut short")
    return out


def _plain(status: int, payload: dict, extra: list | None = None) -> tuple[dict, dict]:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    return ({"type": "http.response.start", "status": status, "headers": headers + (extra or [])},
            {"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware around the whole app: body limits as bytes arrive, and admission control."""

    def __init__(self, app, max_in_flight: int = MAX_IN_FLIGHT):
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] == "/health":
            return await self.app(scope, receive, send)
        if self.in_flight >= self.max_in_flight:
            for message in _plain(503, {"success": False, "code": "busy", "message": "the server is busy: retry later",
                                        "error": "the server is busy: retry later"},
                                  [(b"retry-after", b"1"), (b"connection", b"close")]):
                await send(message)
            return
        limit = body_limit(scope["path"])
        framed = chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > limit:
                    reason = f"the request is larger than {limit // 1024} KB"
                    for message in _plain(413, {"success": False, "code": "too_large", "message": reason,
                                                "error": reason}, [(b"connection", b"close")]):
                        await send(message)
                    return
                framed = True
            elif name == b"transfer-encoding":
                chunked = True
        if framed and not chunked:
            # the HTTP server reads no more than Content-Length bytes as this request's body (the next
            # bytes are the next request), and that length is within the limit: nothing to count
            self.in_flight += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.in_flight -= 1
            return
        received = 0

        async def limited():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge(limit)
            return message

        self.in_flight += 1
        try:
            await self.app(scope, limited, send)
        finally:
            self.in_flight -= 1
