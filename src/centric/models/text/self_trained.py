"""Sentiment that trains itself on the workspace's own rated feedback.

Ratings that arrive with text (review stars, NPS, CSAT, CES) are weak labels of the text's sentiment
(``weak_label``) and, read as a place on their scale (``rating_position``), an ordered target. Per
language, the text is read in two views: lemmas (simplemma) with negation marking, where the three
words after a negator are prefixed ``NEG_`` (Das & Chen 2001; Pang, Lee & Vaithyanathan 2002), in
1- to 3-grams; and character 2- to 5-grams within words, which survive typos and inflection. Both
are TF-IDF with sublinear term frequency.

Three readings of a text are stacked (Wolpert 1992, "Stacked generalization"): a class-balanced
logistic regression over the two views (the three sentiment classes), a ridge regression of the
rating's place on its scale over the same views (the order of ratings: a 2-star review sits nearer
the neutral 3 than a 1-star one, which three unordered classes forget), and the cold-start lexicon's
score (words the rated feedback may never show). A small class-balanced logistic regression
learns how to combine them from out-of-fold predictions of the first two. On too little rated
feedback to cross-validate, the classifier alone is used.

``select`` holds out part of the rated feedback, scores the cold-start lexicon and the trained
model on it, and lets the trained model take over only in languages where it wins.

Cost (docs/scale.md): each training text is analysed into its terms once (``TermCounts``), not once
per stacking fold; the logistic regression is solved by Newton-CG (``SOLVER``), a handful of sparse
matrix products; and a model trains on at most ``MAX_TRAINING_TEXTS`` rated texts (a stratified,
seeded sample beyond that), so training is bounded and reading every text is the only part that
grows with the shop, linearly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from centric.models.text.lexicon import NEGATORS
from centric.models.text.lemmas import lemma
from centric.models.text.normalize import SCOPE_ENDS, clean, folded_words
from centric.models.text.sentiment import ColdStartSentiment, score_text

#: rating scale -> (highest negative rating, highest neutral rating); above is positive.
WEAK_LABEL_CUTS = {"nps_0_10": (6, 8), "csat_1_5": (2, 3), "stars_1_5": (2, 3), "ces_1_7": (3, 4)}
#: rating scale -> (lowest, highest) rating.
SCALE_RANGES = {"nps_0_10": (0, 10), "csat_1_5": (1, 5), "stars_1_5": (1, 5), "ces_1_7": (1, 7)}
#: the place on a scale a label stands for when no rating comes with it.
LABEL_POSITION = {"negative": 0.0, "neutral": 0.5, "positive": 1.0}


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


def rating_position(rating, scale) -> float | None:
    """Where a rating sits on its scale, from 0 (lowest) to 1 (highest); None when unknown."""
    if weak_label(rating, scale) is None:
        return None
    low, high = SCALE_RANGES[scale]
    return min(max((float(rating) - low) / (high - low), 0.0), 1.0)


#: A model trains on at most this many rated texts (per language, and across languages): beyond it a
#: stratified, seeded sample of the training part (``training_sample``). The held-out texts are all
#: scored whatever their number. Training then costs the same on a shop of 20,000 rated texts a
#: language and on one of 2 million, and only reading grows with the shop (linearly). The test sets
#: (up to 11,700 training texts) and the 1x demo shop (about 9,000 rated texts in its largest
#: language) train on all their texts.
MAX_TRAINING_TEXTS = 20_000


def training_sample(labels, limit: int = MAX_TRAINING_TEXTS, random_state: int = 0) -> np.ndarray:
    """Positions of at most about ``limit`` of ``labels``: every class keeps its share (at least one
    text), drawn with a seeded generator; all the positions, in order, when there are no more."""
    labels = np.asarray(labels, dtype=object)
    if len(labels) <= limit:
        return np.arange(len(labels))
    rng = np.random.default_rng(random_state)
    keep = []
    for label in sorted(set(labels)):
        where = np.flatnonzero(labels == label)
        keep.append(rng.choice(where, max(1, round(limit * len(where) / len(labels))), replace=False))
    return np.sort(np.concatenate(keep))


def positions_of(labels, positions=None) -> np.ndarray:
    """The ratings' places on their scales, or the place each label stands for when none are given."""
    if positions is None:
        return np.array([LABEL_POSITION[x] for x in labels], dtype=float)
    return np.asarray(positions, dtype=float)


