"""Transfer from rated to unrated text: the reading per language and source, and its honest figures."""

import numpy as np
import pandas as pd
import pytest

from centric.models.text.analyzer import FeedbackAnalyzer
from centric.models.text.self_trained import SelfTrainedSentiment, macro_f1, rating_position, weak_label
from centric.models.text.sentiment import score_text
from centric.models.text.transfer import MIN_EVIDENCE, Reading, plan
from tests.conftest import shared_file

STARS = {"negative": 1, "neutral": 3, "positive": 5}


def _planted(labels=("negative", "neutral", "positive"), n=300, seed=0):
    """Texts whose class is carried by a made-up word the cold start does not know."""
    rng = np.random.default_rng(seed)
    words = {"negative": "zorbly", "neutral": "plimth", "positive": "quaxel"}
    y = [str(rng.choice(labels)) for _ in range(n)]
    return [f"the order {words[c]} came {rng.integers(100)}" for c in y], y


def test_a_source_without_evidence_keeps_the_cold_start_unless_the_model_is_sure_and_knows_the_class():
    texts, labels = _planted(("negative", "positive"))
    model = SelfTrainedSentiment("en").fit(texts, labels)
    lean, own = Reading("self_trained", model, lean=True), Reading("self_trained", model)
    cases = ["quaxel", "awful quaxel"]
    scored = [score_text(t, "en") for t in cases]
    assert [s.label for s in scored] == ["neutral", "negative"]
    own_labels, _ = own.read(cases, "en", scored)
    lean_labels, lean_scores = lean.read(cases, "en", scored)
    assert own_labels[0] == "positive"   # the model's own reading: it never saw a neutral text
    assert lean_labels[0] == "neutral"   # so it may not overrule a neutral
    assert lean_labels[1] == "positive" and lean_scores[1] > 0  # a negative it knows, overruled with > even odds
    assert lean.label == "self_trained_fallback" and own.label == "self_trained"


def test_the_analyzer_reads_each_source_with_its_reading():
    texts, labels = _planted()
    model = SelfTrainedSentiment("en").fit(texts, labels)
    analyzer = FeedbackAnalyzer(("en",), readings={("en", "review"): Reading("self_trained", model),
                                                   ("en", None): Reading("self_trained", model, lean=True)})
    frame = analyzer.analyse(["a", "b", "c"], ["the order quaxel came", "the order quaxel came", "ok"],
                             ["en"] * 3, ["review", "ticket", None])
    assert frame["sentiment_model"].tolist() == ["self_trained", "self_trained_fallback", "self_trained_fallback"]
    assert frame["sentiment"].tolist()[0] == "positive"


def _feedback(rows):
    frame = pd.DataFrame(rows, columns=["text", "_language", "source", "stars"])
    return frame.assign(_label=[weak_label(s, "stars_1_5") for s in frame["stars"]],
                        _position=[rating_position(s, "stars_1_5") for s in frame["stars"]])


def _spanish_reviews(n, seed=0):
    rng = np.random.default_rng(seed)
    good = ["excelente", "genial", "perfecto", "rápido", "encantado", "quaxel"]  # quaxel, zorbly: no lexicon has them
    bad = ["roto", "tarde", "horrible", "nunca", "decepción", "zorbly"]
    rows = []
    for _ in range(n):
        stars = int(rng.choice([1, 2, 3, 4, 5]))
        words = rng.choice(good if stars >= 4 else bad if stars <= 2 else good + bad, size=3)
        rows.append((f"el pedido {' '.join(words)} {rng.integers(1000)}", "es", "review", stars))
    return rows


def test_figures_per_language_and_source_say_unvalidated_where_nothing_was_measured():
    tickets = [(f"el paquet no ha arribat, comanda {i}", "ca", "ticket", None) for i in range(25)]
    chosen = plan(_feedback(_spanish_reviews(200) + tickets), ["es", "ca", "en"])
    rows = chosen.rows.set_index(["language", "source"])
    es = rows.loc[("es", "all")]
    assert es["validated"] and es["n_test"] >= MIN_EVIDENCE and 0 < es["expected_f1"] <= 1
    assert rows.loc[("es", "review"), "expected_f1"] == pytest.approx(es["expected_f1"])
    for key in (("ca", "all"), ("ca", "ticket"), ("en", "all")):
        assert not rows.loc[key, "validated"] and pd.isna(rows.loc[key, "expected_f1"])
        assert rows.loc[key, "chosen"] == "cold_start" and rows.loc[key, "n_test"] == 0
    assert rows.loc[("ca", "ticket"), "texts"] == 25 and rows.loc[("ca", "ticket"), "rated_texts"] == 0
    assert chosen.readings[("ca", "ticket")].model is None


