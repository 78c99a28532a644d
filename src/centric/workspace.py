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
               mapping: dict[str, str] | None = None, delimiter: str | None = None, charge_skus=(),
               encoding: str | None = None, date_format: str | list[str] | None = None,
               decimal: str | None = None):
        """Load files (as `centric ingest`): date_format "mdy" or ["ordered_at=%m/%d/%Y %H:%M"],
        decimal "." or ",", encoding utf-8 (default), utf-16 or latin-1; charge_skus: CODE or
        CODE=KIND texts (order lines with those skus are charges, not goods)."""
        from centric.services.ingest import ingest_files, read_options

        options = read_options(delimiter, encoding, date_format, decimal)
        with workspace_files.open_store(self.path) as (settings, store):
            return ingest_files(store, settings, table, files, preset, mapping, delimiter,
                                charge_skus=charge_skus, options=options)

    def ingest_collected(self):
        """Load what the collector acknowledged (as `centric ingest --collected`): every spooled message
        not loaded yet, exactly once; then carry out the privacy requests sent over the API. Returns a
        report (messages_read, tables, duplicates, quarantined, pending, privacy_requests: the final
        status of each request carried out)."""
        from centric.services.ingest import ingest_collected

        with workspace_files.open_store(self.path) as (settings, store):
            return ingest_collected(store, settings, self.path)

    def run(self) -> dict[str, int]:
        """Every analysis (as `centric run`), under the workspace's run lock: raises RunBusy when another
        run holds it. Returns rows written per step."""
        from centric.services.schedule import run_once

        return run_once(self.path).steps

    def clv(self, model: str = "auto", holdout_days: int | None = None, holdout_from=None):
        """Fit the customer-value models, check them on a holdout (the last holdout_days, or from the
        date holdout_from) and write customer_value (as `centric clv`); returns the result."""
        from centric.services.clv import build_customer_value

        with workspace_files.open_store(self.path) as (settings, store):
            return build_customer_value(store, settings, model=model, holdout_days=holdout_days,
                                        holdout_from=holdout_from)

    def segment_preview(self, rule) -> "object":
        """Count the customers a rule (a dict or JSON text, see docs/segments.md) selects, without saving it."""
        from centric.services.segments import preview

        with workspace_files.open_store(self.path) as (settings, store):
            return preview(store, settings, rule)

    def create_segment(self, name: str, rule, description: str = "", replace: bool = False):
        """Save a rule segment in segments/ and recompute every segment; returns the segments table."""
        from centric.services import segments

        with workspace_files.open_store(self.path) as (settings, store):
            segments.save(self.path, name, rule, description, replace=replace)
            return segments.refresh(self.path, store, settings)

    def segment_members(self, name: str, history: bool = False):
        from centric.services.segments import members

        with workspace_files.open_store(self.path, read_only=True) as (_, store):
            return members(store, name, history=history)

    def personas(self, n_clusters: int | None = None, seed: int = 0) -> list[dict]:
        """Cluster the customers and write personas and customer_personas (as `centric personas`); the cards."""
        from centric.services.personas import build_personas

        with workspace_files.open_store(self.path) as (settings, store):
            return build_personas(store, settings, n_clusters=n_clusters, seed=seed).cards

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
        with workspace_files.open_store(self.path, read_only=True) as (_, store):
            db = store.ibis()
            expr = db.table(name)
            return db.to_pyarrow(expr) if arrow else db.execute(expr)

    def privacy_export(self, customer: str, output: str | os.PathLike):
        """Write everything centric holds about a person (customer id or e-mail) to the folder `output`:
        centric-export.json plus one CSV per table (as `centric privacy export`); returns an ExportResult."""
        from centric.services.privacy_export import export

        with workspace_files.open_store(self.path) as (settings, store):
            return export(store, settings, self.path, customer, Path(output))

    def privacy_erase(self, customer: str, request_id: str | None = None):
        """Erase a person (customer id or e-mail) and every id merged into them: tables, spool, snapshot and
        the database file's bytes (as `centric privacy erase`); returns an ErasureResult."""
        from centric.services.privacy import erase

        return erase(self.path, customer, request_id=request_id)

    def is_suppressed(self, *ids: str) -> bool:
        """Whether any of these ids (customer id, e-mail, anonymous id) belongs to an erased person."""
        from centric.services.privacy import is_suppressed

        with workspace_files.open_store(self.path, read_only=True) as (_, store):
            return is_suppressed(self.path, ids, store=store)

    def report(self, output: str | os.PathLike | None = None) -> Path:
        from centric.services.report import write_report

        with workspace_files.open_store(self.path) as (settings, store):
            return write_report(store, settings, Path(output) if output else self.path / "report.html")
