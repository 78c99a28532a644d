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


@pytest.mark.parametrize("lang", ["es", "ca", "pt"])
def test_report_in_every_language(demo_shop, tmp_path, lang):
    """The demo's report (every section filled: funnel, paths, listening, personas) in each language:
    <html lang> matches, no section is left out, and money reads the locale's way."""
    import re

    from centric import Workspace

    html = Workspace(demo_shop).report(tmp_path / f"{lang}.html", lang=lang).read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    for section in ("overview", "rfm", "value", "journey", "funnel", "paths", "listening", "personas"):
        assert f'id="{section}"' in html, section
    assert '<ol class="paths">' in html and 'class="plain"' in html
    assert re.search(r"\d[.\xa0\u202f]\d{3}(,\d\d)?\xa0€", html), "money with the locale's separators"
    assert "Revenue by month" not in html and "What it means" not in html
