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

from centric.models.text.sentiment import Scored, label_of


@dataclass
class Taxonomy:
    """Theme terms of one language, and the themes' labels in every language."""

    language: str
    labels: dict[str, dict[str, str]]
    exact: dict[str, str] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)

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
        """(token index, theme) for every taxonomy term found in the folded tokens."""
        found = []
        i, n = 0, len(tokens)
        while i < n:
            for size in (3, 2):
                if i + size <= n:
                    theme = self.phrases.get(tuple(tokens[i:i + size]))
                    if theme is not None:
                        found.append((i, theme))
                        i += size
                        break
            else:
                word = tokens[i]
                theme = self.exact.get(word) or _prefix_theme(self.language, word)
                if theme:
                    found.append((i, theme))
                i += 1
        return found


@lru_cache(maxsize=None)
def _raw() -> dict:
    path = resources.files("centric.models.text") / "data" / "taxonomy.json"
    return json.loads(path.read_text(encoding="utf-8"))["themes"]


@lru_cache(maxsize=None)
def _load(language: str) -> Taxonomy:
    raw = _raw()
    taxonomy = Taxonomy(language, {theme: spec["label"] for theme, spec in raw.items()})
    for theme, spec in raw.items():
        for term in spec.get(language, spec["en"]):
            if " " in term:
                taxonomy.phrases[tuple(term.split())] = theme
            elif term.endswith("*"):
                taxonomy.prefixes[term[:-1]] = theme
            else:
                taxonomy.exact[term] = theme
    return taxonomy


@lru_cache(maxsize=500_000)
def _prefix_theme(language: str, word: str) -> str | None:
    prefixes = _load(language).prefixes
    for end in range(len(word), 2, -1):
        theme = prefixes.get(word[:end])
        if theme is not None:
            return theme
    return None


@dataclass(frozen=True)
class Aspect:
    theme: str
    sentiment: str
    score: float


def aspects(scored: Scored, language: str, overall: float | None = None) -> list[Aspect]:
    """The themes of a scored text, each with the sentiment of the clauses that mention it."""
    taxonomy = Taxonomy.load(language if language in ("en", "es", "ca", "pt") else "en")
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
