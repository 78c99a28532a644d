"""The survey widget in headless Chromium (Debian's chromium driven by Playwright's client).

A shop page on another origin pastes the snippet; a customer clicks a score, writes the reason, and
the answer lands in `feedback`. The e-mail link page records its prefilled score on load. Survey
text that tries to inject markup is shown as text.
"""

import http.server
import json
import shutil
import socket
import threading
import time

import pytest

from centric.api.app import create_app
from centric.services.collector import publish
from centric.services.surveys import customer_token, survey_link, workspace_secret
from centric.services.workspace_files import open_store
from tests.api.spooled import feedback

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(workspace):
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(create_app(workspace, allowed_origins=["*"]), host="127.0.0.1", port=port, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


@pytest.fixture
def shop_page(tmp_path, server, workspace):
    token = customer_token(workspace_secret(workspace), "C42")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(
        f'<!doctype html><html><body><h1>Thanks for your order</h1><div id="fb"></div>'
        f'<script src="{server}/widget.js" data-survey="nps-post-purchase" data-customer="C42" '
        f'data-token="{token}" data-lang="ca" data-order="O7" data-target="#fb" async></script></body></html>')
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "site"), **k)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/index.html"
    httpd.shutdown()


@pytest.fixture
def browser():
    if not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def _rows(workspace):
    return feedback(workspace)  # what the server spooled; the loader turns it into feedback rows


def test_customer_answers_from_a_shop_page(browser, shop_page, workspace):
    page = browser.new_page()
    page.goto(shop_page)
    page.wait_for_selector("#fb .centric-survey")
    assert "recomanis" in page.inner_text("#centric-q")
    assert page.locator(".centric-score").count() == 11
    assert page.get_attribute(".centric-survey", "role") == "dialog"
    page.click('.centric-score[data-score="4"]')
    page.wait_for_selector("#centric-text")
    assert "motiu" in page.inner_text('label[for="centric-text"]')
    page.fill("#centric-text", "<b>El paquet</b> va arribar tard")
    page.click(".centric-follow-up button")
    page.wait_for_selector(".centric-thanks")
    assert "Gràcies" in page.inner_text(".centric-thanks")
    rows = _rows(workspace)
    assert len(rows) == 1
    row = rows[0]
    assert (row["customer_id"], row["order_id"], row["rating"], row["language"]) == ("C42", "O7", 4, "ca")
    assert row["text"] == "<b>El paquet</b> va arribar tard"


def test_email_link_records_the_prefilled_score(browser, server, workspace):
    page = browser.new_page()
    page.goto(survey_link(server, workspace_secret(workspace), "nps-post-purchase", "C5", score=10, language="es"))
    page.wait_for_selector("#centric-text")
    rows = _rows(workspace)
    assert len(rows) == 1 and rows[0]["rating"] == 10 and rows[0]["channel"] == "email"


def test_survey_text_is_never_parsed_as_html(browser, shop_page, workspace, tmp_path):
    from centric.services.surveys import add_survey

    (tmp_path / "evil.json").write_text(json.dumps({
        "survey_id": "nps-post-purchase", "kind": "nps",
        "question": {"ca": "<img src=x onerror=\"document.title='owned'\">Recomanaries?"}}))
    with open_store(workspace) as (settings, store):
        add_survey(store, settings, tmp_path / "evil.json")
        publish(store, workspace)
    time.sleep(0.6)  # the server rechecks the snapshot at most every half second
    page = browser.new_page()
    page.goto(shop_page)
    page.wait_for_selector("#centric-q")
    assert page.locator("#fb img").count() == 0
    assert "<img" in page.inner_text("#centric-q") and page.title() != "owned"
