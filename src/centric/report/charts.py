"""Small SVG charts, rendered offline and inlined in the report (no JavaScript, no network).

Rules:
- Every chart is a <figure> whose <figcaption> shows its title (the SVG names it too, for screen
  readers), so a title is never only an aria-label.
- Every label passes through xml escaping: chart labels can be customer or product text.
- Axis values are round (nice_ticks) and carry their unit through the caller's formatter
  ('£250k', '250 k £', '40%').
- Month axes (months=True, labels YYYY-MM) read in the reader's language and never run together:
  as many labels as fit side by side are shown, evenly spaced, the year written on the first and
  last labels and where it changes ('des. 2010', 'febr. 2011', 'abr.', ..., 'des. 2011').
- A partial last period (the data end inside it) is an open point apart from the line, and its
  label carries an asterisk explained under the chart, so a part month never reads as a collapse.
"""

from __future__ import annotations

import itertools
import math
from html import escape

from centric.i18n import fmt_compact, fmt_number, translator

PALETTE = ["#2f6fdf", "#e07b39", "#3aa17e", "#c2417b", "#7a5cc8", "#d6a419", "#4aa3c9", "#8c8c8c"]
CHAR_PX = 6.6  # width of one character of the 11-12 px labels, in viewBox units (generous)
_ids = itertools.count(1)


def _fmt(value: float, lang: str = "en") -> str:
    return fmt_compact(value, lang) if abs(value) >= 1e4 else fmt_number(value, lang)


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round axis values (1, 2, 2.5 or 5 times a power of ten) from at or below low to at or above high."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / (most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    count = math.ceil(round((high - start) / step, 9))
    return [round(start + k * step, 12) for k in range(count + 1)]


def _anchor(i: int, n: int) -> str:
    return "end" if i == n - 1 and n > 1 else ("start" if i == 0 and n > 1 else "middle")


def _extent(x: float, anchor: str, text: str) -> tuple[float, float]:
    width = len(text) * CHAR_PX
    return {"start": (x, x + width), "end": (x - width, x), "middle": (x - width / 2, x + width / 2)}[anchor]


def _apart(ticks: list[tuple[int, str]], n: int, room: float, gap: float = 6.0) -> bool:
    xs = [i * room / max(n - 1, 1) for i, _ in ticks]
    spans = [_extent(x, _anchor(i, n), text) for x, (i, text) in zip(xs, ticks)]
    return all(a[1] + gap <= b[0] for a, b in zip(spans, spans[1:]))


def month_ticks(months: list[str], lang: str, room: float) -> list[tuple[int, str]]:
    """(index, label) of the month labels to show on an axis `room` units wide: evenly spaced, as many as
    fit without touching (checked on each label's own width and anchor), the last month always shown;
    the year on the first and last labels and where it changes."""
    import datetime as dt

    from babel.dates import format_date

    from centric.i18n import fmt_month, locale_of

    n = len(months)
    if not n:
        return []
    days = [dt.date.fromisoformat(str(m)[:7] + "-01") for m in months]
    short = [format_date(d, format="LLL", locale=locale_of(lang)) for d in days]
    full = [fmt_month(d, lang) for d in days]

    def labelled(chosen):
        out, year = [], None
        for i in chosen:
            out.append((i, full[i] if days[i].year != year or i == n - 1 else short[i]))
            year = days[i].year
        return out

    for step in range(1, n + 1):  # the smallest even step at which no two labels touch
        chosen = list(range(n - 1, -1, -step))[::-1]  # counted back from the last month
        ticks = labelled(chosen)
        if _apart(ticks, n, room):
            return ticks
    return labelled([n - 1])


def _figure(svg: str, title: str, chart_id: str, note: str = "") -> str:
    caption = f'<figcaption id="{chart_id}-t">{escape(title)}</figcaption>'
    extra = f'<p class="chart-note">{escape(note)}</p>' if note else ""
    return f'<figure class="chart" id="{chart_id}">{caption}{svg}{extra}</figure>'


NARROW = 360  # the phone version's width, in viewBox units: 11-12 px text stays about 10 px at 375 px


def _svg_open(width: float, height: float, title: str, chart_id: str, cls: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" role="img" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="100%" aria-labelledby="{chart_id}-t"><title>{escape(title)}</title>')


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:max(chars - 1, 1)] + "…"


