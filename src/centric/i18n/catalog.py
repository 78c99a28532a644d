"""The message catalogues: one gettext domain, `centric`, English msgids, es/ca/pt translations.

Rule: the .po files under `locale/<lang>/LC_MESSAGES/centric.po` are the source of truth; they are
compiled in memory with Babel the first time a language is asked for (no .mo file to go stale, no
build step, nothing from the network). English needs no catalogue: the msgid is the English text.
An unknown language falls back to English. Placeholders are Python's named form, `%(name)s`.

`N_` marks a string for extraction without translating it (tables of labels defined at import time);
the string is translated where it is shown, with `translator(lang).gettext`.
"""

from __future__ import annotations

import gettext as _gettext
import io
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "es", "ca", "pt")
DOMAIN = "centric"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a message for extraction; return it untranslated."""
    return message


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translator(lang: str | None) -> _gettext.NullTranslations:
    """The translations of one language (gettext/ngettext/pgettext); English or unknown: identity."""
    from centric.i18n.negotiate import normalise

    code = normalise(lang)
    if code is None or code == "en" or not po_path(code).exists():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(code).open("rb") as fh:
        catalog = read_po(fh, locale=code, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def gettext(message: str, lang: str | None) -> str:
    return translator(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str | None) -> str:
    return translator(lang).ngettext(singular, plural, n)


def install(env, lang: str | None) -> None:
    """Give a Jinja2 environment `_`, `gettext` and `ngettext` in `lang` (new-style: `_("%(n)s x", n=1)`
    formats and escapes), and the formatting functions as globals bound to that language."""
    from centric.i18n import formatting, labels

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
        fmt_month=lambda v: formatting.fmt_month(v, lang),
        label=lambda key: labels.label(key, lang),
        transition_label=lambda text: labels.transition_label(text, lang),
    )
