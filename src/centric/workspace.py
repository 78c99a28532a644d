"""centric.Workspace: the Python API, with the same operations as the command line.

Rule: every `centric` command is one Workspace method (same operation, same arguments in Python
form), which returns data and prints nothing; the CLI parses, calls the method and renders, and the
HTTP API reads and writes the workspace folder through it too (tests/cli/test_workspace_api.py checks
every command). The analyses are here; segments, surveys, identities and privacy requests in
workspace_people.py; keys and the server in workspace_server.py.

    ws = centric.Workspace("my-shop")
    ws.init(shop_name="My shop", currency="EUR")
    ws.ingest("orders", "orders.csv")
    ws.run()
    ws.table("customer_summary")          # pandas
    ws.sql("SELECT ...", arrow=True)      # pyarrow
    with ws.open():                       # one open of the database for several calls
        ws.clv(); ws.clv_channels()

Each method opens the workspace database and closes it again (DuckDB allows one writing process, so
nothing holds it between calls), unless it runs inside `with ws.open():`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from centric.config import Settings, resolve_workspace
from centric.services import workspace_files
from centric.workspace_people import PeopleOps
from centric.workspace_server import ServerOps


class Workspace(PeopleOps, ServerOps):
    def __init__(self, path: str | os.PathLike | None = None):
        self.path: Path = resolve_workspace(path)
        self._held = None  # (settings, store) inside `with self.open():`

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    @property
    def settings(self) -> Settings:
        return self._held[0] if self._held is not None else workspace_files.load_settings(self.path)

    # -- the database, opened per call or held ----------------------------------------------
    @contextmanager
    def open(self, read_only: bool = False):
        """Hold the workspace database open for the calls in the block (they share one open); a
        read-only hold serves only methods that read (and `sql`). Not for use from two threads."""
        if self._held is not None:
            raise workspace_files.WorkspaceError(f"{self.path} is already open in this Workspace")
        with workspace_files.open_store(self.path, read_only=read_only) as held:
            self._held = held
            try:
                yield self
            finally:
                self._held = None

    @contextmanager
    def _store(self, read_only: bool = False):
        """(settings, store): the held one, else one opened for this call and closed after it."""
        if self._held is None:
            with workspace_files.open_store(self.path, read_only=read_only) as opened:
                yield opened
            return
        if self._held[1].read_only and not read_only:
            raise workspace_files.WorkspaceError("this Workspace is open read-only: open it with "
                                                 "ws.open() to write")
        yield self._held

    def _not_held(self, what: str) -> None:
        if self._held is not None:
            raise workspace_files.WorkspaceError(f"{what} opens the database itself: call it outside `with ws.open()`")

    # -- set-up, loading and the whole run ----------------------------------------------------
    def init(self, **settings) -> Settings:
        """Create the workspace (as `centric init`): the folder, centric.toml from `settings` (shop_name,
        currency, timezone, languages, ...) and the database."""
        self._not_held("init")
        return workspace_files.init_workspace(self.path, Settings(**settings) if settings else None)

    def ingest(self, table: str | None, *files: str, preset: str | None = None, mapping=None,
               delimiter: str | None = None, charge_skus=(), encoding: str | None = None,
               date_format: str | list[str] | None = None, decimal: str | None = None,
               on_file: Callable[[Path], None] | None = None):
        """Load files (as `centric ingest`); returns one IngestReport per file. mapping: {canonical: source}
        or "canonical=source" texts; date_format "mdy" or ["ordered_at=%m/%d/%Y %H:%M"]; decimal "." or
        ","; encoding utf-8 (default), utf-16 or latin-1; charge_skus: CODE or CODE=KIND texts (order lines
        with those skus are charges, not goods); on_file(path) is called as each file starts."""
        from centric.services.ingest import ingest_files, parse_mapping, read_options

        if mapping is not None and not isinstance(mapping, dict):
            mapping = parse_mapping(mapping)
        options = read_options(delimiter, encoding, date_format, decimal)
        with self._store() as (settings, store):
            return ingest_files(store, settings, table, files, preset, mapping, delimiter, on_file=on_file,
                                charge_skus=charge_skus, options=options)

    def ingest_collected(self):
        """Load what the collector acknowledged (as `centric ingest --collected`): every spooled message
        not loaded yet, exactly once; then carry out the privacy requests sent over the API. Returns a
        report (messages_read, tables, duplicates, quarantined, pending, privacy_requests: the final
        status of each request carried out)."""
        from centric.services.ingest import ingest_collected

        with self._store() as (settings, store):
            return ingest_collected(store, settings, self.path)

    @property
    def run_steps(self) -> list[str]:
        """The steps of `run`, in the order they run."""
        from centric.services.run import STEPS

        return [name for name, _ in STEPS]

    def run(self, on_step: Callable[[str], None] | None = None, stop: Callable[[], bool] | None = None,
            full: bool = False) -> dict[str, int]:
        """Every analysis in dependency order (as `centric run`), under the workspace's run lock: raises
        RunBusy when another run holds it or another command holds the database. {output: rows};
        on_step(name) as each starts; stop() is asked before each step (a stop skips the rest).
        Only what changed is recomputed (services/run_ledger.py): the result's `.decisions[step]` has
        the mode (full, incremental, reused) and the reason, `.lines()` one line each; `full=True`
        recomputes everything and refits every model (as `centric run --full`)."""
        from centric.services.schedule import run_once

        self._not_held("run")
        return run_once(self.path, on_step=on_step, stop=stop, full=full).steps

    def publish(self) -> Path:
        """Publish the read snapshot `centric serve` shows (its API and dashboard tables) from the tables
        as they are now, without running the analyses (`run` publishes at its end); returns its path."""
        from centric.services.dashboard_snapshot import publish_all

        with self._store() as (settings, store):
            return publish_all(store, self.path, settings)

    @staticmethod
    def interval(text: str) -> int:
        """Seconds of a `--every` interval (30s, 15m, 1h); a one-line error for anything else."""
        from centric.services.schedule import parse_interval

        return parse_interval(text)

    def run_every(self, seconds: int, show: Callable, stop) -> int:
        """`run` every `seconds` until `stop` (a Stop) is asked (as `centric run --every`): show(round) after
        each round; returns the rounds run."""
        from centric.services.schedule import run_every

        self._not_held("run")
        return run_every(self.path, seconds, show, stop)

    def consent_messages(self, analyses=None) -> list[str]:
        """What consent left out of each analysis of the last run (or of those named), one line each."""
        from centric.services.consent import messages

        with self._store(read_only=True) as (_, store):
            return messages(store, analyses)

    def demo(self, customers: int = 20_000, seed: int = 7, years: float = 2.0, progress=None) -> Path:
        """Generate the synthetic demo shop here, load it, run every analysis and write the report (as
        `centric demo`); returns the report's path. progress(description, total=None, advance=0)."""
        from centric.services.demo import run_demo

        self._not_held("demo")
        return run_demo(self.path, n_customers=customers, seed=seed, years=years, progress=progress)

    def report(self, output: str | os.PathLike | None = None, lang: str | None = None) -> Path:
        """Write the self-contained HTML report (as `centric report`) in `lang` (en, es, ca, pt; default
        the workspace's language); returns its path."""
        from centric.services.report import write_report

        with self._store() as (settings, store):
            return write_report(store, settings, Path(output) if output else self.path / "report.html", lang)

    # -- reading --------------------------------------------------------------------------------
    def sql(self, query: str, arrow: bool = False):
        """Read-only SQL (as `centric sql`): pandas, or pyarrow with arrow=True."""
        from centric.services.sql import run_read_only

        with self._store(read_only=True) as (_, store):
            df = run_read_only(store, query)
        if arrow:
            import pyarrow as pa

            return pa.Table.from_pandas(df, preserve_index=False)
        return df

    def table(self, name: str, arrow: bool = False):
        """A whole table of the data model (docs/data-model.md): pandas, or pyarrow with arrow=True."""
        from centric.schema import ALL_TABLES
        from centric.services.sql import SqlRefused

        if name not in ALL_TABLES:
            raise SqlRefused(f"unknown table {name!r}: choose one of {', '.join(ALL_TABLES)}")
        with self._store(read_only=True) as (_, store):
            db = store.ibis()
            expr = db.table(name)
            return db.to_pyarrow(expr) if arrow else db.execute(expr)

    # -- the analyses -------------------------------------------------------------------------------
    def clv(self, model: str = "auto", holdout_days: int | None = None, holdout_from=None, progress=None):
        """Fit the customer-value models, check them on a holdout (the last holdout_days, or from the
        date holdout_from) and write customer_value (as `centric clv`); returns the ClvResult."""
        from centric.services.clv import build_customer_value

        with self._store() as (settings, store):
            return build_customer_value(store, settings, model=model, holdout_days=holdout_days,
                                        progress=progress, holdout_from=holdout_from)

    def clv_channels(self):
        """clv_rollups by acquisition channel (customers, mean CLV, CAC, CLV:CAC), the most valuable first."""
        from centric.services.clv import channel_rollups

        with self._store(read_only=True) as (_, store):
            return channel_rollups(store)

    def listen(self, train: bool = True, progress=None):
        """Read every feedback text: language, sentiment, themes, scores, drivers, trends (as `centric
        listen`; train=False is --no-train); returns the ListenResult."""
        from centric.services.listen import listen

        with self._store() as (settings, store):
            return listen(store, settings, progress=progress, train=train)

    def verbatims(self, theme: str | None = None, sentiment: str | None = None, language: str | None = None,
                  limit: int = 10):
        """Feedback texts with their insights, by theme, sentiment and language (`centric listen --theme`)."""
        from centric.services.listen import verbatims

        with self._store(read_only=True) as (_, store):
            return verbatims(store, theme=theme, sentiment=sentiment, language=language, limit=limit)

    def personas(self, n_clusters: int | None = None, seed: int = 0, numeric: str | None = None,
                 categorical: str | None = None, multi: str | None = None, progress=None, refit: bool | None = None):
        """Cluster the customers and write personas and customer_personas (as `centric personas`; numeric,
        categorical and multi are comma-separated variables); returns the PersonaResult (`.cards`).

        refit=False assigns new and changed customers to the existing personas (nearest centre) unless the
        drift check asks for a re-clustering (services/personas_incremental.py; the result's `.stability_note`
        says which); refit=True re-clusters (as `centric personas --refit`). Default: re-cluster when any
        option is given or no personas were saved, else assign."""
        from centric.services.personas import build_personas
        from centric.services.personas_incremental import assign_incremental

        options = n_clusters is not None or numeric or categorical or multi or seed != 0
        with self._store() as (settings, store):
            if refit is False or (refit is None and not options):
                result, why = assign_incremental(store, settings, progress)
                if result is not None:
                    result.stability_note = f"Personas kept: {why}. Re-cluster with --refit."
                    return result
            return build_personas(store, settings, n_clusters=n_clusters, seed=seed, numeric=numeric,
                                  categorical=categorical, multi=multi, progress=progress)

    def journey(self, progress=None):
        """Journey stages, moves, their drivers, cohorts and paths (as `centric journey`); the JourneyResult."""
        from centric.services.journey import build_journey

        with self._store() as (settings, store):
            return build_journey(store, settings, progress=progress)

    def funnel(self, steps, window: str = "7d", by: str | None = None, exclude=None, order: str = "ordered"):
        """Conversion through steps within a window (as `centric funnel`): steps and exclude as lists or
        comma-separated texts; order ordered, strict or any. The frame's attrs["consent"] says who was
        left out for want of consent."""
        from centric.services.funnel import run_funnel

        steps = steps.split(",") if isinstance(steps, str) else list(steps)
        exclude = (exclude or "").split(",") if exclude is None or isinstance(exclude, str) else list(exclude)
        with self._store(read_only=True) as (settings, store):
            return run_funnel(store, steps, window, by=by, exclusions=exclude, order=order, settings=settings)

    def kpis(self, by: str = "all"):
        """Compute the kpis table (as `centric kpis`); returns the board (one row per KPI, with target,
        status and trend) or, with by="acquisition_channel" or "persona", that breakdown."""
        from centric.services.kpis import board, build_kpis

        with self._store() as (settings, store):
            table = build_kpis(store, settings)
        return board(table) if by == "all" else table[table["dimension"] == by]


def __getattr__(name: str):
    """RunBusy and Stop for the CLI's `run`, without importing services at `import centric`."""
    if name in ("RunBusy", "Stop"):
        from centric.services import schedule

        return getattr(schedule, name)
    raise AttributeError(name)
