"""The cookie banner (issue 17, translated per issue 20): served by the collector, in the visitor's
language, as easy to refuse as to accept, and a choice per category lands in the `consents` ledger.

The browser test runs `centric serve` as a subprocess with a write key (tests/api/server.py) and a shop
page on another origin, as a shop would; the banner's words are checked against the catalogues."""

from __future__ import annotations

import http.server
import shutil
import threading

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import survey_app
from tests.api.server import ServedWorkspace

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def test_texts_follow_lang_then_accept_language_then_the_workspace(workspace):
    app, _ = survey_app(workspace, language="ca")
    with TestClient(app) as client:
        assert client.get("/api/consent/texts?lang=pt").json()["reject"] == "Rejeitar todos"
        spanish = client.get("/api/consent/texts", headers={"Accept-Language": "fr;q=1, es-ES;q=0.8"}).json()
        assert spanish["lang"] == "es" and spanish["accept"] == "Aceptar todas"
        assert client.get("/api/consent/texts").json()["lang"] == "ca"  # the workspace's language
        code = client.get("/consent.js")
        assert code.status_code == 200 and "javascript" in code.headers["content-type"]
        assert "Consent Updated" in code.text and "innerHTML" not in code.text


def test_the_survey_carries_the_widget_words_in_its_language(workspace):
    app, _ = survey_app(workspace)
    with TestClient(app) as client:
        survey = client.get("/api/surveys/nps-post-purchase?lang=ca").json()
        assert survey["language"] == "ca" and survey["ui"]["send"] == "Envia"
        page = client.get("/s/nps-post-purchase", headers={"Accept-Language": "pt-PT,pt;q=0.9"})
        assert '<html lang="pt">' in page.text and "uma pergunta rápida" in page.text


@pytest.fixture
def shop(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(site), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield site, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_visitor_chooses_per_category_and_the_ledger_records_it(tmp_path, shop):
    if not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    site, origin = shop
    served = ServedWorkspace(tmp_path / "botiga", cors_origins=[origin]).start()
    try:
        (site / "index.html").write_text(
            f'<!doctype html><html lang="ca"><body><h1>La botiga</h1>'
            f'<script src="{served.url}/consent.js" data-write-key="{served.write_key}" data-lang="ca" '
            f'data-user="C77" async></script></body></html>')
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 375, "height": 700})
            errors = []  # script errors, and any answer of centric's that is not a success
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                    if r.url.startswith(served.url) and r.status >= 400 else None)
            page.goto(f"{origin}/index.html")
            page.wait_for_selector("#centric-consent")
            assert page.get_attribute("#centric-consent", "lang") == "ca"
            assert page.inner_text("#centric-consent-title") == "Galetes i privadesa"
            assert page.is_visible("text=Rebutja-les totes") and page.is_visible("text=Accepta-les totes")
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.click("text=Tria")
            assert page.is_disabled("#centric-c-essential") and page.is_checked("#centric-c-essential")
            page.check("#centric-c-analytics")
            page.click("text=Desa la meva tria")
            page.wait_for_selector(".centric-consent-saved")
            stored = page.evaluate("window.centricConsent.choice()")
            page.wait_for_timeout(300)
            page.reload()
            page.wait_for_timeout(500)
            assert page.locator("#centric-consent").count() == 0  # the choice is remembered
            browser.close()
        assert stored == {"essential": True, "personalization": False, "analytics": True, "marketing": False}
        assert errors == []
        served.ingest_collected()
        ledger = {r["category"]: r["granted"] for r in served.rows(
            "SELECT category, granted FROM consents WHERE customer_id = 'C77' ORDER BY recorded_at")}
        assert ledger == {"essential": True, "personalization": False, "analytics": True, "marketing": False}
    finally:
        served.stop()
