"""Cold-start sentiment: the rules, the four languages, and real data against VADER."""

import functools

import pandas as pd
import pytest

from centric.models.text.sentiment import ColdStartSentiment, label_of, score_text
from tests.conftest import shared_file
from tests.models.text.sentiment_sets import SETS, figures, load


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
    assert scored.mixed and scored.label == "negative"  # the clause after "but" weighs more
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
    shared_file(*SETS["airline_en"][1].split("/"))
    texts, labels, _ = load("airline_en")
    return texts, labels


def _amazon_es():
    shared_file(*SETS["amazon_es"][1].split("/"))
    texts, labels, _ = load("amazon_es")
    return texts, labels


@functools.lru_cache(maxsize=None)
def _read(name):
    """One set read by the cold start, once per session (several tests judge the same reading)."""
    shared_file(*SETS[name][1].split("/"))
    texts, labels, language = load(name)
    read = [score_text(t, language) for t in texts]
    return texts, labels, figures(labels, [r.label for r in read], [r.score for r in read])


# The targets, on sets no rule or list was tuned on (sentiment_sets.py), each pinned a little
# below the figure measured on 2026-11-30 (docs/listening.md) and never below the target.
@pytest.mark.parametrize("name, measure, pinned, target", [
    ("ca_coah", "pos_neg_accuracy", 0.84, 0.80),   # measured 0.855
    ("es_coah", "macro_f1", 0.61, 0.60),           # 0.625
    ("pt_repro", "macro_f1", 0.82, 0.60),          # 0.835
    ("airline_en", "macro_f1", 0.60, 0.60),        # 0.601
])
def test_cold_start_on_held_out_sets(name, measure, pinned, target):
    _, _, got = _read(name)
    print(f"{name}: cold start {measure} {got[measure]:.3f}")
    assert got[measure] >= max(pinned, target)


def test_cold_start_beats_vader_in_english_by_eight_points():
    from sklearn.metrics import f1_score
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts, labels, ours = _read("airline_en")
    vader = SentimentIntensityAnalyzer()
    theirs = f1_score(labels, [label_of(vader.polarity_scores(t)["compound"], (-0.05, 0.05)) for t in texts],
                      average="macro")
    print(f"airline tweets macro-F1: cold start {ours['macro_f1']:.3f}, VADER {theirs:.3f}")
    assert ours["macro_f1"] >= theirs + 0.08


def test_cold_start_on_the_spanish_development_set():
    """The set the band was chosen on (0.600 measured): a guard against a change that undoes it."""
    _, _, got = _read("amazon_es")
    assert got["macro_f1"] >= 0.58


@pytest.mark.parametrize("language, text, label", [
    # negation, and its scope ending at a comma
    ("en", "Parcel late… never arrived, very disappointed", "negative"),
    ("en", "not bad at all", "positive"),
    ("es", "no me ha gustado nada", "negative"),
    ("ca", "no m'ha agradat gens", "negative"),
    ("ca", "no està malament", "positive"),
    ("pt", "péssimo serviço", "negative"),
    ("pt", "não gostei, o produto veio quebrado", "negative"),
    # contrast: the clause after "but" decides
    ("en", "good product but the delivery was a disaster", "negative"),
    ("es", "buen producto pero la entrega fue un desastre", "negative"),
    ("ca", "bon producte però l'entrega va ser un desastre", "negative"),
    ("pt", "produto bom mas a entrega foi um desastre", "negative"),
    ("es", "tardó en llegar, pero el producto es excelente", "positive"),
    # sarcasm markers
    ("en", "Great, another week waiting 🙄", "negative"),
    ("es", "Genial, otra semana esperando 🙄", "negative"),
    ("ca", "Perfecte, una altra setmana esperant 🙃", "negative"),
    ("pt", "Ótimo, mais uma semana esperando 😒", "negative"),
    # emoji only
    ("en", "😡😡", "negative"), ("es", "👍👍", "positive"), ("ca", "😍", "positive"), ("pt", "💩", "negative"),
    # Catalan and Spanish in one text
    ("ca", "el producte és molt bo, però el envío tardó muchísimo y llegó roto", "negative"),
    ("ca", "m'encanta, muy buena calidad", "positive"),
])
def test_hand_cases(language, text, label):
    assert score_text(text, language).label == label
