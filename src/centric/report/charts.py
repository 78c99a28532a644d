"""Small SVG charts, rendered offline and inlined in the report (no JavaScript, no network).

Every label passes through xml escaping: chart labels can be customer or product text.
"""

from __future__ import annotations

from html import escape

PALETTE = ["#2f6fdf", "#e07b39", "#3aa17e", "#c2417b", "#7a5cc8", "#d6a419", "#4aa3c9", "#8c8c8c"]


def _fmt(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.0f}k"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round axis values (1, 2, 2.5 or 5 times a power of ten) from at or below low to at or above high."""
    import math

    if high <= low:
        high = low + 1.0
    raw = (high - low) / (most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    count = math.ceil(round((high - start) / step, 9))
    return [start + k * step for k in range(count + 1)]


def hbar_chart(labels: list[str], values: list[float], title: str, width: int = 640, unit: str = "") -> str:
    """Horizontal bars, one per label, largest value the full width."""
    row, left, right = 26, 170, 70
    height = row * len(labels) + 40
    top = max(values) if values and max(values) > 0 else 1.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 20 + i * row
        w = max(0.0, (width - left - right) * value / top)
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(str(label))}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                     f'fill="{PALETTE[i % len(PALETTE)]}" rx="2"/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="12">{escape(_fmt(value))}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(labels: list[str], series: dict[str, list[float]], title: str,
               width: int = 640, height: int = 240, partial_last: bool = False) -> str:
    """One or more lines over shared x labels (periods), with a zero-based y axis.

    partial_last: the last period is not complete (the data end inside it). Its values are drawn as
    open circles apart from the line, and its label says so, so a part month does not read as a
    collapse."""
    left, right, top_pad, bottom = 60, 20, 20, 40
    n = max(len(labels), 1)
    all_values = [v for vs in series.values() for v in vs] or [0.0]
    grid = nice_ticks(min(min(all_values), 0.0), max(max(all_values), 0.0))
    low, top = grid[0], grid[-1]
    span = (top - low) or 1.0

    def x(i: int) -> float:
        return left + (width - left - right) * (i / max(n - 1, 1))

    def y(v: float) -> float:
        return top_pad + (height - top_pad - bottom) * (1 - (v - low) / span)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for v in grid:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{escape(_fmt(v))}</text>')
    shown = [str(label) for label in labels]
    if partial_last and shown:
        shown[-1] += " (partial)"
    # as many labels as fit side by side at ~6.5 px a character, the last one always shown
    room = (width - left - right) / max(max((len(s) for s in shown), default=1) * 6.5 + 10, 1)
    step = max(1, -(-n // max(int(room), 1)))
    ticks = list(range(0, n, step))
    if ticks and ticks[-1] != n - 1:
        ticks[-1] = n - 1
    for i in ticks:
        anchor = "end" if i == n - 1 and n > 1 else "middle"
        parts.append(f'<text x="{x(i):.1f}" y="{height - 18}" text-anchor="{anchor}" font-size="11">'
                     f'{escape(shown[i])}</text>')
    for k, (name, values) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        solid = values[:-1] if partial_last and len(values) > 1 else values
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(solid))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        if len(solid) < len(values):
            i = len(values) - 1
            parts.append(f'<circle class="partial" cx="{x(i):.1f}" cy="{y(values[i]):.1f}" r="4" fill="white" '
                         f'stroke="{color}" stroke-width="2"><title>{escape(shown[i])}: {escape(_fmt(values[i]))}</title>'
                         f'</circle>')
        parts.append(f'<text x="{left + 8 + 140 * k}" y="{height - 2}" font-size="11" fill="{color}">&#9632; {escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
