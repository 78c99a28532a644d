from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def cdnow_summary() -> pd.DataFrame:
    """The CDNOW calibration summary of Fader, Hardie & Lee (2005): 2,357 customers, in weeks."""
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


@pytest.fixture(scope="session")
def cdnow_spend() -> pd.DataFrame:
    d = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    return d.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


@pytest.fixture(scope="session")
def cdnow_orders() -> pd.DataFrame:
    """The CDNOW sample transaction log as centric orders (one line per purchase line)."""
    raw = pd.read_csv(DATA / "CDNOW_sample.txt", sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "total"])
    return pd.DataFrame({
        "order_id": [f"o{i}" for i in range(len(raw))],
        "customer_id": raw["customer_id"].astype(str),
        "ordered_at": pd.to_datetime(raw["date"].astype(str)),
        "status": "completed",
        "total": raw["total"].astype(float),
    })
