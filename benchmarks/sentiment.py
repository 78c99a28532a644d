"""Sentiment accuracy on public labelled sets, centric beside VADER, in one run.

For every set in tests/models/text/sentiment_sets.py (../shared/data): the cold start (no rated text
of that language), VADER (the anchor, English lexicon and rules) on the same texts, and, where the
set's labels can stand for a shop's ratings, the self-trained model on held-out 20% splits (five
seeds; ``select`` trains on the other 80%). Figures: 3-class macro-F1 over the set's own classes and
positive/negative accuracy (the score's sign on polar texts). Targets (issue 18): Catalan pos/neg
accuracy >= 0.80, English macro-F1 >= 0.60 and >= VADER + 0.08, Spanish and Portuguese macro-F1 >=
0.60 cold and >= 0.70 self-trained.

    python benchmarks/sentiment.py [--splits 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.models.text.sentiment_sets import SETS, figures, load, path_of  # noqa: E402

SELF_TRAINED = ("amazon_es", "es_coah", "pt_repro")  # sets whose labels stand for a shop's ratings


def main() -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from centric.models.text.self_trained import select
    from centric.models.text.sentiment import label_of, score_text

    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", type=int, default=5)
    args = parser.parse_args()
    vader = SentimentIntensityAnalyzer()
    print(f"{'set':15s} {'role':12s} {'lang':4s} {'n':>6s}  {'cold F1':>7s} {'cold p/n':>8s}  "
          f"{'VADER F1':>8s} {'VADER p/n':>9s}  {'self-trained F1 (splits)':>24s}  seconds")
    for name, (language, _, role) in SETS.items():
        if not path_of(name).exists():
            print(f"{name:15s} absent: {path_of(name)}")
            continue
        texts, labels, _ = load(name)
        started = time.perf_counter()
        read = [score_text(t, language) for t in texts]
        ours = figures(labels, [r.label for r in read], [r.score for r in read])
        compound = [vader.polarity_scores(t)["compound"] for t in texts]
        theirs = figures(labels, [label_of(c, (-0.05, 0.05)) for c in compound], compound)
        trained = ""
        if name in SELF_TRAINED:
            scores = [select(texts, labels, language, random_state=seed).self_trained_f1 for seed in range(args.splits)]
            trained = f"{np.mean(scores):.3f} ({min(scores):.3f}-{max(scores):.3f})"
        print(f"{name:15s} {role:12s} {language:4s} {len(texts):6,d}  {ours['macro_f1']:7.3f} "
              f"{ours['pos_neg_accuracy']:8.3f}  {theirs['macro_f1']:8.3f} {theirs['pos_neg_accuracy']:9.3f}  "
              f"{trained:>24s}  {time.perf_counter() - started:.0f}")


if __name__ == "__main__":
    main()