@lru_cache(maxsize=300_000)
def _lemma(word: str, language: str) -> str:
    try:
        return lemma(word, language)
    except (ValueError, KeyError):
        return word


#: Character n-grams within words: 2 to 5 characters of each word padded with a space on each side.
CHAR_NGRAMS = (2, 5)
#: The word view's terms: runs of non-space (lemmas, ``NEG_`` marks, punctuation) and their 2- and 3-grams.
WORD_NGRAMS = (1, 3)
WORD_TOKEN_PATTERN = r"\S+"


@lru_cache(maxsize=300_000)
def _word_ngrams(word: str) -> tuple[str, ...]:
    low, high = CHAR_NGRAMS
    padded = f" {word} "
    out = []
    for n in range(low, high + 1):
        out.extend(padded[i:i + n] for i in range(max(len(padded) - n, 0) + 1))
        if len(padded) <= n:  # a short word is counted once, whole
            break
    return tuple(out)


def char_ngrams(document: str) -> list[str]:
    """The character view's terms: scikit-learn's ``char_wb`` analyser (lower case, n-grams within
    words) term for term, with each distinct word's n-grams computed once (words repeat; their
    n-grams, built in Python, were a fifth of listening's time)."""
    out: list[str] = []
    for word in document.lower().split():
        out.extend(_word_ngrams(word))
    return out


@lru_cache(maxsize=100_000)
def lemma_document(text: str, language: str) -> str:
    """Folded lemmas with negation scope marked, as one space-separated string (kept for the last
    100,000 texts: a run reads a rated text when training, testing and reading it)."""
    negators = NEGATORS.get(language, NEGATORS["en"])
    out, scope = [], 0
    for word in folded_words(clean(text)):
        if word in SCOPE_ENDS:
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


#: The classifier's solver: Newton steps with conjugate gradients on the sparse TF-IDF matrix. It
#: minimises the same penalised loss as lbfgs, and as well (macro-F1 within 0.001 of lbfgs's on the
#: test sets), in a handful of iterations (4 to 6 on the Spanish reviews and English tweets, where
#: lbfgs took 30 to 50), each costing a few products with the matrix; lbfgs's own bookkeeping grows
#: with the 600,000 coefficients a class and made it 4 to 6 times slower.
SOLVER = "newton-cg"
MAX_ITER = 200


