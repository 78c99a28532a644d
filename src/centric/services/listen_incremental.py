"""An incremental `centric listen`: read only new and changed feedback, with the saved models, until they drift.

Rules:
- A feedback row is new or changed when its fingerprint (text, language given, source, rating:
  listen.input_hashes) is not the one stored beside its insights. Only those rows are read (language,
  sentiment, themes, aspects) with the readings saved at the last fit (`model_states`, models/text/
  persist.py); every other row of feedback_insights is kept as it was, byte for byte. Rows whose
  feedback is gone are dropped.
- The models are refitted (the whole `listen`) when the drift check fires, on any of:
  * texts removed since the fit (an erasure or a deletion): no saved model may keep what they taught it;
  * new or changed texts since the fit above NEW_SHARE (20%) of the texts it was fitted on;
  * the language mix (shares of detected languages) moved by more than SHIFT (0.10, total variation
    distance) from the fit's;
  * the weak-label mix of rated texts (negative / neutral / positive shares) moved by more than SHIFT;
  * the workspace's languages changed, or no saved models.
- New texts get no discovered theme until the next refit (theme discovery clusters all uncovered
  texts together). survey_scores, feedback_drivers and feedback_trends are recomputed whole from every
  text (cheap aggregates); sentiment_models keeps the fit's figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd

NEW_SHARE = 0.20
SHIFT = 0.10


def _old_insights(store) -> pd.DataFrame:
    """feedback_insights with aspects as JSON text; the themes (lists) come as JSON text too and are parsed
    in one call: Ibis turns a list column into Python lists one row at a time (0.14 s against 0.05 s of
    CPU on the demo's 33k texts), with the same lists."""
    db = store.ibis()
    t = db.table("feedback_insights")
    frame = db.execute(t.mutate(aspects=t.aspects.cast("string"), themes=t.themes.cast("json").cast("string")))
    texts = (x if isinstance(x, str) else "null" for x in frame["themes"].to_numpy(dtype=object))
    frame["themes"] = json.loads("[" + ",".join(texts) + "]")
    return frame


def drift(fitted: dict, feedback: pd.DataFrame, languages_now, labels_now, removed: int, fresh: int,
          languages: list) -> str | None:
    """Why the saved models must be refitted, or None."""
    from centric.services.run_ledger import share_shift, shares

    if list(fitted.get("languages", [])) != list(languages):
        return "the workspace's languages changed"
    if removed:
        return f"{removed:,} texts removed since the fit (erasure or deletion)"
    base = max(int(fitted.get("texts", 0)), 1)
    if fresh / base > NEW_SHARE:
        return f"{fresh:,} new or changed texts, {fresh / base:.0%} of the {base:,} the models were fitted on (> {NEW_SHARE:.0%})"
    moved = share_shift(fitted.get("language_shares", {}), shares(languages_now))
    if moved > SHIFT:
        return f"the language mix moved by {moved:.2f} (total variation > {SHIFT})"
    moved = share_shift(fitted.get("label_shares", {}), shares([x for x in labels_now if x is not None]))
    if moved > SHIFT:
        return f"the rating labels' mix moved by {moved:.2f} (total variation > {SHIFT})"
    return None


def listen_incremental(store, settings, progress: Callable | None = None):
    """(ListenResult, reason) having read only the new and changed texts; (None, why) when the models must
    be refitted (the caller then runs `listen`)."""
    from centric.models.text import lemmas
    from centric.models.text.analyzer import FeedbackAnalyzer
    from centric.models.text.persist import readings_from_state
    from centric.models.text.self_trained import weak_label
    from centric.services.listen import LEMMAS_MODEL, _feedback, input_hashes, write_aggregates
    from centric.services.run_ledger import load_model, save_model
    from centric.store.connection import RowUpdate

    say = progress or (lambda *a, **k: None)
    saved = load_model(store, "listening")
    if saved is None or not store.has_rows("feedback_insights"):
        return None, "no saved listening models"
    fitted, state = saved
    feedback = _feedback(store)
    if feedback.empty:
        return None, "no feedback"
    old = _old_insights(store)
    if old["input_hash"].isna().any():
        return None, "insights written before fingerprints were kept"
    feedback["_hash"] = input_hashes(feedback)
    # the ids as object arrays: iterating pandas' Arrow-backed strings costs ten times more on 33k texts
    ids, old_ids = feedback["feedback_id"].to_numpy(dtype=object), old["feedback_id"].to_numpy(dtype=object)
    known = dict(zip(old_ids, old["input_hash"].to_numpy(dtype=object)))
    fresh_mask = np.fromiter((known.get(f) != h for f, h in zip(ids, feedback["_hash"].to_numpy(dtype=object))),
                             dtype=bool, count=len(ids))
    fresh = feedback[fresh_mask]
    current = set(ids)
    removed = sum(1 for f in old_ids if f not in current)
    languages = list(settings.languages)
    analyzer = FeedbackAnalyzer(tuple(languages))
    detected, confidence = analyzer.languages_of(fresh["text"].fillna("").tolist(), fresh["language"].tolist())
    unchanged = set(ids[~fresh_mask])
    kept = old[np.fromiter((f in unchanged for f in old_ids), dtype=bool, count=len(old_ids))]
    labels = [weak_label(r, s) for r, s in zip(feedback["rating"], feedback["rating_scale"])]
    why = drift(fitted, feedback, [*kept["language"], *detected], labels, removed, len(fresh), languages)
    if why is not None:
        return None, f"drift: {why}"
    if fresh.empty and not removed:
        reason = "no new or changed texts; models reused"
    else:
        reason = f"{len(fresh):,} new or changed texts read with the saved models (no drift)"
    try:  # only the readings of the new texts' languages are built
        analyzer.readings = readings_from_state(state, {lang for lang in detected if lang is not None})
    except (ValueError, KeyError) as exc:
        return None, f"saved models unreadable ({exc})"
    say(f"reading {len(fresh):,} new texts")
    # a dictionary is loaded only for words the fit never lemmatised; the memo holds this workspace's words only
    lemmas.forget()
    remembered = load_model(store, LEMMAS_MODEL)  # a state saved by an older centric holds them itself
    lemmas.remember(remembered[1].get("lemmas") if remembered is not None else state.get("lemmas"))
    before = lemmas.known()
    new = analyzer.read(fresh["feedback_id"].tolist(), fresh["text"].tolist(), detected, confidence,
                        fresh["source"].tolist())
    if lemmas.known() != before:  # new words: remembered for the next run (their row only)
        save_model(store, LEMMAS_MODEL, fitted, {"lemmas": lemmas.state()}, refitted=False)
    new["discovered_theme"] = None
    new["input_hash"] = fresh["_hash"].to_numpy()
    stored_new = new.assign(aspects=new["aspects"].map(lambda a: json.dumps(a, ensure_ascii=False)))
    stored_new = stored_new[[c for c in kept.columns]]
    # only the rows of new, changed and removed texts are written: every other row stays as it was
    gone = [f for f in old_ids if f not in current]
    store.replace_table("feedback_insights", RowUpdate("feedback_id", [*stored_new["feedback_id"], *gone], stored_new))
    # the aspects stay JSON text: the trends parse only the texts of their two windows
    insights = pd.concat([kept, stored_new], ignore_index=True)
    models = store.ibis().execute(store.ibis().table("sentiment_models"))
    result = write_aggregates(store, feedback.drop(columns="_hash"), insights, models, 0, say)
    return result, reason
