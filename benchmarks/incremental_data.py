"""The demo shop cut at a day: everything before it is the base, the last day is the new data.

`split(shop, day)` -> (base tables, extra tables): orders, their lines and returns, events, feedback,
consents, spend and customers dated on or after `day` go to the extra day (an order line follows its
order). Written as the demo writes its files and loaded through the same ingest users use, so the
extra day arrives exactly as a shop's next export would.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TIME_COLUMN = {"customers": "created_at", "orders": "ordered_at", "events": "occurred_at",
               "feedback": "received_at", "consents": "recorded_at", "marketing_spend": "spent_on"}
LOAD_ORDER = ("customers", "orders", "order_lines", "events", "feedback", "consents", "marketing_spend")


def split(tables: dict[str, pd.DataFrame], day: pd.Timestamp):
    base, extra = {}, {}
    for name, frame in tables.items():
        if name == "order_lines":
            continue
        when = pd.to_datetime(frame[TIME_COLUMN[name]])
        late = (when >= day).to_numpy()
        base[name], extra[name] = frame[~late].reset_index(drop=True), frame[late].reset_index(drop=True)
    lines = tables["order_lines"]
    late_orders = lines["order_id"].isin(extra["orders"]["order_id"]).to_numpy()
    base["order_lines"], extra["order_lines"] = lines[~late_orders], lines[late_orders]
    # a customer created on the last day but named by an earlier row (a guest checkout) stays in the base
    named = pd.concat([base[t]["customer_id"] for t in ("orders", "events", "feedback", "consents")]).dropna()
    early = extra["customers"]["customer_id"].isin(named)
    base["customers"] = pd.concat([base["customers"], extra["customers"][early]], ignore_index=True)
    extra["customers"] = extra["customers"][~early].reset_index(drop=True)
    return base, extra


def write(tables: dict[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, frame in tables.items():
        path = folder / (f"{name}.parquet" if name == "events" else f"{name}.csv")
        frame.to_parquet(path, index=False) if name == "events" else frame.to_csv(path, index=False)
        files[name] = path
    return files


def load(workspace, files: dict[str, Path]) -> None:
    from centric import Workspace

    ws = Workspace(workspace)
    for table in LOAD_ORDER:
        if table in files:
            ws.ingest(table, str(files[table]))


def build(folder: Path, customers: int, seed: int = 7, days_back: int = 1):
    """A workspace at folder/shop with the base loaded; returns (workspace, the extra day's files)."""
    from centric import Workspace
    from centric.demo.shop import END, generate

    shop = generate(customers, seed)
    day = END.normalize() - pd.Timedelta(days=days_back - 1)
    base, extra = split(shop.tables, day)
    ws = Workspace(folder / "shop")
    ws.init(shop_name="Demo shop (synthetic)", currency="EUR", timezone="Europe/Madrid")
    load(ws.path, write(base, folder / "base"))
    return ws.path, write(extra, folder / "extra")
