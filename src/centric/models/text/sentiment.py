"""Cold-start sentiment: a lexicon and rules of our own, in English, Spanish, Catalan and Portuguese.

The rules follow VADER (Hutto & Gilbert 2014, "VADER: A Parsimonious Rule-based Model for Sentiment
Analysis of Social Media Text", ICWSM), carried to four languages:

- a negator up to three words before a sentiment word flips and damps it (x -0.74);
- an intensifier before it scales it up (``muy``, ``molt``, ``muito``), a diminisher scales it down;
- a contrast word (but / pero / però / mas) halves what came before it and weighs what follows x1.5;
- a word in capitals inside a text that is not all capitals adds emphasis; each ``!`` (up to four)
  adds 0.292 in the direction of the text;
- the sum ``s`` is normalised to ``s / sqrt(s^2 + 15)`` in (-1, 1) (VADER's compound score).

One rule is ours: a text with a clearly positive clause and a clearly negative one (both beyond
+-0.25) is labelled neutral, as mixed, whatever its score; the aspects keep both opinions.

The same pass gives the score of each clause, which the aspect model reads: clauses end at
sentence marks and at contrast words, so "fast delivery but the box was crushed" has two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from centric.models.text.lexicon import CONTRAST, DIMINISHERS, EMOJI, EMOTICONS, INTENSIFIERS, NEGATORS, Lexicon
from centric.models.text.normalize import SENTENCE_MARKS, clean, fold_token, words

NEGATION_SCALE = -0.74
NEGATION_WINDOW = 3
CAPS_EMPHASIS = 0.733
EXCLAMATION = 0.292
ALPHA = 15.0
MIXED = 0.25
LABELS = ("negative", "neutral", "positive")


@dataclass
class Scored:
    """One text read by the cold-start model: its compound score and its clauses."""

    score: float
    tokens: list[str]            # folded tokens
    clause_of: list[int]         # clause number of each token
    clause_scores: list[float]   # compound score of each clause

    @property
    def mixed(self) -> bool:
        """A clearly positive and a clearly negative clause in one text ("fast, but broken")."""
        return bool(self.clause_scores) and max(self.clause_scores) >= MIXED and min(self.clause_scores) <= -MIXED

    @property
    def label(self) -> str:
        return self.label_at()

    def label_at(self, band: float = 0.05) -> str:
        """The label with a neutral band of +-``band``; mixed texts are neutral."""
        return "neutral" if self.mixed else label_of(self.score, band)


def label_of(score: float, band: float = 0.05) -> str:
    """negative / neutral / positive from a score in [-1, 1] (VADER's +-0.05 band)."""
    if score >= band:
        return "positive"
    if score <= -band:
        return "negative"
    return "neutral"


def normalise(total: float) -> float:
    """VADER's compound normalisation, s / sqrt(s^2 + alpha)."""
    return total / math.sqrt(total * total + ALPHA) if total else 0.0


def score_text(text: str, language: str) -> Scored:
    """Read one text in ``language`` (en, es, ca, pt; others fall back to English rules)."""
    if language not in NEGATORS:
        language = "en"
    raw = words(clean(text))
    tokens = [fold_token(w) for w in raw]
    lexicon = Lexicon.load(language)
    negators, intensifiers = NEGATORS[language], INTENSIFIERS[language]
    diminishers, contrast = DIMINISHERS[language], CONTRAST[language]
    shouting = _all_caps(raw)

    n = len(tokens)
    valence = [0.0] * n
    consumed = [False] * n
    clause_of = [0] * n
    clause = 0
    last_contrast = -1
    i = 0
    while i < n:
        word = tokens[i]
        clause_of[i] = clause
        if word in SENTENCE_MARKS:
            clause += 1
            i += 1
            continue
        if word in contrast:
            clause += 1
            clause_of[i] = clause
            last_contrast = i
            i += 1
            continue
        phrase = lexicon.phrase_at(tokens, i) if n > 1 else None
        if phrase is not None:
            length, value = phrase
            valence[i] = value
            for j in range(i + 1, i + length):
                clause_of[j] = clause
                consumed[j] = True
            i += length
            continue
        value = EMOJI.get(word) or EMOTICONS.get(raw[i]) or lexicon.valence(word)
        if value and raw[i].isupper() and len(raw[i]) > 1 and not shouting:
            value += CAPS_EMPHASIS if value > 0 else -CAPS_EMPHASIS
        valence[i] = value
        i += 1

    for i in range(n):
        value = valence[i]
        if not value or consumed[i]:
            continue
        lo = max(0, i - NEGATION_WINDOW)
        for j in range(i - 1, lo - 1, -1):
            word = tokens[j]
            if word in SENTENCE_MARKS or word in contrast:
                break
            if word in intensifiers:
                value += math.copysign(intensifiers[word], value)
            elif word in diminishers:
                value *= 0.6
            if word in negators:
                value *= NEGATION_SCALE
                valence[j] = 0.0  # the negator's own valence is spent on the word it negates
                break
        valence[i] = value

    clauses = [0.0] * (clause + 1)  # clause opinions are read before the contrast weighting
    for i in range(n):
        if valence[i]:
            clauses[clause_of[i]] += valence[i]
    if last_contrast >= 0:
        for i in range(n):
            valence[i] *= 0.5 if i < last_contrast else 1.5

    total = sum(valence)
    if total:
        bangs = min(tokens.count("!"), 4)
        total += math.copysign(bangs * EXCLAMATION, total)
    return Scored(normalise(total), tokens, clause_of, [normalise(c) for c in clauses])


def _all_caps(raw: list[str]) -> bool:
    letters = [w for w in raw if w.isalpha()]
    return bool(letters) and all(w.isupper() for w in letters)


class ColdStartSentiment:
    """The lexicon-and-rules model as an estimator: nothing to fit, ``predict`` and ``score``."""

    def __init__(self, neutral_band: float = 0.05):
        self.neutral_band = neutral_band

    def fit(self, texts=None, labels=None, languages=None) -> "ColdStartSentiment":
        return self

    def score(self, texts, languages) -> list[float]:
        return [score_text(t, lang).score for t, lang in zip(texts, languages)]

    def predict(self, texts, languages) -> list[str]:
        return [score_text(t, lang).label_at(self.neutral_band) for t, lang in zip(texts, languages)]
