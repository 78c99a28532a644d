"""PLACEHOLDER for centric.i18n (issue 20, part 2, built on the `i18n` branch): the dashboard's
translation and locale formatting in one place, so the lead swaps this module for centric.i18n's.

Rule: every user-visible string of the dashboard goes through ``gettext_for(lang)`` (installed in
Jinja2 as ``_``) and every number through ``fmt_number``, ``fmt_money``, ``fmt_percent`` and
``fmt_date``, all taking the language. Until the catalogues land, ``_`` returns the English text;
the formatting already follows the locale through Babel. The language is ``?lang=``, then the
browser's Accept-Language, then the workspace default (``choose_language``).
"""

from __future__ import annotations

import datetime as dt

LANGUAGES = ("en", "es", "ca", "pt")
_LOCALES = {"en": "en_GB", "es": "es_ES", "ca": "ca_ES", "pt": "pt_PT"}


def gettext_for(lang: str):
    """The `_` of a language. PLACEHOLDER: English text until centric.i18n's catalogues are merged."""
    def _(message: str, **values) -> str:
        return message % values if values else message
    return _


def choose_language(query_lang: str | None, accept_language: str | None, default: str = "en") -> str:
    """?lang= when it is one of ours, else the first of ours in Accept-Language (by q), else the default."""
    if query_lang and query_lang.lower()[:2] in LANGUAGES:
        return query_lang.lower()[:2]
    ranked = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag:
            ranked.append((-q, i, tag.strip().lower()[:2]))
    for _q, _i, lang in sorted(ranked):
        if lang in LANGUAGES:
            return lang
    return default if default in LANGUAGES else "en"


def _locale(lang: str) -> str:
    return _LOCALES.get(lang, "en_GB")


def fmt_number(value, lang: str, digits: int = 0) -> str:
    if value is None:
        return "–"
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def fmt_money(value, currency: str, lang: str, digits: int = 0) -> str:
    if value is None:
        return "–"
    from babel.numbers import format_currency

    return format_currency(value, currency, locale=_locale(lang), format_type="standard",
                           currency_digits=False, decimal_quantization=True,
                           format=None if digits else "¤#,##0" if lang == "en" else "#,##0 ¤")


def fmt_percent(value, lang: str, digits: int = 0) -> str:
    """A share 0-1 as a percentage."""
    if value is None:
        return "–"
    from babel.numbers import format_percent

    return format_percent(value, format="#,##0" + ("." + "0" * digits if digits else "") + "%",
                          locale=_locale(lang))


def fmt_date(value, lang: str) -> str:
    if value is None:
        return "–"
    from babel.dates import format_date

    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, format="medium", locale=_locale(lang))
