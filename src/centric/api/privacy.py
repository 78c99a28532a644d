"""The privacy request routes: ask for a person's export or erasure, then follow the request.

``privacy_routes(ctx)`` returns an APIRouter:

- ``POST /api/privacy/export`` (read key) and ``POST /api/privacy/erase`` (admin key only) take
  ``{"customer": "<customer id or e-mail>", "request_id": optional}``, spool a ``privacy_request``
  record and answer 202 with the request id and its status URL;
- ``GET /api/privacy/requests/{request_id}`` answers pending, done or failed (with the reason), from
  the request's status file; an export's bundle is streamed by
  ``GET /api/privacy/requests/{request_id}/centric-export.json``. Export requests need a read key,
  erase requests an admin key.

The key comes as ``X-Centric-Key`` or ``Authorization: Bearer``: no live key is 401, a key of the
wrong kind 403. Rule: the routes never open the workspace database: a request is files under the
workspace, taken and read through the Workspace (workspace_server.py, services/privacy_requests.py);
`centric ingest --collected` (or `centric run`) carries the requests out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from centric.api.context import header_key
from centric.services import privacy_requests as requests
from centric.services.keys import KINDS

STATUS_OF = {"invalid": 400, "conflict": 409, "not_found": 404}
NEEDS = {"export": ("read",), "erase": ("admin",)}


class PrivacyRequestIn(BaseModel):
    customer: str = Field(max_length=requests.MAX_CUSTOMER_CHARS)
    request_id: str | None = Field(default=None, max_length=64)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "code": code, "message": message, "error": message}, status_code=status)


def privacy_routes(ctx) -> APIRouter:
    router = APIRouter()

    def refusal(info, action: str) -> JSONResponse | None:
        """None when the key ``info`` (a live key, or None) may act on `action`, else the error answer."""
        needed = " or ".join(NEEDS[action])
        if info is None:
            return _error(401, "unauthorized", f"privacy {action} requests need a {needed} key "
                                               f"(centric keys create --kind {NEEDS[action][0]}) in the "
                                               "X-Centric-Key header")
        if info.kind != "admin" and info.kind not in NEEDS[action]:  # admin passes, as in KeyChecker.check
            return _error(403, "forbidden", f"privacy {action} requests need a {needed} key; this is a "
                                            f"{info.kind} key")
        return None

    async def take(action: str, body: PrivacyRequestIn, request: Request):
        info = ctx.keys.check(header_key(request), *KINDS)
        refused = refusal(info, action)
        if refused is not None:
            return refused
        try:
            request_id, record = await run_in_threadpool(ctx.ws.privacy_request_open, action, body.customer,
                                                         body.request_id, info.id)
        except requests.PrivacyRequestError as exc:
            return _error(STATUS_OF.get(exc.reason, 400), exc.reason, str(exc))
        try:
            await ctx.spool([record])
        except BaseException:
            await run_in_threadpool(ctx.ws.privacy_request_cancel, request_id)
            raise
        url = f"/api/privacy/requests/{request_id}"
        return JSONResponse({"success": True, "request_id": request_id, "action": action, "status": "pending",
                             "status_url": url}, status_code=202, headers={"Location": url})

    @router.post("/api/privacy/export", status_code=202)
    async def export(body: PrivacyRequestIn, request: Request):
        return await take("export", body, request)

    @router.post("/api/privacy/erase", status_code=202)
    async def erase(body: PrivacyRequestIn, request: Request):
        return await take("erase", body, request)

    async def status_of(request_id: str, request: Request):
        """(status, None) when the key may see this request, else (None, the error answer)."""
        info = ctx.keys.check(header_key(request), *KINDS)
        if info is None:
            return None, _error(401, "unauthorized", "this endpoint needs a read key (exports) or an admin key "
                                                     "(erasures) in the X-Centric-Key header")
        try:
            status = await run_in_threadpool(ctx.ws.privacy_request_status, request_id)
        except requests.PrivacyRequestError as exc:
            return None, _error(STATUS_OF.get(exc.reason, 400), exc.reason, str(exc))
        refused = refusal(info, status.get("action", "erase"))
        return (None, refused) if refused is not None else (status, None)

    @router.get("/api/privacy/requests/{request_id}")
    async def status(request_id: str, request: Request):
        found, refused = await status_of(request_id, request)
        if refused is not None:
            return refused
        if found.get("action") == "export" and found.get("status") == "done":
            found["bundle_url"] = f"/api/privacy/requests/{request_id}/centric-export.json"
        return JSONResponse(found, status_code=202 if found.get("status") == "pending" else 200)

    @router.get("/api/privacy/requests/{request_id}/centric-export.json")
    async def bundle(request_id: str, request: Request):
        found, refused = await status_of(request_id, request)
        if refused is not None:
            return refused
        path = await run_in_threadpool(ctx.ws.privacy_request_bundle, request_id)
        if path is None:
            if found.get("action") != "export":
                return _error(404, "not_found", "an erase request has no bundle")
            if found.get("status") == "done":
                return _error(410, "gone", "the bundle is gone (removed by a later erasure, or by hand)")
            return _error(404, "not_ready", f"no bundle: the request is {found.get('status')}")
        return FileResponse(path, media_type="application/json", filename="centric-export.json",
                            headers={"Cache-Control": "no-store"})

    return router
