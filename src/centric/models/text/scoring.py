"""A saved ``SelfTrainedSentiment`` read back for scoring only, with numpy and scipy.sparse: no scikit-learn.

Why: an incremental run in a new process (cron) reads a few dozen new texts with the saved models.
Rebuilding scikit-learn's objects to do it imported scikit-learn (about 0.7 s of CPU in a cold
process, more than the reading itself). The fitted state is only arrays: the TF-IDF vocabularies
and idf weights, the linear models' coefficients, the stacker's scaler. ``SavedSentiment`` holds
them and repeats, operation for operation, what scikit-learn (1.9) does with them at prediction:

- ``Tfidf.transform``: ``TfidfVectorizer.transform`` (``CountVectorizer._count_vocab`` with a fixed
  vocabulary, then ``TfidfTransformer.transform``): the analyser's terms (the word view: lower case,
  the token pattern's matches, their 1- to 3-grams joined by a space; the character view: our own
  ``char_ngrams``), terms outside the vocabulary dropped, counts per document as float64 with the
  column indices sorted, ``log(tf) + 1`` (sublinear tf), times the idf of the column, then each row
  divided by its l2 norm (the squares summed in index order, as ``_inplace_csr_row_normalize_l2``
  does; an empty row left as it is). The two views are hstacked in that order.
- ``Logistic.predict_proba``: ``LogisticRegression.predict_proba``: the decision ``X @ coef.T +
  intercept``; with more than two classes the softmax (scikit-learn >= 1.5 fits multinomial for
  every solver but liblinear: the softmax of the max-shifted decision); with two, ``expit`` of the
  one decision, ``[1 - p, p]`` (one-vs-rest, scikit-learn's ``_predict_proba_lr``).
- ``Ridge.predict``: ``X @ coef + intercept``.
- ``Stacker.predict_proba``: the pipeline's ``StandardScaler.transform`` (``(X - mean) / scale``)
  then its logistic regression's ``predict_proba``.

Each step is the same numpy or scipy operation on the same arrays, so the numbers are the same bit
for bit (tests/models/text/test_scoring.py compares with scikit-learn's objects on real text).
Everything else (the views of a text, the lexicon feature, labels and scores from probabilities) is
``SelfTrainedSentiment``'s own code: ``SavedSentiment`` is one whose learned parts are these.

The vocabulary is looked up in the saved structure itself: a dict of term -> column (state format 1)
or, from format 2, one string of the terms in column order separated by newlines, split into a
dict only when the model first reads a text (a model of a language with no new text costs nothing
but its JSON string).
"""

from __future__ import annotations

import base64
import re

import numpy as np

from centric.models.text.self_trained import WORD_NGRAMS, WORD_TOKEN_PATTERN, SelfTrainedSentiment, char_ngrams

#: the separator of the terms in a saved vocabulary string (no term holds one: the word view's terms
#: are runs of non-space joined by spaces, the character view's come from words split on white space).
TERM_SEPARATOR = "\n"


def unarray(d: dict) -> np.ndarray:
    """A float64 array saved as base64 of its bytes (persist.py ``_array``)."""
    return np.frombuffer(base64.b64decode(d["b64"]), dtype=np.float64).reshape(d["shape"]).copy()


class WordTerms:
    """The word view's analyser: ``TfidfVectorizer(ngram_range=WORD_NGRAMS, token_pattern=WORD_TOKEN_PATTERN)``'s
    (lower case, the pattern's matches, the n-grams of consecutive tokens joined by a space)."""

    def __init__(self, ngram_range=WORD_NGRAMS, token_pattern=WORD_TOKEN_PATTERN):
        self.low, self.high = ngram_range
        self.tokens = re.compile(token_pattern).findall

    def __call__(self, document: str) -> list[str]:
        tokens = self.tokens(document.lower())
        out = list(tokens) if self.low == 1 else []
        for n in range(max(self.low, 2), min(self.high, len(tokens)) + 1):
            out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        return out


def vocabulary_of(saved: dict) -> dict:
    """A saved vectoriser's term -> column: its JSON object itself (format 1: not a copy), or a dict of the
    terms of its string (format 2)."""
    if "vocabulary" in saved:
        return saved["vocabulary"]
    terms = saved["terms"].split(TERM_SEPARATOR) if saved["terms"] else []
    return dict(zip(terms, range(len(terms))))


