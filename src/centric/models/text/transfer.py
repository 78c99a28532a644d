"""Which sentiment reading each language and source gets, and the figure it is expected to reach.

Rules (``plan``):

1. **Rated text trains, per language.** Review stars and the NPS, CSAT and CES scores of survey
   answers are ratings of the text that comes with them (``weak_label``). Per language, 80% of the
   rated texts train the self-trained model and 20% are held out (``select``); the model reads the
   language only where it beats the cold start on those held-out texts.
2. **Across languages, only where it measurably helps.** A language with some rated text, too little
   to train its own model (fewer than ``min_rated``), may take a model trained on the other
   languages' rated text (``cross_language``: lemmas and the cold-start score in each text's own
   language, character n-grams that es, ca and pt share, emoji), only where it beats the cold start
   on all of this language's rated texts, none of which it learned from (it trains on at most
   ``MAX_TRAINING_TEXTS`` of theirs, a stratified sample, as every model does). Those texts are out of the
   model's domain, so both its own reading and the one leaning on the cold start (rule 3) are
   measured and the better is used. A language with no rated text gives nothing to measure on, so it
   stays on the cold start.
3. **Sources without evidence lean on the cold start.** A source with held-out rated texts in the
   language (reviews, rated survey comments) is read by the language's model; where it has at least
   ``MIN_SOURCE_EVIDENCE`` of them and the cold start wins there, by the cold start. A source with
   none (tickets, chats, social posts) is out of the model's domain: its texts keep the cold start's
   label unless the model gives another label more than even odds (``OVERRIDE_ODDS``) and was
   trained on texts of the cold start's label (a model that never saw a neutral text cannot say a
   text is not neutral). A model trained on review sentences learns that nearly every text holds an
   opinion, and calls questions and plain reports negative or positive; the cold start calls a text
   without opinion words neutral. Measured on English review sentences, one domain held out at a
   time, and on airline tweets (docs/listening.md), this reading is at or above the cold start, where
   the model's own reading fell below it on the tweets.
4. **Figures, honestly.** Per language and per source: the macro-F1 of the reading used on the
   held-out rated texts (``expected_f1``), and how often the sentiment of the one aspect a held-out
   text mentions agrees with its rating's label (``aspect_agreement``). With fewer than
   ``MIN_EVIDENCE`` held-out texts, or none (a source without ratings, a language without rated
   text), the figure is None and the row says unvalidated. Where the cold start is used, every rated
   text is held out (it learned from none of them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from centric.models.text.self_trained import SelfTrainedSentiment, macro_f1, select, training_sample
from centric.models.text.sentiment import score_text
from centric.models.text.themes import aspects

#: held-out texts needed before a figure is called validated.
MIN_EVIDENCE = 10
#: held-out texts of one source needed before that source may choose the cold start over the model.
MIN_SOURCE_EVIDENCE = 30
#: out of evidence, the model's label replaces the cold start's only above this probability.
OVERRIDE_ODDS = 0.5
#: the source of a language's summary row.
ALL_SOURCES = "all"
ROW_COLUMNS = ["language", "source", "texts", "rated_texts", "n_train", "n_test", "cold_start_f1", "self_trained_f1",
               "chosen", "reading", "expected_f1", "validated", "aspect_texts", "aspect_agreement"]


@dataclass
class Reading:
    """How texts of one language and source are read: the cold start, a model, or a model leaning on the cold start."""

    name: str = "cold_start"  # cold_start | self_trained | cross_language
    model: SelfTrainedSentiment | None = None
    lean: bool = False

    @property
    def label(self) -> str:
        """What ``feedback_insights.sentiment_model`` records: the name, ``_fallback`` when leaning."""
        return self.name + ("_fallback" if self.lean and self.model is not None else "")

    def read(self, texts, language: str, scored) -> tuple[list[str], np.ndarray]:
        """Labels and scores of texts whose cold-start readings (``score_text``) are ``scored``."""
        cold_scores = np.array([s.score for s in scored], dtype=float)
        cold_labels = [s.label for s in scored]
        if self.model is None or not len(cold_labels):
            return cold_labels, cold_scores
        proba = self.model.predict_proba(list(texts), cold_scores, [language] * len(cold_labels))
        labels, scores = self.model.labels_of(proba), self.model.score_of(proba)
        if not self.lean:
            return labels, scores
        # a model that never saw a class (review stars without a neutral text) cannot judge that class
        sure = (proba.max(1) > OVERRIDE_ODDS) & np.isin(cold_labels, self.model.classes_)
        return ([m if s else c for m, c, s in zip(labels, cold_labels, sure)],
                np.where(sure, scores, cold_scores))


@dataclass
class Plan:
    """The readings per (language, source) (``(language, None)``: any other source) and the figures."""

    readings: dict[tuple[str, str | None], Reading] = field(default_factory=dict)
    rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ROW_COLUMNS))


@dataclass(eq=False)
class _Language:
    language: str
    frame: pd.DataFrame          # every text of the language
    rated: pd.DataFrame          # its rated texts
    n_train: int = 0
    held: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # rows of ``rated`` held out
    cold_f1: float | None = None
    model_f1: float | None = None
    reading: Reading = field(default_factory=Reading)


def plan(feedback: pd.DataFrame, languages, progress: Callable | None = None, min_rated: int = 60,
         train: bool = True) -> Plan:
    """Choose and measure the readings; ``feedback`` has text, _language, source, _label, _position.

    ``train=False``: the cold start everywhere, measured on all the rated texts.
    """
    say = progress or (lambda *a, **k: None)
    frame = feedback.assign(source=feedback["source"].fillna("other").astype(str))
    has_text = frame["text"].fillna("").astype(str).str.strip().ne("")
    states = {}
    for language in languages:
        part = frame[frame["_language"] == language]
        rated = part[part["_label"].notna() & has_text.loc[part.index]].reset_index(drop=True)
        state = _Language(language, part, rated)
        say(f"sentiment model: {language}")
        choice = select(rated["text"].tolist(), rated["_label"].tolist(), language, rated["_position"].tolist(),
                        min_rated=min_rated if train else len(rated) + 1)
        state.cold_f1, state.model_f1 = choice.cold_start_f1, choice.self_trained_f1
        if choice.model is not None:
            state.n_train, state.held = choice.n_train, choice.test_index
            state.reading = Reading("self_trained", choice.model)
        else:  # the cold start learned from none of the rated texts: all of them are its evidence
            state.held = np.arange(len(rated))
        states[language] = state
    if train:
        _cross_language(states, min_rated, say)
    result = Plan()
    rows = []
    for state in states.values():
        rows.extend(_rows(state, result.readings))
    result.rows = pd.DataFrame(rows, columns=ROW_COLUMNS)
    return result


def _cross_language(states: dict[str, _Language], min_rated: int, say) -> None:
    """A model on the other languages' rated text, for languages with too little of their own, where it wins."""
    small = [s for s in states.values() if s.reading.model is None and MIN_EVIDENCE <= len(s.rated) < min_rated
             and s.rated["_label"].nunique() >= 2]
    donors = pd.concat([s.rated.assign(_language=s.language) for s in states.values() if s not in small]
                       or [pd.DataFrame(columns=["text", "_label", "_position", "_language"])], ignore_index=True)
    if not small or len(donors) < min_rated or donors["_label"].nunique() < 2:
        return
    say("sentiment model across languages")
    donors = donors.iloc[training_sample(donors["_label"].tolist())].reset_index(drop=True)
    # one model for all the donor languages: each text is read in its own language
    model = SelfTrainedSentiment("en").fit(donors["text"].tolist(), donors["_label"].tolist(),
                                           donors["_position"].astype(float).tolist(), donors["_language"].tolist())
    for state in small:
        texts, truth = state.rated["text"].tolist(), state.rated["_label"].tolist()
        scored = [score_text(t, state.language) for t in texts]
        state.n_train = len(donors)
        # no text of this language was learned from: its own reading and the one leaning on the cold
        # start are both out of domain here, and both are measured
        figures = {lean: macro_f1(truth, Reading("cross_language", model, lean).read(texts, state.language, scored)[0])
                   for lean in (True, False)}
        lean = figures[True] >= figures[False]
        state.model_f1 = figures[lean]
        if state.model_f1 > (state.cold_f1 or 0.0):
            state.reading = Reading("cross_language", model, lean)


