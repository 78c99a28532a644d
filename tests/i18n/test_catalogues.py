"""Every message a person reads exists in en, es, ca and pt: each catalogue translates every message of
the POT (no empty msgstr, no fuzzy entry), keeps the msgid's placeholders, and the POT holds every
message of the sources (so a new `_()` cannot ship untranslated)."""

from __future__ import annotations

import re

import pytest

from centric.i18n.catalog import LANGUAGES, po_path
from centric.i18n.extract import POT, missing_from_pot

PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|\{\w*\}|%[sdf]")
OTHERS = [lang for lang in LANGUAGES if lang != "en"]


def _read(path):
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        return read_po(fh)


def _ids(message):
    return list(message.id) if isinstance(message.id, (tuple, list)) else [message.id]


def _strings(message):
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def test_the_pot_holds_every_message_of_the_sources():
    missing = missing_from_pot()
    assert not missing, f"run `python -m centric.i18n.extract` and translate: {sorted(missing)[:10]}"


@pytest.mark.parametrize("lang", OTHERS)
def test_every_message_is_translated(lang):
    template = {_ids(m)[0] for m in _read(POT) if m.id}
    catalog = _read(po_path(lang))
    translated = {}
    for m in catalog:
        if not m.id:
            continue
        assert "fuzzy" not in m.flags, f"{lang}: fuzzy translation of {m.id!r}"
        assert all(s and s.strip() for s in _strings(m)), f"{lang}: no translation of {m.id!r}"
        translated[_ids(m)[0]] = m
    assert template, "the POT is empty"
    assert not template - set(translated), f"{lang} misses {sorted(template - set(translated))[:10]}"


@pytest.mark.parametrize("lang", OTHERS)
def test_placeholders_match(lang):
    for m in _read(po_path(lang)):
        if not m.id:
            continue
        wanted = sorted(PLACEHOLDER.findall(_ids(m)[-1]))
        for s in _strings(m):
            assert sorted(PLACEHOLDER.findall(s)) == wanted, f"{lang}: {m.id!r} -> {s!r}"


def _bare_percents(text: str) -> int:
    """'%' signs that are neither a placeholder nor an escaped '%%': new-style Jinja gettext formats
    every message, so a stray '% d' in a translation ('% de clients') breaks the page."""
    return PLACEHOLDER.sub("", text.replace("%%", "")).count("%")


@pytest.mark.parametrize("lang", OTHERS)
def test_no_stray_percent_signs(lang):
    for m in _read(po_path(lang)):
        if not m.id:
            continue
        for s in _strings(m):
            assert _bare_percents(s) == _bare_percents(_ids(m)[-1]), f"{lang}: {m.id!r} -> {s!r}"


def test_the_placeholder_check_can_fail():
    assert _bare_percents("% de clients") == 1 and _bare_percents("95%% de %(n)s") == 0
    assert sorted(PLACEHOLDER.findall("%(n)s of %(total)s")) != sorted(PLACEHOLDER.findall("%(n)s de %(tota)s"))


def test_translators_translate():
    from centric.i18n import gettext, label

    assert gettext("Revenue", "ca") == "Vendes" and gettext("Revenue", "es") == "Ventas"
    assert gettext("Revenue", "en") == "Revenue" and gettext("Revenue", "fr") == "Revenue"
    assert label("paid_social", "ca") == "Xarxes socials de pagament"
    assert label("my_own_channel", "ca") == "My own channel"
