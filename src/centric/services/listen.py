"""`centric listen`: read every feedback text and turn the answers into scores, drivers and trends.

1. Rated feedback (review stars; NPS, CSAT and CES scores with their survey comments) gives weak
   sentiment labels; per language a self-trained model is compared with the cold start on a held-out
   part and takes over where it wins, for the sources whose rated texts showed it; sources without
   ratings (tickets, chats, social posts) get the model leaning on the cold start, and their figures
   say unvalidated (`models.text.transfer`; `sentiment_models`, per language and per source).
2. Every text gets language, sentiment, themes and aspect sentiments (`feedback_insights`); texts no
   taxonomy theme covers are grouped into discovered themes.
3. NPS, CSAT and CES overall, per month and per channel, source and RFM segment, with intervals
   (`survey_scores`); the themes that cost NPS points (`feedback_drivers`); negative themes on the
   rise (`feedback_trends`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from centric.errors import CentricError

SCORE_DIMENSIONS = ("channel", "source", "rfm_segment")
HASHED = ("feedback_id", "text", "language", "source", "rating", "rating_scale")


class ListenError(CentricError):
    """The workspace has no feedback to read."""


@dataclass
class ListenResult:
    feedback: int
    languages: dict[str, int] = field(default_factory=dict)
    sentiments: dict[str, int] = field(default_factory=dict)
    models: pd.DataFrame | None = None
    scores: pd.DataFrame | None = None
    drivers: pd.DataFrame | None = None
    trends: pd.DataFrame | None = None
    discovered: int = 0


def _feedback(store) -> pd.DataFrame:
    from centric.queries import feedback as q

    db = store.ibis()
    return db.execute(q.rows(db.table("feedback")))


def train_sentiment(feedback: pd.DataFrame, languages: list[str], progress: Callable | None = None,
                    train: bool = True):
    """Per language and source, the reading to use and its figures on held-out rated feedback.

    Returns the `sentiment_models` rows and the readings for ``FeedbackAnalyzer.readings``.
    """
    from centric.models.text.self_trained import rating_position, weak_label
    from centric.models.text.transfer import plan

    labels = [weak_label(r, s) for r, s in zip(feedback["rating"], feedback["rating_scale"])]
    positions = [rating_position(r, s) for r, s in zip(feedback["rating"], feedback["rating_scale"])]
    chosen = plan(feedback.assign(_label=labels, _position=positions), languages, progress, train=train)
    return chosen.rows, chosen.readings


def listen(store, settings, progress: Callable | None = None, train: bool = True) -> ListenResult:
    """Analyse the workspace's feedback and write the listening tables."""
    from centric.models.text import lemmas
    from centric.models.text.analyzer import FeedbackAnalyzer
    from centric.models.text.discover import discover
    from centric.services import listen_scoring

    say = progress or (lambda *a, **k: None)
    feedback = _feedback(store)
    if feedback.empty:
        raise ListenError("there is no feedback yet: load some with `centric ingest feedback FILE` "
                          "(reviews, survey answers, tickets, social posts)")
    languages = list(settings.languages)
    say("reading languages")
    # the lemmas saved with this fit are the words of these texts only (none of an erased person's)
    lemmas.forget()
    analyzer = FeedbackAnalyzer(tuple(languages))
    detected, confidence = listen_scoring.languages(store, analyzer, feedback)  # on the executors on Spark
    feedback["_language"] = detected
    models, analyzer.readings = train_sentiment(feedback, languages, say, train)
    say("sentiment, themes and aspects")
    insights = listen_scoring.read(store, analyzer, feedback, detected, confidence)

    say("discovering themes beyond the taxonomy")
    insights["discovered_theme"] = None
    discovered = 0
    uncovered = insights["themes"].map(len).eq(0) & insights["language"].notna()
    for language in languages:
        idx = np.flatnonzero((uncovered & insights["language"].eq(language)).to_numpy())
        texts = feedback["text"].iloc[idx].fillna("").tolist()
        for topic in discover(texts, language):
            discovered += 1
            insights.loc[insights.index[idx[list(topic.members)]], "discovered_theme"] = f"{language}: {topic.topic}"

    insights["input_hash"] = input_hashes(feedback)
    stored = insights.assign(aspects=insights["aspects"].map(lambda a: json.dumps(a, ensure_ascii=False)))
    store.replace_table("feedback_insights", stored)
    store.replace_table("sentiment_models", models)
    save_readings(store, analyzer.readings, feedback, languages)
    return write_aggregates(store, feedback, insights, models, discovered, say)


