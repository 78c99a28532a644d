"""Themes and aspects: a multilingual eCommerce taxonomy matched on folded words, with a sentiment per aspect.

Aspect-based sentiment here is the lexicon approach of Hu & Liu (2004, "Mining and Summarizing Customer
Reviews", KDD): an aspect term takes the opinion of the clause it sits in. Clauses are split at sentence
marks and at contrast words (but / pero / però / mas), so "fast delivery, but the box was crushed"
gives delivery positive and packaging negative. A clause without opinion words takes the opinion of
the whole text (customers often say how they feel in one sentence and what about in another).

The taxonomy (``data/taxonomy.json``) lists terms per theme and language: exact words, prefixes
(``deliver*``) and phrases. Phrases are matched first and consume their words, so ``shipping costs``
is price and not delivery, and ``value for money`` is price and not quality.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from centric.models.text.language import SUPPORTED_LANGUAGES
from centric.models.text.sentiment import Scored, label_of
from centric.models.text.terms import TermTable


@dataclass(eq=False)
class Taxonomy(TermTable[str]):
    """Theme terms of one language, and the themes' labels in every language."""

    language: str = "en"
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, language: str) -> "Taxonomy":
        return _load(language)

    @property
    def themes(self) -> list[str]:
        return list(self.labels)

    def label(self, theme: str, language: str | None = None) -> str:
        names = self.labels.get(theme, {})
        return names.get(language or self.language) or names.get("en") or theme.replace("_", " ")

    def matches(self, tokens: list[str]) -> list[tuple[int, str]]:
        """(token index, theme) for every taxonomy term found in the folded tokens; a phrase consumes its words."""
        found = []
        i = 0
        while i < len(tokens):
            phrase = self.phrase_at(tokens, i)
            size, theme = phrase if phrase is not None else (1, self.word(tokens[i]))
            if theme:
                found.append((i, theme))
            i += size
        return found


@lru_cache(maxsize=None)
def _load(language: str) -> Taxonomy:
    path = resources.files("centric.models.text") / "data" / "taxonomy.json"
    raw = json.loads(path.read_text(encoding="utf-8"))["themes"]
    taxonomy = Taxonomy(language=language, labels={theme: spec["label"] for theme, spec in raw.items()})
    for theme, spec in raw.items():
        for term in spec.get(language, spec["en"]):
            taxonomy.add(term, theme)
    return taxonomy


@dataclass(frozen=True)
class Aspect:
    theme: str
    sentiment: str
    score: float


def aspects(scored: Scored, language: str, overall: float | None = None) -> list[Aspect]:
    """The themes of a scored text, each with the sentiment of the clauses that mention it."""
    taxonomy = Taxonomy.load(language if language in SUPPORTED_LANGUAGES else "en")
    overall = scored.score if overall is None else overall
    per_theme: dict[str, list[float]] = {}
    for index, theme in taxonomy.matches(scored.tokens):
        clause_score = scored.clause_scores[scored.clause_of[index]]
        per_theme.setdefault(theme, []).append(clause_score if clause_score else overall)
    out = []
    for theme, values in per_theme.items():
        score = sum(values) / len(values)
        out.append(Aspect(theme, label_of(score), round(score, 4)))
    return out
