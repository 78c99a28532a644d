"""The dashboard of ``centric serve``: pages at /, /customers, /customers/{id}, /listening, /journey and
/value, their data at /api/dash/..., behind a read key.

Rule: a page needs a session (``/login`` takes a read or admin key by form POST and sets a signed,
expiring cookie, HttpOnly and SameSite=Strict: services/dashboard_session.py); without one a page
redirects to /login and a data request gets 401 (a read key in X-Centric-Key also works there, for
scripts and the benchmark). Everything shown is read from the published snapshot (services/dashboard.py),
never the workspace database. Pages are a server-rendered shell (language, filters, navigation);
dash.js fetches the page's JSON and draws it with Apache ECharts, vendored under static/vendor (no CDN).
Customer text reaches the page as JSON and is put in the DOM as text only, never as markup.
"""

from __future__ import annotations

import json
from importlib import resources
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from centric.api import dash_views, dash_views_more
from centric.api.dash_views import LANGUAGES, gettext_for, negotiate, persona_name
from centric.services import dashboard_funnel
from centric.services import dashboard_session as sessions
from centric.services.dashboard import DashboardError, Filters

PAGES = ("overview", "customers", "listening", "journey", "value")
PATHS = {"overview": "/", "customers": "/customers", "listening": "/listening", "journey": "/journey",
         "value": "/value"}
STATIC = {"dash.js": "application/javascript", "dash.css": "text/css",
          "vendor/echarts/echarts.min.js": "application/javascript",
          "vendor/echarts/LICENSE": "text/plain", "vendor/echarts/NOTICE": "text/plain"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _templates():
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("centric.api", "templates"), autoescape=select_autoescape(default=True),
                       trim_blocks=True, lstrip_blocks=True)