def test_a_language_with_little_rated_text_takes_the_others_model_only_where_it_wins():
    catalan = [(f"la comanda {w} ha arribat {i}", "ca", "review", s)
               for i, (w, s) in enumerate([("quaxel", 5), ("zorbly", 1)] * 10)]
    chosen = plan(_feedback(_spanish_reviews(300) + catalan), ["es", "ca"])
    ca = chosen.rows.set_index(["language", "source"]).loc[("ca", "all")]
    assert ca["n_train"] == 300 and ca["n_test"] == 20  # learned from es only, measured on every ca rated text
    assert ca["self_trained_f1"] is not None and not np.isnan(ca["self_trained_f1"])
    assert (ca["chosen"] == "cross_language") == (ca["self_trained_f1"] > ca["cold_start_f1"])
    assert ca["chosen"] == "cross_language"  # words shared with the Spanish reviews carry what the lexicon misses
    assert chosen.readings[("ca", "review")].name == "cross_language"


def test_no_training_measures_the_cold_start_on_every_rated_text():
    chosen = plan(_feedback(_spanish_reviews(100)), ["es"], train=False)
    es = chosen.rows.set_index(["language", "source"]).loc[("es", "all")]
    assert es["chosen"] == "cold_start" and es["n_train"] == 0 and es["n_test"] == 100 and es["validated"]


def _review_sentences(*names):
    frames = []
    for name in names:
        frames.append(pd.read_csv(shared_file("sentiment_dev", name, f"{name}.csv"))[["text", "label"]])
    return pd.concat(frames, ignore_index=True)


def _tweets_read_by_the_review_model(names):
    """The review sentences as star-rated reviews, the airline tweets as unrated social posts."""
    reviews = _review_sentences(*names)
    tweets = pd.read_csv(shared_file("airline_tweets_en", "Tweets.csv"))
    rows = ([(t, "en", "review", STARS[y]) for t, y in zip(reviews["text"], reviews["label"])]
            + [(t, "en", "social", None) for t in tweets["text"]])
    chosen = plan(_feedback(rows), ["en"])
    scored = [score_text(t, "en") for t in tweets["text"]]
    reading = chosen.readings[("en", "social")]
    labels, _ = reading.read(tweets["text"].tolist(), "en", scored)
    truth = tweets["airline_sentiment"].tolist()
    cold, transferred = macro_f1(truth, [s.label for s in scored]), macro_f1(truth, labels)
    social = chosen.rows.set_index(["language", "source"]).loc[("en", "social")]
    print(f"airline tweets read by a model trained on {'+'.join(names)}: macro-F1 transferred {transferred:.3f}, "
          f"cold start {cold:.3f}")
    return reading, social, cold, transferred


def test_tweets_read_by_the_review_trained_model_score_at_least_as_well_as_the_cold_start():
    reading, social, cold, transferred = _tweets_read_by_the_review_model(["en_uci_sentences"])
    assert reading.label == "self_trained_fallback"
    assert not social["validated"] and pd.isna(social["expected_f1"])  # no rated tweets: unvalidated
    assert transferred >= cold


@pytest.mark.slow
def test_tweets_read_by_a_three_class_review_model_score_as_well_as_the_cold_start():
    """With the fine-grained sentences (three classes) the reading ties the cold start on the tweets
    (0.598 against 0.601 on 2026-11-30): within the sampling error of a macro-F1 on 14,640 texts
    (about 0.005). The override odds were chosen on review domains held out one at a time
    (0.5 best there, docs/listening.md), not on the tweets."""
    reading, _, cold, transferred = _tweets_read_by_the_review_model(["en_uci_sentences", "en_finegrained"])
    assert reading.label == "self_trained_fallback" and transferred >= cold - 0.005
