"""`centric demo`: generate the demo shop, write its files and ground truth, load them through
the same ingest path users use, run every analysis and write the report."""

from __future__ import annotations

from pathlib import Path

from centric.config import Settings

LOAD_ORDER = ("customers", "orders", "order_lines", "events", "feedback", "consents", "marketing_spend")


def write_demo_files(shop, folder: Path) -> dict[str, Path]:
    """Events as Parquet (a million rows), everything else as CSV, as a shop would export them."""
    data = folder / "data"
    truth = folder / "ground_truth"
    data.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, df in shop.tables.items():
        if name == "events":
            path = data / "events.parquet"
            df.to_parquet(path, index=False)
        else:
            path = data / f"{name}.csv"
            df.to_csv(path, index=False)
        files[name] = path
    for name, df in shop.truth.items():
        df.to_csv(truth / f"{name}.csv", index=False)
    return files


def run_demo(path: Path, n_customers: int = 20_000, seed: int = 7, years: float = 2.0, progress=None) -> Path:
    from centric.demo.shop import generate
    from centric.services.ingest import ingest_files
    from centric.services.report import write_report
    from centric.services.run import run_all
    from centric.services.workspace_files import init_workspace, open_store

    say = progress or (lambda *a, **k: None)
    # a few KPI targets, so the board shows what a target does (on track / off track); a shop sets its own
    targets = {"retention_rate": 0.35, "days_between_orders": 40.0, "nps": 30.0}
    init_workspace(path, Settings(shop_name="Demo shop (synthetic)", currency="EUR", timezone="Europe/Madrid",
                                  kpi_targets=targets))
    shop = generate(n_customers, seed, years, progress=say)
    say("demo: writing files")
    files = write_demo_files(shop, path)
    with open_store(path) as (settings, store):
        for table in LOAD_ORDER:
            say(f"loading {table}")
            ingest_files(store, settings, table, [str(files[table])])
        run_all(store, settings, on_step=lambda name: say(f"running {name}"), workspace=path)
        say("writing the report")
        return write_report(store, settings, path / "report.html")