def dashboard_routes(ctx) -> APIRouter:
    router = APIRouter()
    env = _templates()
    static = {name: (resources.files("centric.api") / "static" / name).read_bytes() for name in STATIC}
    currency = ctx.settings.currency
    default_lang = getattr(ctx.settings, "language", None) or "en"  # the shop's language ([shop] language)

    def language(request: Request) -> str:
        return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"),
                               default_lang)

    def session_key(request: Request):
        key_id = sessions.key_of(ctx.survey_secret, request.cookies.get(sessions.COOKIE))
        return ctx.keys.live(key_id, "read")

    def allowed(request: Request) -> bool:
        from centric.api.context import header_key

        return session_key(request) is not None or ctx.keys.check(header_key(request), "read") is not None

    def html(body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": CSP,
                                                               "X-Content-Type-Options": "nosniff",
                                                               "Referrer-Policy": "same-origin",
                                                               "Cache-Control": "no-store"})

    def to_login(request: Request) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    def render_login(request: Request, lang: str, error: str | None, target: str, status: int = 200):
        _ = gettext_for(lang)
        body = env.get_template("dash_login.html.j2").render(_=_, lang=lang, error=error, next=target,
                                                             shop=ctx.settings.shop_name, languages=LANGUAGES)
        return html(body, status)

    @router.get("/login", include_in_schema=False)
    async def login_form(request: Request):
        return render_login(request, language(request), None, _safe_next(request.query_params.get("next")))

    @router.post("/login", include_in_schema=False)
    async def login(request: Request):
        raw = await request.body()
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        lang = negotiate(form.get("lang") or request.query_params.get("lang"),
                               request.headers.get("accept-language"), default_lang)
        target = _safe_next(form.get("next"))
        info = ctx.keys.check((form.get("key") or "").strip(), "read")
        if info is None:
            _ = gettext_for(lang)
            return render_login(request, lang, _("That key is not a live read key. Make one with "
                                                 "`centric keys create --kind read`."), target, 401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(sessions.COOKIE, sessions.issue(ctx.survey_secret, info.id),
                            max_age=sessions.LIFETIME_SECONDS, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
        return response

    @router.post("/logout", include_in_schema=False)
    async def logout(request: Request):
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict")
        return response

    @router.get("/static/{name:path}", include_in_schema=False)
    async def static_file(name: str):
        if name not in static:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(static[name], media_type=STATIC[name],
                        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})

    def page(request: Request, name: str, title_key: str, extra: dict | None = None):
        if session_key(request) is None:
            return to_login(request)
        lang = language(request)
        _ = gettext_for(lang)
        try:
            filters = Filters.parse(request.query_params)
            options = dash_views.options(ctx.snapshot)
            error = None
        except DashboardError as exc:
            filters, options, error = Filters(), {}, str(exc)
        query = filters.query()
        nav = [(p, dash_views.PAGE_TITLES[p], PATHS[p] + "?" + urlencode({**query, "lang": lang})) for p in PAGES]
        api = (extra or {}).get("api") or f"/api/dash/{name}"
        config = {"api": api, "query": {**query, "lang": lang}, "lang": lang, "currency": currency,
                  "strings": dash_views.strings(_), "page": name}
        langs = [(code, request.url.path + "?" + urlencode({**query, "lang": code})) for code in LANGUAGES]
        body = env.get_template("dash_page.html.j2").render(
            _=_, lang=lang, title=_(title_key), page=name, nav=nav, filters=filters, options=options,
            error=error, shop=ctx.settings.shop_name, config=_script_json(config),
            languages=langs, page_titles=dash_views.PAGE_TITLES,
            label=dash_views.Formatter(lang, currency).label, persona_name=lambda name: persona_name(name, lang))
        return html(body)

    def page_route(name: str):
        async def show(request: Request):
            return page(request, name, dash_views.PAGE_TITLES[name])
        return show

    for name in PAGES:  # the five pages of the menu, each at its path
        router.add_api_route(PATHS[name], page_route(name), methods=["GET"], include_in_schema=False,
                             name=f"{name}_page")

    @router.get("/customers/{customer_id}", include_in_schema=False)
    async def customer_page(request: Request, customer_id: str):
        from urllib.parse import quote

        return page(request, "customer", "Customer", {"api": "/api/dash/customer/" + quote(customer_id, safe="")})

    funnels = dashboard_funnel.FunnelCache()

    def data(request: Request, build):
        if not allowed(request):
            return JSONResponse({"error": "sign in at /login, or send a read key in X-Centric-Key"}, status_code=401)
        funnels.warm(ctx.snapshot, dashboard_funnel.event_names)  # once per published snapshot, in the background
        lang = language(request)
        try:
            filters = Filters.parse(request.query_params)
            body = build(filters, lang)
        except DashboardError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return Response(json.dumps(body, default=dash_views.plain, allow_nan=False), media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    fmt = dash_views.Formatter

    @router.get("/api/dash/overview")
    def overview_data(request: Request):
        return data(request, lambda f, lang: dash_views.overview(ctx.snapshot, f, fmt(lang, currency)))

    @router.get("/api/dash/customers")
    def customers_data(request: Request):
        return data(request, lambda f, lang: dash_views.customers(ctx.snapshot, f, fmt(lang, currency)))

    @router.get("/api/dash/customer/{customer_id}")
    def customer_data(request: Request, customer_id: str):
        return data(request, lambda f, lang: dash_views.customer(ctx.snapshot, customer_id, fmt(lang, currency)))

    @router.get("/api/dash/listening")
    def listening_data(request: Request):
        q = request.query_params
        return data(request, lambda f, lang: dash_views_more.listening_page(ctx.snapshot, f, fmt(lang, currency),
                                                                  q.get("q"), q.get("vlang")))

    @router.get("/api/dash/journey")
    def journey_data(request: Request):
        return data(request, lambda f, lang: dash_views_more.journey_page(ctx.snapshot, f, fmt(lang, currency)))

    @router.get("/api/dash/funnel")
    def funnel_data(request: Request):
        q = request.query_params
        steps = [s for s in (q.get("steps") or "").split("|") if s.strip()]
        return data(request, lambda f, lang: dash_views_more.funnel_block(ctx.snapshot, f, fmt(lang, currency), steps,
                                                               q.get("window") or "7d", q.get("order") or "ordered",
                                                               q.get("by") or None, cache=funnels))

    @router.get("/api/dash/value")
    def value_data(request: Request):
        return data(request, lambda f, lang: dash_views_more.value_page(ctx.snapshot, f, fmt(lang, currency)))

    return router


def _script_json(value) -> str:
    """JSON safe inside <script>: no <, > or & survives to close the element (filters come from the URL)."""
    text = json.dumps(value, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _safe_next(target: str | None) -> str:
    """Only a path on this server (no scheme, no //host): an open redirect is refused."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
