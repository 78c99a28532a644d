"""The cookie banner (issue 17): `GET /consent.js` serves it, `GET /api/consent/texts` gives its words.

Rule: the banner is dependency-free JavaScript (api/static/consent.js) that records a visitor's choice per
category (essential, personalization, analytics, marketing) through the collector it is served by, as a
Segment track call "Consent Updated" carrying `context.consent.categoryPreferences`; the collector's
loader already turns that context into `consents` ledger rows for an identified customer and marks the
visitor's anonymous events (store/consent_context.py). So consent given in the banner is data with a
time, read by every analysis, with no new write path. Its words come from the catalogues in the
visitor's language: `?lang=`, then Accept-Language, then the workspace's language.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from centric.i18n import negotiate
from centric.i18n.widgets import banner_words


def consent_routes(ctx) -> APIRouter:
    router = APIRouter()
    settings = ctx.settings
    code = (resources.files("centric.api") / "static" / "consent.js").read_bytes()

    @router.get("/consent.js")
    async def banner():
        return Response(code, media_type="application/javascript; charset=utf-8",
                        headers={"Cache-Control": "max-age=300"})

    @router.get("/api/consent/texts")
    async def texts(request: Request, lang: str | None = None):
        chosen = negotiate(lang, request.headers.get("accept-language"), settings.language)
        return JSONResponse({"lang": chosen, **banner_words(chosen)}, headers={"Cache-Control": "max-age=300",
                                                                               "Vary": "Accept-Language"})

    return router
