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

import pandas as pd

NEW_SHARE = 0.20
SHIFT = 0.10


def _old_insights(store) -> pd.DataFrame:
    db = store.ibis()
    t = db.table("feedback_insights")
    return db.execute(t.mutate(aspects=t.aspects.cast("string")))


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
    from centric.services.listen import _feedback, input_hashes, write_aggregates
    from centric.services.run_ledger import load_model, save_model

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
    known = dict(zip(old["feedback_id"], old["input_hash"]))
    fresh_mask = [known.get(f) != h for f, h in zip(feedback["feedback_id"], feedback["_hash"])]
    fresh = feedback[fresh_mask]
    current = set(feedback["feedback_id"])
    removed = sum(1 for f in old["feedback_id"] if f not in current)
    languages = list(settings.languages)
    analyzer = FeedbackAnalyzer(tuple(languages))
    detected, confidence = analyzer.languages_of(fresh["text"].fillna("").tolist(), fresh["language"].tolist())
    unchanged = {f for f, m in zip(feedback["feedback_id"], fresh_mask) if not m}
    kept = old[[f in unchanged for f in old["feedback_id"]]]
    labels = [weak_label(r, s) for r, s in zip(feedback["rating"], feedback["rating_scale"])]
    why = drift(fitted, feedback, [*kept["language"], *detected], labels, removed, len(fresh), languages)
    if why is not None:
        return None, f"drift: {why}"
    if fresh.empty and not removed:
        reason = "no new or changed texts; models reused"
    else:
        reason = f"{len(fresh):,} new or changed texts read with the saved models (no drift)"
    try:
        analyzer.readings = readings_from_state(state)
    except (ValueError, KeyError) as exc:
        return None, f"saved models unreadable ({exc})"
    say(f"reading {len(fresh):,} new texts")
    lemmas.remember(state.get("lemmas"))  # a dictionary is loaded only for words the fit never lemmatised
    before = [lemmas.known(lang) for lang in languages]
    new = analyzer.read(fresh["feedback_id"].tolist(), fresh["text"].tolist(), detected, confidence,
                        fresh["source"].tolist())
    if [lemmas.known(lang) for lang in languages] != before:  # new words: remembered for the next run
        save_model(store, "listening", fitted, {**state, "lemmas": lemmas.state(languages)}, refitted=False)
    new["discovered_theme"] = None
    new["input_hash"] = fresh["_hash"].to_numpy()
    stored_new = new.assign(aspects=new["aspects"].map(lambda a: json.dumps(a, ensure_ascii=False)))
    stored = pd.concat([kept, stored_new[[c for c in kept.columns]]], ignore_index=True)
    order = {f: i for i, f in enumerate(feedback["feedback_id"])}
    stored = stored.sort_values("feedback_id", key=lambda s: s.map(order), kind="stable", ignore_index=True)
    store.replace_table("feedback_insights", stored)
    insights = stored.assign(aspects=stored["aspects"].map(lambda a: json.loads(a) if isinstance(a, str) else []))
    models = store.ibis().execute(store.ibis().table("sentiment_models"))
    result = write_aggregates(store, feedback.drop(columns="_hash"), insights, models, 0, say)
    return result, reason
