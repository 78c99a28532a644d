"""One pass over feedback texts: language, sentiment, themes and aspect sentiments.

This is what ``feedback_insights`` holds per feedback. Language comes from the feedback row when
the source knew it (and it is one of the workspace's languages), else from the identifier. The
sentiment is the cold start's unless a trained model took over for that language and source
(``readings``, from ``transfer.plan``: a model's own reading where held-out rated texts of the source
showed it wins, the model leaning on the cold start for a source with no such texts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from centric.models.text.language import LanguageIdentifier
from centric.models.text.normalize import MAX_ANALYSED_CHARS, has_letters
from centric.models.text.transfer import Reading
from centric.models.text.sentiment import score_text
from centric.models.text.themes import aspects

INSIGHT_COLUMNS = ["feedback_id", "language", "language_confidence", "sentiment", "sentiment_score", "themes",
                   "aspects", "sentiment_model", "text_chars", "truncated"]


@dataclass
class FeedbackAnalyzer:
    """Reads texts in the workspace's languages.

    ``readings`` maps (language, source) to its ``Reading``; (language, None) serves the language's
    other sources. A language without readings is read by the cold start.
    """

    languages: tuple[str, ...] = ("en", "es", "ca", "pt")
    readings: dict[tuple[str, str | None], Reading] = field(default_factory=dict)

    def __post_init__(self):
        self.languages = tuple(self.languages)
        self._identifier = LanguageIdentifier(self.languages)

    def languages_of(self, texts, hints=None) -> tuple[list[str | None], list[float]]:
        hints = list(hints) if hints is not None else [None] * len(texts)
        languages, confidences = [], []
        for text, hint in zip(texts, hints):
            if isinstance(hint, str) and hint.lower() in self.languages and isinstance(text, str) and has_letters(text):
                languages.append(hint.lower())
                confidences.append(1.0)
                continue
            guess = self._identifier.identify(text if isinstance(text, str) else "")
            languages.append(guess.language)
            confidences.append(round(guess.confidence, 4))
        return languages, confidences

    def analyse(self, feedback_ids, texts, hints=None, sources=None) -> pd.DataFrame:
        """A frame with INSIGHT_COLUMNS, one row per text."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        languages, confidences = self.languages_of(texts, hints)
        return self.read(feedback_ids, texts, languages, confidences, sources)

    def read(self, feedback_ids, texts, languages, confidences, sources=None) -> pd.DataFrame:
        """Sentiment, themes and aspects of texts whose languages are already known (``sources``: each text's)."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        scored = [score_text(text, language or "en") for text, language in zip(texts, languages)]
        frame = pd.DataFrame({
            "feedback_id": list(feedback_ids), "language": pd.Series(list(languages), dtype=object),
            "language_confidence": list(confidences), "sentiment": [s.label for s in scored],
            "sentiment_score": [s.score for s in scored], "sentiment_model": "cold_start",
            "text_chars": [len(t) for t in texts], "truncated": [len(t) > MAX_ANALYSED_CHARS for t in texts],
        })
        sources = [None] * len(texts) if sources is None else list(sources)
        sources = [s if isinstance(s, str) else "other" for s in sources]
        keys = [(lang, src if (lang, src) in self.readings else None) for lang, src in zip(frame["language"], sources)]
        for key in set(keys) & set(self.readings):
            reading = self.readings[key]
            index = [i for i, k in enumerate(keys) if k == key]
            labels, scores = reading.read([texts[i] for i in index], key[0], [scored[i] for i in index])
            frame.loc[index, "sentiment"] = labels
            frame.loc[index, "sentiment_score"] = scores
            frame.loc[index, "sentiment_model"] = reading.label
        found = [sorted(aspects(s, language or "en", overall=float(overall)), key=lambda a: a.theme)
                 for s, language, overall in zip(scored, frame["language"], frame["sentiment_score"])]
        frame["themes"] = [[a.theme for a in f] for f in found]
        frame["aspects"] = [[{"theme": a.theme, "sentiment": a.sentiment, "score": a.score} for a in f] for f in found]
        frame["sentiment_score"] = frame["sentiment_score"].astype(float).round(4)
        return frame[INSIGHT_COLUMNS]
