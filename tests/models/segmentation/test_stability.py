"""Stability of personas: planted groups are found again under resampling; a structureless cloud is not split."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from centric.models.segmentation.clustering import MixedClustering
from centric.models.segmentation.stability import STABLE, Stability, jaccard_to_best, verdict
from centric.report.notes import partition_note


def blobs(n: int = 1500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated Gaussian groups in four dimensions, sizes 50/30/20%."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    centres = np.array([[0, 0, 0, 0], [5, 0, 0, 0], [0, 5, 0, 0]], dtype=float)
    return centres[truth] + rng.normal(size=(n, 4)), truth


def test_planted_groups_are_found_and_stable():
    X, truth = blobs()
    model = MixedClustering(random_state=0).fit(X)
    assert model.n_clusters_ == 3
    assert adjusted_rand_score(truth, model.predict(X)) > 0.95
    assert model.stable_
    assert model.stability_["ari"] > 0.95 and min(model.stability_["jaccard"]) > 0.9
    assert len(model.stability_["jaccard"]) == 3  # one per persona, in persona order


@pytest.mark.parametrize("cloud", ["gaussian", "uniform"])
def test_no_structure_gives_one_persona_and_says_so(cloud):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 5)) if cloud == "gaussian" else rng.random((2000, 5))
    model = MixedClustering(random_state=0).fit(X)
    assert model.n_clusters_ == 1 and not model.stable_
    assert (model.predict(X) == 0).all()
    assert not any(s["qualifies"] for s in model.stabilities_.values())
    facts = verdict(None, model.best_rejected(), model.n_clusters_, forced=False)
    assert facts["case"] in ("like_noise", "unstable_split") and facts["k"] >= 2
    text = partition_note(facts, "en")
    assert text.startswith("No stable grouping") and "one persona" in text


def test_a_forced_k_on_a_cloud_is_kept_but_reported_unstable():
    X = np.random.default_rng(2).normal(size=(1500, 5))
    model = MixedClustering(n_clusters=4, random_state=0).fit(X)
    assert model.n_clusters_ == 4 and not model.stable_
    st = Stability.from_dict(model.stability_)
    assert min(st.jaccard) < STABLE
    facts = verdict(st, None, 4, forced=True)
    assert facts["case"] == "unstable" and facts["weak"] and facts["jaccard"] < STABLE
    assert "rough split" in partition_note(facts, "en") and "aproximada" in partition_note(facts, "ca")


def test_stability_runs_on_a_bounded_sample():
    X, _ = blobs(n=6000, seed=3)
    model = MixedClustering(stability_size=500, n_resamples=3, k_max=4, random_state=0).fit(X)
    assert model.n_clusters_ == 3 and model.stability_["resamples"] == 3


def test_jaccard_to_best_matches_a_set_oracle():
    rng = np.random.default_rng(4)
    for _ in range(30):
        n, ka, kb = int(rng.integers(5, 60)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
        a, b = rng.integers(0, ka, n), rng.integers(0, kb, n)
        got = jaccard_to_best(a, b, ka, kb)
        for c in range(ka):
            sa = set(np.flatnonzero(a == c))
            want = max((len(sa & set(np.flatnonzero(b == d))) / len(sa | set(np.flatnonzero(b == d)))
                        if sa | set(np.flatnonzero(b == d)) else 0.0) for d in range(kb))
            assert got[c] == pytest.approx(want)
