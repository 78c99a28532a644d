"""Language identification restricted to the workspace's languages.

py3langid (Lui & Baldwin 2012, langid.py: a naive Bayes model over byte n-grams, shipped inside the
package: nothing is downloaded) is restricted to the languages a shop writes in. That restriction is
the largest single gain (the design guide): Catalan is no longer confused with Occitan or Galician.
Texts are cleaned first (URLs, handles, tags), because a tweet's @handles are not its language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from centric.models.text.normalize import clean, has_letters

#: Languages the text models ship resources for (lexicon, taxonomy, stop words).
SUPPORTED_LANGUAGES = ("en", "es", "ca", "pt")


@dataclass(frozen=True)
class Guess:
    language: str | None
    confidence: float


class LanguageIdentifier:
    """Identify the language of short customer texts among ``languages``.

    ``identify(text)`` returns a :class:`Guess`: the language (None when the text has no letters)
    and a confidence in [0, 1], the normalised posterior of the chosen language among the
    allowed ones.
    """

    def __init__(self, languages=SUPPORTED_LANGUAGES):
        self.languages = tuple(languages)
        unknown = [code for code in self.languages if len(code) != 2]
        if unknown or not self.languages:
            raise ValueError(f"languages must be ISO 639-1 codes, got {list(languages)!r}")
        self._model = _model(self.languages)

    def identify(self, text: str) -> Guess:
        plain = clean(text, limit=2_000)
        if not has_letters(plain):
            return Guess(None, 0.0)
        if len(self.languages) == 1:
            return Guess(self.languages[0], 1.0)
        language, confidence = self._model.classify(plain)
        return Guess(str(language), float(confidence))


@lru_cache(maxsize=4)
def _model(languages: tuple):
    """py3langid's model restricted to `languages`, loaded once per process (decompressing it costs about
    half a second; classifying reads it and never changes it): a run after another in the same process
    (`centric run --every`, an incremental run after a full one) does not load it again."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier as _Model

    model = _Model.from_model_file(MODEL_FILE, norm_probs=True)
    known = set(model.nb_classes)
    missing = [code for code in languages if code not in known]
    if missing:
        raise ValueError(f"language identification does not know {missing}; use ISO 639-1 codes")
    if len(languages) > 1:
        model.set_languages(list(languages))
    return model
