"""Segment's analytics.js v2 (@segment/analytics-next from npm) on a shop page in headless Chromium.

The page is served from its own origin, as a shop's site would be; it loads the package's browser
build (dist/umd/index.js, the `AnalyticsNext` global) and calls `AnalyticsBrowser.load({writeKey,
cdnURL})` with cdnURL = the centric server. The client then reads its settings from
`/v1/projects/{writeKey}/settings` on that server and sends to wherever those settings point it:
the short routes /v1/i|p|t|a with text/plain bodies, or /v1/b when batching is on.

The rule under test: every message the browser saw acknowledged (HTTP 2xx) appears exactly once in
`events` after `centric ingest --collected`; the order becomes an order with its lines; identify
traits fill `customers`; nothing leaves for Segment's CDN or API.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from centric.schema import CALL_EVENT_NAMES
from tests.api.server import ServedWorkspace

ROOT = Path(__file__).resolve().parents[2]
UMD = ROOT / "tests" / "js" / "node_modules" / "@segment" / "analytics-next" / "dist" / "umd"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

if not (UMD / "index.js").exists():
    pytest.skip("analytics.js is not installed: `make test` runs `npm ci --prefix tests/js` (needs node and npm)",
                allow_module_level=True)
if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed (make test installs it)", allow_module_level=True)
pytest.importorskip("playwright", reason="playwright drives chromium (a dev dependency)")

# window.analytics._cdn: where the build fetches the chunks it loads lazily (here, for the ajs_ query
# parameters of the landing URL); the shop serves them too, so nothing comes from cdn.segment.com.
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>La Botiga</title>
<script>window.analytics = {_cdn: location.origin}</script>
<script src="/analytics-next/bundles/index.js"></script></head>
<body><h1>La Botiga</h1><p>A shop page that loads analytics.js from npm.</p></body></html>"""

# What a shop's page does: a visit, a product view, sign-up (alias + identify), an order, another page.
VISIT = """async ({writeKey, cdnURL, batching, prefix}) => {
  const options = batching
    ? {integrations: {'Segment.io': {deliveryStrategy: {strategy: 'batching', config: {size: 3, timeout: 300}}}}}
    : {};
  const [analytics] = await AnalyticsNext.AnalyticsBrowser.load({writeKey, cdnURL}, options);
  const sent = [];
  const keep = (ctx) => sent.push({type: ctx.event.type, messageId: ctx.event.messageId});
  const user = prefix + '-joan';
  keep(await analytics.page('Shop', 'Home'));
  keep(await analytics.track('Product Viewed', {product_id: 'TS-1', sku: 'TS-1', name: 'Linen T-shirt',
                                                price: 20, category: 'shirts'}));
  keep(await analytics.alias(user));
  keep(await analytics.identify(user, {email: 'Joan.Serra@Example.CAT', firstName: 'Joan', lastName: 'Serra',
                                       address: {city: 'Reus', country: 'ES', postalCode: '43201'}}));
  keep(await analytics.track('Order Completed', {
    order_id: prefix + '-1001', total: 57.5, subtotal: 55, shipping: 5, discount: 2.5, tax: 0, currency: 'EUR',
    products: [
      {product_id: 'TS-1', sku: 'TS-1', name: 'Linen T-shirt', price: 20, quantity: 2, category: 'shirts'},
      {product_id: 'MUG-9', sku: 'MUG-9', name: 'Stoneware mug', price: 15, quantity: 1, category: 'home'}]}));
  keep(await analytics.page('Shop', 'Thank you'));
  return {sent, anonymousId: analytics.user().anonymousId(), userId: analytics.user().id()};
}"""


@pytest.fixture(scope="module")
def shop_site(tmp_path_factory):
    """The shop's own origin: the page and the package's browser build, nothing from a CDN."""
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text(PAGE)
    (site / "analytics-next").mkdir()
    (site / "analytics-next" / "bundles").symlink_to(UMD, target_is_directory=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(site), **k)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def served(tmp_path_factory, shop_site):
    """centric serve with the shop's origin in [server] cors_origins, as the docs tell a shop to set it."""
    shop = ServedWorkspace(tmp_path_factory.mktemp("analyticsjs") / "shop", cors_origins=[shop_site]).start()
    yield shop
    shop.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def _visit(browser, shop_site, served, *, batching: bool, prefix: str):
    """Run the visit in a fresh browser profile; return what the client sent and what the server answered."""
    context = browser.new_context()
    page = context.new_page()
    seen, answered, console = [], [], []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("request", lambda r: seen.append(r.url))
    page.on("requestfailed", lambda r: answered.append((r.method, urlsplit(r.url).path, None, r.failure, None)))

    def on_response(response):
        request = response.request
        if not request.url.startswith(served.url):
            return
        body = request.post_data if request.method == "POST" else None
        answered.append((request.method, urlsplit(request.url).path, response.status, body, response))

    page.on("response", on_response)
    try:
        # a landing URL from a campaign e-mail: analytics.js tracks its ajs_event itself, on load
        page.goto(shop_site + "/index.html?ajs_event=Email%20Clicked&ajs_prop_campaign=winter-sale")
        page.wait_for_function("() => typeof AnalyticsNext !== 'undefined'", timeout=10_000)
        result = page.evaluate(VISIT, {"writeKey": served.write_key, "cdnURL": served.url,
                                       "batching": batching, "prefix": prefix})
        wanted = {m["messageId"] for m in result["sent"]}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (wanted <= set(_acknowledged(answered))
                                                   and len(_acknowledged(answered)) > len(wanted)):
            page.wait_for_timeout(100)
    finally:
        context.close()
    return result, answered, seen, console


