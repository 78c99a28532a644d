"""Jinja2 pages in one language: gettext `_()` (new-style, so `_("%(n)s x", n=1)` formats and escapes)
and the locale formatting functions bound to that language as globals."""

from __future__ import annotations

from centric.i18n import formatting, labels
from centric.i18n.catalog import translator


def install(env, lang: str | None) -> None:
    """Give a Jinja2 environment `_`, `gettext` and `ngettext` in `lang` (new-style: `_("%(n)s x", n=1)`
    formats and escapes), and the formatting functions as globals bound to that language."""
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    env.install_gettext_translations(translator(lang), newstyle=True)
    env.globals.update(
        lang=lang or "en",
        fmt_number=lambda v, digits=None: formatting.fmt_number(v, lang, digits),
        fmt_money=lambda v, currency, digits=2: formatting.fmt_money(v, currency, lang, digits),
        fmt_percent=lambda v, digits=1: formatting.fmt_percent(v, lang, digits),
        fmt_points=lambda v, digits=1: formatting.fmt_points(v, lang, digits),
        fmt_date=lambda v, format="medium": formatting.fmt_date(v, lang, format),
        fmt_month=lambda v, long=False: formatting.fmt_month(v, lang, long),
        label=lambda key: labels.label(key, lang),
        transition_label=lambda text: labels.transition_label(text, lang),
    )
