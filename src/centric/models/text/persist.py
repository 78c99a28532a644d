"""Save and load the listening readings (``transfer.Reading`` per language and source) as JSON, never pickle.

Rule: a loaded reading gives exactly the labels and scores of the one saved, bit for bit, so that an
incremental run that reuses the models reads a new text as the run that fitted them would have.
What is kept of a ``SelfTrainedSentiment``: its hyperparameters; per TF-IDF vectoriser the vocabulary
and the idf weights; the logistic regression's and the ridge's coefficients and intercepts; the
stacker's scaler (mean, scale) and logistic regression. Float arrays travel as base64 of their
float64 bytes (exact, and a third of the size of decimal text). Models shared by several readings
(a language's model serves all its sources) are saved once.

Read back (``readings_from_state``), a model is a ``scoring.SavedSentiment``: the same numbers from
numpy and scipy.sparse, without importing scikit-learn (about 0.7 s of CPU in a new process).
``model_from_state`` rebuilds scikit-learn's objects (the reference the scorer is tested against).

Formats: 1 kept each vocabulary as a JSON object term -> column (``vocabulary``); 2 keeps its terms in
column order as one string, separated by newlines (``terms``): a JSON string parses in a twentieth of
the time of an object of 300,000 keys, and a model no new text needs is never split into a dict. Both
are read, vectoriser by vectoriser (a format-1 model read back and saved again keeps its objects).
"""

from __future__ import annotations

import base64

import numpy as np

from centric.models.text.scoring import TERM_SEPARATOR, SavedSentiment, unarray, vocabulary_of

FORMAT = 2
#: the formats ``readings_from_state`` reads.
READABLE = (1, 2)


def _array(a) -> dict:
    a = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
    return {"shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode("ascii")}


def _linear(model) -> dict:
    out = {"coef": _array(model.coef_), "intercept": _array(np.atleast_1d(model.intercept_)),
           "n_features_in": int(model.n_features_in_)}
    if hasattr(model, "classes_"):
        out["classes"] = [str(c) for c in model.classes_]
    return out


def _logistic(d: dict, **params):
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(**params)
    m.coef_, m.intercept_ = unarray(d["coef"]), unarray(d["intercept"])
    m.classes_, m.n_features_in_ = np.array(d["classes"], dtype=object), d["n_features_in"]
    m.n_iter_ = np.array([0])
    return m


def _ridge(d: dict):
    from sklearn.linear_model import Ridge

    m = Ridge(alpha=1.0)
    m.coef_, m.n_features_in_ = unarray(d["coef"]), d["n_features_in"]
    intercept = unarray(d["intercept"])
    m.intercept_ = float(intercept[0]) if intercept.shape == (1,) and m.coef_.ndim == 1 else intercept
    return m


def _vocabulary(vocabulary: dict) -> dict:
    """{"terms": the terms in column order, one string}; {"vocabulary": {term: column}} (format 1's) should
    a term hold the separator or the columns not be 0 to n - 1."""
    terms = sorted(vocabulary, key=vocabulary.__getitem__)
    if [vocabulary[t] for t in terms] != list(range(len(terms))) or any(TERM_SEPARATOR in t for t in terms):
        return {"vocabulary": {k: int(v) for k, v in vocabulary.items()}}
    return {"terms": TERM_SEPARATOR.join(terms)}


def model_state(model) -> dict:
    if isinstance(model, SavedSentiment):  # read back and not refitted: what was read
        return model.state_
    vectorizers = [{**_vocabulary(vec.vocabulary_), "idf": _array(vec.idf_)} for vec in model.vectorizers_]
    stacker = None
    if model.stacker_ is not None:
        scaler, logistic = model.stacker_.steps[0][1], model.stacker_.steps[1][1]
        stacker = {"mean": _array(scaler.mean_), "scale": _array(scaler.scale_), "var": _array(scaler.var_),
                   "logistic": _linear(logistic)}
    return {"language": model.language, "C": model.C, "folds": model.folds, "random_state": model.random_state,
            "vectorizers": vectorizers, "classifier": _linear(model.classifier_), "regressor": _linear(model.regressor_),
            "stacker": stacker, "classes": [str(c) for c in model.classes_]}


def model_from_state(d: dict):
    """The saved model as scikit-learn's objects (``SavedSentiment.from_state(d)`` scores alike without them)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from centric.models.text.self_trained import MAX_ITER, SOLVER, SelfTrainedSentiment

    model = SelfTrainedSentiment(language=d["language"], C=d["C"], folds=d["folds"], random_state=d["random_state"])
    model.vectorizers_ = model._new_vectorizers()
    for vec, saved in zip(model.vectorizers_, d["vectorizers"]):
        vec.vocabulary_ = dict(vocabulary_of(saved))
        vec.fixed_vocabulary_ = False
        vec.idf_ = unarray(saved["idf"])
    model.classifier_ = _logistic(d["classifier"], C=model.C, solver=SOLVER, max_iter=MAX_ITER, class_weight="balanced")
    model.regressor_ = _ridge(d["regressor"])
    model.stacker_ = None
    if d["stacker"] is not None:
        scaler = StandardScaler()
        scaler.mean_, scaler.scale_, scaler.var_ = (unarray(d["stacker"][k]) for k in ("mean", "scale", "var"))
        scaler.n_features_in_ = len(scaler.mean_)
        scaler.n_samples_seen_ = 0
        model.stacker_ = make_pipeline(scaler, _logistic(d["stacker"]["logistic"], max_iter=2000,
                                                         class_weight="balanced"))
    model.classes_ = list(d["classes"])
    return model


def readings_state(readings: dict) -> dict:
    """{"models": [...], "readings": [[language, source|None, name, model index|None, lean], ...]}."""
    models, index, rows = [], {}, []
    for (language, source), reading in readings.items():
        slot = None
        if reading.model is not None:
            if id(reading.model) not in index:
                index[id(reading.model)] = len(models)
                models.append(model_state(reading.model))
            slot = index[id(reading.model)]
        rows.append([language, source, reading.name, slot, bool(reading.lean)])
    return {"format": FORMAT, "models": models, "readings": rows}


def readings_from_state(state: dict, languages=None) -> dict:
    """The saved readings, their models ``SavedSentiment`` (scoring only, no scikit-learn); given `languages`,
    only theirs (the models of other languages are not built)."""
    from centric.models.text.transfer import Reading

    if state.get("format") not in READABLE:
        raise ValueError(f"saved readings of format {state.get('format')!r}: refit them")
    rows = [row for row in state["readings"] if languages is None or row[0] in languages]
    models = {slot: SavedSentiment.from_state(state["models"][slot]) for slot in sorted({r[3] for r in rows} - {None})}
    return {(language, source): Reading(name, None if slot is None else models[slot], lean)
            for language, source, name, slot, lean in rows}