class Tfidf:
    """A fitted TF-IDF view: ``transform(documents)`` is the vectoriser's, from its vocabulary and idf."""

    def __init__(self, saved: dict, analyzer):
        self.saved = saved
        self.analyzer = analyzer
        self.idf_ = unarray(saved["idf"])
        self._vocabulary = None

    @property
    def vocabulary(self) -> dict:
        """Built when the view first reads a text."""
        if self._vocabulary is None:
            self._vocabulary = vocabulary_of(self.saved)
        return self._vocabulary

    def counts(self, documents):
        """(data float64, column indices, row pointers): each document's term counts, columns sorted."""
        get, n_features = self.vocabulary.get, len(self.idf_)
        columns, lengths = [], []
        for document in documents:
            found = [j for j in map(get, self.analyzer(document)) if j is not None]
            columns.extend(found)
            lengths.append(len(found))
        rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        cells, counts = np.unique(rows * n_features + np.asarray(columns, dtype=np.int64), return_counts=True)
        indptr = np.searchsorted(cells // max(n_features, 1), np.arange(len(lengths) + 1)).astype(np.int32)
        return counts.astype(np.float64), (cells % max(n_features, 1)).astype(np.int32), indptr

    def transform(self, documents):
        from scipy import sparse

        data, indices, indptr = self.counts(documents)
        np.log(data, data)  # sublinear tf
        data += 1.0
        data *= self.idf_[indices]
        _normalize_rows(data, indptr)
        return sparse.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, len(self.idf_)))


def _normalize_rows(data: np.ndarray, indptr: np.ndarray, block: int = 1024) -> None:
    """Each row divided by its l2 norm, in place; the squares summed one after the other in index order
    (a running sum: ``cumsum`` along a row padded with zeros), not pairwise, as scikit-learn sums them."""
    lengths = np.diff(indptr)
    squares = data * data
    sums = np.zeros(len(lengths))
    for start in range(0, len(lengths), block):
        part = lengths[start:start + block]
        if not part.any():
            continue
        padded = np.zeros((len(part), int(part.max())))
        within = np.arange(int(part.sum())) - np.repeat(np.cumsum(part) - part, part)
        padded[np.repeat(np.arange(len(part)), part), within] = squares[indptr[start]:indptr[start + len(part)]]
        sums[start:start + len(part)] = np.cumsum(padded, axis=1)[:, -1]
    norms = np.sqrt(sums)
    norms[sums == 0.0] = 1.0  # an empty row stays as it is
    data /= np.repeat(norms, lengths)


class Linear:
    """A fitted linear model's coefficients and intercept (persist.py ``_linear``)."""

    def __init__(self, saved: dict):
        self.saved = saved
        self.coef_, self.intercept_ = unarray(saved["coef"]), unarray(saved["intercept"])
        self.n_features_in_ = saved["n_features_in"]
        self.classes_ = np.array(saved["classes"], dtype=object) if "classes" in saved else None

    def decision_function(self, X) -> np.ndarray:
        coef = self.coef_.T if self.coef_.ndim == 2 else self.coef_
        scores = X @ coef + self.intercept_
        return scores.reshape(-1) if scores.ndim > 1 and scores.shape[1] == 1 else scores


class Logistic(Linear):
    def predict_proba(self, X) -> np.ndarray:
        decision = self.decision_function(X)
        if len(self.classes_) <= 2:  # one-vs-rest on one decision
            from scipy.special import expit

            p = expit(decision, out=decision)
            return np.stack([1 - p, p], axis=1)
        decision -= np.max(decision, axis=1).reshape(-1, 1)
        np.exp(decision, out=decision)
        decision /= np.sum(decision, axis=1).reshape(-1, 1)
        return decision


class Ridge(Linear):
    def __init__(self, saved: dict):
        super().__init__(saved)
        if self.intercept_.shape == (1,) and self.coef_.ndim == 1:
            self.intercept_ = float(self.intercept_[0])

    def predict(self, X) -> np.ndarray:
        return self.decision_function(X)


class Stacker:
    """The combiner: standardised features (persist.py: the scaler's mean and scale), then a logistic regression."""

    def __init__(self, saved: dict):
        self.saved = saved
        self.mean_, self.scale_ = unarray(saved["mean"]), unarray(saved["scale"])
        self.logistic = Logistic(saved["logistic"])

    def predict_proba(self, X) -> np.ndarray:
        X = np.array(X, dtype=np.float64, copy=True)
        X -= self.mean_
        X /= self.scale_
        return self.logistic.predict_proba(X)


class SavedSentiment(SelfTrainedSentiment):
    """A ``SelfTrainedSentiment`` read back from its saved state (persist.py ``model_state``) that scores
    and labels texts exactly as the fitted one, without scikit-learn; it cannot be fitted again.
    ``from_state(state)`` builds it; ``state_`` is the state it was read from."""

    @classmethod
    def from_state(cls, state: dict) -> "SavedSentiment":
        model = cls(language=state["language"], C=state["C"], folds=state["folds"], random_state=state["random_state"])
        model.state_ = state
        word, chars = state["vectorizers"]
        model.vectorizers_ = (Tfidf(word, WordTerms()), Tfidf(chars, char_ngrams))
        model.classifier_ = Logistic(state["classifier"])
        model.regressor_ = Ridge(state["regressor"])
        model.stacker_ = None if state["stacker"] is None else Stacker(state["stacker"])
        model.classes_ = list(state["classes"])
        return model

    def fit(self, *args, **kwargs):
        raise TypeError("a saved model only scores: fit a SelfTrainedSentiment")
