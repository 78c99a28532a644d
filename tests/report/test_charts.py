"""The report's SVG charts: labels that fit, a partial last period drawn as such, text escaped."""

from __future__ import annotations

import re

from centric.report.charts import line_chart

MONTHS = [f"{2010 + (m + 11) // 12}-{(m + 11) % 12 + 1:02d}" for m in range(13)]  # 2010-12 .. 2011-12


def _labels(svg: str) -> list[str]:
    return re.findall(r'<text x="[^"]+" y="222" text-anchor="[a-z]+" font-size="11">([^<]*)</text>', svg)


def test_month_labels_do_not_run_together():
    svg = line_chart(MONTHS, {"revenue": [float(i) for i in range(13)]}, "Revenue")
    shown = _labels(svg)
    assert shown[0] == "2010-12" and shown[-1] == "2011-12"
    xs = [float(x) for x in re.findall(r'<text x="([^"]+)" y="222"', svg)]
    assert all(b - a >= 7 * 6.5 for a, b in zip(xs, xs[1:-1]))  # each gap holds a label


def test_partial_last_period_stands_apart_and_is_labelled():
    values = [10.0] * 12 + [3.0]
    svg = line_chart(MONTHS, {"revenue": values}, "Revenue", partial_last=True)
    assert _labels(svg)[-1] == "2011-12 (partial)"
    assert svg.count("<polyline") == 1 and len(re.search(r'points="([^"]+)"', svg).group(1).split()) == 12
    assert svg.count('<circle class="partial"') == 1  # an open point, not a line falling to it
    whole = line_chart(MONTHS, {"revenue": values}, "Revenue")
    assert "partial" not in whole and "<circle" not in whole
    assert len(re.search(r'points="([^"]+)"', whole).group(1).split()) == 13


def test_labels_are_escaped():
    svg = line_chart(["<b>", "x&y"], {"<script>": [1.0, 2.0]}, "t<i>")
    assert "<b>" not in svg and "<script>" not in svg and "&lt;b&gt;" in svg


def test_axis_ticks_are_round_and_cover_the_data():
    from centric.report.charts import nice_ticks

    assert nice_ticks(0, 1_163_000) == [0, 250_000, 500_000, 750_000, 1_000_000, 1_250_000]
    assert nice_ticks(-3, 17) == [-5, 0, 5, 10, 15, 20]
    assert nice_ticks(0, 0)[0] == 0 and nice_ticks(0, 0)[-1] >= 1  # no data: a unit axis
    for low, high in [(0, 7.3), (-120, 45), (0, 0.042), (3, 3e6)]:
        ticks = nice_ticks(low, high)
        assert ticks[0] <= low and ticks[-1] >= high and 2 <= len(ticks) <= 7
