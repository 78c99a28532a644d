"""Numbers, money, percentages and dates as a person reads them in their language (Babel, CLDR data).

Rule: every figure a person reads goes through one of these functions with the reader's language;
a missing value (None or NaN) reads as an en dash. Languages map to the shops' locales: en -> en_GB,
es -> es_ES, ca -> ca_ES, pt -> pt_PT, so that 1234.56 EUR reads "€1,234.56" in English and
"1.234,56 €" in Catalan and Spanish.

- fmt_number(value, lang, digits=None): digits=None shows whole numbers and anything of 100 or more
  without decimals, the rest with two.
- fmt_money(value, currency, lang, digits=2): the currency's symbol where the locale has one.
- fmt_percent(value, lang, digits=1): value is a share (0.497 -> "49.7%").
- fmt_points(value, lang, digits=1): a score already on a 0-100 scale, shown with its sign when
  negative (NPS points), no % sign.
- fmt_date(value, lang, format="medium"), fmt_month(value, lang): dates and "Dec 2010" month labels.
"""

from __future__ import annotations

import datetime as dt
import re

from centric.i18n.languages import normalise

MISSING = "–"
LOCALES = {"en": "en_GB", "es": "es_ES", "ca": "ca_ES", "pt": "pt_PT"}


def locale_of(lang: str | None) -> str:
    """The Babel locale a language is formatted in (en_GB for anything unknown)."""
    return LOCALES.get(normalise(lang) or "en", "en_GB")


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return value != value  # NaN, pandas NA raises TypeError
    except TypeError:
        return True


def _pattern(digits: int, prefix: str = "#,##0") -> str:
    return prefix + ("." + "0" * digits if digits > 0 else "")


def fmt_number(value, lang: str | None, digits: int | None = None) -> str:
    """A count or measure: 1234 -> '1,234' (en) / '1.234' (ca)."""
    if _missing(value):
        return MISSING
    from babel.numbers import format_decimal

    value = float(value)
    if digits is None:
        digits = 0 if (abs(value) >= 100 or value.is_integer()) else 2
    return format_decimal(round(value, digits), format=_pattern(digits), locale=locale_of(lang),
                          decimal_quantization=True)


def fmt_money(value, currency: str | None, lang: str | None, digits: int = 2) -> str:
    """An amount in a currency: 1234.56 EUR -> '€1,234.56' (en) / '1.234,56 €' (ca, es); digits=0 for
    totals ('1.235 €'). The locale's own currency pattern, with only the decimals changed."""
    if _missing(value):
        return MISSING
    if not currency:
        return fmt_number(value, lang, digits)
    from babel import Locale
    from babel.numbers import format_currency

    loc = Locale.parse(locale_of(lang))
    pattern = loc.currency_formats["standard"].pattern.split(";")[0]
    pattern = re.sub(r"#[#,]*0(\.0+)?", _pattern(digits), pattern, count=1)
    return format_currency(round(float(value), digits), str(currency).upper(), format=pattern, locale=loc,
                           currency_digits=False)


def fmt_percent(value, lang: str | None, digits: int = 1) -> str:
    """A share as a percentage: 0.497 -> '49.7%' (en) / '49,7 %' or '49,7%' per locale."""
    if _missing(value):
        return MISSING
    from babel.numbers import format_percent

    return format_percent(float(value), format=_pattern(digits) + "%", locale=locale_of(lang))


def fmt_points(value, lang: str | None, digits: int = 1) -> str:
    """A score on a 0-100 (or -100..100) scale: NPS 31.5 -> '31.5' / '31,5'."""
    if _missing(value):
        return MISSING
    from babel.numbers import format_decimal

    return format_decimal(round(float(value), digits), format=_pattern(digits), locale=locale_of(lang))


def _as_date(value):
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime()
    text = str(value).strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        if len(text) == 7:  # YYYY-MM
            return dt.date.fromisoformat(text + "-01")
        raise


def fmt_date(value, lang: str | None, format: str = "medium") -> str:
    """A date ('9 Dec 2010' / '9 de des. 2010'); format is a Babel name (short, medium, long) or pattern."""
    if _missing(value) or value == "":
        return MISSING
    from babel.dates import format_date

    day = _as_date(value)
    if isinstance(day, dt.datetime):
        day = day.date()
    return format_date(day, format=format, locale=locale_of(lang))


def fmt_month(value, lang: str | None, long: bool = False) -> str:
    """A month: 'Dec 2010' / 'des. 2010' (stand-alone abbreviation), or 'desembre del 2010' when long."""
    if _missing(value) or value == "":
        return MISSING
    from babel.dates import format_date, format_skeleton

    day = _as_date(value)
    if isinstance(day, dt.datetime):
        day = day.date()
    if long:
        return format_skeleton("yMMMM", day, locale=locale_of(lang))
    return format_date(day, format="LLL y", locale=locale_of(lang))


def fmt_compact(value, lang: str | None, currency: str | None = None) -> str:
    """An axis tick: 250000 -> '250k' / '250 mil', with the currency when given ('£250k', '250 k £')."""
    if _missing(value):
        return MISSING
    from babel.numbers import format_compact_currency, format_compact_decimal

    value = float(value)
    digits = 0 if value.is_integer() and abs(value) < 1000 else 1
    if currency:
        return format_compact_currency(value, str(currency).upper(), locale=locale_of(lang), fraction_digits=digits)
    return format_compact_decimal(value, locale=locale_of(lang), fraction_digits=digits)
