"""Word lists of the cold-start sentiment model: valences, negators, intensifiers and contrast words.

The valence lists (``data/lexicon_<lang>.tsv``) were written for centric: general sentiment words
and the vocabulary of eCommerce complaints and praise (late, broken, refund, friendly, on time).
Entries are accent-folded lower case; ``word*`` matches any ending (``decepcion*`` matches
``decepcionado``, ``decepcionante``); an entry with a space is a phrase of two or three words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

NEGATORS = {
    "en": {"not", "no", "never", "nor", "none", "nobody", "cannot", "cant", "dont", "didnt", "doesnt", "isnt",
           "wasnt", "arent", "werent", "wont", "wouldnt", "couldnt", "shouldnt", "havent", "hasnt", "hadnt",
           "aint", "without", "neither", "nothing"},
    "es": {"no", "ni", "nunca", "jamas", "sin", "tampoco", "nada", "ningun", "ninguna", "ninguno"},
    "ca": {"no", "ni", "mai", "sense", "tampoc", "gens", "cap", "res"},
    "pt": {"nao", "nem", "nunca", "jamais", "sem", "tampouco", "nada", "nenhum", "nenhuma"},
}
INTENSIFIERS = {
    "en": {"very": 0.3, "really": 0.3, "so": 0.25, "extremely": 0.4, "super": 0.3, "totally": 0.3, "absolutely": 0.35,
           "too": 0.2, "incredibly": 0.4, "highly": 0.3, "completely": 0.3, "most": 0.2, "truly": 0.3, "such": 0.2},
    "es": {"muy": 0.3, "super": 0.3, "realmente": 0.3, "totalmente": 0.3, "demasiado": 0.2, "tan": 0.25,
           "completamente": 0.3, "sumamente": 0.4, "absolutamente": 0.35, "bastante": 0.15, "mas": 0.1},
    "ca": {"molt": 0.3, "molta": 0.3, "molts": 0.3, "moltes": 0.3, "super": 0.3, "realment": 0.3, "totalment": 0.3,
           "massa": 0.2, "tan": 0.25, "completament": 0.3, "absolutament": 0.35, "forca": 0.15},
    "pt": {"muito": 0.3, "muita": 0.3, "super": 0.3, "realmente": 0.3, "totalmente": 0.3, "demasiado": 0.2, "tao": 0.25,
           "completamente": 0.3, "extremamente": 0.4, "absolutamente": 0.35, "bastante": 0.15, "mesmo": 0.15},
}
DIMINISHERS = {
    "en": {"slightly", "somewhat", "barely", "hardly", "little", "kinda", "fairly", "quite"},
    "es": {"poco", "algo", "apenas", "ligeramente", "medio"},
    "ca": {"poc", "una", "mica", "lleugerament", "mig"},
    "pt": {"pouco", "algo", "ligeiramente", "meio"},
}
#: Words after which the clause that follows carries more weight than the one before (VADER's "but").
CONTRAST = {
    "en": {"but", "however", "although", "though", "yet", "nevertheless"},
    "es": {"pero", "aunque", "embargo", "sino", "obstante"},
    "ca": {"pero", "malgrat", "tanmateix", "nogensmenys"},
    "pt": {"mas", "porem", "contudo", "embora", "entretanto", "todavia"},
}
EMOJI = {
    "😀": 2, "😃": 2, "😄": 2, "😁": 2, "😊": 2, "🙂": 1, "😍": 3, "🥰": 3, "😘": 2, "❤": 2.5, "♥": 2, "💕": 2.5,
    "👍": 2, "👌": 1.5, "🙏": 1.5, "👏": 2, "🎉": 2, "✨": 1, "💯": 2, "😂": 1, "🤣": 1, "😉": 1, "⭐": 1.5, "🌟": 1.5,
    "😞": -2, "😔": -2, "😢": -2, "😭": -2.5, "😠": -2.5, "😡": -3, "🤬": -3, "👎": -2, "💩": -2.5, "🙁": -1.5,
    "☹": -2, "😤": -2, "😩": -2, "😫": -2, "🤮": -3, "😒": -1.5, "🙄": -1.5, "😱": -1.5, "💔": -2.5,
}
EMOTICONS = {":)": 1.5, ":-)": 1.5, ":D": 2, ":-D": 2, ";)": 1, "<3": 2.5, ":(": -1.5, ":-(": -1.5, ":'(": -2, ">:(": -2.5}


@dataclass
class Lexicon:
    """Valences of one language: exact words, prefixes (``word*``) and phrases of two or three words."""

    language: str
    exact: dict[str, float] = field(default_factory=dict)
    prefixes: dict[str, float] = field(default_factory=dict)
    phrases: dict[tuple[str, ...], float] = field(default_factory=dict)

    @classmethod
    def load(cls, language: str) -> "Lexicon":
        return _load(language)

    def valence(self, word: str) -> float:
        """The valence of one folded word (0 when unknown): exact entry, else the longest prefix."""
        value = self.exact.get(word)
        if value is not None:
            return value
        return self._prefix(word)

    def _prefix(self, word: str) -> float:
        return _prefix_valence(self.language, word)

    def phrase_at(self, tokens: list[str], i: int) -> tuple[int, float] | None:
        """A phrase starting at ``tokens[i]``: (its length, valence), longest first; None when none."""
        for n in (3, 2):
            if i + n <= len(tokens):
                value = self.phrases.get(tuple(tokens[i:i + n]))
                if value is not None:
                    return n, value
        return None


@lru_cache(maxsize=None)
def _load(language: str) -> Lexicon:
    lexicon = Lexicon(language)
    path = resources.files("centric.models.text") / "data" / f"lexicon_{language}.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, value = line.split("\t")
        score = float(value)
        if " " in term:
            lexicon.phrases[tuple(term.split())] = score
        elif term.endswith("*"):
            lexicon.prefixes[term[:-1]] = score
        else:
            lexicon.exact[term] = score
    return lexicon


@lru_cache(maxsize=500_000)
def _prefix_valence(language: str, word: str) -> float:
    prefixes = _load(language).prefixes
    for end in range(len(word), 2, -1):
        value = prefixes.get(word[:end])
        if value is not None:
            return value
    return 0.0
