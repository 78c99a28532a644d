"""centric.Workspace: the Python API, with the same operations as the command line.

    ws = centric.Workspace("my-shop")
    ws.init(shop_name="My shop", currency="EUR")
    ws.ingest("orders", "orders.csv")
    ws.run()
    ws.table("customer_summary")          # pandas
    ws.sql("SELECT ...", arrow=True)      # pyarrow
"""

from __future__ import annotations

import os
from pathlib import Path

from centric.config import Settings, resolve_workspace
from centric.services import workspace_files


class Workspace:
    def __init__(self, path: str | os.PathLike | None = None):
        self.path: Path = resolve_workspace(path)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    @property
    def settings(self) -> Settings:
        return workspace_files.load_settings(self.path)

    def init(self, **settings) -> Settings:
        return workspace_files.init_workspace(self.path, Settings(**settings) if settings else None)

    def ingest(self, table: str | None, *files: str, preset: str | None = None,
               mapping: dict[str, str] | None = None, delimiter: str | None = None):
        from centric.services.ingest import ingest_files

        with workspace_files.open_store(self.path) as (settings, store):
            return ingest_files(store, settings, table, files, preset, mapping, delimiter)

    def run(self) -> dict[str, int]:
        from centric.services.run import run_all

        with workspace_files.open_store(self.path) as (settings, store):
            return run_all(store, settings)

    def clv(self, model: str = "auto", holdout_days: int | None = None):
        """Fit the customer-value models and write customer_value (as `centric clv`); returns the result."""
        from centric.services.clv import build_customer_value

        with workspace_files.open_store(self.path) as (settings, store):
            return build_customer_value(store, settings, model=model, holdout_days=holdout_days)

    def sql(self, query: str, arrow: bool = False):
        from centric.services.sql import run_read_only

        with workspace_files.open_store(self.path, read_only=True) as (_, store):
            df = run_read_only(store, query)
        if arrow:
            import pyarrow as pa

            return pa.Table.from_pandas(df, preserve_index=False)
        return df

    def table(self, name: str, arrow: bool = False):
        from centric.schema import ALL_TABLES
        from centric.services.sql import SqlRefused

        if name not in ALL_TABLES:
            raise SqlRefused(f"unknown table {name!r}: choose one of {', '.join(ALL_TABLES)}")
        return self.sql(f'SELECT * FROM "{name}"', arrow=arrow)

    def report(self, output: str | os.PathLike | None = None) -> Path:
        from centric.services.report import write_report

        with workspace_files.open_store(self.path) as (settings, store):
            return write_report(store, settings, Path(output) if output else self.path / "report.html")
