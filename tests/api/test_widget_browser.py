"""The survey widget in headless Chromium (Debian's chromium driven by Playwright's client).

A shop page on another origin pastes the snippet; a customer clicks a score, writes the reason, and
the answer lands in `feedback` once the spool is loaded. The e-mail link page shows its prefilled
score as selected and records it on load; picking another score replaces it. Survey text that tries
to inject markup is shown as text.
"""

import http.server
import json
import shutil
import threading
import time

import pytest

from centric.services.surveys import survey_link, workspace_secret
from centric.services.workspace_files import open_store
from tests.api.conftest import load_spool, survey_app
from tests.api.server import serve_in_thread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(workspace):
    app, context = survey_app(workspace)
    try:
        with serve_in_thread(app, log_level="error") as url:
            yield url
    finally:
        context.close()


@pytest.fixture
def shop_page(tmp_path, server, workspace):
    from urllib.parse import parse_qs, urlsplit

    link = survey_link(server, workspace_secret(workspace), "nps-post-purchase", "C42", send="order-O7")
    q = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(
        f'<!doctype html><html><body><h1>Thanks for your order</h1><div id="fb"></div>'
        f'<script src="{server}/widget.js" data-survey="nps-post-purchase" data-customer="C42" '
        f'data-token="{q["t"]}" data-expires="{q["e"]}" data-send="{q["n"]}" data-lang="ca" data-order="O7" '
        f'data-target="#fb" async></script></body></html>')
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


def _rows(workspace, table="feedback"):
    """What `centric ingest --collected` makes of the spooled answers."""
    load = load_spool(workspace)
    assert load.rejected == []
    with open_store(workspace) as (_, store):
        return store.query_df(f"SELECT * FROM {table} ORDER BY received_at")


def _selected(page):
    return page.eval_on_selector_all('.centric-score[aria-pressed="true"]', "bs => bs.map(b => b.dataset.score)")


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
    row = rows.iloc[0]
    assert (row["customer_id"], row["order_id"], row["rating"], row["language"]) == ("C42", "O7", 4, "ca")
    assert row["text"] == "<b>El paquet</b> va arribar tard"


def test_email_link_shows_the_prefilled_score_selected_and_it_can_change(browser, server, workspace):
    page = browser.new_page()
    page.goto(survey_link(server, workspace_secret(workspace), "nps-post-purchase", "C5", score=10, language="es"))
    page.wait_for_selector("#centric-text")
    assert _selected(page) == ["10"]
    selected = page.locator('.centric-score[data-score="10"]')
    assert selected.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(26, 95, 180)"
    assert page.locator('.centric-score[data-score="9"]').evaluate("b => getComputedStyle(b).backgroundColor") \
        != "rgb(26, 95, 180)"
    rows = _rows(workspace)
    assert len(rows) == 1 and rows.iloc[0]["rating"] == 10 and rows.iloc[0]["channel"] == "email"
    page.click('.centric-score[data-score="7"]')  # the customer changes their mind
    page.wait_for_function("document.querySelector('.centric-score[data-score=\"7\"]').getAttribute('aria-pressed') === 'true'")
    assert _selected(page) == ["7"]
    page.fill("#centric-text", "Bien, pero caro")
    page.click(".centric-follow-up button")
    page.wait_for_selector(".centric-thanks")
    rows = _rows(workspace)
    assert len(rows) == 1
    assert (rows.iloc[0]["customer_id"], rows.iloc[0]["rating"], rows.iloc[0]["text"]) == ("C5", 7, "Bien, pero caro")
    assert _rows(workspace, "feedback_history")["rating"].tolist()[:1] == [10]


def test_an_expired_link_says_so(browser, server, workspace):
    import time

    page = browser.new_page()
    page.goto(survey_link(server, workspace_secret(workspace), "nps-post-purchase", "C6", score=3,
                          valid_days=1, now=time.time() - 2 * 86_400))
    page.wait_for_function("document.querySelector('.centric-status') && "
                           "document.querySelector('.centric-status').textContent.includes('expired')")
    assert page.locator("#centric-text").count() == 0
    assert _rows(workspace).empty


def test_survey_text_is_never_parsed_as_html(browser, shop_page, workspace, tmp_path):
    from centric.services.surveys import add_survey

    (tmp_path / "evil.json").write_text(json.dumps({
        "survey_id": "nps-post-purchase", "kind": "nps",
        "question": {"ca": "<img src=x onerror=\"document.title='owned'\">Recomanaries?"}}))
    with open_store(workspace) as (settings, store):
        add_survey(store, settings, tmp_path / "evil.json")
    time.sleep(0.6)  # the server's snapshot reader picks up the newly published file
    page = browser.new_page()
    page.goto(shop_page)
    page.wait_for_selector("#centric-q")
    assert page.locator("#fb img").count() == 0
    assert "<img" in page.inner_text("#centric-q") and page.title() != "owned"
