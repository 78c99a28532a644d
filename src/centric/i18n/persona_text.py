"""Persona names and summaries in the reader's language.

Rule: naming.py (a pure model) builds each name in English from fixed parts joined by ", ": interests
("X & Y lovers"), a high/low trait ("frequent buyers"), an age band ("25-34", "65+", "under 18"), a
place ("in A, B & C" or "outside A"), "women"/"men", "Spanish speakers", "came via CHANNEL",
"customers", with " (2)" added only when nothing else tells two apart. persona_name parses those parts
back and translates each with its own message; data inside them (tags, cities, countries) are left as
the shop wrote them. persona_summary writes the card's summary again from its figures, in every
language (English too, so money carries the currency). An English name is returned as it is.
"""

from __future__ import annotations

import re

from centric.i18n.catalog import N_, translator
from centric.i18n.formatting import fmt_money, fmt_number, fmt_percent
from centric.i18n.labels import label

PHRASES = {p: p for p in (
    N_("frequent buyers"), N_("one-off buyers"), N_("top spenders"), N_("low spenders"), N_("big baskets"),
    N_("small baskets"), N_("many items per order"), N_("few items per order"), N_("app shoppers"),
    N_("web shoppers"), N_("discount hunters"), N_("full-price buyers"), N_("evening shoppers"),
    N_("daytime shoppers"), N_("weekend shoppers"), N_("weekday shoppers"), N_("frequent returners"),
    N_("rare returners"), N_("long quiet"), N_("recent buyers"), N_("high expected value"),
    N_("low expected value"), N_("women"), N_("men"), N_("customers"), N_("under 18"), N_("All customers"),
    N_("English speakers"), N_("Spanish speakers"), N_("Catalan speakers"), N_("Portuguese speakers"),
    N_("French speakers"), N_("German speakers"), N_("Italian speakers"),
)}
LANGUAGE_NAMES = {"en": N_("English"), "es": N_("Spanish"), "ca": N_("Catalan"), "pt": N_("Portuguese"),
                  "fr": N_("French"), "de": N_("German"), "it": N_("Italian")}
_NUMBER = re.compile(r"^(.*) \((\d+)\)$")


def _tokens(name: str) -> list[str]:
    """The parts of a generated name; a place list 'in A, B & C' is one part."""
    raw = name.split(", ")
    out: list[str] = []
    for token in raw:
        if out and out[-1].lower().startswith(("in ", "outside ")) and " & " not in out[-1] \
                and " & " in token and not token.endswith(" lovers"):
            out[-1] += ", " + token
        else:
            out.append(token)
    return out


def _part(token: str, _) -> str:
    low = token[:1].lower() + token[1:]
    if low in PHRASES:
        return _(PHRASES[low])
    if low.endswith(" lovers"):
        return _("%(interests)s lovers") % {"interests": low[:-len(" lovers")]}
    if low.startswith("in "):
        return _("in %(place)s") % {"place": token[3:]}
    if low.startswith("outside "):
        return _("outside %(place)s") % {"place": token[8:]}
    if low.startswith("came via "):
        return _("came via %(channel)s") % {"channel": label(token[9:].replace(" ", "_"), _.lang)}
    return token  # an age band ("25-34", "65+") or a part no template knows


def persona_name(name: str, lang: str | None) -> str:
    """A generated persona name in `lang` ('Gardening lovers, 45-54, in Girona' -> 'Amants de gardening,
    45-54, a Girona')."""
    if not name or (lang or "en") == "en":
        return name
    t = translator(lang)

    def _(message):
        return t.gettext(message)
    _.lang = lang
    number = _NUMBER.match(name)
    base, suffix = (number.group(1), f" ({number.group(2)})") if number else (name, "")
    text = ", ".join(_part(token, _) for token in _tokens(base))
    return text[:1].upper() + text[1:] + suffix