def _hbar_svg(labels, values, texts, title, width, chart_id, cls) -> str:
    longest = max((len(str(x)) for x in labels), default=4)
    left = min(width * 0.42, max(80, longest * CHAR_PX + 14))
    chars = int((left - 14) // CHAR_PX)
    right = max((len(t) for t in texts), default=4) * CHAR_PX + 12
    row = 26
    height = row * len(labels) + 16
    top = max(values) if values and max(values) > 0 else 1.0
    parts = [_svg_open(width, height, title, chart_id, cls)]
    for i, (name, value, text) in enumerate(zip(labels, values, texts)):
        y = 6 + i * row
        w = max(0.0, (width - left - right) * value / top)
        shown = _fit(str(name), chars)
        full = f"<title>{escape(str(name))}</title>" if shown != str(name) else ""
        parts.append(f'<text x="{left - 8:.0f}" y="{y + 15}" text-anchor="end" font-size="12">{full}{escape(shown)}</text>')
        parts.append(f'<rect x="{left:.0f}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                     f'fill="{PALETTE[i % len(PALETTE)]}" rx="2"/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="12">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(labels: list[str], values: list[float], title: str, width: int = 640, unit: str = "",
               lang: str = "en", value_format=None) -> str:
    """Horizontal bars, one per label, largest value the full width; values through value_format.
    Drawn twice: for wide screens and, with labels shortened where they must be, for phones."""
    show = value_format or (lambda v: _fmt(v, lang) + unit)
    texts = [show(v) for v in values]
    chart_id = f"chart-{next(_ids)}"
    svg = (_hbar_svg(labels, values, texts, title, width, chart_id, "wide")
           + _hbar_svg(labels, values, texts, title, NARROW, chart_id, "narrow"))
    return _figure(svg, title, chart_id)


def line_chart(labels: list[str], series: dict[str, list[float]], title: str,
               width: int = 640, height: int = 240, partial_last: bool = False, lang: str = "en",
               months: bool = False, y_format=None) -> str:
    """One or more lines over shared x labels (periods), on a round, zero-based y axis; drawn twice, for
    wide screens and for phones (fewer labels, the same text size).

    months: labels are YYYY-MM and read as month names in `lang`, thinned so they never collide.
    partial_last: the last period is not complete; its values are open circles apart from the line.
    y_format: value -> axis text with its unit (default: compact numbers)."""
    _ = translator(lang).gettext
    chart_id = f"chart-{next(_ids)}"
    svg = "".join(_line_svg(labels, series, title, w, height, partial_last, lang, months, y_format, chart_id, cls)
                  for w, cls in ((width, "wide"), (NARROW, "narrow")))
    note = _("* Partial month: the data end inside it, so it is an open point, not part of the line.") \
        if partial_last and labels else ""
    return _figure(svg, title, chart_id, note)


def _line_svg(labels, series, title, width, height, partial_last, lang, months, y_format, chart_id, cls) -> str:
    fmt_y = y_format or (lambda v: _fmt(v, lang))
    all_values = [v for vs in series.values() for v in vs if v == v] or [0.0]
    grid = nice_ticks(min(min(all_values), 0.0), max(max(all_values), 0.0))
    low, top = grid[0], grid[-1]
    span = (top - low) or 1.0
    left = max(len(fmt_y(v)) for v in grid) * CHAR_PX + 14
    right, top_pad, bottom = 24, 12, 48
    n = max(len(labels), 1)
    room = width - left - right
    legend, row, lx = [], 0, left  # legend items wrap onto more rows when the chart is narrow
    for name in series:
        item = (len(name) + 3) * CHAR_PX + 12
        if lx + item > width and lx > left:
            row, lx = row + 1, left
        legend.append((lx, row))
        lx += item
    height = height + 16 * row

    def x(i: int) -> float:
        return left + room * (i / max(n - 1, 1))

    def y(v: float) -> float:
        return top_pad + (height - 16 * row - top_pad - bottom) * (1 - (v - low) / span)

    parts = [_svg_open(width, height, title, chart_id, cls)]
    for v in grid:
        parts.append(f'<line x1="{left:.0f}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6:.0f}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{escape(fmt_y(v))}</text>')
    if months:
        ticks = month_ticks([str(s) for s in labels], lang, room)
    else:
        ticks = [(n - 1, str(labels[-1]))] if labels else []
        for step in range(1, n + 1):
            candidate = [(i, str(labels[i])) for i in range(n - 1, -1, -step)][::-1]
            if _apart(candidate, n, room):
                ticks = candidate
                break
    shown = dict(ticks)
    if partial_last and labels:
        shown[n - 1] = shown.get(n - 1, "") + "*"
    base = height - 16 * row
    for i, text in sorted(shown.items()):
        parts.append(f'<text class="x-tick" x="{x(i):.1f}" y="{base - 30}" text-anchor="{_anchor(i, n)}" '
                     f'font-size="11">{escape(text)}</text>')
    for k, ((name, values), (lx, lrow)) in enumerate(zip(series.items(), legend)):
        color = PALETTE[k % len(PALETTE)]
        solid = values[:-1] if partial_last and len(values) > 1 else values
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(solid))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        if len(solid) < len(values):
            i = len(values) - 1
            parts.append(f'<circle class="partial" cx="{x(i):.1f}" cy="{y(values[i]):.1f}" r="4" fill="white" '
                         f'stroke="{color}" stroke-width="2"><title>{escape(fmt_y(values[i]))}</title></circle>')
        parts.append(f'<text x="{lx:.0f}" y="{base - 8 + 16 * lrow}" font-size="11" fill="{color}">&#9632; '
                     f'<tspan fill="#1d2330">{escape(name)}</tspan></text>')
    parts.append("</svg>")
    return "".join(parts)
