"""Word lists of the cold-start sentiment model: valences, negators, intensifiers and contrast words.

The valence lists (``data/lexicon_<lang>.tsv``) were written for centric: general sentiment words
and the vocabulary of eCommerce complaints and praise (late, broken, refund, friendly, on time).
Entries are accent-folded lower case; ``word*`` matches any ending (``decepcion*`` matches
``decepcionado``, ``decepcionante``); an entry with a space is a phrase of two or three words.

Behind them, the general lists (``data/general_<lang>.tsv``, built by scripts/build_lexicons.py from
VADER's lexicon and its Apertium translations) give a valence to the thousands of other words
customers use: a word the hand-written list lacks is looked up there as written, then by its lemma
(simplemma), so ``decepcionadas`` finds ``decepcionado``. The hand-written list always wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from centric.models.text.lemmas import lemma
from centric.models.text.normalize import fold
from centric.models.text.terms import TermTable

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
    "ca": {"poc", "mica", "lleugerament", "mig"},  # "una mica" = a bit; "una" alone is just "a"
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


@dataclass(eq=False)
class Lexicon(TermTable[float]):
    """Valences of one language: exact words, prefixes (``word*``) and phrases of two or three words."""

    language: str = "en"
    general: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, language: str) -> "Lexicon":
        return _load(language)

    def valence(self, word: str, raw: str | None = None) -> float:
        """The valence of one folded word (0 when unknown): the hand-written entry or longest prefix,
        else the general list's entry for the word, else for its lemma (from ``raw``, as written)."""
        value = self.word(word)
        if value is None:
            value = self.general.get(word)
        if value is None and raw is not None and len(word) > 3:
            value = self.general.get(_lemma(raw, self.language))
        return value or 0.0


@lru_cache(maxsize=None)
def _load(language: str) -> Lexicon:
    lexicon = Lexicon(language=language)
    for term, value in _rows(f"lexicon_{language}.tsv"):
        lexicon.add(term, value)
    lexicon.general = dict(_rows(f"general_{language}.tsv"))
    return lexicon


def _rows(name: str) -> list[tuple[str, float]]:
    path = resources.files("centric.models.text") / "data" / name
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            term, value = line.split("\t")
            rows.append((term, float(value)))
    return rows


@lru_cache(maxsize=200_000)
def _lemma(raw: str, language: str) -> str:
    return fold(lemma(raw.lower(), language))
