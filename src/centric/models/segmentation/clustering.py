"""k-means on the encoded mixed variables, with the number of clusters chosen from the data.

Fit on seeded samples and assign everyone to the nearest centre, so that a million customers
cost one pass (Lloyd 1982; k-means++ seeding, Arthur & Vassilvitskii 2007). Without a given k,
each k in [k_min, k_max] is fitted on the sample and scored by the mean silhouette (Rousseeuw
1987, "Silhouettes", J. Comput. Appl. Math. 20) on a seeded subsample and the best k wins
(with `tolerance` > 0, the largest k within that distance of the best silhouette). Clusters are
numbered by size, 0 = largest, so that runs with different seeds can be compared.

Only stable partitions compete (models/segmentation/stability.py): each candidate k is refitted on
`n_resamples` random halves of a seeded sample of at most `stability_size` rows, and k qualifies
when every cluster keeps a mean Jaccard of at least 0.75 with its best match (Hennig 2007) and the
partition fits the data better than k-means fits a single Gaussian of the same covariance. The best
silhouette among the qualifying k wins (k are tried best silhouette first, so stability is measured
only until one qualifies). When no k qualifies the data hold no stable grouping and
the model keeps one cluster (k = 1: everyone together) instead of inventing distinct ones. A given
`n_clusters` is kept, and its stability is measured and reported all the same.
"""

from __future__ import annotations

import json

import numpy as np

from centric.models.segmentation.stability import Stability, assess


class ClusteringError(ValueError):
    """Too few customers or a bad setting for clustering."""


