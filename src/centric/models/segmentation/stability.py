"""How stable a clustering is: re-cluster random halves of the customers and compare.

A persona is worth a name only if the data keep finding it. For a k-means partition of a sample
(the reference), `n_resamples` times: draw a random half of the sample (subsetting without
replacement, the "subset" scheme of Hennig 2007, "Cluster-wise assessment of cluster stability",
Comput. Stat. Data Anal. 52(1), section 2), fit k-means with the same k on that half alone, and
assign every row of the sample to the nearest centre of that fit (the prediction step of Lange,
Roth, Braun & Buhmann 2004, "Stability-based validation of clustering solutions", Neural
Computation 16(6)). Two agreements are then measured on the whole sample:

- the adjusted Rand index between the reference and the resample's partition (Hubert & Arabie
  1985, "Comparing partitions", J. Classification 2): 1 = the same partition, 0 = chance;
- per reference cluster C, the Jaccard coefficient |C n D| / |C u D| with its most similar resample
  cluster D (Hennig 2007, eq. 2.1), averaged over the resamples.

Hennig's reading of the mean Jaccard: below 0.5 the cluster "dissolves", 0.6-0.75 it points at a
pattern but which points belong to it is doubtful, 0.75 and above it is a valid, stable cluster,
0.85 and above highly stable. A partition is called stable here when every one of its clusters
reaches `STABLE` (0.75).

A half holds half the information of the sample, so a split that is only the sample's noise (a
single Gaussian blob cut in two along a direction that is barely longer than the others) is cut
differently each time, while planted groups are found again.

Stability alone is not enough: k-means cuts some structureless clouds the same way every time (a
round two-dimensional blob into a honeycomb of six, a cube into eight; Ben-David, von Luxburg &
Pal 2006, "A sober look at clustering stability", COLT). So a partition must also fit the data
better than it fits a single Gaussian with the same mean and covariance, the null of SigClust (Liu,
Hayes, Nobel & Marron 2008, "Statistical significance of clustering for high-dimension, low-sample
size data", JASA 103(483)): the cluster index CI = within-cluster / total sum of squares (their
eq. 1) of the data must lie below that of every one of `null_draws` Gaussian draws, and at least
two standard deviations below their mean.

The cost is bounded: the sample has at most a few thousand rows whatever the number of customers,
and the small refits run on one thread (many threads on a busy machine make them slower, not faster).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

STABLE = 0.75  # Hennig (2007): a valid, stable cluster
DISSOLVED = 0.5  # Hennig (2007): the cluster dissolves


@dataclass
class Stability:
    k: int
    ari: float  # mean adjusted Rand index between the reference and the resampled partitions
    jaccard: list[float]  # per reference cluster, the mean Jaccard with its best match
    resamples: int
    index: float = float("nan")  # cluster index of the data: within / total sum of squares
    null_index: list[float] = field(default_factory=list)  # the same for k-means on Gaussian draws

    @property
    def stable(self) -> bool:
        return bool(self.jaccard) and min(self.jaccard) >= STABLE

    @property
    def beats_null(self) -> bool:
        """The partition fits the data better than k-means fits one Gaussian of the same covariance."""
        if not self.null_index:
            return True
        null = np.asarray(self.null_index)
        return bool(self.index < null.min() and self.index <= null.mean() - 2 * null.std())

    @property
    def qualifies(self) -> bool:
        return self.stable and self.beats_null

    def to_dict(self) -> dict:
        return {"k": self.k, "ari": _r(self.ari), "jaccard": [_r(j) for j in self.jaccard],
                "resamples": self.resamples, "stable": self.stable, "index": _r(self.index),
                "null_index": [_r(x) for x in self.null_index], "beats_null": self.beats_null,
                "qualifies": self.qualifies}

    @classmethod
    def from_dict(cls, d: dict) -> "Stability":
        return cls(d["k"], d["ari"], d["jaccard"], d["resamples"], d.get("index", float("nan")),
                   d.get("null_index", []))


def _r(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def jaccard_to_best(reference: np.ndarray, other: np.ndarray, k_ref: int, k_other: int) -> np.ndarray:
    """Per reference cluster, the Jaccard coefficient with its most similar cluster of `other`."""
    table = np.zeros((k_ref, k_other), dtype=np.int64)
    np.add.at(table, (reference, other), 1)
    size_ref = table.sum(axis=1)[:, None]
    size_other = table.sum(axis=0)[None, :]
    union = size_ref + size_other - table
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, table / union, 0.0)
    return jac.max(axis=1) if k_other else np.zeros(k_ref)


def assess(X: np.ndarray, reference: np.ndarray, k: int, n_resamples: int = 10, n_init: int = 4,
           null_draws: int = 5, random_state: int = 0) -> Stability:
    """Stability of the partition `reference` (labels 0..k-1 of the rows of X) under half-sample refits,
    and its cluster index against `null_draws` single-Gaussian draws of the same mean and covariance."""
    from sklearn.metrics import adjusted_rand_score
    from threadpoolctl import threadpool_limits

    n = len(X)
    reference = np.asarray(reference)
    if k < 2 or n < 2 * k + 2:
        return Stability(k, float("nan"), [], 0)
    X = np.asarray(X, dtype=np.float64)
    rng = np.random.default_rng(random_state)
    aris, jacs = [], []
    with threadpool_limits(1):
        for _ in range(n_resamples):
            half = np.sort(rng.permutation(n)[: n // 2])
            centers, _ = _kmeans(X[half], k, n_init, rng)
            labels = _nearest(X, centers)
            aris.append(adjusted_rand_score(reference, labels))
            jacs.append(jaccard_to_best(reference, labels, k, k))
        total = float(((X - X.mean(axis=0)) ** 2).sum())
        index, null = float("nan"), []
        if total > 0:
            means = np.stack([X[reference == g].mean(axis=0) if (reference == g).any() else X.mean(axis=0)
                              for g in range(k)])
            index = float(((X - means[reference]) ** 2).sum()) / total
            mean, cov = X.mean(axis=0), np.cov(X, rowvar=False).reshape(X.shape[1], X.shape[1])
            for _ in range(null_draws):
                Z = rng.multivariate_normal(mean, cov, size=n, method="eigh")
                _, inertia = _kmeans(Z, k, n_init, rng)
                null.append(inertia / float(((Z - Z.mean(axis=0)) ** 2).sum()))
    return Stability(k, float(np.mean(aris)), [float(j) for j in np.mean(jacs, axis=0)], n_resamples, index, null)


def _kmeans(X: np.ndarray, k: int, n_init: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=k, n_init=n_init, max_iter=100, random_state=int(rng.integers(2**31 - 1))).fit(X)
    return km.cluster_centers_, float(km.inertia_)


def _nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    return np.argmin((centers ** 2).sum(axis=1)[None, :] - 2.0 * X @ centers.T, axis=1)


def verdict(chosen: Stability | None, best_rejected: Stability | None, k: int, forced: bool) -> dict:
    """The stability verdict as facts (report/notes.py `partition_note` says it in words): case, k,
    forced, the adjusted Rand index, the lowest Jaccard (rounded down to two decimals, so a value under
    a threshold never reads as the threshold) and the personas (1-based) below STABLE.

    case: too_few (one persona, nothing to test), like_noise (the most repeatable split is no tighter
    than the same split of one Gaussian), unstable_split (one persona: no split is repeatable; k, ari
    and jaccard are the best split's), unmeasured, stable, unstable (some personas below STABLE)."""
    if k == 1:
        if best_rejected is None:
            return {"case": "too_few", "k": 1, "forced": forced}
        if best_rejected.stable:
            return {"case": "like_noise", "k": best_rejected.k, "forced": forced}
        return {"case": "unstable_split", "k": best_rejected.k, "forced": forced, "ari": _r(best_rejected.ari),
                "jaccard": _floor(min(best_rejected.jaccard))}
    if chosen is None or not chosen.jaccard:
        return {"case": "unmeasured", "k": k, "forced": forced}
    facts = {"k": k, "forced": forced, "ari": _r(chosen.ari), "jaccard": _floor(min(chosen.jaccard))}
    if chosen.stable:
        return {"case": "stable", **facts}
    return {"case": "unstable", **facts, "weak": [i + 1 for i, j in enumerate(chosen.jaccard) if j < STABLE]}


def _floor(x: float) -> float:
    return float(np.floor(x * 100) / 100)


def persona_note(jaccard: float | None) -> str:
    """One persona's stability in plain words."""
    if jaccard is None or not np.isfinite(jaccard):
        return ""
    if jaccard >= 0.85:
        return f"Highly stable (Jaccard {_down(jaccard)})."
    if jaccard >= STABLE:
        return f"Stable (Jaccard {_down(jaccard)})."
    if jaccard >= DISSOLVED:
        return (f"Unstable (Jaccard {_down(jaccard)}): a pattern, but who belongs to it changes from sample "
                "to sample.")
    return f"Unstable (Jaccard {_down(jaccard)}): this group dissolves when the customers are resampled."


def _down(x: float) -> str:
    """Two decimals rounded down, so that a value under a threshold never prints as the threshold."""
    return f"{np.floor(x * 100) / 100:.2f}"
