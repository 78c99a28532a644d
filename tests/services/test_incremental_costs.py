"""What an incremental run no longer pays for, and that it gives the same answers without it.

Rules under test:
- listening remembers the lemmas it computed (models/text/lemmas.py): a remembered lemma is simplemma's
  own, a memo saved by another simplemma version is ignored, and a text whose words are all remembered is
  read without simplemma at all (so without loading its dictionaries), with the same reading;
- the saved readings are rebuilt for the languages asked only (models/text/persist.py);
- a BTYD model's P(alive) is computed once for the rows and parameters asked again (scoring asks it for
  every horizon), with the same numbers, and the cache is not pickled;
- a warm refit without standard errors reaches the same parameters;
- personas' fingerprints (queries/personas.py) are equal for equal clustering variables and change with
  any of them, lists included.
"""

from __future__ import annotations

import pickle

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest

from centric.models.text import lemmas


@pytest.fixture()
def fresh_memo():
    lemmas.forget()
    yield
    lemmas.forget()


def test_remembered_lemmas_are_simplemmas(fresh_memo):
    import simplemma

    words = ["entregas", "llegaron", "rotos", "devolución"]
    assert [lemmas.lemma(w, "es") for w in words] == [simplemma.lemmatize(w, lang="es") for w in words]
    saved = lemmas.state(["es", "en"])
    assert set(saved["lemmas"]["es"]) == set(words) and saved["lemmas"]["en"] == {}
    lemmas.forget()
    assert lemmas.remember(saved) == len(words) and lemmas.known("es") == len(words)
    lemmas.forget()
    assert lemmas.remember({**saved, "simplemma": "0.0-another"}) == 0 and lemmas.known("es") == 0


def test_known_words_are_read_without_simplemma(fresh_memo, monkeypatch):
    """A reading with the memo put back equals the reading that computed the lemmas, and never calls
    simplemma (which would load the language's dictionary)."""
    import simplemma

    from centric.models.text import lexicon, self_trained, sentiment
    from centric.models.text.analyzer import FeedbackAnalyzer

    texts = ["El paquete llegó tarde y roto, muy decepcionado con la atención recibida",
             "Entrega rapidísima, productos preciosos, repetiré seguro"]

    def clear():
        for cached in (lexicon._lemma, self_trained._lemma, self_trained.lemma_document, sentiment.score_text):
            cached.cache_clear()

    clear()
    analyzer = FeedbackAnalyzer(("es",))
    first = analyzer.read(["a", "b"], texts, ["es", "es"], [1.0, 1.0])
    saved = lemmas.state()
    assert saved["lemmas"]["es"], "reading these texts lemmatised no word: the test would prove nothing"
    lemmas.forget()
    clear()
    lemmas.remember(saved)

    def no_dictionary(*args, **kwargs):
        raise AssertionError("simplemma was asked for a remembered word")

    monkeypatch.setattr(simplemma, "lemmatize", no_dictionary)
    monkeypatch.setattr(lemmas, "lemmatizer", no_dictionary)
    again = analyzer.read(["a", "b"], texts, ["es", "es"], [1.0, 1.0])
    pd.testing.assert_frame_equal(first, again)


def test_readings_of_some_languages_only():
    from centric.models.text.persist import readings_from_state

    state = {"format": 1, "models": [], "readings": [["es", None, "cold_start", None, False],
                                                     ["en", "review", "cold_start", None, False]]}
    assert set(readings_from_state(state)) == {("es", None), ("en", "review")}
    assert set(readings_from_state(state, {"es"})) == {("es", None)}


def _rfm(n=400, seed=3):
    from centric.models.clv.simulate import simulate_pareto_nbd

    rng = np.random.default_rng(seed)
    return simulate_pareto_nbd(n, 0.6, 40.0, 0.8, 300.0, rng.integers(60, 400, n).astype(float), rng)


@pytest.mark.parametrize("name", ["ParetoNBD", "BetaGeo"])
def test_p_alive_is_computed_once_per_rows_and_parameters(name):
    from centric.models import clv

    data = _rfm()
    model = getattr(clv, name)().fit(data)
    calls = []
    inner = type(model)._p_alive

    def counted(self, rows):
        calls.append(1)
        return inner(self, rows)

    direct = np.asarray(inner(model, data))
    type(model)._p_alive = counted
    try:
        first = model.p_alive(data)
        first[:] = -1  # a caller changing its answer does not change the cached one
        e90, e365 = model.expected_purchases(data, 90.0), model.expected_purchases(data, 365.0)
        assert len(calls) == 1
        np.testing.assert_array_equal(model.p_alive(data), direct)
        model.params_ = {k: v * 1.01 for k, v in model.params_.items()}  # other parameters: computed again
        model.p_alive(data)
        assert len(calls) == 2
    finally:
        type(model)._p_alive = inner
    fresh = getattr(clv, name)()
    fresh.params_ = {k: v / 1.01 for k, v in model.params_.items()}
    np.testing.assert_allclose(fresh.expected_purchases(data, 90.0), e90, rtol=1e-12)
    np.testing.assert_allclose(fresh.expected_purchases(data, 365.0), e365, rtol=1e-12)
    assert "_last_p_alive" in model.__dict__ and "_last_p_alive" not in pickle.loads(pickle.dumps(model)).__dict__


@pytest.mark.parametrize("name", ["ParetoNBD", "BetaGeo"])
def test_a_refit_without_standard_errors_reaches_the_same_parameters(name):
    from centric.models import clv

    ParetoNBD = getattr(clv, name)

    data = _rfm(600, seed=1)
    before = ParetoNBD().fit(_rfm(600, seed=2))
    with_se = ParetoNBD().fit(data, initial_params=before.params_)
    without = ParetoNBD().fit(data, initial_params=before.params_, standard_errors=False)
    assert without.params_ == with_se.params_
    assert all(np.isnan(v) for v in without.standard_errors_.values())
    assert any(np.isfinite(v) for v in with_se.standard_errors_.values())  # computed when asked


def test_fingerprints_follow_every_clustering_variable():
    from centric.queries.personas import fingerprints, of_customers

    con = ibis.duckdb.from_connection(duckdb.connect())
    rows = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "age": [30, 30, 30, 31],
                         "country": ["ES", "ES", "PT", "ES"], "tags": [["x", "y"], ["x", "y"], ["x", "y"], ["x", "y"]],
                         "other": [1, 2, 3, 4]})
    changed = rows.assign(tags=[["x", "y"], ["x"], ["x", "y"], ["x", "y"]])
    variables = ["age", "country", "tags"]
    first = con.execute(fingerprints(con.create_table("p1", rows), variables)).set_index("customer_id")["profile_hash"]
    second = con.execute(fingerprints(con.create_table("p2", changed), variables)).set_index("customer_id")["profile_hash"]
    assert first["a"] == first["b"]  # equal variables (customer b differs in a column not clustered on)
    assert first["a"] != first["c"] and first["a"] != first["d"]  # a category, a number
    assert second["a"] == first["a"] and second["b"] != first["b"]  # a list
    wanted = ibis.memtable(pd.DataFrame({"customer_id": ["d", "b"]}))
    picked = con.execute(of_customers(con.table("p2"), ["tags"], wanted)).set_index("customer_id")
    assert sorted(picked.index) == ["b", "d"] and list(picked.loc["b", "tags"]) == ["x"]