class TermCounts:
    """The training texts' term counts in every view, analysed once, and TF-IDF vectorisers fitted on any rows.

    Fitting a ``TfidfVectorizer`` analyses every text it is given (character n-grams in Python are
    the costly part), and the stacker fits one per fold before the final one: each training text was
    analysed four times. Here each view is counted once over all the training texts (every term, in
    the vectoriser's alphabetical order); ``fit(rows)`` then keeps the terms a vectoriser fitted on
    those rows' texts would keep (present in them, ``min_df`` / ``max_df``, the ``max_features`` most
    frequent, ties broken as scikit-learn breaks them) and returns that vectoriser, with its
    vocabulary and idf, and the rows' TF-IDF matrix: the same numbers as ``fit_transform`` on the
    rows' texts. ``transform(vectorizers, rows)`` is ``transform`` on other rows' texts.
    """

    def __init__(self, templates, views):
        from sklearn.feature_extraction.text import CountVectorizer

        self.templates = templates
        skip = {"min_df", "max_df", "max_features", "vocabulary", "dtype"}
        shared = set(CountVectorizer().get_params())
        self.counts, self.terms = [], []
        for template, view in zip(templates, views):
            counter = CountVectorizer(**{k: v for k, v in template.get_params().items() if k in shared - skip})
            self.counts.append(counter.fit_transform(view).tocsr())
            self.terms.append(counter.get_feature_names_out())

    def _kept(self, template, counts) -> np.ndarray:
        """Columns a vectoriser fitted on the rows of ``counts`` keeps (sklearn's ``_limit_features``)."""
        n_doc = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        present = np.flatnonzero(df)
        df = df[present]
        low = template.min_df if isinstance(template.min_df, int) else template.min_df * n_doc
        high = template.max_df if isinstance(template.max_df, int) else template.max_df * n_doc
        mask = (df >= low) & (df <= high)
        limit = template.max_features
        if limit is not None and mask.sum() > limit:
            tfs = np.asarray(counts[:, present].sum(axis=0)).ravel()
            strongest = (-tfs[mask]).argsort()[:limit]
            chosen = np.zeros(len(df), dtype=bool)
            chosen[np.flatnonzero(mask)[strongest]] = True
            mask = chosen
        if not mask.any():
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        return present[mask]

    def fit(self, rows):
        """(vectorisers fitted on the rows' texts, their TF-IDF matrix)."""
        from scipy import sparse
        from sklearn.base import clone
        from sklearn.feature_extraction.text import TfidfTransformer

        vectorizers, parts = [], []
        for template, counts, terms in zip(self.templates, self.counts, self.terms):
            rows_counts = counts[rows]
            kept = self._kept(template, rows_counts)
            vectorizer = clone(template)
            vectorizer.vocabulary_ = {str(terms[j]): i for i, j in enumerate(kept)}
            tfidf = TfidfTransformer(norm=template.norm, use_idf=template.use_idf, smooth_idf=template.smooth_idf,
                                     sublinear_tf=template.sublinear_tf).fit(rows_counts[:, kept])
            vectorizer.idf_ = tfidf.idf_
            vectorizer.kept_ = kept
            vectorizers.append(vectorizer)
            parts.append(vectorizer._tfidf.transform(rows_counts[:, kept]))
        return vectorizers, sparse.hstack(parts).tocsr()

    def transform(self, vectorizers, rows):
        """The TF-IDF matrix of the texts of ``rows`` through vectorisers from ``fit``."""
        from scipy import sparse

        return sparse.hstack([v._tfidf.transform(counts[rows][:, v.kept_])
                              for v, counts in zip(vectorizers, self.counts)]).tocsr()


