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

from centric.i18n.languages import LANGUAGES, normalise

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
