"""Reading each feedback text where the texts are: the language pass and the reading pass of `listen`.

Rule: a text's language, sentiment, themes and aspects depend on that text alone (and on the readings
trained on the driver), so they are computed by two picklable functions that give the same rows
whatever batch a text arrives in:

- `Languages`: each text's language and its confidence (models/text/analyzer.languages_of);
- `Reader`: sentiment, themes and aspects of texts whose language is known, with the readings
  trained on the driver (models/text/transfer.py), sent as their exact JSON state
  (models/text/persist.py: a loaded reading gives the labels and scores of the saved one, bit for bit).

On DuckDB both run on the driver over the whole frame, as before. On Spark both run on the executors,
partition by partition, with mapInPandas (store.map_partitions); the driver keeps what needs every
text at once: training the readings on rated texts (between the two passes), discovering themes in
the uncovered texts, and the aggregates (survey_scores, drivers, trends), so it collects the
feedback and the insights.
"""

from __future__ import annotations

import json

import pandas as pd

LANGUAGE_COLUMNS = ["feedback_id", "language", "language_confidence"]


class Languages:
    """Each text's language among the workspace's languages, and its confidence."""

    def __init__(self, languages):
        self.languages = tuple(languages)
        self._analyzer = None  # built where it runs (the identifier's model is not sent along)

    def __getstate__(self):
        return {"languages": self.languages, "_analyzer": None}

    def analyzer(self):
        if self._analyzer is None:
            from centric.models.text.analyzer import FeedbackAnalyzer

            self._analyzer = FeedbackAnalyzer(self.languages)
        return self._analyzer

    def __call__(self, rows: pd.DataFrame) -> pd.DataFrame:
        detected, confidence = self.analyzer().languages_of(rows["text"].fillna("").tolist(), rows["language"].tolist())
        return pd.DataFrame({"feedback_id": rows["feedback_id"].to_numpy(), "language": pd.Series(detected, dtype=object),
                             "language_confidence": confidence})


class Reader(Languages):
    """Sentiment, themes and aspects (feedback_insights' reading columns, aspects as JSON text) of texts
    whose language is in `_language` / `_confidence`."""

    def __init__(self, languages, readings_state: dict):
        super().__init__(languages)
        self.state = readings_state

    def __getstate__(self):
        return {"languages": self.languages, "state": self.state, "_analyzer": None}

    def analyzer(self):
        if self._analyzer is None:
            from centric.models.text.persist import readings_from_state

            analyzer = super().analyzer()
            analyzer.readings = readings_from_state(self.state)
        return self._analyzer

    def __call__(self, rows: pd.DataFrame) -> pd.DataFrame:
        known = [v if isinstance(v, str) else None for v in rows["_language"]]  # a missing one as None, not NaN
        out = self.analyzer().read(rows["feedback_id"].tolist(), rows["text"].tolist(), known,
                                   rows["_confidence"].tolist(), rows["source"].tolist())
        return out.assign(aspects=out["aspects"].map(lambda a: json.dumps(a, ensure_ascii=False)))


def _on_spark(store) -> bool:
    return getattr(store, "engine", "duckdb") == "spark"


def _feedback_rows(store):
    from centric.queries import feedback as q

    return store.ibis().table("feedback").select(*q.COLUMNS)  # q.rows' columns, unsorted: no shuffle


def _in_order(feedback: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` (one per feedback_id, in any order) in the order of `feedback`'s rows."""
    ordered = feedback[["feedback_id"]].merge(rows, on="feedback_id", how="left", validate="one_to_one")
    return ordered.reset_index(drop=True)


def languages(store, analyzer, feedback: pd.DataFrame) -> tuple[list, list]:
    """(language, confidence) per row of `feedback`: on the executors on Spark."""
    if not _on_spark(store):
        return analyzer.languages_of(feedback["text"].fillna("").tolist(), feedback["language"].tolist())
    found = store.map_partitions(_feedback_rows(store), Languages(analyzer.languages), "feedback_insights",
                                 LANGUAGE_COLUMNS, collect=True)
    found = _in_order(feedback, found)
    detected = [v if isinstance(v, str) else None for v in found["language"]]
    return detected, [float(c) for c in found["language_confidence"]]


def read(store, analyzer, feedback: pd.DataFrame, detected, confidence) -> pd.DataFrame:
    """feedback_insights' reading columns per row of `feedback` (themes as lists, aspects as lists of
    dicts, as models/text/analyzer.read gives them): on the executors on Spark."""
    if not _on_spark(store):
        return analyzer.read(feedback["feedback_id"].tolist(), feedback["text"].tolist(), detected, confidence,
                             feedback["source"].tolist())
    import ibis

    from centric.models.text.analyzer import INSIGHT_COLUMNS
    from centric.models.text.persist import readings_state

    known = ibis.memtable(pd.DataFrame({"feedback_id": feedback["feedback_id"].astype(str).to_numpy(),
                                        "_language": pd.Series(detected, dtype=object),
                                        "_confidence": pd.Series(confidence, dtype=float)}),
                          schema={"feedback_id": "string", "_language": "string", "_confidence": "float64"})
    rows = _feedback_rows(store)
    rows = rows.join(known, "feedback_id")
    reader = Reader(analyzer.languages, readings_state(analyzer.readings))
    out = store.map_partitions(rows, reader, "feedback_insights", INSIGHT_COLUMNS, collect=True)
    out = _in_order(feedback, out)
    out["themes"] = out["themes"].map(lambda t: [str(v) for v in t] if t is not None else [])
    out["aspects"] = out["aspects"].map(lambda a: json.loads(a) if isinstance(a, str) else [])
    out["language"] = out["language"].map(lambda v: v if isinstance(v, str) else None)
    return out[INSIGHT_COLUMNS]
