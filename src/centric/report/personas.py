"""Persona cards as Markdown, HTML or JSON, in the reader's language. Customer text is escaped in every
format that renders markup.

Names and summaries are generated in English from the members' figures (models/segmentation/naming.py
and personas.narrative); `localise_cards` reads them in es, ca or pt: the name is parsed back into the
parts naming.py builds it from (interests "X & Y lovers", an age band, "in PLACES", "outside PLACE",
a high/low trait, "women", "Spanish speakers", "came via CHANNEL") and each part is translated by its
template; the summary is written again from the card's own figures (i18n/persona_text.py). Shop data
inside a name (tags, cities) stay as the shop wrote them; a part no template knows stays English.
"""

from __future__ import annotations

import html
import json

from centric.i18n.persona_text import localise_cards, persona_name, persona_summary  # noqa: F401 - public here


def localise_partition(cards: list[dict], lang: str) -> list[dict]:
    """The stability verdict of the cards in `lang` (report/notes.py) when the cards carry its facts;
    `stability.partition_lang` says which language the partition note is in (older cards: English)."""
    from centric.report.notes import partition_note

    for card in cards:
        stability = card.get("stability")
        if not isinstance(stability, dict):
            continue
        text = partition_note(stability.get("verdict"), lang)
        stability["partition"], stability["partition_lang"] = (text, lang) if text else (stability.get("partition"), "en")
    return cards


def _md(text) -> str:
    """Markdown-safe text: HTML escaped (Markdown passes raw HTML through) and line breaks flattened."""
    return html.escape(str(text)).replace("\n", " ").replace("|", "&#124;")


def to_markdown(cards: list[dict], shop_name: str = "") -> str:
    out = [f"# Buyer personas{' · ' + _md(shop_name) if shop_name else ''}", ""]
    partition = (cards[0].get("stability") or {}).get("partition") if cards else None
    if partition:
        out += [_md(partition), ""]
    for c in cards:
        out += [f"## {c['persona_id']}. {_md(c['name'])}", "", _md(c["summary"]), ""]
        if c["traits"]:
            out += ["| trait | in persona | in shop | lift |", "|---|---|---|---|"]
            for t in c["traits"][:8]:
                label = f"{t['variable']} = {t['value']}" if t["value"] is not None else t["variable"]
                out.append(f"| {_md(label)} | {t['in_group']} | {t['in_shop']} | {t['lift']} |")
            out.append("")
        for q in c["quotes"]:
            out.append(f"> {_md(q['text'])} ({_md(q['language'] or '?')}{', ' + _md(q['theme']) if q['theme'] else ''})")
            out.append("")
    return "\n".join(out)


def to_html(cards: list[dict], shop_name: str = "", lang: str = "en", currency: str | None = None) -> str:
    """The cards as one offline page in `lang` (names and summaries localised, <html lang> to match)."""
    from centric.i18n import normalise, translator
    from centric.report.render import environment

    lang = normalise(lang) or "en"
    _ = translator(lang).gettext
    cards = localise_partition(localise_cards(cards, lang, currency) if lang != "en" else cards, lang)
    env = environment(lang)
    body = env.get_template("persona_cards.html.j2").render(cards=cards)
    stability = (cards[0].get("stability") or {}) if cards else {}
    if stability.get("partition"):
        mark = "" if stability.get("partition_lang", lang) == lang else ' lang="en"'
        body = f'<p class="note"{mark}>{html.escape(stability["partition"])}</p>' + body
    style = env.get_template("persona_cards.css").render()
    title = html.escape(f"{_('Buyer personas')} · {shop_name}" if shop_name else _("Buyer personas"))
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
            f"content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>{title}</title>"
            f"<style>body {{ font-family: system-ui, sans-serif; margin: 24px; background: #f6f7fb; }}{style}</style>"
            f"</head><body><h1>{title}</h1>{body}</body></html>")


def to_json(cards: list[dict]) -> str:
    return json.dumps(cards, ensure_ascii=False, indent=2)