class MixedClustering:
    def __init__(self, n_clusters: int | None = None, k_min: int = 2, k_max: int = 10, select_size: int = 8_000,
                 sample_size: int = 50_000, silhouette_size: int = 4_000, n_init: int = 12, tolerance: float = 0.0,
                 stability_size: int = 2_000, n_resamples: int = 10, require_stable: bool = True,
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.k_min = k_min
        self.k_max = k_max
        self.select_size = select_size
        self.sample_size = sample_size
        self.silhouette_size = silhouette_size
        self.n_init = n_init
        self.tolerance = tolerance
        self.stability_size = stability_size
        self.n_resamples = n_resamples
        self.require_stable = require_stable
        self.random_state = random_state

    def fit(self, X: np.ndarray, progress=None) -> "MixedClustering":
        """Choose k on a sample of `select_size` rows (n_init restarts per k), then refine the chosen
        centres by Lloyd iterations on a larger sample of `sample_size` rows."""
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score
        from threadpoolctl import threadpool_limits

        say = progress or (lambda *_: None)
        n = len(X)
        if n < 4:
            raise ClusteringError(f"{n} customers are too few to cluster (at least 4)")
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(n)
        select = X[np.sort(order[: self.select_size])]
        if self.n_clusters is not None:
            if not 2 <= self.n_clusters <= len(select) - 1:
                raise ClusteringError(f"the number of clusters must be between 2 and {len(select) - 1}")
            candidates = [self.n_clusters]
        else:
            if not 2 <= self.k_min <= self.k_max:
                raise ClusteringError("k_min must be at least 2 and at most k_max")
            candidates = list(range(self.k_min, min(self.k_max, len(select) - 1) + 1))
        sil_idx = np.sort(rng.permutation(len(select))[: self.silhouette_size])
        stab_idx = np.sort(rng.permutation(len(select))[: self.stability_size])
        fitted, scores, stability = {}, {}, {}
        with threadpool_limits(1):  # small fits: OpenMP threads on a busy machine cost more than they give
            for k in candidates:
                say(f"clustering: trying {k} clusters")
                km = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit(select)
                fitted[k] = km
                labels = km.labels_[sil_idx]
                scores[k] = float(silhouette_score(select[sil_idx], labels)) if len(set(labels)) > 1 else -1.0

            def stability_of(k):
                if k not in stability:
                    say(f"clustering: how stable {k} clusters are")
                    stability[k] = assess(select[stab_idx], fitted[k].labels_[stab_idx], k, self.n_resamples,
                                          n_init=min(self.n_init, 10), random_state=self.random_state)
                return stability[k]

            measured = self.n_resamples > 0
            if self.n_clusters is not None:
                k = self.n_clusters
                if measured:
                    stability_of(k)
            elif not (measured and self.require_stable):
                best = max(scores.values())
                k = max(k for k, s in scores.items() if s >= best - self.tolerance)
            else:
                # by silhouette, best first: the first k that qualifies is the best qualifying one, so
                # structured data cost one or two stability runs and only a structureless cloud costs all
                k = 1
                for k_ in sorted(candidates, key=lambda c: (-scores[c], c)):
                    if stability_of(k_).qualifies:
                        k = k_
                        break
                if k > 1 and self.tolerance > 0:
                    near = [c for c in candidates if c > k and scores[c] >= scores[k] - self.tolerance]
                    k = max([k] + [c for c in near if stability_of(c).qualifies])
        if k == 1:
            sample = X[np.sort(order[: self.sample_size])]
            centers = sample.astype(np.float64).mean(axis=0, keepdims=True)
            inertia = float(((sample - centers) ** 2).sum())
        else:
            centers = fitted[k].cluster_centers_
            if n > len(select):
                say(f"clustering: refining {k} clusters on a larger sample")
                sample = X[np.sort(order[: self.sample_size])]
                final = KMeans(n_clusters=k, init=centers, n_init=1, random_state=self.random_state).fit(sample)
                centers, inertia = final.cluster_centers_, final.inertia_
            else:
                sample, inertia = select, fitted[k].inertia_
        sizes = np.bincount(_nearest(sample, centers), minlength=k)
        by_size = np.argsort(-sizes, kind="stable")
        self.cluster_centers_ = centers[by_size].astype(np.float64)
        self.n_clusters_ = k
        self.silhouettes_ = scores
        self.inertia_ = float(inertia)
        self.stabilities_ = {k_: st.to_dict() for k_, st in sorted(stability.items())}
        self.stability_ = None  # the chosen partition's stability, per final cluster number
        if k > 1 and k in stability:
            # refining from the chosen centres keeps their order, so cluster j of the selection fit is
            # cluster by_size.index(j) of the final model
            chosen = stability[k]
            self.stability_ = dict(chosen.to_dict(), jaccard=[round(chosen.jaccard[j], 4) for j in by_size])
        self.stable_ = bool(self.stability_ and self.stability_["qualifies"])
        return self

    def best_rejected(self) -> Stability | None:
        """The most stable candidate partition (by adjusted Rand index), for saying why none was kept."""
        if not self.stabilities_:
            return None
        d = max(self.stabilities_.values(), key=lambda s: -1 if s["ari"] is None else s["ari"])
        return Stability.from_dict(d)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return _nearest(X, self.cluster_centers_)

    def distance(self, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Euclidean distance of each row to its cluster's centre."""
        return np.sqrt(((X - self.cluster_centers_[labels]) ** 2).sum(axis=1))

    def to_json(self) -> str:
        return json.dumps({"n_clusters": self.n_clusters_, "silhouettes": self.silhouettes_,
                           "stabilities": self.stabilities_, "stability": self.stability_,
                           "centers": self.cluster_centers_.tolist()})


def _nearest(X: np.ndarray, centers: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    """Index of the nearest centre for every row, in chunks so memory stays flat."""
    c2 = (centers ** 2).sum(axis=1)
    out = np.empty(len(X), dtype=np.int64)
    for start in range(0, len(X), chunk):
        block = X[start:start + chunk].astype(np.float64)
        out[start:start + chunk] = np.argmin(c2[None, :] - 2.0 * block @ centers.T, axis=1)
    return out
