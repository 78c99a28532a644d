"""Clean, encode and cluster any frame of customers: the one path workspaces and plain files share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from centric.models.segmentation.clustering import MixedClustering
from centric.models.segmentation.features import MixedEncoder, long_items
from centric.models.segmentation.quality import audit


@dataclass
class ClusterResult:
    labels: np.ndarray
    distances: np.ndarray
    model: MixedClustering
    encoder: MixedEncoder
    frame: pd.DataFrame  # the cleaned frame the clusters were fitted on
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    multi: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # variable -> why it was left out
    quality: pd.DataFrame | None = None


def usable(frame: pd.DataFrame, numeric, categorical, multi) -> tuple[list, list, list, dict]:
    """Drop variables that are absent, empty or constant, saying why."""
    skipped = {}
    keep = {"numeric": [], "categorical": [], "multi": []}
    for kind, names in (("numeric", numeric), ("categorical", categorical), ("multi", multi)):
        for col in names:
            if col not in frame:
                skipped[col] = "not in the data"
                continue
            if kind == "numeric":
                distinct = pd.to_numeric(frame[col], errors="coerce").dropna().nunique()
            else:
                distinct = long_items(frame[col])[1].nunique()
            if distinct == 0:
                skipped[col] = "no values"
            elif distinct == 1:
                skipped[col] = "a single value"
            else:
                keep[kind].append(col)
    return keep["numeric"], keep["categorical"], keep["multi"], skipped


def cluster_frame(frame: pd.DataFrame, numeric=(), categorical=(), multi=(), n_clusters: int | None = None,
                  random_state: int = 0, ranges: dict | None = None, weights: dict | None = None,
                  sample_size: int = 50_000, k_max: int = 10, progress=None) -> ClusterResult:
    """Audit dirty values, encode the usable variables on one scale, choose k and assign every row."""
    clean, report = audit(frame, [c for c in numeric if c in frame], [c for c in categorical if c in frame],
                          ranges=ranges)
    num, cat, mul, skipped = usable(clean, numeric, categorical, multi)
    if not (num or cat or mul):
        from centric.models.segmentation.features import FeatureError

        raise FeatureError("no variable with at least two values to cluster on")
    encoder = MixedEncoder(num, cat, mul, weights=weights).fit(clean)
    X = encoder.transform(clean)
    model = MixedClustering(n_clusters=n_clusters, k_max=k_max, sample_size=sample_size,
                            random_state=random_state).fit(X, progress=progress)
    labels = model.predict(X)
    return ClusterResult(labels, model.distance(X, labels), model, encoder, clean, num, cat, mul, skipped, report)
