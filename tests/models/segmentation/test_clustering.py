"""Mixed-variable clustering: planted groups are found, k is chosen from the data, results are seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from centric.models.segmentation.cluster_frame import cluster_frame
from centric.models.segmentation.clustering import ClusteringError, MixedClustering
from centric.models.segmentation.explain import traits
from centric.models.segmentation.features import FeatureError, MixedEncoder
from centric.models.segmentation.quality import audit


def planted(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Four groups that differ in a numeric mean, a city and a set of tags; plus pure noise variables."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])
    cities = np.array(["Barcelona", "Lisboa", "Madrid", "Porto"])
    tagsets = [["tech", "coffee"], ["kids", "home"], ["deals", "fashion"], ["wine", "books"]]
    city = np.where(rng.random(n) < 0.8, cities[truth], cities[rng.integers(0, 4, n)])
    tags = [list(rng.choice(tagsets[g], size=rng.integers(1, 3), replace=False)) for g in truth]
    return pd.DataFrame({
        "spend": np.exp(rng.normal(3 + truth * 0.8, 0.3)),  # skewed, non-negative: encoded on the log scale
        "noise": rng.normal(0, 1, n),
        "gender": rng.choice(["f", "m"], n),
        "city": city,
        "tags": tags,
    }), truth


def test_planted_groups_and_their_number_are_recovered():
    frame, truth = planted()
    result = cluster_frame(frame, ["spend", "noise"], ["city"], ["tags"], random_state=3)
    assert result.model.n_clusters_ == 4
    assert adjusted_rand_score(truth, result.labels) > 0.9
    # numbered by size: the largest cluster is 0
    sizes = np.bincount(result.labels)
    assert list(sizes) == sorted(sizes, reverse=True)


def test_runs_with_different_seeds_agree_and_the_same_seed_repeats():
    frame, _ = planted(seed=1)
    a = cluster_frame(frame, ["spend", "noise"], ["city"], ["tags"], random_state=0).labels
    b = cluster_frame(frame, ["spend", "noise"], ["city"], ["tags"], random_state=7).labels
    c = cluster_frame(frame, ["spend", "noise"], ["city"], ["tags"], random_state=0).labels
    assert adjusted_rand_score(a, b) > 0.95
    assert (a == c).all()


def test_fit_on_a_sample_assigns_everyone_like_a_full_fit():
    frame, truth = planted(n=6000, seed=2)
    X = MixedEncoder(["spend"], ["city"], ["tags"]).fit_transform(frame)
    small = MixedClustering(n_clusters=4, select_size=800, sample_size=800, random_state=0).fit(X)
    full = MixedClustering(n_clusters=4, select_size=10_000, sample_size=10_000, random_state=0).fit(X)
    assert len(small.predict(X)) == len(X)
    assert adjusted_rand_score(small.predict(X), full.predict(X)) > 0.95


def test_every_variable_has_unit_variance_in_the_encoded_space():
    frame, _ = planted(seed=4)
    enc = MixedEncoder(["noise"], ["city"], ["tags"]).fit(frame)
    X = enc.transform(frame).astype(float)
    names = enc.feature_names_
    for prefix in ("city=", "tags="):
        block = X[:, [i for i, n in enumerate(names) if n.startswith(prefix)]]
        assert block.var(axis=0).sum() == pytest.approx(1.0, rel=0.05)
    assert X[:, names.index("noise")].var() == pytest.approx(1.0, rel=0.4)  # robust scale, close to one


def test_distinguishing_traits_name_what_was_planted():
    frame, truth = planted(seed=5)
    table = traits(frame, truth, numeric=["spend", "noise"], categorical=["city", "tags", "gender"])
    for g, city, tags in ((0, "Barcelona", {"tech", "coffee"}), (3, "Porto", {"wine", "books"})):
        found = table[(table["group"] == g) & table["distinguishing"]]
        assert city in set(found["value"])
        assert tags <= set(found["value"])
        assert not ((found["variable"] == "noise") | (found["variable"] == "gender")).any()


def test_audit_reports_dirty_values_and_sets_them_aside():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"birth": list(rng.integers(1940, 2000, 1200)) + [1893, 1900],
                          "income": list(rng.normal(50_000, 8_000, 1201)) + [666_666.0],
                          "status": ["Single"] * 600 + ["Married"] * 600 + ["YOLO", "Absurd"]})
    clean, report = audit(frame, ["birth", "income"], ["status"], ranges={"birth": (1901, 2010)})
    flagged = set(zip(report["column"], report["value"].astype(str)))
    assert {("birth", "1893.0"), ("birth", "1900.0"), ("income", "666666.0"), ("status", "YOLO"),
            ("status", "Absurd")} <= flagged
    assert clean["birth"].isna().sum() == 2 and clean["income"].isna().sum() == 1 and clean["status"].isna().sum() == 2
    assert frame["birth"].isna().sum() == 0  # the input is not touched


def test_bad_settings_and_useless_variables_are_clear_errors():
    frame, _ = planted(n=50)
    with pytest.raises(ClusteringError, match="between 2"):
        MixedClustering(n_clusters=1).fit(np.zeros((50, 2)))
    with pytest.raises(FeatureError, match="no column"):
        MixedEncoder(["shoe_size"]).fit(frame)
    with pytest.raises(FeatureError, match="no variable"):
        cluster_frame(frame.assign(one="x"), [], ["one"], [])
