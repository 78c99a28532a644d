"""Sentiment that trains itself on the workspace's own rated feedback.

Ratings that arrive with text (review stars, NPS, CSAT, CES) are weak labels of the text's sentiment
(``weak_label``). Per language, a linear model learns them from two views of the text: lemmas
(simplemma) with negation marking, where the three words after a negator are prefixed ``NEG_``
(Das & Chen 2001; Pang, Lee & Vaithyanathan 2002), in 1- to 3-grams; and character 2- to 5-grams
within words, which survive typos and inflection. Both are TF-IDF with sublinear term frequency;
the classifier is a class-balanced logistic regression. The neutral class, the hardest, gets a bias
chosen by cross-validation on the training part to maximise macro-F1.

``select`` holds out part of the rated feedback, scores the cold-start lexicon and the trained
model on it, and lets the trained model take over only in languages where it wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from centric.models.text.lexicon import NEGATORS
from centric.models.text.normalize import SENTENCE_MARKS, clean, folded_words
from centric.models.text.sentiment import LABELS, ColdStartSentiment

#: rating scale -> (highest negative rating, highest neutral rating); above is positive.
WEAK_LABEL_CUTS = {"nps_0_10": (6, 8), "csat_1_5": (2, 3), "stars_1_5": (2, 3), "ces_1_7": (3, 4)}


def weak_label(rating, scale) -> str | None:
    """The sentiment a rating implies: NPS 0-6 / 7-8 / 9-10, stars and CSAT 1-2 / 3 / 4-5, CES 1-3 / 4 / 5-7."""
    if rating is None or scale not in WEAK_LABEL_CUTS:
        return None
    try:
        value = float(rating)
    except (TypeError, ValueError):
        return None
    if value != value:  # NaN
        return None
    negative, neutral = WEAK_LABEL_CUTS[scale]
    return "negative" if value <= negative else "neutral" if value <= neutral else "positive"


@lru_cache(maxsize=300_000)
def _lemma(word: str, language: str) -> str:
    import simplemma

    try:
        return simplemma.lemmatize(word, lang=language)
    except (ValueError, KeyError):
        return word


def lemma_document(text: str, language: str) -> str:
    """Folded lemmas with negation scope marked, as one space-separated string."""
    negators = NEGATORS.get(language, NEGATORS["en"])
    out, scope = [], 0
    for word in folded_words(clean(text)):
        if word in SENTENCE_MARKS:
            scope = 0
            out.append(word)
            continue
        if word in negators:
            scope = 3
            out.append(word)
            continue
        lemma = _lemma(word, language) if word.isalpha() else word
        out.append("NEG_" + lemma if scope > 0 else lemma)
        scope -= 1
    return " ".join(out)


class SelfTrainedSentiment:
    """A per-language sentiment classifier trained on weakly labelled workspace feedback.

    ``fit(texts, labels)`` with labels in negative / neutral / positive; ``predict`` returns labels
    and ``score`` returns P(positive) - P(negative) in [-1, 1]. Learned state: ``vectorizers_``,
    ``classifier_``, ``neutral_bias_``, ``classes_``.
    """

    def __init__(self, language: str = "en", C: float = 1.0, tune_folds: int = 3, random_state: int = 0):
        self.language = language
        self.C = C
        self.tune_folds = tune_folds
        self.random_state = random_state

    def _views(self, texts):
        return [lemma_document(t, self.language) for t in texts], [clean(t).lower() for t in texts]

    def _new_vectorizers(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return (TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, token_pattern=r"\S+", max_features=300_000),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                max_features=300_000))

    def _matrix(self, vectorizers, views, fit: bool):
        from scipy import sparse

        parts = [v.fit_transform(x) if fit else v.transform(x) for v, x in zip(vectorizers, views)]
        return sparse.hstack(parts).tocsr()

    def _classifier(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced")

    def fit(self, texts, labels) -> "SelfTrainedSentiment":
        texts, labels = list(texts), np.asarray(labels, dtype=object)
        present = sorted(set(labels))
        if len(present) < 2:
            raise ValueError("self-trained sentiment needs at least two sentiment classes among the rated feedback")
        views = self._views(texts)
        self.neutral_bias_ = self._tune_neutral_bias(views, labels) if "neutral" in present else 0.0
        self.vectorizers_ = self._new_vectorizers()
        matrix = self._matrix(self.vectorizers_, views, fit=True)
        self.classifier_ = self._classifier().fit(matrix, labels)
        self.classes_ = list(self.classifier_.classes_)
        return self

    def _tune_neutral_bias(self, views, labels) -> float:
        """The log-odds added to neutral that maximises out-of-fold macro-F1 (0 when data are few)."""
        from sklearn.metrics import f1_score
        from sklearn.model_selection import StratifiedKFold

        counts = {c: int((labels == c).sum()) for c in set(labels)}
        if self.tune_folds < 2 or min(counts.values()) < self.tune_folds * 2:
            return 0.0
        folds = StratifiedKFold(self.tune_folds, shuffle=True, random_state=self.random_state)
        classes = sorted(counts)
        out_of_fold = np.zeros((len(labels), len(classes)))
        for train, valid in folds.split(views[0], labels):
            vectorizers = self._new_vectorizers()
            part = [[view[i] for i in train] for view in views]
            held = [[view[i] for i in valid] for view in views]
            model = self._classifier().fit(self._matrix(vectorizers, part, True), labels[train])
            out_of_fold[valid] = model.predict_proba(self._matrix(vectorizers, held, False))
        log_p = np.log(np.clip(out_of_fold, 1e-12, None))
        neutral = classes.index("neutral")
        best, best_bias = -1.0, 0.0
        for bias in np.arange(-0.5, 1.01, 0.05):
            shifted = log_p.copy()
            shifted[:, neutral] += bias
            f1 = f1_score(labels, np.asarray(classes)[shifted.argmax(1)], average="macro")
            if f1 > best + 1e-9:
                best, best_bias = f1, float(bias)
        return round(best_bias, 2)

    def predict_proba(self, texts) -> np.ndarray:
        matrix = self._matrix(self.vectorizers_, self._views(list(texts)), fit=False)
        proba = self.classifier_.predict_proba(matrix)
        if self.neutral_bias_ and "neutral" in self.classes_:
            proba = proba.copy()
            proba[:, self.classes_.index("neutral")] *= np.exp(self.neutral_bias_)
            proba /= proba.sum(1, keepdims=True)
        return proba

    def predict(self, texts) -> list[str]:
        proba = self.predict_proba(texts)
        return [self.classes_[i] for i in proba.argmax(1)]

    def score(self, texts) -> np.ndarray:
        proba = self.predict_proba(texts)
        pos = proba[:, self.classes_.index("positive")] if "positive" in self.classes_ else 0.0
        neg = proba[:, self.classes_.index("negative")] if "negative" in self.classes_ else 0.0
        return np.asarray(pos - neg, dtype=float)


@dataclass
class Selection:
    """The held-out comparison of the cold start and the trained model in one language."""

    language: str
    n_train: int
    n_test: int
    cold_start_f1: float
    self_trained_f1: float | None
    chosen: str
    model: SelfTrainedSentiment | None = None


def select(texts, labels, language: str, holdout: float = 0.2, min_rated: int = 60,
           random_state: int = 0) -> Selection:
    """Train on part of the rated feedback, compare with the cold start on the rest, keep the better.

    The model kept is the one that was measured (trained on the training part only). With fewer
    than ``min_rated`` rated texts, or fewer than two classes, the cold start stays.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split

    texts, labels = list(texts), np.asarray(labels, dtype=object)
    counts = {c: int((labels == c).sum()) for c in set(labels)}
    cold = ColdStartSentiment()
    if len(texts) < min_rated or len(counts) < 2 or min(counts.values()) < 2:
        f1 = f1_score(labels, cold.predict(texts, [language] * len(texts)), average="macro",
                      labels=list(LABELS)) if len(texts) else 0.0
        return Selection(language, 0, len(texts), float(f1), None, "cold_start")
    train_x, test_x, train_y, test_y = train_test_split(texts, labels, test_size=holdout, stratify=labels,
                                                        random_state=random_state)
    trained = SelfTrainedSentiment(language, random_state=random_state).fit(train_x, train_y)
    trained_f1 = f1_score(test_y, trained.predict(test_x), average="macro")
    cold_f1 = f1_score(test_y, cold.predict(test_x, [language] * len(test_x)), average="macro")
    chosen = "self_trained" if trained_f1 > cold_f1 else "cold_start"
    return Selection(language, len(train_x), len(test_x), float(cold_f1), float(trained_f1), chosen,
                     trained if chosen == "self_trained" else None)
