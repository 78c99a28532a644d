"""The scorer of saved sentiment models (models/text/scoring.py) against scikit-learn's objects.

Rules under test:
- a saved ``SelfTrainedSentiment`` read back as ``SavedSentiment`` (numpy and scipy.sparse only) gives
  the TF-IDF matrix, class probabilities, positions, scores and labels of the same model rebuilt as
  scikit-learn's objects (persist.py ``model_from_state``) and of the fitted model itself: the same
  numbers (compared exactly, and so well within 1e-12), on real labelled text in en, es, ca and pt and
  on awkward texts (empty, punctuation only, unseen words, mixed case, accents, emoji, white space);
  with and without the stacker, with two classes and with three, one language or several;
- a vocabulary saved as a JSON object (format 1) or as one string of terms (format 2) reads the same;
- a model read back and saved again is saved as it was read; it cannot be fitted.
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pytest

from tests.conftest import shared_file

AWKWARD = [
    "", " ", "!!!", "?!... --- ;;", "¡¡Genial!!", "ÀÉÎÕÜ çà l·l ñ", "MiXeD CaSe TEXT, Great PRODUCT", "GREAT",
    "zzqxv unseenwordxyz qqqq", "😀😡 👍", "tab\tnew\nline  double  space", "123 456 7,5 €", "not bad, not good",
    "no m'agrada gens", "não gostei nada", "no me gustó nada", "I did not like it at all " * 40,
]


@lru_cache(maxsize=None)
def _fitted(name: str, folds: int, n: int = 200):
    """(fitted model, its state through JSON, held-out texts): fitted on a seeded sample of ``n`` texts of a set."""
    from centric.models.text.persist import model_state
    from centric.models.text.self_trained import SelfTrainedSentiment
    from tests.models.text.sentiment_sets import SETS, load

    shared_file(*SETS[name][1].split("/"))
    texts, labels, language = load(name)
    order = np.random.default_rng(0).permutation(len(texts))
    train, held = order[:n], order[n:n + 100]
    model = SelfTrainedSentiment(language, folds=folds).fit([texts[i] for i in train], [labels[i] for i in train])
    state = json.loads(json.dumps(model_state(model)))
    return model, state, [texts[i] for i in held] + AWKWARD


def _same(saved, reference, texts, lexicon=None, languages=None):
    """Every number the readings use, from both models, equal."""
    from scipy import sparse

    views = saved._views(texts, languages)
    mine, theirs = (m._matrix(m.vectorizers_, views, fit=False) for m in (saved, reference))
    assert sparse.isspmatrix_csr(mine) and mine.shape == theirs.shape
    for part in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(mine, part), getattr(theirs, part), err_msg=part)
    np.testing.assert_array_equal(saved.regressor_.predict(mine), reference.regressor_.predict(theirs))
    proba = saved.predict_proba(texts, lexicon, languages)
    expected = reference.predict_proba(texts, lexicon, languages)
    np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(proba, expected)  # bit for bit (persist.py's rule)
    np.testing.assert_array_equal(saved.score_of(proba), reference.score_of(expected))
    assert saved.labels_of(proba) == reference.labels_of(expected)
    return proba


@pytest.mark.parametrize("name, folds, classes, stacked", [
    ("en_finegrained", 3, 3, True), ("es_coah", 3, 3, True), ("ca_coah", 3, 3, True), ("pt_repro", 3, 2, True),
    ("es_coah", 1, 3, False), ("en_uci", 1, 2, False),
])
def test_saved_model_scores_as_sklearn(name, folds, classes, stacked):
    from centric.models.text.persist import model_from_state
    from centric.models.text.scoring import SavedSentiment
    from centric.models.text.sentiment import score_text

    model, state, texts = _fitted(name, folds)
    assert len(model.classes_) == classes and (model.stacker_ is not None) == stacked
    saved = SavedSentiment.from_state(state)
    proba = _same(saved, model_from_state(state), texts)
    _same(saved, model, texts)
    lexicon = [score_text(t, model.language).score for t in texts]  # as transfer.Reading passes them
    _same(saved, model, texts, lexicon, [model.language] * len(texts))
    assert len(set(saved.labels_of(proba))) > 1, "the model reads every text alike: the test would prove little"
    # one text at a time reads as all together (to rounding: the stacker's dense product is blocked by size)
    np.testing.assert_allclose(np.vstack([saved.predict_proba([t]) for t in texts[-len(AWKWARD):]]),
                               proba[-len(AWKWARD):], rtol=0, atol=1e-12)


def test_empty_and_unseen_texts_read_as_sklearn_reads_them():
    """A text with no known term is an empty row (not normalised): the intercepts alone decide it."""
    from centric.models.text.scoring import SavedSentiment

    model, state, _ = _fitted("es_coah", 3)
    saved = SavedSentiment.from_state(state)
    texts = ["", "\u2603\u2604", "zzqxv", "   "]
    rows = saved._matrix(saved.vectorizers_, saved._views(texts), fit=False).getnnz(axis=1)
    assert rows[0] == rows[1] == rows[3] == 0 and rows[2] > 0  # "zzqxv": some of its character n-grams are known
    _same(saved, model, texts)
    assert saved.predict_proba([]).shape == (0, 3)


def test_a_model_of_several_languages_scores_as_sklearn():
    """The cross-language model reads each text in its own language (lemmas, cold-start score)."""
    from centric.models.text.persist import model_state
    from centric.models.text.scoring import SavedSentiment
    from centric.models.text.self_trained import SelfTrainedSentiment
    from tests.models.text.sentiment_sets import SETS, load

    shared_file(*SETS["es_coah"][1].split("/"))
    texts, labels, languages = [], [], []
    for name in ("es_coah", "ca_coah", "pt_repro"):
        t, y, language = load(name)
        texts += t[:150]
        labels += y[:150]
        languages += [language] * 150
    model = SelfTrainedSentiment("en").fit(texts[::2], labels[::2], languages=languages[::2])
    saved = SavedSentiment.from_state(json.loads(json.dumps(model_state(model))))
    _same(saved, model, texts[1::2] + AWKWARD, languages=languages[1::2] + ["ca"] * len(AWKWARD))


def test_both_vocabulary_formats_read_the_same():
    from centric.models.text.persist import model_from_state
    from centric.models.text.scoring import SavedSentiment

    model, state, texts = _fitted("ca_coah", 3)
    assert all("terms" in v and "vocabulary" not in v for v in state["vectorizers"])  # format 2
    old = json.loads(json.dumps(state))
    for saved, vectorizer in zip(old["vectorizers"], model.vectorizers_):
        del saved["terms"]
        saved["vocabulary"] = {k: int(v) for k, v in vectorizer.vocabulary_.items()}  # format 1
    _same(SavedSentiment.from_state(old), model, texts)
    _same(SavedSentiment.from_state(old), model_from_state(old), texts)
    assert model_from_state(old).vectorizers_[1].vocabulary_ == model.vectorizers_[1].vocabulary_


def test_a_term_holding_the_separator_keeps_the_object_format():
    from centric.models.text.persist import _vocabulary
    from centric.models.text.scoring import vocabulary_of as _vocabulary_of

    plain = {"b": 1, "a": 0, "c d": 2}
    assert _vocabulary(plain) == {"terms": "a\nb\nc d"} and _vocabulary_of(_vocabulary(plain)) == plain
    odd = {"a\nb": 0, "c": 1}
    assert _vocabulary(odd) == {"vocabulary": odd} and _vocabulary_of(_vocabulary(odd)) == odd
    unordered = {"b": 0, "a": 1}  # columns not in the terms' order: kept as they are
    assert _vocabulary_of(_vocabulary(unordered)) == unordered


def test_a_read_back_model_saves_as_read_and_does_not_fit():
    from centric.models.text.persist import model_state
    from centric.models.text.scoring import SavedSentiment

    _, state, _ = _fitted("en_uci", 1)
    saved = SavedSentiment.from_state(state)
    assert model_state(saved) is state and saved.state_ is state
    with pytest.raises(TypeError):
        saved.fit(["good", "bad"], ["positive", "negative"])


def test_word_terms_are_sklearns_analyser_term_for_term():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from centric.models.text.scoring import WordTerms
    from centric.models.text.self_trained import SelfTrainedSentiment

    analyse = SelfTrainedSentiment()._new_vectorizers()[0].build_analyzer()
    for document in [*AWKWARD, "a", "a b", "a b c", "NEG_bo servei . molt bé", "ÉS Això"]:
        assert WordTerms()(document) == analyse(document), document
    bigrams = TfidfVectorizer(ngram_range=(2, 2), token_pattern=r"\S+").build_analyzer()
    assert WordTerms((2, 2))("one two three") == bigrams("one two three")
