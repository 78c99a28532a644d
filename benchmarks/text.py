"""Text analytics throughput: language + sentiment + aspects per text, on 2 cores, beside VADER.

Texts: the real English airline tweets, Spanish Amazon reviews and Catalan/Spanish tweets from
../shared/data (the demo shop's feedback when they are absent), about 20,000 in four languages.
centric runs FeedbackAnalyzer (language identification among en/es/ca/pt, cold-start sentiment,
taxonomy themes and aspect sentiment) in a pool of 2 processes; VADER (the anchor, English-only
lexicon) scores the same texts in one process. Accuracy: 3-class macro-F1 of both on the labelled
English and Spanish texts. Target: >= 2,000 texts/s for centric.

    python benchmarks/text.py [--workers 2]
"""

from __future__ import annotations

import argparse
import time
from multiprocessing import Pool
from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_texts() -> pd.DataFrame:
    frames = []
    airline = SHARED / "airline_tweets_en" / "Tweets.csv"
    if airline.exists():
        a = pd.read_csv(airline)
        frames.append(pd.DataFrame({"text": a["text"], "label": a["airline_sentiment"], "set": "airline_en"}))
        r = pd.read_csv(SHARED / "amazon_reviews_es" / "reviews_es.csv")
        frames.append(pd.DataFrame({
            "text": r["review_title"].fillna("") + ". " + r["review_body"].fillna(""),
            "label": ["negative" if s <= 2 else "neutral" if s == 3 else "positive" for s in r["stars"]],
            "set": "amazon_es"}))
        for name in ("catalan_train.csv", "spanish_train.csv"):
            t = pd.read_csv(SHARED / "catalan_spanish_tweets" / name, sep="\t", quoting=3)
            frames.append(pd.DataFrame({"text": t["TWEET"].astype(str), "label": None, "set": "ca_es_tweets"}))
    else:
        from centric.demo.shop import generate

        shop = generate(20_000, seed=3)
        f = shop.tables["feedback"]
        truth = shop.truth["feedback"].set_index("feedback_id").loc[f["feedback_id"]]
        frames.append(pd.DataFrame({"text": f["text"].to_numpy(), "label": truth["sentiment"].to_numpy(), "set": "demo"}))
    return pd.concat(frames, ignore_index=True)


def _analyse(chunk):
    from centric.models.text.analyzer import FeedbackAnalyzer

    analyzer = FeedbackAnalyzer(("en", "es", "ca", "pt"))
    out = analyzer.analyse(list(range(len(chunk))), chunk, None)
    return out["sentiment"].tolist(), out["language"].tolist()


def run_centric(texts: list[str], workers: int):
    size = max(1, len(texts) // (workers * 8))
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    with Pool(workers) as pool:
        pool.map(_analyse, [texts[:50]] * workers)  # warm the workers' imports and models
        start = time.perf_counter()
        parts = pool.map(_analyse, chunks)
        elapsed = time.perf_counter() - start
    sentiments = [s for part in parts for s in part[0]]
    languages = [lang for part in parts for lang in part[1]]
    return elapsed, sentiments, languages


def run_vader(texts: list[str]):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from centric.models.text.sentiment import label_of

    vader = SentimentIntensityAnalyzer()
    start = time.perf_counter()
    labels = [label_of(vader.polarity_scores(t)["compound"]) for t in texts]
    return time.perf_counter() - start, labels


def main() -> None:
    from sklearn.metrics import f1_score

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    data = load_texts()
    texts = data["text"].fillna("").tolist()
    print(f"{len(texts):,} texts: " + ", ".join(f"{k} {v:,}" for k, v in data["set"].value_counts().items()))
    ours_s, ours_labels, languages = run_centric(texts, args.workers)
    vader_s, vader_labels = run_vader(texts)
    data["centric"], data["vader"], data["language"] = ours_labels, vader_labels, languages
    print(f"centric (language + sentiment + aspects, {args.workers} processes): {ours_s:.2f} s, "
          f"{len(texts) / ours_s:,.0f} texts/s (target >= 2,000)")
    print(f"VADER (sentiment only, English lexicon, 1 process):       {vader_s:.2f} s, {len(texts) / vader_s:,.0f} texts/s")
    print(f"ratio of throughputs centric/VADER: {(len(texts) / ours_s) / (len(texts) / vader_s):.2f}")
    for name, part in data[data["label"].notna()].groupby("set"):
        ours = f1_score(part["label"], part["centric"], average="macro")
        theirs = f1_score(part["label"], part["vader"], average="macro")
        print(f"macro-F1 on {name} ({len(part):,}): centric cold start {ours:.3f}, VADER {theirs:.3f}")
    tweets = data[data["set"] == "ca_es_tweets"]
    if len(tweets):
        print("languages found in the Catalan/Spanish tweets: "
              + ", ".join(f"{k} {v:,}" for k, v in tweets["language"].value_counts().items()))


if __name__ == "__main__":
    main()