def _acknowledged(answered, messages: bool = False) -> list:
    """messageIds (or the messages) in the bodies of POSTs the server answered 2xx."""
    found = []
    for method, path, status, body, _ in answered:
        if method == "POST" and path != "/v1/m" and status and 200 <= status < 300 and body:
            message = json.loads(body)
            found += message.get("batch", [message])
    return found if messages else [m["messageId"] for m in found]


@pytest.mark.parametrize("batching", [False, True], ids=["short-routes", "batch-route"])
def test_analyticsjs_messages_reach_events_once(browser, shop_site, served, batching):
    prefix = "jsb" if batching else "js"
    result, answered, seen, console = _visit(browser, shop_site, served, batching=batching, prefix=prefix)
    sent = result["sent"]
    assert [m["type"] for m in sent] == ["page", "track", "alias", "identify", "track", "page"]
    ids = [m["messageId"] for m in sent]

    posts = [(path, status) for method, path, status, _, _ in answered if method == "POST"]
    failed = [a[:4] for a in answered if a[2] is None or a[2] >= 400]
    assert not failed, f"requests to centric failed: {failed}\nconsole: {console}\nserver log:\n{served.log_text()[-2000:]}"
    settings = [(p, s) for m, p, s, _, _ in answered if m == "GET" and p.endswith("/settings")]
    assert settings == [(f"/v1/projects/{served.write_key}/settings", 200)]
    routes = {path for path, _ in posts if path != "/v1/m"}  # /v1/m: the client's own metrics, not messages
    assert routes == ({"/v1/b"} if batching else {"/v1/p", "/v1/t", "/v1/a", "/v1/i"}), posts
    from_url = [m for m in _acknowledged(answered, messages=True) if m["messageId"] not in ids]
    assert [(m["event"], m["properties"]) for m in from_url] == [("Email Clicked", {"campaign": "winter-sale"})]
    acknowledged = _acknowledged(answered)
    assert sorted(acknowledged) == sorted(ids + [from_url[0]["messageId"]]), "each acknowledged once, none missing"
    if batching:
        assert max(len(json.loads(a[3])["batch"]) for a in answered if a[1] == "/v1/b") > 1
    away = sorted({urlsplit(u).netloc for u in seen} - {urlsplit(shop_site).netloc, urlsplit(served.url).netloc})
    assert not away, f"the page reached beyond the shop and centric: {away}"

    served.ingest_collected()
    ids.append(from_url[0]["messageId"])
    counts = served.count_by_id("events", "event_id", ids)
    assert counts == {i: 1 for i in ids}, counts
    # Before sign-up the visitor is its cookie's anonymousId; from identify on, the customer.
    rows = {r["event_id"]: r for r in served.rows(
        "SELECT event_id, name, customer_id, anonymous_id FROM events WHERE event_id IN (SELECT unnest(?))", [ids])}
    names = [CALL_EVENT_NAMES["page"], "Product Viewed", CALL_EVENT_NAMES["alias"], CALL_EVENT_NAMES["identify"],
             "Order Completed", CALL_EVENT_NAMES["page"]]
    customers = [None, None] + [f"{prefix}-joan"] * 4
    names, customers = names + ["Email Clicked"], customers + [None]
    assert [(rows[i]["name"], rows[i]["customer_id"], rows[i]["anonymous_id"]) for i in ids] == [
        (n, c, result["anonymousId"]) for n, c in zip(names, customers)]
    order = served.rows("SELECT * FROM orders WHERE order_id = ?", [f"{prefix}-1001"])
    assert len(order) == 1
    # stored as local time in centric init's default time zone; in the hour repeated when the clocks go
    # back, a local time is either of two instants: one of them must be now
    madrid, now = ZoneInfo("Europe/Madrid"), datetime.now(timezone.utc)
    instants = [order[0]["ordered_at"].replace(tzinfo=madrid, fold=f) for f in (0, 1)]
    assert min(abs(t - now) for t in instants) < timedelta(minutes=5), order[0]["ordered_at"]
    assert (order[0]["customer_id"], order[0]["total"], order[0]["shipping"], order[0]["discount"]) == (
        f"{prefix}-joan", 57.5, 5.0, 2.5)
    lines = served.rows("SELECT sku, quantity, unit_price FROM order_lines WHERE order_id = ? ORDER BY line_no",
                        [f"{prefix}-1001"])
    assert [(r["sku"], r["quantity"], r["unit_price"]) for r in lines] == [("TS-1", 2, 20.0), ("MUG-9", 1, 15.0)]
    customer = served.rows("SELECT email, city, country FROM customers WHERE customer_id = ?", [f"{prefix}-joan"])
    assert customer == [{"email": "joan.serra@example.cat", "city": "Reus", "country": "ES"}]

    served.ingest_collected()
    assert served.count_by_id("events", "event_id", ids) == counts, "a second load adds nothing"
