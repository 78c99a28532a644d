"""Screenshots of every dashboard page (`make screenshots`): en and ca, desktop (1280 px) and phone (375 px).

Usage: python scripts/dash_screenshots.py [--workspace DIR] [--out screenshots]
Without --workspace it builds a small demo shop (300 customers) in OUT/workspace once and reuses it.
It serves the workspace on a free local port, signs in with a fresh read key, and writes
OUT/<page>-<lang>-<desktop|phone>.png; it prints each page's console errors and any sideways scroll.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path

PAGES = {"overview": "/", "customers": "/customers", "customer": None, "listening": "/listening",
         "journey": "/journey", "value": "/value"}
SIZES = {"desktop": (1280, 900), "phone": (375, 740)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(ws, port: int):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(ws.app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            return server, thread
        time.sleep(0.05)
    raise RuntimeError("the server did not start")


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    from centric import Workspace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace")
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--langs", default="en,ca")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    path = Path(args.workspace) if args.workspace else out / "workspace"
    ws = Workspace(path)
    if not (path / "centric.duckdb").exists():
        print(f"building a small demo shop in {path} (a few minutes)")
        ws.demo(customers=300)
    _info, key = ws.keys_create("read", "screenshots")
    port = _free_port()
    server, thread = serve(ws, port)
    base = f"http://127.0.0.1:{port}"
    problems = 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for size, (width, height) in SIZES.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                errors = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(base + "/login")
                page.fill("#key", key)
                page.click("button[type=submit]")
                page.wait_for_url(base + "/")
                customer_link = None
                for lang in args.langs.split(","):
                    for name, url in PAGES.items():
                        if url is None:
                            if customer_link is None:
                                page.goto(f"{base}/customers?lang={lang}")
                                page.wait_for_selector("body[data-loaded=true]")
                                customer_link = page.locator("#table-top-customers a").first.get_attribute("href")
                            url = customer_link.split("?")[0]
                        errors.clear()
                        page.goto(f"{base}{url}?lang={lang}")
                        page.wait_for_selector("body[data-loaded=true]", timeout=60_000)
                        if name == "journey":
                            page.wait_for_selector("#chart-funnel, #funnel-out .error", timeout=60_000)
                        page.wait_for_timeout(300)
                        target = out / f"{name}-{lang}-{size}.png"
                        page.screenshot(path=str(target), full_page=True)
                        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                        note = f" console errors: {errors}" if errors else ""
                        note += f" sideways scroll {wide}px" if wide > 0 else ""
                        problems += bool(note)
                        print(f"{target}{note}")
                context.close()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        ws.keys_revoke(_info.id)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
