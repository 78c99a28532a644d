"""Put numeric, categorical and multi-valued variables on one scale for clustering.

Each variable gets total variance one in the encoded space, so that no kind of variable
dominates the distance only because of how it is coded (the equal-weighting principle behind
factor analysis of mixed data: Pagès 2004, "Analyse factorielle de données mixtes", Revue de
Statistique Appliquée 52(4); Chavent, Kuentz & Saracco 2012, PCAmixdata):
- numeric: log1p when skewed and non-negative, then centred on the median and divided by the
  robust spread (IQR / 1.349, falling back to the standard deviation), clipped at +-4; a missing
  value sits at the centre;
- categorical: one indicator per frequent level (the rest is "other"), scaled by
  1 / sqrt(sum_j p_j (1 - p_j)), the total variance of the indicators;
- multi-valued (tags, categories): one indicator per frequent item, scaled the same way.
A weight per variable multiplies its block (weight 2 counts the variable twice as much).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

CLIP = 4.0


class FeatureError(ValueError):
    """A variable named for clustering is absent or has no usable values."""


# Values that say "we do not know": treated as missing, so that they never group or name customers.
MISSING_TEXT = frozenset({"", "nan", "none", "null", "unknown", "n/a", "undefined", "(not set)"})


def long_items(column: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(row position, item) pairs of a categorical or list column, one per distinct item of a row;
    missing items and texts that mean missing (MISSING_TEXT) are left out."""
    values = pd.Series(column.to_numpy(), dtype=object)
    exploded = values.explode()  # lists and arrays become one row per item; scalars stay as they are
    exploded = exploded[exploded.notna()]
    pairs = pd.DataFrame({"row": exploded.index.to_numpy().astype(np.int64), "item": exploded.astype(str).to_numpy()})
    pairs = pairs[~pairs["item"].str.strip().str.lower().isin(MISSING_TEXT)].drop_duplicates()
    return pairs["row"].to_numpy(), pairs["item"]


class MixedEncoder:
    """Encode a frame of mixed variables into a dense float32 matrix (scikit-learn style contract)."""

    def __init__(self, numeric=(), categorical=(), multi=(), weights=None, max_levels: int = 15,
                 min_share: float = 0.01):
        self.numeric = numeric
        self.categorical = categorical
        self.multi = multi
        self.weights = weights
        self.max_levels = max_levels
        self.min_share = min_share

    def fit(self, frame: pd.DataFrame) -> "MixedEncoder":
        missing = [c for c in (*self.numeric, *self.categorical, *self.multi) if c not in frame.columns]
        if missing:
            raise FeatureError(f"no column {', '.join(missing)} to cluster on")
        weights = dict(self.weights or {})
        params = {"numeric": {}, "categorical": {}, "multi": {}}
        for col in self.numeric:
            x = pd.to_numeric(frame[col], errors="coerce").astype(float).to_numpy()
            ok = x[np.isfinite(x)]
            if len(ok) == 0:
                raise FeatureError(f"{col} has no numeric values")
            log = bool(ok.min() >= 0 and len(ok) > 2 and pd.Series(ok).skew() > 1.0)
            v = np.log1p(ok) if log else ok
            q1, med, q3 = np.percentile(v, [25, 50, 75])
            spread = (q3 - q1) / 1.349
            if not spread > 0:
                spread = float(np.std(v)) or 1.0
            params["numeric"][col] = {"log": log, "center": float(med), "scale": float(spread),
                                      "weight": float(weights.get(col, 1.0))}
        for kind, names in (("categorical", self.categorical), ("multi", self.multi)):
            for col in names:
                _, items = long_items(frame[col])
                share = items.value_counts() / max(len(frame), 1)
                levels = [str(k) for k, s in share.head(self.max_levels).items() if s >= self.min_share]
                p = share.reindex(levels).to_numpy()
                variance = float(np.sum(p * (1 - p)))
                if not levels or variance <= 0:
                    raise FeatureError(f"{col} has a single value or none: it cannot separate customers")
                params[kind][col] = {"levels": levels, "scale": 1.0 / math.sqrt(variance),
                                     "weight": float(weights.get(col, 1.0))}
        self.params_ = params
        self.feature_names_ = (
            list(params["numeric"])
            + [f"{col}={lv}" for kind in ("categorical", "multi") for col, p in params[kind].items() for lv in p["levels"]]
        )
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        blocks = []
        for col, p in self.params_["numeric"].items():
            x = pd.to_numeric(frame[col], errors="coerce").astype(float).to_numpy()
            if p["log"]:
                x = np.log1p(np.clip(x, 0, None))
            z = np.clip((x - p["center"]) / p["scale"], -CLIP, CLIP)
            z = np.where(np.isfinite(z), z, 0.0)
            blocks.append((z * p["weight"])[:, None])
        for kind in ("categorical", "multi"):
            for col, p in self.params_[kind].items():
                rows, items = long_items(frame[col])
                codes = pd.Categorical(items, categories=p["levels"]).codes
                keep = codes >= 0
                block = np.zeros((len(frame), len(p["levels"])), dtype=np.float32)
                block[rows[keep], codes[keep]] = p["scale"] * p["weight"]
                blocks.append(block)
        return np.hstack(blocks).astype(np.float32) if blocks else np.zeros((len(frame), 0), np.float32)

    def fit_transform(self, frame: pd.DataFrame) -> np.ndarray:
        return self.fit(frame).transform(frame)

    def to_json(self) -> str:
        return json.dumps({"numeric": list(self.numeric), "categorical": list(self.categorical),
                           "multi": list(self.multi), "params": self.params_})
