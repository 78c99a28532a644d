"""Keep the catalogues in step with the sources: extract every message (Python `_`, `N_`, `gettext`,
`ngettext`; Jinja2 templates) into locale/centric.pot and merge it into the es, ca and pt catalogues.

    python -m centric.i18n.extract          # rewrite the POT and update the .po files
    python -m centric.i18n.extract --check  # exit 1 when a source message is missing from the POT

A new message arrives in each .po with an empty msgstr; tests/i18n/test_catalogues.py fails until
someone translates it. Translations of messages that left the sources are dropped (kept as obsolete
comments by Babel's update).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from centric.i18n.catalog import DOMAIN, LANGUAGES, LOCALE_DIR, po_path

PACKAGE = Path(__file__).resolve().parents[1]  # src/centric
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "pgettext": ((1, "c"), 2)}
METHODS = [
    ("**/i18n/extract.py", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.j2", "jinja2"),
]
OPTIONS = {"**/templates/**.j2": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
POT = LOCALE_DIR / f"{DOMAIN}.pot"


def extract_catalog():
    """Every message of the sources, as a Babel Catalog (locations relative to src/centric)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="centric", domain=DOMAIN, charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), METHODS, options_map=OPTIONS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _write(catalog, path: Path, **kw) -> None:
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    write_po(buf, catalog, width=100, omit_header=False, sort_output=True, **kw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def update() -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    template = extract_catalog()
    _write(template, POT, include_lineno=False)
    for lang in LANGUAGES:
        if lang == "en":
            continue
        path = po_path(lang)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang, domain=DOMAIN)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="centric")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write(catalog, path, include_lineno=False, ignore_obsolete=True)


def missing_from_pot() -> set[str]:
    from babel.messages.pofile import read_po

    with POT.open("rb") as fh:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    return {m.id if isinstance(m.id, str) else m.id[0] for m in extract_catalog() if m.id} - known


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        missing = missing_from_pot()
        for message in sorted(missing):
            print(f"not in {POT.name}: {message!r}")
        return 1 if missing else 0
    update()
    print(f"wrote {POT} and the catalogues of {', '.join(lang for lang in LANGUAGES if lang != 'en')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
