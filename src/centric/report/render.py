"""Render the self-contained HTML report from sections prepared by services/report.py."""

from __future__ import annotations

from pathlib import Path


def environment():
    """The Jinja2 environment of every page: autoescape on, number filters."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("centric.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True))
    env.filters["money"] = lambda v, cur="": f"{v:,.2f} {cur}".strip() if v is not None else "–"
    env.filters["num"] = lambda v: f"{v:,.0f}" if v is not None else "–"
    env.filters["pct"] = lambda v: f"{100 * v:.1f}%" if v is not None else "–"
    return env


def render_report(context: dict) -> str:
    return environment().get_template("report.html.j2").render(**context)


def write_html(html: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
