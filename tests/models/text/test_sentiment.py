"""Cold-start sentiment: the rules, the four languages, and real data against VADER."""

import pandas as pd
import pytest

from centric.models.text.sentiment import ColdStartSentiment, label_of, score_text
from tests.conftest import shared_file


@pytest.mark.parametrize("language, positive, negative", [
    ("en", "Great service, I love it", "Terrible service, I hate it"),
    ("es", "Un servicio genial, me encanta", "Un servicio pésimo, qué decepción"),
    ("ca", "Un servei genial, m'encanta", "Un servei pèssim, quina decepció"),
    ("pt", "Um serviço ótimo, adorei", "Um serviço péssimo, que desilusão"),
])
def test_polarity_in_every_language(language, positive, negative):
    assert score_text(positive, language).label == "positive"
    assert score_text(negative, language).label == "negative"


@pytest.mark.parametrize("language, plain, negated", [
    ("en", "the product is good", "the product is not good"),
    ("es", "el producto es bueno", "el producto no es bueno"),
    ("ca", "el producte és bo", "el producte no és bo"),
    ("pt", "o produto é bom", "o produto não é bom"),
])
def test_negation_flips(language, plain, negated):
    assert score_text(plain, language).score > 0 > score_text(negated, language).score


@pytest.mark.parametrize("language, plain, strong", [
    ("en", "good", "very good"), ("es", "bueno", "muy bueno"), ("ca", "bo", "molt bo"), ("pt", "bom", "muito bom"),
])
def test_intensifiers_raise_the_score(language, plain, strong):
    assert score_text(strong, language).score > score_text(plain, language).score > 0


def test_contrast_splits_clauses_and_weighs_the_second():
    scored = score_text("The delivery was fast, but the box was crushed", "en")
    assert len(scored.clause_scores) == 2
    assert scored.clause_scores[0] > 0 > scored.clause_scores[1]
    assert scored.mixed and scored.label == "neutral"
    assert score_text("The box was crushed, but the delivery was fast", "en").score > 0


def test_emphasis_and_emoji():
    assert score_text("this is GOOD", "en").score > score_text("this is good", "en").score
    assert score_text("good!!!", "en").score > score_text("good", "en").score
    assert score_text("😡😡", "es").label == "negative"
    assert score_text("👍", "pt").label == "positive"


def test_no_opinion_is_neutral_and_scores_stay_in_range():
    assert score_text("The order number is 1234", "en").label == "neutral"
    for text in ("", "!!!", "awful " * 500, "great " * 500):
        assert -1.0 <= score_text(text, "en").score <= 1.0
    assert label_of(0.0) == "neutral"


def _airline():
    frame = pd.read_csv(shared_file("airline_tweets_en", "Tweets.csv"))
    return frame["text"].tolist(), frame["airline_sentiment"].tolist()


def _amazon_es():
    frame = pd.read_csv(shared_file("amazon_reviews_es", "reviews_es.csv"))
    texts = (frame["review_title"].fillna("") + ". " + frame["review_body"].fillna("")).tolist()
    labels = ["negative" if s <= 2 else "neutral" if s == 3 else "positive" for s in frame["stars"]]
    return texts, labels


def test_cold_start_beats_vader_in_english():
    from sklearn.metrics import f1_score
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts, labels = _airline()
    ours = f1_score(labels, ColdStartSentiment().predict(texts, ["en"] * len(texts)), average="macro")
    vader = SentimentIntensityAnalyzer()
    theirs = f1_score(labels, [label_of(vader.polarity_scores(t)["compound"]) for t in texts], average="macro")
    print(f"airline tweets macro-F1: cold start {ours:.3f}, VADER {theirs:.3f}")
    assert ours > theirs + 0.05


def test_cold_start_is_far_above_chance_in_spanish():
    from sklearn.metrics import f1_score

    texts, labels = _amazon_es()
    ours = f1_score(labels, ColdStartSentiment().predict(texts, ["es"] * len(texts)), average="macro")
    print(f"amazon_reviews_es macro-F1: cold start {ours:.3f} (chance 0.333)")
    assert ours >= 0.50