def _list(items: list[str], _) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return items[0] if items else ""
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def persona_summary(card: dict, lang: str | None, currency: str | None = None) -> str:
    """The card in plain sentences, in `lang`, from its figures (as personas.narrative does in English)."""
    _ = translator(lang).gettext
    pct = lambda x: fmt_percent(x, lang, 0)  # noqa: E731
    s = []
    if card.get("revenue_share") is not None:
        s.append(_("%(n)s customers (%(share)s of customers, %(revenue)s of revenue).") % {
            "n": fmt_number(card["customers"], lang), "share": pct(card["customer_share"]),
            "revenue": pct(card["revenue_share"])})
    else:
        s.append(_("%(n)s customers (%(share)s of customers).") % {
            "n": fmt_number(card["customers"], lang), "share": pct(card["customer_share"])})
    d, p, h, v, voice = (card.get(k) or {} for k in ("demographics", "places", "habits", "value", "voice"))
    who = []
    if d.get("age_median") is not None:
        who.append(_("median age %(age)s") % {"age": fmt_number(round(d["age_median"]), lang)})
    if d.get("genders"):
        who.append(f"{pct(d['genders'][0]['share'])} {label(d['genders'][0]['value'], lang)}")
    if who:
        s.append(_("Who: %(who)s.") % {"who": "; ".join(who)})
    if p.get("cities"):
        s.append(_("Where: %(places)s; they speak %(languages)s.") % {
            "places": _list([f"{c['value']} ({pct(c['share'])})" for c in p["cities"]], _),
            "languages": _list([_(LANGUAGE_NAMES[x["value"]]) if x["value"] in LANGUAGE_NAMES else str(x["value"])
                                for x in p.get("languages") or []], _)})
    if (card.get("lifestyle") or {}).get("tags"):
        s.append(_("Into %(tags)s.") % {"tags": _list([str(t["value"]).replace("_", " ") for t in card["lifestyle"]["tags"]], _)})
    habits = []
    if h.get("categories"):
        habits.append(_("buy %(categories)s") % {"categories": _list([str(c["value"]).replace("_", " ") for c in h["categories"]], _)})
    if h.get("app_share") is not None:
        habits.append(_("%(share)s of orders on the app") % {"share": pct(h["app_share"])})
    if h.get("aov") is not None:
        habits.append(_("%(aov)s per order, %(orders)s orders each") % {
            "aov": fmt_money(h["aov"], currency, lang, 0) if currency else fmt_number(h["aov"], lang, 0),
            "orders": fmt_number(h.get("orders") or 0, lang, 1)})
    if h.get("discount_share"):
        habits.append(_("%(share)s of orders discounted") % {"share": pct(h["discount_share"])})
    if h.get("acquisition_channels"):
        habits.append(_("came mostly through %(channel)s") % {"channel": label(h["acquisition_channels"][0]["value"], lang)})
    if habits:
        s.append(_("Habits: %(habits)s.") % {"habits": "; ".join(habits)})
    if v.get("predicted_clv") is not None:
        value = fmt_money(v["predicted_clv"], currency, lang, 0) if currency else fmt_number(v["predicted_clv"], lang, 0)
        if v.get("high_churn_risk_share") is not None:
            s.append(_("Value: predicted lifetime value %(value)s, %(high)s at high churn risk.") % {
                "value": value, "high": pct(v["high_churn_risk_share"])})
        else:
            s.append(_("Value: predicted lifetime value %(value)s.") % {"value": value})
    if voice.get("themes"):
        said = _("They talk about %(themes)s.") % {"themes": _list([label(t["theme"], lang) for t in voice["themes"]], _)}
        if voice.get("nps") is not None:
            said += " " + _("NPS %(nps)s (%(n)s answers).") % {"nps": f"{voice['nps']:+.0f}",
                                                               "n": fmt_number(voice.get("nps_answers") or 0, lang)}
        s.append(said)
    return " ".join(s)


def localise_cards(cards: list[dict], lang: str | None, currency: str | None = None) -> list[dict]:
    """The cards with name and summary in `lang`; the summary is written again in English too, so that
    money carries the shop's currency and numbers read as the reader's locale writes them."""
    if not cards:
        return cards
    return [dict(c, name=persona_name(c["name"], lang), summary=persona_summary(c, lang, currency)) for c in cards]
