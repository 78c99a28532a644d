"""The report's SVG charts: titles shown, month labels that fit in the reader's language, a partial last
period drawn as such, units on the axis, text escaped."""

from __future__ import annotations

import re

from centric.report.charts import CHAR_PX, hbar_chart, line_chart

MONTHS = [f"{2010 + (m + 11) // 12}-{(m + 11) % 12 + 1:02d}" for m in range(13)]  # 2010-12 .. 2011-12
LONG = [f"{2008 + m // 12}-{m % 12 + 1:02d}" for m in range(49)]  # four years of months


def _ticks(svg: str, cls: str = "wide") -> list[tuple[float, str, str]]:
    """The x labels of one of the chart's two drawings (wide screens, phones)."""
    svg = next(part for part in svg.split("<svg")[1:] if f'class="{cls}"' in part)
    return [(float(x), anchor, text) for x, anchor, text in
            re.findall(r'<text class="x-tick" x="([^"]+)" y="[^"]+" text-anchor="([a-z]+)"[^>]*>([^<]*)</text>', svg)]


def _extent(x: float, anchor: str, text: str) -> tuple[float, float]:
    width = len(text) * CHAR_PX
    return {"start": (x, x + width), "end": (x - width, x), "middle": (x - width / 2, x + width / 2)}[anchor]


def test_title_is_visible_not_only_an_aria_label():
    svg = line_chart(MONTHS, {"revenue": [1.0] * 13}, "Revenue by month")
    assert "<figcaption" in svg and ">Revenue by month</figcaption>" in svg
    assert "<figcaption" in hbar_chart(["a"], [1.0], "Bars")


def test_month_labels_do_not_run_together_in_any_language():
    for months in (MONTHS, LONG):
        for lang in ("en", "es", "ca", "pt"):
            svg = line_chart(months, {"revenue": [float(i) for i in range(len(months))]}, "R", lang=lang, months=True)
            for cls, width, least in (("wide", 640, 4), ("narrow", 360, 2)):
                ticks = _ticks(svg, cls)
                assert len(ticks) >= least, (lang, cls, ticks)
                spans = [_extent(*t) for t in ticks]
                assert all(a[1] + 4 <= b[0] for a, b in zip(spans, spans[1:])), (lang, cls, ticks)
                assert spans[0][0] >= 0 and spans[-1][1] <= width


def test_month_labels_read_as_months_with_the_year_where_it_changes():
    ticks = [t for _, _, t in _ticks(line_chart(MONTHS, {"r": [1.0] * 13}, "R", lang="ca", months=True))]
    assert ticks[0] == "des. 2010" and ticks[-1] == "des. 2011"
    assert any(t.endswith("2011") for t in ticks[1:-1]) and not any("-" in t for t in ticks)
    en = [t for _, _, t in _ticks(line_chart(MONTHS, {"r": [1.0] * 13}, "R", lang="en", months=True))]
    assert en[0] == "Dec 2010"


def test_partial_last_period_stands_apart_and_is_labelled():
    values = [10.0] * 12 + [3.0]
    svg = line_chart(MONTHS, {"revenue": values}, "Revenue", partial_last=True, months=True)
    assert _ticks(svg)[-1][2].endswith("*") and "Partial month" in svg
    assert svg.count("<polyline") == 2 and len(re.search(r'points="([^"]+)"', svg).group(1).split()) == 12
    assert svg.count('<circle class="partial"') == 2  # an open point (in each drawing), not a line falling to it
    whole = line_chart(MONTHS, {"revenue": values}, "Revenue", months=True)
    assert "partial" not in whole.lower() and "<circle" not in whole
    assert len(re.search(r'points="([^"]+)"', whole).group(1).split()) == 13
    ca = line_chart(MONTHS, {"revenue": values}, "Vendes", partial_last=True, months=True, lang="ca")
    assert "Mes incomplet" in ca


def test_axis_carries_the_unit():
    from centric.i18n import fmt_compact

    svg = line_chart(MONTHS, {"revenue": [0.0, 1_163_000.0] + [5e5] * 11}, "Revenue", months=True, lang="ca",
                     y_format=lambda v: fmt_compact(v, "ca", "EUR"))
    axis = re.findall(r'text-anchor="end" font-size="11">([^<]*)</text>', svg)
    assert any("€" in a and "M" in a for a in axis)


def test_labels_are_escaped():
    svg = line_chart(["<b>", "x&y"], {"<script>": [1.0, 2.0]}, "t<i>")
    assert "<b>" not in svg and "<script>" not in svg and "&lt;b&gt;" in svg and "t&lt;i&gt;" in svg


def test_axis_ticks_are_round_and_cover_the_data():
    from centric.report.charts import nice_ticks

    assert nice_ticks(0, 1_163_000) == [0, 250_000, 500_000, 750_000, 1_000_000, 1_250_000]
    assert nice_ticks(-3, 17) == [-5, 0, 5, 10, 15, 20]
    assert nice_ticks(0, 0)[0] == 0 and nice_ticks(0, 0)[-1] >= 1  # no data: a unit axis
    for low, high in [(0, 7.3), (-120, 45), (0, 0.042), (3, 3e6)]:
        ticks = nice_ticks(low, high)
        assert ticks[0] <= low and ticks[-1] >= high and 2 <= len(ticks) <= 7
