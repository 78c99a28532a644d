"""The report in headless Chromium (Debian's chromium driven by Playwright's client): at a phone's
width nothing is cut off (wide tables scroll inside their section), and a partial last month is
shown as such."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _page_width(report: Path, width: int) -> tuple[int, str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(report.as_uri())
        scroll = page.evaluate("document.documentElement.scrollWidth")
        text = page.inner_text("body")
        browser.close()
    return scroll, text


@pytest.mark.parametrize("width", [375, 1280])
def test_report_fits_the_screen(demo_shop, width):
    scroll, text = _page_width(demo_shop / "report.html", width)
    assert scroll <= width, f"the page is {scroll} px wide on a {width} px screen"
    assert "Customer value" in text and "Customer journey" in text