def input_hashes(feedback: pd.DataFrame) -> pd.Series:
    """A fingerprint per feedback row of what its reading depends on (text, language given, source, rating)."""
    cols = feedback[list(HASHED)].astype(object).where(feedback[list(HASHED)].notna(), None).astype(str)
    return pd.util.hash_pandas_object(cols, index=False).astype(str).to_numpy()


def fitted_on(feedback: pd.DataFrame, detected, languages) -> dict:
    """What the readings were fitted on, for the drift check (services/listen_incremental.py)."""
    from centric.models.text.self_trained import weak_label
    from centric.services.run_ledger import shares

    labels = [weak_label(r, s) for r, s in zip(feedback["rating"], feedback["rating_scale"])]
    return {"texts": int(len(feedback)), "languages": list(languages), "language_shares": shares(detected),
            "label_shares": shares([x for x in labels if x is not None])}


LEMMAS_MODEL = "listening_lemmas"  # model_states row of the lemmas the readings remember


def save_readings(store, readings: dict, feedback: pd.DataFrame, languages) -> None:
    from centric.models.text import lemmas
    from centric.models.text.persist import readings_state
    from centric.services.run_ledger import save_model

    # the lemmas computed while fitting and reading: an incremental run reads new texts without loading a
    # dictionary unless they hold new words (models/text/lemmas.py). Kept in their own row (LEMMAS_MODEL):
    # a run that meets new words rewrites them (230 kB on the demo), not the readings (6.9 MB)
    fitted = fitted_on(feedback, feedback["_language"], languages)
    save_model(store, "listening", fitted, readings_state(readings))
    save_model(store, LEMMAS_MODEL, fitted, {"lemmas": lemmas.state()})


def write_aggregates(store, feedback: pd.DataFrame, insights: pd.DataFrame, models, discovered: int,
                     say: Callable = lambda *a, **k: None) -> ListenResult:
    """survey_scores, feedback_drivers and feedback_trends from every text and its insights (aggregates:
    recomputed whole, they are cheap)."""
    from centric.models import listening

    say("scores, drivers and trends")
    joined = feedback.merge(insights[["feedback_id", "themes", "aspects", "sentiment"]], on="feedback_id")
    if store.has_rows("customer_summary"):
        from centric.queries import feedback as q

        db = store.ibis()
        segments = db.execute(q.segments(db.table("customer_summary")))
        joined = joined.merge(segments, on="customer_id", how="left")
    else:
        joined["rfm_segment"] = None
    # the overall and per-period rows once (the first dimension's table has them)
    scores = pd.concat([listening.score_table(joined, by=d, totals=i == 0) for i, d in enumerate(SCORE_DIMENSIONS)],
                       ignore_index=True)
    scores = scores.drop_duplicates(subset=["metric", "period", "dimension", "group"], ignore_index=True)
    nps_answers = joined[joined["rating_scale"] == "nps_0_10"]
    drivers = listening.drivers(nps_answers)
    end = pd.to_datetime(feedback["received_at"]).max()
    trends = listening.rising_negative_themes(joined, end)
    for table, frame in (("survey_scores", scores), ("feedback_drivers", drivers), ("feedback_trends", trends)):
        store.replace_table(table, frame)
    return ListenResult(
        feedback=len(insights),
        languages=insights["language"].fillna("none").value_counts().to_dict(),
        sentiments=insights["sentiment"].value_counts().to_dict(),
        models=models, scores=scores, drivers=drivers, trends=trends, discovered=discovered,
    )


def verbatims(store, theme: str | None = None, sentiment: str | None = None, language: str | None = None,
              limit: int = 10) -> pd.DataFrame:
    """Feedback texts with their insights, filtered by theme, sentiment and language (queries/feedback.py)."""
    from centric.queries import feedback as q

    db = store.ibis()
    return db.execute(q.verbatims(db.table("feedback"), db.table("feedback_insights"), theme, sentiment, language, limit))