class SelfTrainedSentiment:
    """A sentiment classifier trained on weakly labelled workspace feedback, per language or across them.

    ``fit(texts, labels, positions=None, languages=None)`` with labels in negative / neutral /
    positive and each rating's place on its scale (0-1; from the labels when not given); ``predict``
    returns labels and ``score`` returns P(positive) - P(negative) in [-1, 1]. ``languages`` (one per
    text) lets one model learn from several languages: each text's lemmas and cold-start score are
    read in its own language, and the character n-grams that es, ca and pt share (and emoji) carry
    across. Without it every text is in ``language``. Learned state: ``vectorizers_``,
    ``classifier_``, ``regressor_``, ``stacker_`` (None when data were too few), ``classes_``.
    """

    def __init__(self, language: str = "en", C: float = 1.0, folds: int = 3, random_state: int = 0):
        self.language = language
        self.C = C
        self.folds = folds
        self.random_state = random_state

    def _languages(self, texts, languages) -> list[str]:
        return [self.language] * len(texts) if languages is None else list(languages)

    def _views(self, texts, languages=None):
        languages = self._languages(texts, languages)
        return ([lemma_document(t, lang) for t, lang in zip(texts, languages)],
                [clean(t).lower() for t in texts])

    def _new_vectorizers(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return (TfidfVectorizer(ngram_range=WORD_NGRAMS, sublinear_tf=True, token_pattern=WORD_TOKEN_PATTERN,
                                max_features=300_000),
                TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=2, max_features=300_000))

    def _matrix(self, vectorizers, views, fit: bool):
        from scipy import sparse

        parts = [v.fit_transform(x) if fit else v.transform(x) for v, x in zip(vectorizers, views)]
        return sparse.hstack(parts).tocsr()

    def _base_models(self, matrix, labels, positions):
        from sklearn.linear_model import LogisticRegression, Ridge

        classifier = LogisticRegression(C=self.C, solver=SOLVER, max_iter=MAX_ITER, class_weight="balanced")
        return classifier.fit(matrix, labels), Ridge(alpha=1.0).fit(matrix, positions)

    def _lexicon(self, texts, languages=None) -> np.ndarray:
        languages = self._languages(texts, languages)
        return np.array([score_text(t, lang).score for t, lang in zip(texts, languages)], dtype=float)

    @staticmethod
    def _stack_features(proba, position, lexicon) -> np.ndarray:
        return np.column_stack([np.log(np.clip(proba, 1e-9, None)), position, lexicon])

    def fit(self, texts, labels, positions=None, languages=None) -> "SelfTrainedSentiment":
        texts, labels = list(texts), np.asarray(labels, dtype=object)
        present = sorted(set(labels))
        if len(present) < 2:
            raise ValueError("self-trained sentiment needs at least two sentiment classes among the rated feedback")
        positions = positions_of(labels, positions)
        counts = TermCounts(self._new_vectorizers(), self._views(texts, languages))
        self.stacker_ = self._fit_stacker(texts, counts, labels, positions, languages)
        self.vectorizers_, matrix = counts.fit(np.arange(len(texts)))
        self.classifier_, self.regressor_ = self._base_models(matrix, labels, positions)
        self.classes_ = list(self.classifier_.classes_)
        return self

    def _fit_stacker(self, texts, counts: "TermCounts", labels, positions, languages=None):
        """The combiner, learned on out-of-fold predictions (None when a class is too rare to fold)."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        counts_of = {c: int((labels == c).sum()) for c in set(labels)}
        if self.folds < 2 or min(counts_of.values()) < self.folds * 2:
            return None
        proba = np.zeros((len(labels), len(counts_of)))
        position = np.zeros(len(labels))
        folds = StratifiedKFold(self.folds, shuffle=True, random_state=self.random_state)
        for train, valid in folds.split(np.zeros((len(labels), 1)), labels):
            vectorizers, part = counts.fit(train)
            held = counts.transform(vectorizers, valid)
            classifier, regressor = self._base_models(part, labels[train], positions[train])
            proba[valid] = classifier.predict_proba(held)
            position[valid] = regressor.predict(held)
        features = self._stack_features(proba, position, self._lexicon(texts, languages))
        # standardised, so that the combiner's penalty does not depend on each reading's scale
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced")).fit(
            features, labels)

    def predict_proba(self, texts, lexicon_scores=None, languages=None) -> np.ndarray:
        """Class probabilities in ``classes_`` order; ``lexicon_scores``: the cold start's, if known."""
        texts = list(texts)
        matrix = self._matrix(self.vectorizers_, self._views(texts, languages), fit=False)
        proba = self.classifier_.predict_proba(matrix)
        if self.stacker_ is None:
            return proba
        lexicon = (self._lexicon(texts, languages) if lexicon_scores is None
                   else np.asarray(lexicon_scores, dtype=float))
        return self.stacker_.predict_proba(self._stack_features(proba, self.regressor_.predict(matrix), lexicon))

    def predict(self, texts, lexicon_scores=None, languages=None) -> list[str]:
        return self.labels_of(self.predict_proba(texts, lexicon_scores, languages))

    def labels_of(self, proba: np.ndarray) -> list[str]:
        """The most probable class of each row of class probabilities."""
        return [self.classes_[i] for i in proba.argmax(1)]

    def score(self, texts, lexicon_scores=None, languages=None) -> np.ndarray:
        return self.score_of(self.predict_proba(texts, lexicon_scores, languages))

    def score_of(self, proba: np.ndarray) -> np.ndarray:
        """P(positive) - P(negative) from class probabilities."""
        pos = proba[:, self.classes_.index("positive")] if "positive" in self.classes_ else 0.0
        neg = proba[:, self.classes_.index("negative")] if "negative" in self.classes_ else 0.0
        return np.asarray(pos - neg, dtype=float)


