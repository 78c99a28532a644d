"""What the Spark engine's executors run gives, batch by batch, what DuckDB's one pass gives (no Spark here).

The per-customer CLV scoring (services/clv_scoring.Scoring) and the two text passes
(services/listen_scoring.Languages, Reader) are sent to the executors pickled and applied to each
partition: applied to a frame cut into uneven batches after a pickle round trip they must give the
rows of the whole frame. The fits the driver makes from weighted distinct rows (queries/clv_data
fit_rows' shape) must equal the fits on every customer.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from centric.models.clv import BetaGeo, GammaGamma, ParetoNBD
from centric.models.clv.simulate import simulate_beta_geo, simulate_gamma_gamma
from centric.services.clv_scoring import Scoring

CUTS = (0, 7, 8, 300, 1111)  # uneven batches, one of a single row


def _batches(frame: pd.DataFrame):
    edges = [*CUTS, len(frame)]
    return [frame.iloc[a:b].reset_index(drop=True) for a, b in zip(edges, edges[1:]) if b > a]


@pytest.fixture(scope="module")
def customers():
    rng = np.random.default_rng(7)
    data = simulate_beta_geo(2500, 0.3, 60.0, 0.8, 3.0, rng.integers(30, 200, 2500).astype(float), rng)
    data[["recency", "T"]] = data[["recency", "T"]].round()  # whole days, as the model data has
    data["monetary_value"] = np.round(simulate_gamma_gamma(data["frequency"], 6.0, 4.0, 15.0, rng), 2)
    data.insert(0, "customer_id", [f"C{i:05d}" for i in range(len(data))])
    return data


def _weighted(data: pd.DataFrame) -> pd.DataFrame:
    keys = ["frequency", "recency", "T", "monetary_value"]
    rows = data.groupby(keys, as_index=False).size().rename(columns={"size": "weights"})
    return rows.astype({"weights": float}).sample(frac=1.0, random_state=3)  # any order: Spark's is arbitrary


@pytest.mark.parametrize("model", [BetaGeo, ParetoNBD])
def test_a_fit_on_weighted_distinct_rows_is_the_fit_on_every_customer(customers, model):
    rows = _weighted(customers)
    assert len(rows) < len(customers) / 2  # the one-time buyers collapse
    whole, weighted = model().fit(customers), model().fit(rows)
    for name, value in whole.params_.items():
        assert weighted.params_[name] == pytest.approx(value, rel=1e-6), name
    assert weighted.log_likelihood_ == pytest.approx(whole.log_likelihood_, rel=1e-9)
    repeat = customers[(customers["frequency"] > 0) & (customers["monetary_value"] > 0)]
    spend = rows[(rows["frequency"] > 0) & (rows["monetary_value"] > 0)]
    gg, gg_weighted = GammaGamma().fit(repeat), GammaGamma().fit(spend)
    for name, value in gg.params_.items():
        assert gg_weighted.params_[name] == pytest.approx(value, rel=1e-6), name


def test_scoring_batch_by_batch_after_a_pickle_equals_scoring_the_whole_frame(customers):
    from centric.models.clv.validation import ChurnCalibration

    fitted = BetaGeo().fit(customers)
    risk = fitted.p_no_purchase(customers, 90.0)
    churn = ChurnCalibration(90.0).fit(risk, (np.random.default_rng(1).random(len(risk)) < risk).astype(float))
    scoring = Scoring("BetaGeo", fitted, fitted, churn, True, 90.0, "BetaGeo",
                      GammaGamma().fit(customers[customers["frequency"] > 0]), 365.0, 0.1, 0.3,
                      pd.Timestamp("2026-11-30"))
    whole = scoring(customers)
    sent = pickle.loads(pickle.dumps(scoring))
    parts = pd.concat([sent(batch) for batch in _batches(customers)], ignore_index=True)
    assert whole["churn_risk"].nunique() > 1 and whole["p_alive"].between(0, 1).all()
    pd.testing.assert_frame_equal(parts, whole, check_exact=False, rtol=1e-12)


def test_texts_read_batch_by_batch_after_a_pickle_equal_one_pass():
    from centric.demo.shop import generate
    from centric.models.text.analyzer import FeedbackAnalyzer
    from centric.models.text.persist import readings_state
    from centric.services.listen import train_sentiment
    from centric.services.listen_scoring import Languages, Reader

    feedback = generate(200, 5, 1.0).tables["feedback"].reset_index(drop=True)
    languages = ["en", "es", "ca", "pt"]
    analyzer = FeedbackAnalyzer(tuple(languages))
    detected, confidence = analyzer.languages_of(feedback["text"].fillna("").tolist(), feedback["language"].tolist())
    feedback["_language"], feedback["_confidence"] = detected, confidence
    _, analyzer.readings = train_sentiment(feedback, languages)
    whole = analyzer.read(feedback["feedback_id"].tolist(), feedback["text"].tolist(), detected, confidence,
                          feedback["source"].tolist())

    found = pd.concat([pickle.loads(pickle.dumps(Languages(languages)))(b) for b in _batches(feedback)],
                      ignore_index=True)
    assert found["language"].tolist() == list(detected) and found["language_confidence"].tolist() == list(confidence)
    reader = pickle.loads(pickle.dumps(Reader(languages, readings_state(analyzer.readings))))
    parts = pd.concat([reader(b) for b in _batches(feedback)], ignore_index=True)
    assert whole["themes"].map(len).gt(0).any()
    for col in ("feedback_id", "language", "sentiment", "sentiment_score", "sentiment_model", "text_chars", "truncated"):
        assert parts[col].tolist() == whole[col].tolist(), col
    assert parts["themes"].map(list).tolist() == whole["themes"].map(list).tolist()
    assert parts["aspects"].map(__import__("json").loads).tolist() == whole["aspects"].tolist()
