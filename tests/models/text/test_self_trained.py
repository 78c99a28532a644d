"""Self-trained sentiment: weak labels from ratings, and held-out macro-F1 on real data."""

import numpy as np
import pandas as pd
import pytest

from centric.models.text.self_trained import (
    SelfTrainedSentiment, lemma_document, rating_position, select, weak_label,
)
from tests.conftest import shared_file
from tests.models.text.test_sentiment import _airline, _amazon_es


@pytest.mark.parametrize("rating, scale, label", [
    (0, "nps_0_10", "negative"), (6, "nps_0_10", "negative"), (7, "nps_0_10", "neutral"), (8, "nps_0_10", "neutral"),
    (9, "nps_0_10", "positive"), (2, "stars_1_5", "negative"), (3, "stars_1_5", "neutral"), (4, "csat_1_5", "positive"),
    (3, "ces_1_7", "negative"), (4, "ces_1_7", "neutral"), (5, "ces_1_7", "positive"),
    (None, "nps_0_10", None), (float("nan"), "stars_1_5", None), (5, None, None), ("x", "stars_1_5", None),
])
def test_weak_labels(rating, scale, label):
    assert weak_label(rating, scale) == label


@pytest.mark.parametrize("rating, scale, position", [
    (0, "nps_0_10", 0.0), (10, "nps_0_10", 1.0), (3, "stars_1_5", 0.5), (4, "ces_1_7", 0.5), (12, "nps_0_10", 1.0),
    (None, "stars_1_5", None), (3, "unknown", None),
])
def test_rating_positions(rating, scale, position):
    assert rating_position(rating, scale) == position


def test_negation_is_marked_on_lemmas():
    doc = lemma_document("No me gustaron nada los zapatos.", "es")
    assert "NEG_" in doc and doc.split()[0] == "no"


def test_learns_planted_words_and_refuses_one_class():
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for _ in range(300):
        label = rng.choice(["negative", "neutral", "positive"])
        word = {"negative": "zorbly", "neutral": "plimth", "positive": "quaxel"}[label]
        texts.append(f"the order {word} came {rng.integers(100)}")
        labels.append(label)
    model = SelfTrainedSentiment("en").fit(texts[:240], labels[:240])
    assert model.predict(texts[240:]) == labels[240:]
    assert set(np.sign(model.score(["zorbly", "quaxel"]))) == {-1.0, 1.0}
    with pytest.raises(ValueError):
        SelfTrainedSentiment("en").fit(["a", "b"], ["positive", "positive"])


def test_too_little_rated_feedback_keeps_the_cold_start():
    choice = select(["great", "awful"] * 10, ["positive", "negative"] * 10, "en")
    assert choice.chosen == "cold_start" and choice.model is None


@pytest.mark.slow
def test_self_trained_on_english_tweets():
    texts, labels = _airline()
    choice = select(texts, labels, "en")
    print(f"airline tweets held-out macro-F1: self-trained {choice.self_trained_f1:.3f}, cold {choice.cold_start_f1:.3f}")
    assert choice.chosen == "self_trained"
    assert choice.self_trained_f1 >= 0.75


@pytest.mark.slow
def test_self_trained_on_spanish_reviews_over_five_held_out_splits():
    """3,000 reviews make one 20% split a noisy measure (0.687-0.722 over these five); the mean is the figure."""
    texts, labels = _amazon_es()
    stars = pd.read_csv(shared_file("amazon_reviews_es", "reviews_es.csv"))["stars"]
    positions = [rating_position(s, "stars_1_5") for s in stars]
    choices = [select(texts, labels, "es", positions, random_state=seed) for seed in range(5)]
    scores = [c.self_trained_f1 for c in choices]
    print(f"amazon_reviews_es held-out macro-F1 over five splits: self-trained {np.mean(scores):.3f} "
          f"({min(scores):.3f}-{max(scores):.3f}), cold {np.mean([c.cold_start_f1 for c in choices]):.3f}")
    assert all(c.chosen == "self_trained" for c in choices)
    assert np.mean(scores) >= 0.70 and min(scores) >= 0.66


@pytest.mark.slow
def test_self_trained_on_portuguese_reviews_held_out():
    """Rated Portuguese reviews in the workspace: the self-trained model beats 0.70 on a held-out 20%."""
    from tests.models.text.sentiment_sets import SETS, load

    shared_file(*SETS["pt_repro"][1].split("/"))
    texts, labels, _ = load("pt_repro")
    choice = select(texts, labels, "pt")
    print(f"pt_repro held-out macro-F1: self-trained {choice.self_trained_f1:.3f}, cold {choice.cold_start_f1:.3f}")
    assert choice.chosen == "self_trained" and choice.self_trained_f1 >= 0.70


def test_term_counts_give_the_vectorisers_fit_transform():
    """Counting once and fitting on rows is the same as fitting TfidfVectorizer on those rows' texts."""
    from scipy import sparse

    from centric.models.text.self_trained import TermCounts

    rng = np.random.default_rng(1)
    vocabulary = ["envío", "rápido", "caja", "rota", "no", "llegó", "muy", "bien", "mal", "precio", "talla", "!"]
    texts = [" ".join(rng.choice(vocabulary, size=rng.integers(2, 9))) for _ in range(240)]
    model = SelfTrainedSentiment("es")
    views = model._views(texts)
    templates = model._new_vectorizers()
    templates[1].max_features = 150  # exercise the limit to the most frequent terms
    counts = TermCounts(templates, views)
    rows, other = np.arange(0, 240, 3), np.setdiff1d(np.arange(240), np.arange(0, 240, 3))
    fitted, matrix = counts.fit(rows)
    reference = [type(t)(**t.get_params()) for t in templates]
    expected = sparse.hstack([r.fit_transform([v[i] for i in rows]) for r, v in zip(reference, views)]).tocsr()
    held = sparse.hstack([r.transform([v[i] for i in other]) for r, v in zip(reference, views)]).tocsr()
    for mine, theirs in zip(fitted, reference):
        assert mine.vocabulary_ == theirs.vocabulary_ and np.array_equal(mine.idf_, theirs.idf_)
    assert len(fitted[1].vocabulary_) == 150
    assert abs(matrix - expected).max() < 1e-12 and abs(counts.transform(fitted, other) - held).max() < 1e-12
    again = sparse.hstack([f.transform([v[i] for i in other]) for f, v in zip(fitted, views)]).tocsr()
    assert abs(again - held).max() < 1e-12  # the fitted vectorisers read new texts on their own


def test_training_sample_is_bounded_stratified_and_seeded():
    from centric.models.text.self_trained import training_sample

    labels = ["positive"] * 700 + ["negative"] * 250 + ["neutral"] * 50
    sample = training_sample(labels, limit=100, random_state=3)
    picked = [labels[i] for i in sample]
    assert len(sample) == 100 and len(set(sample)) == 100
    assert (picked.count("positive"), picked.count("negative"), picked.count("neutral")) == (70, 25, 5)
    assert np.array_equal(sample, training_sample(labels, limit=100, random_state=3))
    assert not np.array_equal(sample, training_sample(labels, limit=100, random_state=4))
    assert np.array_equal(training_sample(labels[:90], limit=100), np.arange(90))


def test_character_view_is_sklearns_char_wb_term_for_term():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from centric.models.text.self_trained import char_ngrams

    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    texts = ["", " ", "a", "ab", "abcd", "ÀÉ  x\t\ny\u00a0z", "🙄 great!!", "l'enviament col·lecció",
             "No me GUSTÓ nada, nada.", "entrega   rápida\n\ny barata"]
    for text in texts:
        assert char_ngrams(text) == reference(text)