def _rows(state: _Language, readings: dict) -> list[dict]:
    """The language's readings per source, and its rows: one for the language and one per source."""
    language, model, name = state.language, state.reading.model, state.reading.name
    held = state.rated.iloc[state.held]
    scored = [score_text(t, language) for t in held["text"]]
    cold = [s.label for s in scored]
    if model is not None and len(held):
        modelled, modelled_scores = state.reading.read(held["text"].tolist(), language, scored)
    else:
        modelled, modelled_scores = cold, np.array([s.score for s in scored], dtype=float)
    truth = held["_label"].tolist()
    sources = sorted(set(state.frame["source"]) | set(state.rated["source"]))
    labels, scores = list(cold), np.array([s.score for s in scored], dtype=float)
    held_source = held["source"].to_numpy()
    per_source = []
    for source in sources:
        mask = held_source == source
        n = int(mask.sum())
        if model is None:
            reading = Reading()
        elif n == 0:
            reading = Reading(name, model, lean=True)
        elif n >= MIN_SOURCE_EVIDENCE and (macro_f1(_pick(truth, mask), _pick(cold, mask))
                                           > macro_f1(_pick(truth, mask), _pick(modelled, mask))):
            reading = Reading()
        else:
            reading = state.reading
        readings[(language, source)] = reading
        if reading.model is not None:
            for i in np.flatnonzero(mask):
                labels[i], scores[i] = modelled[i], modelled_scores[i]
        per_source.append((source, mask, reading))
    readings[(language, None)] = Reading(name, model, lean=True) if model is not None else Reading()

    def row(source, mask, reading) -> dict:
        y, used = _pick(truth, mask), _pick(labels, mask)
        n = len(y)
        agree, agree_n = _aspect_agreement([s for s, m in zip(scored, mask) if m], language, scores[mask], y)
        texts = state.frame if source == ALL_SOURCES else state.frame[state.frame["source"] == source]
        rated = state.rated if source == ALL_SOURCES else state.rated[state.rated["source"] == source]
        return {
            "language": language, "source": source, "texts": len(texts), "rated_texts": len(rated),
            "n_train": state.n_train, "n_test": n,
            "cold_start_f1": macro_f1(y, _pick(cold, mask)) if n else None,
            "self_trained_f1": (macro_f1(y, _pick(modelled, mask)) if n and model is not None
                                else state.model_f1 if source == ALL_SOURCES else None),
            "chosen": name, "reading": reading.label,
            "expected_f1": macro_f1(y, used) if n >= MIN_EVIDENCE else None, "validated": n >= MIN_EVIDENCE,
            "aspect_texts": agree_n, "aspect_agreement": agree if agree_n >= MIN_EVIDENCE else None,
        }

    everything = np.ones(len(held), dtype=bool)
    return [row(ALL_SOURCES, everything, state.reading)] + [row(*item) for item in per_source]


def _pick(values, mask) -> list:
    return [v for v, m in zip(values, mask) if m]


def _aspect_agreement(scored, language: str, overall, truth) -> tuple[float | None, int]:
    """Share of texts mentioning exactly one aspect whose aspect sentiment equals the rating's label."""
    hits = []
    for s, score, label in zip(scored, overall, truth):
        found = aspects(s, language, overall=float(score))
        if len(found) == 1:
            hits.append(found[0].sentiment == label)
    return (float(np.mean(hits)) if hits else None), len(hits)
