"""Write one demo feedback text the way customers write, and say what it says (``write`` -> ``Written``).

A text about planted themes and polarities is one of: a word or an emoji (surveys and social posts
often are); a sarcastic complaint; a mixed text, balanced (neutral) or ending on a verdict that
decides it; a neutral text, often with a lukewarm sentence; or plain praise or complaint, some of
its clauses written as negated opposites, with openers and closers. Catalan writers slip into
Spanish and Spanish writers from Catalonia into Catalan; then come the slips of hurried writers
(no accents, stretched words, lower case, typos). The sentiment returned is what the text says,
whatever the planted polarities were: a verdict decides a mixed text, a short answer names no theme,
an emoji answer has no language. ``traits`` records how the text was written, so that figures can
be read per trait.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from centric.demo import voices
from centric.demo.texts import (BUT, CLAUSES, CLOSERS, HEDGED, JOIN, NEUTRAL, NEUTRAL_CLOSERS, NEUTRAL_OPENERS,
                                OPENERS)

# How often each way of writing occurs. A survey comment or a social post is often a word or an
# emoji, a ticket never; sarcasm is commonest on social media.
SHORT_SHARE = {"review": 0.05, "survey": 0.12, "csat": 0.12, "social": 0.1, "ticket": 0.0}
EMOJI_ONLY_SHARE = 0.35  # of short answers
SARCASM_SHARE = {"review": 0.12, "survey": 0.08, "csat": 0.08, "social": 0.3, "ticket": 0.05}  # of complaints
NEGATED_SHARE = 0.25  # an opinion clause written as its negated opposite ("not bad at all")
VERDICT_SHARE = 0.5  # mixed texts that end on a verdict, which decides them
AFTER_BUT_WINS = 0.7  # the verdict takes the side of the clause after "but"
LUKEWARM_SHARE = 0.5  # neutral texts with a lukewarm sentence ("not bad, not great")
MOOD_EMOJI_SHARE = 0.08
CODE_SWITCH_SHARE = {"ca": 0.15, "es": 0.04}  # Catalan writers slipping into Spanish, and the other way
ACCENTLESS_SHARE = 0.2  # es, ca, pt written without accents (a phone, a hurry)
STRETCH_SHARE = 0.06  # "muuuy", "!!!"
LOWER_SHARE = 0.1
TYPO_SHARE = 0.25


@dataclass(frozen=True)
class Written:
    """A feedback text and what it says: its overall sentiment, the (theme, polarity) of each opinion
    in it, and its language (None for an answer of emoji only)."""

    text: str
    sentiment: str
    aspects: tuple[tuple[str, str], ...]
    language: str | None
    traits: tuple[str, ...] = ()  # how it is written: short, emoji, sarcastic, negated, verdict, mixed, lukewarm, ...

    @property
    def themes(self) -> tuple[str, ...]:
        return tuple(theme for theme, _ in self.aspects)


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def write(rng: np.random.Generator, language: str, themes: list[str], polarity: list[str], product: str,
          source: str = "review") -> Written:
    """One feedback text about ``themes`` with their planted ``polarity`` (positive, negative, neutral).

    The text is a short answer, a sarcastic complaint, a mixed text (balanced: neutral; or ending on a
    verdict that decides it), a lukewarm neutral text, or plain opinions, some written as negated
    opposites; then the slips of hurried writers. The sentiment returned is what the text says."""
    product = product.lower()
    overall = polarity[0] if len(set(polarity)) == 1 else "mixed"
    if overall != "mixed" and rng.random() < SHORT_SHARE.get(source, 0.05):
        return _short(rng, language, overall)
    traits: list[str] = []
    clause_languages = [language] * len(themes)
    switch = rng.random() < CODE_SWITCH_SHARE.get(language, 0.0)
    if switch and language == "ca" and len(themes) > 1 and rng.random() < 0.5:
        clause_languages[-1] = "es"  # the second half said in Spanish
        traits.append("code_switch")
        switch = False
    aspects = tuple(zip(themes, polarity))
    if overall == "negative" and rng.random() < SARCASM_SHARE.get(source, 0.1):
        text, sentiment = _sarcastic(rng, language, themes, product, clause_languages), "negative"
        traits.append("sarcastic")
    elif overall == "mixed":
        text, sentiment = _mixed(rng, language, themes, polarity, product, clause_languages, traits)
    elif overall == "neutral":
        text, sentiment = _neutral(rng, language, themes, product, clause_languages, traits), "neutral"
    else:
        text, sentiment = _opinion(rng, language, themes, overall, product, clause_languages, traits), overall
    if switch:
        text = _switch(rng, language, text)
        traits.append("code_switch")
    if rng.random() < MOOD_EMOJI_SHARE and not text.endswith(tuple(voices.SARCASTIC_TAILS[language][:4])):
        text += " " + _pick(rng, voices.MOOD_EMOJI[sentiment])
    text = _slips(rng, language, text, traits)
    return Written(text, sentiment, aspects, language, tuple(dict.fromkeys(traits)))


def _clause(rng, language: str, theme: str, polarity: str, product: str, traits: list[str] | None = None) -> str:
    """An opinion about a theme: a plain clause, or (sometimes, when ``traits`` records it) the negated opposite."""
    if polarity == "neutral":
        return _expand(rng, _pick(rng, NEUTRAL[theme][language])).format(p=product)
    side = 0 if polarity == "positive" else 1
    if traits is not None and rng.random() < NEGATED_SHARE:
        traits.append("negated")
        noun, gender = voices.NOUNS[theme][language]
        text = _pick(rng, voices.NEGATED[language][side]).replace("{the}", noun.replace("{p}", product))
        return re.sub(r"\{(\w+)\|(\w+)\}", lambda m: m.group(2 if gender == "f" else 1), text)
    return _expand(rng, _pick(rng, CLAUSES[theme][language][side])).format(p=product)


def _expand(rng, phrase: str) -> str:
    """One alternative of each [a|b|c] in a phrase."""
    return re.sub(r"\[([^\]]*)\]", lambda m: _pick(rng, m.group(1).split("|")), phrase)


def _opinion(rng, language, themes, polarity, product, clause_languages, traits) -> str:
    """Praise or complaint about one or two themes, with an opener and a closer sometimes."""
    clauses = [_clause(rng, lang, theme, polarity, product, traits) for theme, lang in zip(themes, clause_languages)]
    body = clauses[0] if len(clauses) == 1 else clauses[0] + _pick(rng, JOIN[language]) + clauses[1]
    side = 0 if polarity == "positive" else 1
    parts = []
    if rng.random() < 0.5:
        hedged = rng.random() < 0.4
        parts.append(_pick(rng, HEDGED[language][side] if hedged else OPENERS[language][side]))
        if hedged:
            traits.append("hedged")
    parts.append(_capital(body) + ("!" if rng.random() < 0.2 else "."))
    if rng.random() < 0.4:
        parts.append(_pick(rng, CLOSERS[language][side]))
    return " ".join(parts)


def _mixed(rng, language, themes, polarity, product, clause_languages, traits) -> tuple[str, str]:
    """Praise of one theme and complaint about another: balanced (neutral), or ending on a verdict."""
    clauses = [_clause(rng, lang, theme, pol, product, traits)
               for theme, pol, lang in zip(themes, polarity, clause_languages)]
    text = _capital(clauses[0] + BUT[language] + clauses[1]) + "."
    if rng.random() < VERDICT_SHARE:
        traits.append("verdict")
        sentiment = polarity[1] if rng.random() < AFTER_BUT_WINS else polarity[0]
        return text + " " + _pick(rng, voices.VERDICTS[language][0 if sentiment == "positive" else 1]), sentiment
    traits.append("mixed")
    if rng.random() < 0.3:
        text = _pick(rng, NEUTRAL_OPENERS[language]) + " " + text
    return text, "neutral"


def _neutral(rng, language, themes, product, clause_languages, traits) -> str:
    """Neither praise nor complaint: a plain clause, and a lukewarm sentence or a neutral opener."""
    clauses = [_clause(rng, lang, theme, "neutral", product) for theme, lang in zip(themes, clause_languages)]
    body = _capital(clauses[0] if len(clauses) == 1 else clauses[0] + _pick(rng, JOIN[language]) + clauses[1]) + "."
    parts = [body]
    if rng.random() < LUKEWARM_SHARE:
        lukewarm = _pick(rng, voices.LUKEWARM[language])
        parts.insert(0 if rng.random() < 0.5 else 1, lukewarm)
        traits.append("lukewarm")
    elif rng.random() < 0.5:
        parts.insert(0, _pick(rng, NEUTRAL_OPENERS[language]))
    if rng.random() < 0.3:
        parts.append(_pick(rng, NEUTRAL_CLOSERS[language]))
    return " ".join(parts)


def _sarcastic(rng, language, themes, product, clause_languages) -> str:
    """A complaint in praise words: "Great, another week waiting for the parcel 🙄"."""
    first = themes[0]
    if rng.random() < 0.5:
        clauses = [_pick(rng, voices.SARCASTIC[first][clause_languages[0]]).format(p=product)]
    else:
        clauses = [_clause(rng, clause_languages[0], first, "negative", product)]
    clauses += [_clause(rng, lang, theme, "negative", product)
                for theme, lang in zip(themes[1:], clause_languages[1:])]
    body = clauses[0] if len(clauses) == 1 else clauses[0] + _pick(rng, JOIN[language][:2]) + clauses[1]
    opener = _pick(rng, voices.SARCASTIC_OPENERS[language])
    text = opener + " " + (_capital(body) if opener.endswith(".") else body)
    tail = _pick(rng, voices.SARCASTIC_TAILS[language])
    return text + (" " + tail if not tail[0].isalpha() else ", " + tail)


def _short(rng, language: str, sentiment: str) -> Written:
    """A word or two, or emoji alone (which say nothing of a language or a theme)."""
    if rng.random() < EMOJI_ONLY_SHARE:
        return Written(_pick(rng, voices.EMOJI[sentiment]), sentiment, (), None, ("emoji",))
    text = _pick(rng, voices.SHORT[language][sentiment])
    if rng.random() < 0.2:
        text += " " + _pick(rng, voices.MOOD_EMOJI[sentiment])
    return Written(text, sentiment, (), language, ("short",))


def _switch(rng, language: str, text: str) -> str:
    """A Catalan text with a Spanish marker ("Bueno, ..."), or a Spanish one with a Catalan marker."""
    markers = voices.SPANISH_IN_CATALAN if language == "ca" else voices.CATALAN_IN_SPANISH
    if text[-1:] in ".!" and rng.random() < 0.5:
        return text[:-1] + _pick(rng, markers["tail"]) + text[-1]
    return _pick(rng, markers["lead"]) + text[:1].lower() + text[1:]


_ACCENTLESS = str.maketrans({**{c: unicodedata.normalize("NFD", c)[0] for c in "áéíóúàèìòùâêôãõïüÁÉÍÓÚÀÈÒÂÊÔÃÕ"},
                             "¡": None, "¿": None, "·": "."})


def _slips(rng, language: str, text: str, traits: list[str]) -> str:
    """Hurried writing: no accents, a stretched word or "!!!", all lower case, typos."""
    if language != "en" and rng.random() < ACCENTLESS_SHARE:
        text = text.translate(_ACCENTLESS)
        traits.append("accentless")
    if rng.random() < STRETCH_SHARE:
        text = _stretch(rng, language, text)
        traits.append("stretched")
    if rng.random() < LOWER_SHARE:
        text = text.lower()
    if rng.random() < TYPO_SHARE:
        text = typo(rng, text)
        traits.append("typo")
    return text


def _stretch(rng, language: str, text: str) -> str:
    """Stretch an intensifier's last vowel (muy -> muyyy, molt -> mooolt), else end with "!!!"."""
    words = "|".join(voices.STRETCHABLE[language])
    found = re.search(rf"\b({words})\b", text, flags=re.IGNORECASE)
    if found is None or rng.random() < 0.3:
        return re.sub(r"[.!]?$", "!!!", text, count=1) if text[-1:] in ".!" else text + "!!!"
    word = found.group(1)
    last = max(i for i, c in enumerate(word.lower()) if c in "aeiouyóô")
    stretched = word[:last + 1] + word[last] * 2 + word[last + 1:]
    return text[:found.start()] + stretched + text[found.end():]


def typo(rng: np.random.Generator, text: str) -> str:
    """One or two slips in words of four letters or more: a letter dropped, doubled or swapped with the next."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for i in rng.choice(long, size=min(len(long), int(rng.integers(1, 3))), replace=False) if long else []:
        w = words[i]
        j = int(rng.integers(1, len(w) - 1))
        kind = rng.integers(3)
        words[i] = (w[:j] + w[j + 1:] if kind == 0 else w[:j] + w[j] + w[j:] if kind == 1
                    else w[:j] + w[j + 1] + w[j] + w[j + 2:])
    return " ".join(words)
