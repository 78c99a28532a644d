"""Segment's analytics.js v2 (@segment/analytics-next from npm) on a shop page in headless Chromium
sends to `centric serve` (a real process): it loads its settings from /v1/projects/KEY/settings, which
point it at this host, then posts identify, page, track and alias to the short routes (/v1/i|p|t|a,
text/plain bodies with the write key inside). Every messageId it reports is spooled once."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from collections import Counter
from pathlib import Path

import pytest

from centric.services.keys import create_key
from tests.api.server import Server
from tests.api.spooled import records

ROOT = Path(__file__).resolve().parents[2]
UMD = Path(os.environ.get("CENTRIC_ANALYTICS_NEXT", ROOT / "node_modules" / "@segment" / "analytics-next")) / "dist" / "umd"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

PAGE = """<!doctype html><html><body><script src="/umd/index.js"></script><script>
window.done = (async () => {
  const [analytics] = await AnalyticsNext.AnalyticsBrowser.load({writeKey: %(key)s, cdnURL: %(cdn)s});
  const ids = [];
  ids.push((await analytics.identify("C1", {email: "c1@example.com"})).event.messageId);
  ids.push((await analytics.page("Shop", "Home")).event.messageId);
  ids.push((await analytics.track("Product Viewed", {product_id: "P1", price: 19.9})).event.messageId);
  ids.push((await analytics.alias("C1", "anon-1")).event.messageId);
  return ids;
})();
</script></body></html>"""


@pytest.fixture
def site(tmp_path):
    if not (UMD / "index.js").exists():
        pytest.skip("@segment/analytics-next is not installed: npm install @segment/analytics-next (in the repo root)")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    root = tmp_path / "site"
    shutil.copytree(UMD, root / "umd")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_analytics_next_sends_to_centric(site, workspace):
    from playwright.sync_api import sync_playwright

    root, origin = site
    toml = workspace / "centric.toml"
    toml.write_text(toml.read_text().replace("cors_origins = []", f'cors_origins = ["{origin}"]'))
    info, key = create_key(workspace, "write", "website")
    srv = Server(workspace).start()
    try:
        (root / "index.html").write_text(PAGE % {"key": json.dumps(key), "cdn": json.dumps(srv.url)})
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page()
            posted = []
            page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
            page.goto(origin + "/index.html")
            ids = page.evaluate("window.done")
            browser.close()
    finally:
        srv.stop()
    assert {u.rsplit("/", 1)[1] for u in posted} == {"i", "p", "t", "a"}
    assert all(u.startswith(srv.url + "/v1/") for u in posted)
    spooled = records(workspace)
    counts = Counter(r["id"] for r in spooled)
    assert len(ids) == 4 and all(counts[i] == 1 for i in ids) and len(spooled) == 4
    assert [r["kind"] for r in spooled] == ["identify", "page", "track", "alias"]
    assert {r["source"] for r in spooled} == {info.id} and key not in json.dumps(spooled)
    track = next(r for r in spooled if r["kind"] == "track")["message"]
    assert track["properties"]["product_id"] == "P1" and track["sentAt"] and track["timestamp"]
