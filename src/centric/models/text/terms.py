"""Term tables: exact words, prefixes and short phrases, looked up on folded tokens.

The sentiment lexicons and the theme taxonomy are both lists of terms with a value (a valence, a
theme). A term with a space is a phrase of two or three words; ``word*`` matches any ending (the
longest prefix wins, at least three letters); anything else is an exact word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, TypeVar

V = TypeVar("V")
PHRASE_LENGTHS = (3, 2)  # longest first
SHORTEST_PREFIX = 3


@dataclass(eq=False)
class TermTable(Generic[V]):
    exact: dict[str, V] = field(default_factory=dict)
    prefixes: dict[str, V] = field(default_factory=dict)
    phrases: dict[tuple[str, ...], V] = field(default_factory=dict)

    def add(self, term: str, value: V) -> None:
        if " " in term:
            self.phrases[tuple(term.split())] = value
        elif term.endswith("*"):
            self.prefixes[term[:-1]] = value
        else:
            self.exact[term] = value

    def word(self, word: str) -> V | None:
        """The value of one folded word: its exact entry, else its longest listed prefix; None if neither."""
        value = self.exact.get(word)
        return value if value is not None else self._prefix(word)

    @lru_cache(maxsize=500_000)
    def _prefix(self, word: str) -> V | None:
        for end in range(len(word), SHORTEST_PREFIX - 1, -1):
            value = self.prefixes.get(word[:end])
            if value is not None:
                return value
        return None

    def phrase_at(self, tokens: list[str], i: int) -> tuple[int, V] | None:
        """The longest phrase starting at ``tokens[i]``: (its length, value); None when none."""
        for n in PHRASE_LENGTHS:
            if i + n <= len(tokens):
                value = self.phrases.get(tuple(tokens[i:i + n]))
                if value is not None:
                    return n, value
        return None
