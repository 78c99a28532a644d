"""The public labelled sets that sentiment is judged on (../shared/data; see its README and SOURCE files).

Development sets (rules, lexicon lists, the neutral band and the score's blend were chosen on these):
``amazon_es`` (Spanish Amazon reviews, 1-5 stars) and ``en_finegrained`` / ``en_uci`` (English review
sentences). Held-out sets, never tuned on: ``airline_en`` (English tweets, 3 classes), ``es_coah``
(Spanish hotel reviews, 1-5 stars), ``ca_coah`` (the same reviews machine-translated to Catalan by
Apertium: it flatters real Catalan) and ``pt_repro`` (Brazilian product reviews, positive/negative).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
DEV = SHARED / "sentiment_dev"

SETS = {  # name: (language, file, text column(s), label column, role)
    "amazon_es": ("es", "amazon_reviews_es/reviews_es.csv", "development"),
    "en_finegrained": ("en", "sentiment_dev/en_finegrained/en_finegrained.csv", "development"),
    "en_uci": ("en", "sentiment_dev/en_uci_sentences/en_uci_sentences.csv", "development"),
    "airline_en": ("en", "airline_tweets_en/Tweets.csv", "held-out"),
    "es_coah": ("es", "sentiment_dev/es_coah/es_coah.csv", "held-out"),
    "ca_coah": ("ca", "sentiment_dev/ca_coah_apertium/ca_coah_apertium.csv", "held-out"),
    "pt_repro": ("pt", "sentiment_dev/pt_repro/pt_repro.csv", "held-out"),
}


def path_of(name: str) -> Path:
    return SHARED / SETS[name][1]


def load(name: str) -> tuple[list[str], list[str], str]:
    """(texts, labels negative/neutral/positive, language) of one set; FileNotFoundError when absent."""
    language, file, _ = SETS[name]
    frame = pd.read_csv(SHARED / file)
    if name == "amazon_es":
        texts = frame["review_title"].fillna("") + ". " + frame["review_body"].fillna("")
        labels = ["negative" if s <= 2 else "neutral" if s == 3 else "positive" for s in frame["stars"]]
        return texts.tolist(), labels, language
    if name == "airline_en":
        return frame["text"].tolist(), frame["airline_sentiment"].tolist(), language
    return frame["text"].astype(str).tolist(), frame["label"].tolist(), language


def figures(labels, predicted, scores) -> dict[str, float]:
    """macro-F1 over the set's own classes (a neutral answer on a positive/negative set is an error),
    and positive/negative accuracy: on the polar texts, the sign of the score against the label."""
    import numpy as np
    from sklearn.metrics import f1_score

    labels, predicted, scores = np.asarray(labels), np.asarray(predicted), np.asarray(scores, dtype=float)
    polar = labels != "neutral"
    return {
        "macro_f1": float(f1_score(labels, predicted, labels=sorted(set(labels)), average="macro")),
        "pos_neg_accuracy": float(np.mean(np.where(scores[polar] >= 0, "positive", "negative") == labels[polar])),
    }