def macro_f1(truth, predicted) -> float:
    """Macro-F1 over the classes that occur in either the truth or the predictions."""
    from sklearn.metrics import f1_score

    truth, predicted = list(truth), list(predicted)
    present = sorted(set(truth) | set(predicted))
    return float(f1_score(truth, predicted, average="macro", labels=present, zero_division=0))


@dataclass
class Selection:
    """The held-out comparison of the cold start and the trained model in one language.

    ``test_index``: the positions (in the texts given to ``select``) of the held-out texts both were
    scored on; ``candidate``: the trained model whether it won or not (``model`` only when it won).
    """

    language: str
    n_train: int
    n_test: int
    cold_start_f1: float | None
    self_trained_f1: float | None
    chosen: str
    model: SelfTrainedSentiment | None = None
    test_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    candidate: SelfTrainedSentiment | None = None


def select(texts, labels, language: str, positions=None, holdout: float = 0.2, min_rated: int = 60,
           random_state: int = 0) -> Selection:
    """Train on part of the rated feedback, compare with the cold start on the rest, keep the better.

    The model kept is the one that was measured (trained on the training part only, at most
    ``MAX_TRAINING_TEXTS`` of it: ``training_sample``). With fewer
    than ``min_rated`` rated texts, or fewer than two classes, the cold start stays, and all the
    rated texts are its held-out texts (nothing learned from them); with none, its figure is None.
    ``positions``: each rating's place on its scale (``rating_position``), when known.
    """
    from sklearn.model_selection import train_test_split

    texts, labels = list(texts), np.asarray(labels, dtype=object)
    counts = {c: int((labels == c).sum()) for c in set(labels)}
    cold = ColdStartSentiment()
    if len(texts) < min_rated or len(counts) < 2 or min(counts.values()) < 2:
        f1 = macro_f1(labels, cold.predict(texts, [language] * len(texts))) if len(texts) else None
        return Selection(language, 0, len(texts), None if f1 is None else float(f1), None, "cold_start",
                         test_index=np.arange(len(texts)))
    positions = positions_of(labels, positions)
    train_x, test_x, train_y, test_y, train_p, _, _, test_i = train_test_split(
        texts, labels, positions, np.arange(len(texts)), test_size=holdout, stratify=labels,
        random_state=random_state)
    sample = training_sample(train_y, random_state=random_state)
    train_x, train_y, train_p = [train_x[i] for i in sample], np.asarray(train_y)[sample], np.asarray(train_p)[sample]
    trained = SelfTrainedSentiment(language, random_state=random_state).fit(train_x, train_y, train_p)
    read = [score_text(t, language) for t in test_x]  # the cold start's reading, which the trained model reuses
    trained_f1 = macro_f1(test_y, trained.predict(test_x, [r.score for r in read]))
    cold_f1 = macro_f1(test_y, [r.label_at(cold.neutral_band) for r in read])
    chosen = "self_trained" if trained_f1 > cold_f1 else "cold_start"
    return Selection(language, len(train_x), len(test_x), float(cold_f1), float(trained_f1), chosen,
                     trained if chosen == "self_trained" else None, np.asarray(test_i), trained)
