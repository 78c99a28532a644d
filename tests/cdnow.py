"""The CDNOW sample transaction log (tests/data) as centric orders, for the tests that need real orders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent / "data"


def cdnow_orders() -> pd.DataFrame:
    """The CDNOW sample (2,357 customers, 6,919 purchase lines) as completed orders, one per purchase line."""
    raw = pd.read_csv(DATA / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "total"])
    return pd.DataFrame({
        "order_id": [f"o{i}" for i in range(len(raw))],
        "customer_id": raw["customer_id"].astype(str),
        "ordered_at": pd.to_datetime(raw["date"].astype(str)),
        "status": "completed",
        "total": raw["total"].astype(float),
    })
