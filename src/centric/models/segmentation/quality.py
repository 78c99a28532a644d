"""Find dirty values before clustering, report them, and set them aside (never use them silently).

Three checks per variable:
- a numeric value outside the plausible range the caller gives (birth years before 1901, ages
  over 110, negative amounts);
- a numeric outlier far in the tail: beyond Q3 + 3 IQR (or below Q1 - 3 IQR), on the log scale for
  non-negative skewed variables (Tukey 1977, "Exploratory Data Analysis": the "far out" fence);
- a categorical level held by fewer than `min_count` customers and less than 0.5% of them
  (values such as "YOLO" or "Absurd" in a marital status).
Flagged values become missing for clustering; the report lists each with its count and reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FENCE = 3.0


def audit(frame: pd.DataFrame, numeric=(), categorical=(), ranges: dict | None = None, min_count: int = 5,
          min_share: float = 0.005) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (cleaned copy of frame, report with column, value, count, reason)."""
    ranges = ranges or {}
    out = frame.copy()
    rows = []
    for col in numeric:
        x = pd.to_numeric(out[col], errors="coerce").astype(float)
        bad = pd.Series(False, index=x.index)
        lo, hi = ranges.get(col, (None, None))
        if lo is not None or hi is not None:
            out_of_range = ((x < lo) if lo is not None else False) | ((x > hi) if hi is not None else False)
            for value, count in x[out_of_range].value_counts().items():
                rows.append((col, value, int(count), f"outside the plausible range [{lo}, {hi}]"))
            bad |= out_of_range
        ok = x[~bad].dropna()
        if len(ok) >= 20:
            skewed = ok.min() >= 0 and ok.skew() > 1.0
            v = np.log1p(ok) if skewed else ok
            q1, q3 = np.percentile(v, [25, 75])
            iqr = q3 - q1
            if iqr > 0:
                scaled = np.log1p(x.clip(lower=0)) if skewed else x
                far = ((scaled > q3 + FENCE * iqr) | (scaled < q1 - FENCE * iqr)) & ~bad & x.notna()
                for value, count in x[far].value_counts().items():
                    rows.append((col, value, int(count), f"far outlier (beyond {FENCE:g} IQR"
                                 + (" on the log scale)" if skewed else ")")))
                bad |= far
        missing = int(x.isna().sum() - out[col].isna().sum())
        if missing > 0:
            rows.append((col, "(not a number)", missing, "not a number"))
        out[col] = x.mask(bad)
    for col in categorical:
        counts = out[col].value_counts(dropna=True)
        rare = counts[(counts < min_count) & (counts < min_share * len(out))]
        for value, count in rare.items():
            rows.append((col, value, int(count), f"rare level (fewer than {min_count} customers)"))
        out[col] = out[col].mask(out[col].isin(rare.index))
    for col in (*numeric, *categorical):
        n = int(frame[col].isna().sum())
        if n:
            rows.append((col, None, n, "missing in the data"))
    report = pd.DataFrame(rows, columns=["column", "value", "count", "reason"])
    return out, report
