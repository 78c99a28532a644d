"""The dashboard in headless Chromium (Debian's package, driven by Playwright): login, every page in every
language, filters checked against SQL on the workspace, the funnel against `centric funnel`, axe-core,
375 px, escaping of customer text, downloads.

One small demo shop and one server (in this process, on a free port) serve every test of the module.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests.api.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LANGS = ["en", "es", "ca", "pt"]
PAGES = ["/", "/customers", "/listening", "/journey", "/value"]
MARKUP = '<img src=x onerror="window.__xss=1">Bad <b>box</b> & "quotes"'

if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed (make test installs it)", allow_module_level=True)
pytest.importorskip("playwright", reason="playwright drives chromium (a dev dependency)")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A small demo shop with one planted feedback text full of markup, published, served, with a read key."""
    from centric import Workspace

    path = tmp_path_factory.mktemp("dash") / "shop"
    ready = os.environ.get("CENTRIC_TEST_DASH_SHOP")  # a demo built before (150 customers, 1 year), copied
    copied = bool(ready) and (Path(ready) / "centric.duckdb").exists()
    if copied:
        shutil.copytree(ready, path, ignore=shutil.ignore_patterns("keys.json", "*.log"))
    ws = Workspace(path)
    if not copied:
        ws.demo(customers=150, years=1.0)
    customer = ws.sql("SELECT min(customer_id) AS c FROM customers")["c"][0]
    planted = path / "planted.csv"
    with open(planted, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["feedback_id", "customer_id", "received_at", "source", "text", "language"])
        w.writerow(["planted-1", customer, ws.sql("SELECT max(received_at) AS t FROM feedback")["t"][0], "review",
                    MARKUP, "en"])
    ws.ingest("feedback", str(planted))
    ws.publish()
    _info, key = ws.keys_create("read", "browser test")
    with serve_in_thread(ws.app()) as url:
        yield {"ws": ws, "key": key, "url": url, "customer": customer}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _login(browser, shop, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.goto(shop["url"] + "/login")
    page.fill("#key", shop["key"])
    page.click("button[type=submit]")
    page.wait_for_url(shop["url"] + "/")
    return context, page


@pytest.fixture(scope="module")
def phone(browser, shop):
    """A signed-in 375 px wide page that records console errors."""
    context, page = _login(browser, shop, viewport={"width": 375, "height": 740})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page, errors
    context.close()


def _open(page, url):
    page.goto(url)
    page.wait_for_selector("body[data-loaded=true]", timeout=30_000)


def _card(page, key) -> float:
    return float(page.locator(f"[data-kpi={key}]").first.get_attribute("data-value"))


def test_login_is_required_and_a_wrong_key_is_refused(browser, shop):
    context = browser.new_context()
    page = context.new_page()
    page.goto(shop["url"] + "/customers?lang=ca")
    assert page.url.startswith(shop["url"] + "/login?next=")  # no session: sent to the login page
    page.fill("#key", "cr_not-a-key")
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 401
    assert page.locator(".error[role=alert]").count() == 1
    assert not context.cookies()
    page.fill("#key", shop["key"])
    page.click("button[type=submit]")
    page.wait_for_url(shop["url"] + "/customers?lang=ca")  # back where the visitor was going
    (cookie,) = context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > time.time()
    assert shop["key"] not in cookie["value"]
    context.close()
    # without a session the data answers 401; a forged session is no session
    assert httpx.get(shop["url"] + "/api/dash/overview").status_code == 401
    forged = cookie["value"][:-2] + ("AA" if not cookie["value"].endswith("AA") else "BB")
    answer = httpx.get(shop["url"] + "/", cookies={"centric_session": forged}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    answer = httpx.get(shop["url"] + "/", cookies={"centric_session": cookie["value"]}, follow_redirects=False)
    assert answer.status_code == 200
    assert httpx.post(shop["url"] + "/login", data={"key": shop["key"], "next": "//evil.example/"},
                      follow_redirects=False).headers["location"] == "/"  # no open redirect


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_loads_in_each_language_without_errors_or_sideways_scroll(phone, shop, lang):
    page, errors = phone
    customer_url = f"/customers/{shop['customer']}"
    for path in PAGES + [customer_url]:
        errors.clear()
        _open(page, f"{shop['url']}{path}?lang={lang}")
        if path == "/journey":
            page.wait_for_selector("#chart-funnel", timeout=30_000)
        assert page.evaluate("document.documentElement.lang") == lang, path
        assert not errors, (path, errors)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, f"{path} scrolls sideways at 375 px"
        if path != customer_url:  # the charts drew
            assert page.locator(".chart-box canvas").count() >= 1, path


def test_the_language_follows_accept_language_then_the_query(browser, shop):
    context, page = _login(browser, shop, locale="ca-ES", extra_http_headers={"Accept-Language": "ca-ES,ca;q=0.9"})
    _open(page, shop["url"] + "/value")
    assert page.evaluate("document.documentElement.lang") == "ca"
    _open(page, shop["url"] + "/value?lang=pt")
    assert page.evaluate("document.documentElement.lang") == "pt"
    # the language links keep the filters
    _open(page, shop["url"] + "/value?lang=pt&country=ES")
    assert "country=ES" in page.locator(".langs a[hreflang=es]").get_attribute("href")
    context.close()


def test_a_filter_changes_the_numbers_and_they_match_sql(phone, shop):
    page, _ = phone
    ws = shop["ws"]
    country = ws.sql("SELECT country, count(*) AS n FROM customers GROUP BY 1 ORDER BY n DESC LIMIT 1")["country"][0]
    span = ws.sql("SELECT min(ordered_at)::DATE::VARCHAR AS first, max(ordered_at)::DATE::VARCHAR AS last FROM orders")
    start, end = str(span["first"][0]), str(span["last"][0])
    start = f"{int(start[:4])}-{start[5:7]}-28"  # from late in the first month to the last day
    _open(page, f"{shop['url']}/?lang=en")
    everything = _card(page, "revenue")
    # the filter form, as a user sets it: the URL then holds the state
    page.select_option("select[name=country]", country)
    page.fill("input[name=from]", start)
    page.fill("input[name=to]", end)
    with page.expect_navigation():
        page.click(".filters button[type=submit]")
    page.wait_for_selector("body[data-loaded=true]")
    assert f"country={country}" in page.url and f"from={start}" in page.url
    checked = ws.sql(
        "SELECT coalesce(sum(o.net_merchandise), 0) AS revenue, count(*) FILTER (WHERE o.status = 'completed' AND "
        "(o.net_merchandise > 0 OR (o.merchandise = 0 AND o.total = 0))) AS orders FROM orders o JOIN customers c "
        f"USING (customer_id) WHERE c.country = '{country}' AND o.status IN ('completed', 'refunded') "
        f"AND o.ordered_at >= TIMESTAMP '{start}' AND o.ordered_at < TIMESTAMP '{end}' + INTERVAL 1 DAY")
    assert _card(page, "revenue") == pytest.approx(float(checked["revenue"][0]), abs=0.01)
    assert _card(page, "orders") == int(checked["orders"][0])
    assert _card(page, "revenue") < everything
    # the filters follow the visitor to the next page: NPS of that country's answers
    with page.expect_navigation():
        page.click("nav a[href^='/listening']")
    page.wait_for_selector("body[data-loaded=true]")
    assert f"country={country}" in page.url
    nps = ws.sql("SELECT 100.0 * (count(*) FILTER (WHERE f.rating >= 9) - count(*) FILTER (WHERE f.rating <= 6)) "
                 "/ count(*) AS nps FROM feedback f JOIN customers c USING (customer_id) WHERE f.rating_scale = "
                 f"'nps_0_10' AND c.country = '{country}' AND f.received_at >= TIMESTAMP '{start}' "
                 f"AND f.received_at < TIMESTAMP '{end}' + INTERVAL 1 DAY")["nps"][0]
    assert _card(page, "nps") == pytest.approx(float(nps), abs=1e-6)
    # a segment: its current members, as the customers page counts them
    segment = ws.sql("SELECT segment, count(*) AS n FROM segment_members WHERE left_at IS NULL GROUP BY 1 "
                     "ORDER BY n DESC, segment LIMIT 1")
    _open(page, f"{shop['url']}/customers?lang=en&segment={segment['segment'][0]}")
    assert _card(page, "customers") == int(segment["n"][0])


def test_the_funnel_built_in_the_page_agrees_with_centric_funnel(phone, shop):
    page, _ = phone
    _open(page, f"{shop['url']}/journey?lang=en")
    page.wait_for_selector("#table-funnel-table")
    steps = [page.locator(f"#step-{i}").input_value() for i in range(1, 5)]
    steps = [s for s in steps if s]
    shown = [int(c.get_attribute("data-value")) for c in page.locator("#table-funnel-table td[data-col=users]").all()]
    expected = shop["ws"].funnel(steps, "7d")
    assert shown == [int(u) for u in expected[expected["group"] == expected["group"].iloc[0]]["users"]]
    assert shown == sorted(shown, reverse=True) and shown[0] > 0
    # another order and a breakdown, chosen in the page
    page.select_option("#funnel-order", "any")
    page.select_option("#funnel-by", "country")
    with page.expect_response(lambda r: "/api/dash/funnel" in r.url) as answer:
        page.click(".funnel-form button[type=submit]")
    body = answer.value.json()
    assert body["table"]["rows"] and {r["group"]["value"] for r in body["table"]["rows"]} - {"all"}


def test_customer_text_is_shown_as_text(phone, shop):
    page, _ = phone
    _open(page, f"{shop['url']}/listening?lang=en&q=quotes")
    texts = page.locator(".verbatim-text").all_inner_texts()
    assert MARKUP in texts
    assert page.evaluate("window.__xss") is None
    assert page.locator(".verbatims img, .verbatims b").count() == 0
    _open(page, f"{shop['url']}/customers/{shop['customer']}?lang=en")
    assert any(MARKUP in t for t in page.locator(".timeline li").all_inner_texts())
    assert page.locator(".timeline img").count() == 0
    # a filter value that tries to close the page's script element stays data
    _open(page, f"{shop['url']}/?lang=en&segment=%3C/script%3E%3Cscript%3Ewindow.__xss=2%3C/script%3E")
    assert page.evaluate("window.__xss") is None


def test_charts_download_as_csv_and_png(browser, shop):
    context, page = _login(browser, shop, accept_downloads=True)
    _open(page, f"{shop['url']}/?lang=en")
    figure = page.locator("#chart-revenue-month")
    with page.expect_download() as csv_download:
        figure.get_by_role("button", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text(encoding="utf-8-sig"))))
    months = json.loads(httpx.get(shop["url"] + "/api/dash/overview", headers={"X-Centric-Key": shop["key"]}).text)
    chart = next(b for s in months["sections"] for b in s["blocks"] if b.get("id") == "revenue-month")
    assert [r[0] for r in rows[1:]] == chart["x"]
    assert [float(r[1]) for r in rows[1:]] == pytest.approx(chart["series"][0]["values"])
    with page.expect_download() as png_download:
        figure.get_by_role("button", name="Download PNG").click()
    assert Path(png_download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # keyboard: the chart takes focus and reads its values with the arrow keys
    box = figure.locator(".chart-box")
    box.focus()
    page.keyboard.press("ArrowRight")
    assert box.evaluate("b => b === document.activeElement")
    context.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: `make js-clients` (npm ci --prefix tests/js)")
def test_axe_finds_no_serious_or_critical_violation(browser, shop):
    context, page = _login(browser, shop, bypass_csp=True)  # axe is injected as an inline script
    found = {}
    for path in PAGES + [f"/customers/{shop['customer']}", "/login"]:
        _open(page, f"{shop['url']}{path}?lang=ca") if path != "/login" else page.goto(shop["url"] + path)
        if path == "/journey":
            page.wait_for_selector("#chart-funnel")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                               ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))")
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        if bad:
            found[path] = bad
    context.close()
    assert not found, found
