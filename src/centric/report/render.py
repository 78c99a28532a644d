"""Render the self-contained HTML report from sections prepared by services/report.py, in one language.

The Jinja2 environment has autoescape on, gettext `_()` in the reader's language (centric.i18n) and
the locale formatting functions (fmt_number, fmt_money, fmt_percent, fmt_date, fmt_month, label) as
globals; the old `num`, `money` and `pct` filters format in that language too.
"""

from __future__ import annotations

from pathlib import Path


def environment(lang: str | None = "en"):
    """The Jinja2 environment of every page: autoescape on, translations and number formats of `lang`."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from centric.i18n import fmt_money, fmt_number, fmt_percent, install

    env = Environment(loader=PackageLoader("centric.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      extensions=["jinja2.ext.i18n"])
    install(env, lang)
    env.filters["money"] = lambda v, cur="", digits=2: fmt_money(v, cur or None, lang, digits)
    env.filters["num"] = lambda v, digits=0: fmt_number(v, lang, digits)
    env.filters["dec"] = lambda v, digits=2: fmt_number(v, lang, digits)
    env.filters["pct"] = lambda v, digits=1: fmt_percent(v, lang, digits)
    return env


def render_report(context: dict, lang: str | None = None) -> str:
    lang = lang or context.get("lang") or "en"
    return environment(lang).get_template("report.html.j2").render(**context)


def write_html(html: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
