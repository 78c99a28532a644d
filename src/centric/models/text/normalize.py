"""Cleaning and tokenising customer text before any model reads it.

Customer text is untrusted and odd: HTML and script tags pasted from e-mails, URLs, @mentions,
emoji-only replies, 100 kB pastes, control characters. These functions never execute or interpret
it; they only reduce it to words. Accents are folded (``atención`` -> ``atencion``) so that lexicons
and taxonomies match what hurried writers type.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

#: Texts are analysed up to this many characters; the rest is ignored (and counted as truncated).
MAX_ANALYSED_CHARS = 5_000

_TAG = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|<[^>]{0,500}>", re.IGNORECASE | re.DOTALL)
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_HASH = re.compile(r"(?<!\w)#(\w+)")
_RETWEET = re.compile(r"^\s*RT\b:?", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_SPACE = re.compile(r"\s+")
# Words keep inner apostrophes and the Catalan middle dot (col·lecció); elided articles split off:
# "l'enviament" -> "l'", "enviament"; "don't" -> "dont" after folding.
_TOKEN = re.compile(r"[^\W\d_]+(?:[·'’][^\W\d_]+)*'?|\d+(?:[.,]\d+)?|[!?¡¿.;,:…]|[\U0001F300-\U0001FAFF\u2600-\u27BF]")
#: Tokens that end a sentence (and a clause).
SENTENCE_MARKS = frozenset({".", ";", "!", "?", "¡", "¿"})
#: Pauses inside a sentence: a negation does not reach past them ("late, never arrived, very
#: disappointed": "never" does not negate "disappointed"), but they do not end a clause.
PAUSE_MARKS = frozenset({",", ":", "…"})
#: Where the scope of a negation ends.
SCOPE_ENDS = SENTENCE_MARKS | PAUSE_MARKS
_ELISION = re.compile(r"^(l|d|s|m|t|n|qu|j)['’](?=\w)", re.IGNORECASE)


def clean(text: object, limit: int = MAX_ANALYSED_CHARS) -> str:
    """Plain text for analysis: tags, URLs, handles and control characters removed, truncated."""
    if not isinstance(text, str) or not text:
        return ""
    text = text[: limit * 4]
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = _RETWEET.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _HASH.sub(r"\1", text)
    text = _CONTROL.sub(" ", text)
    return _SPACE.sub(" ", text).strip()[:limit]


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case without accents; the Catalan middle dot and typographic apostrophes are kept plain."""
    word = word.lower().replace("’", "'")
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Tokens of a cleaned text, in their original case: words, numbers, sentence marks and emoji."""
    out: list[str] = []
    for token in _TOKEN.findall(text):
        match = _ELISION.match(token)
        if match:
            out.append(token[: match.end()])
            token = token[match.end():]
        out.append(token.rstrip("'"))
    return out


def fold_token(word: str) -> str:
    """A token folded; ``'`` kept on elided articles (``l'``), removed from contractions (``don't``)."""
    return fold(word) if word.endswith("'") else fold(word).replace("'", "")


def folded_words(text: str) -> list[str]:
    """Tokens folded to lower case without accents (``fold_token``)."""
    return [fold_token(w) for w in words(text)]


def has_letters(text: str) -> bool:
    """True when a text has at least one letter: emoji-only and punctuation-only replies have none."""
    return any(c.isalpha() for c in text)
