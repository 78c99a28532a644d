"""What distinguishes a group of customers from the whole shop.

For a categorical or multi-valued variable, each value's share in the group is compared with its
share in the shop: lift = share in group / share in shop, and the effect size is Cohen's h =
2 asin sqrt(p_group) - 2 asin sqrt(p_shop) (Cohen 1988, "Statistical Power Analysis", ch. 6). For
a numeric variable the effect is the standardised mean difference d = (mean_group - mean_shop) /
sd_shop (Cohen's d). Traits are ranked by |effect|; a trait is distinguishing when |h| or |d| is
at least 0.2 (Cohen's "small") and, for a value, it covers at least 15% of the group.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from centric.models.segmentation.features import long_items

MIN_EFFECT = 0.2
MIN_SHARE = 0.15


def _share_table(column: pd.Series) -> pd.DataFrame:
    """Rows x values indicator frame for a categorical or list column."""
    rows, items = long_items(column)
    values = sorted(items.unique())
    indicator = np.zeros((len(column), len(values)), dtype=bool)
    indicator[rows, pd.Categorical(items, categories=values).codes] = True
    return pd.DataFrame(indicator, columns=values, index=column.index)


def traits(frame: pd.DataFrame, labels: np.ndarray, numeric=(), categorical=()) -> pd.DataFrame:
    """Every (group, variable, value) with its share or mean in the group and in the shop, lift and effect.

    categorical: categorical and multi-valued columns alike. Returns columns group, variable, value
    (None for numeric), kind, in_group, in_shop, lift, effect, distinguishing."""
    rows = []
    labels = np.asarray(labels)
    groups = sorted(set(labels.tolist()))
    for col in categorical:
        ind = _share_table(frame[col])
        if ind.empty:
            continue
        known = frame[col].map(lambda v: (hasattr(v, "__len__") and not isinstance(v, str)) or not pd.isna(v))
        shop = ind[known.to_numpy()].mean()
        for g in groups:
            sel = (labels == g) & known.to_numpy()
            if not sel.any():
                continue
            grp = ind[sel].mean()
            for value in ind.columns:
                p, q = float(grp[value]), float(shop[value])
                h = 2 * math.asin(math.sqrt(p)) - 2 * math.asin(math.sqrt(q))
                rows.append((g, col, value, "share", p, q, p / q if q else np.nan, h,
                             abs(h) >= MIN_EFFECT and p >= MIN_SHARE and h > 0))
    for col in numeric:
        x = pd.to_numeric(frame[col], errors="coerce").astype(float)
        sd = float(x.std())
        mean = float(x.mean())
        for g in groups:
            m = float(x[labels == g].mean())
            if not np.isfinite(m) or not sd > 0:
                continue
            d = (m - mean) / sd
            rows.append((g, col, None, "mean", m, mean, m / mean if mean else np.nan, d, abs(d) >= MIN_EFFECT))
    out = pd.DataFrame(rows, columns=["group", "variable", "value", "kind", "in_group", "in_shop", "lift", "effect",
                                      "distinguishing"])
    return out.assign(_abs=out["effect"].abs()).sort_values(["group", "_abs"], ascending=[True, False]).drop(
        columns="_abs").reset_index(drop=True)
