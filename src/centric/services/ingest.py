"""Ingest files into a workspace: expand globs, load each file atomically, report per file."""

from __future__ import annotations

import glob
from collections.abc import Callable, Iterable
from pathlib import Path

from centric.errors import CentricError
from centric.store.ingest import IngestReport


class IngestError(CentricError):
    """Nothing matched, or the options do not fit together."""


def expand_files(patterns: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(str(Path(pattern).expanduser()), recursive=True))
        if not matches:
            raise IngestError(f"no file matches {pattern}: check the path")
        files.extend(Path(m) for m in matches if Path(m).is_file())
    return files


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        if "=" not in pair:
            raise IngestError(f"--map takes canonical=source, got {pair!r}")
        canonical, source = (p.strip() for p in pair.split("=", 1))
        if not canonical or not source:
            raise IngestError(f"--map takes canonical=source, got {pair!r}")
        mapping[canonical] = source
    return mapping


def read_options(delimiter: str | None = None, encoding: str | None = None, date_format=(), decimal: str | None = None):
    """How to read the files, from the user's texts (--encoding, --date-format, --decimal); a bad one is a
    one-line error naming it."""
    from centric.store.formats import ReadOptions

    return ReadOptions.build(delimiter, encoding, date_format, decimal)


def ingest_files(store, settings, table: str | None, patterns: Iterable[str], preset: str | None = None,
                 mapping: dict[str, str] | None = None, delimiter: str | None = None,
                 on_file: Callable[[Path], None] | None = None,
                 charge_skus: Iterable[str] = (), options=None) -> list[IngestReport]:
    """Load every file matched; a preset fills the tables it knows, else `table` is required.

    Money lands in the workspace currency (settings.currency; store/fx.py). charge_skus: CODE or
    CODE=KIND texts, added to [ingest] charge_skus of centric.toml: order lines with those skus are
    charges, not goods (store/charges.py). options: a store.formats.ReadOptions (encoding, date
    formats, decimal mark)."""
    from centric.store.charges import parse_charge_skus
    from centric.store.ingest import ingest_file
    if getattr(store, "engine", "duckdb") == "spark":  # the same rules, run on Spark (docs/spark.md)
        from centric.store.spark_ingest import ingest_spark_file as ingest_file
    from centric.store.order_exports import ingest_export
    from centric.schema import INPUT_TABLES
    from centric.store.presets import PRESETS, TABLE_PRESETS

    if preset and preset != "centric":
        if preset not in PRESETS and preset not in TABLE_PRESETS:
            raise IngestError(f"unknown preset {preset!r}: choose one of centric, "
                              f"{', '.join([*PRESETS, *TABLE_PRESETS])}")
        if mapping:
            raise IngestError("--map goes with centric's own columns, not with a preset")
    elif table not in INPUT_TABLES:
        raise IngestError(f"unknown table {table!r}: name one of {', '.join(INPUT_TABLES)}, or give --preset")
    try:
        codes = parse_charge_skus([*settings.ingest_charge_skus, *charge_skus])
    except ValueError as exc:
        raise IngestError(str(exc)) from exc
    if preset and preset != "centric" and getattr(store, "engine", "duckdb") == "spark":
        raise IngestError(f"--preset {preset} loads on DuckDB workspaces only: on Spark give centric's columns "
                          "(or --map them); see docs/spark.md")
    files = expand_files(patterns)
    from centric.services.privacy import suppression_secret

    secret = suppression_secret(store)
    reports = []
    for path in files:
        if on_file:
            on_file(path)
        if preset in TABLE_PRESETS:
            chosen = TABLE_PRESETS[preset]
            reports.append(ingest_file(store, chosen.table, path, timezone=settings.timezone, delimiter=delimiter,
                                       preset=chosen, options=options, secret=secret))
        elif preset and preset != "centric":
            reports.append(ingest_export(store, preset, path, timezone=settings.timezone, delimiter=delimiter,
                                         currency=settings.currency, charge_skus=codes, options=options,
                                         secret=secret))
        else:
            reports.append(ingest_file(store, table, path, mapping=mapping, timezone=settings.timezone,
                                       delimiter=delimiter, currency=settings.currency, charge_skus=codes,
                                       options=options, secret=secret))
    if any(changes_identities(r) for r in reports):
        from centric.services.identity import rebuild

        rebuild(store)  # events naming both ids merge visitors into customers (queries/identity.py)
    return reports


IDENTITY_INPUTS = ("events", "customers")  # what queries/identity.py reads (with identity_splits)


def changes_identities(report) -> bool:
    """Whether a file's load can change `identities`: it inserted or updated events or customers, or
    created customers (a feedback or consent row naming an unknown one). Rebuilding reads every event,
    so a load of feedback, order lines or spend that does none of these skips it (docs/scale.md)."""
    tables = getattr(report, "tables", None)
    if tables is None:
        return True
    return getattr(report, "customers_created", 1) > 0 or any(
        name in IDENTITY_INPUTS and (counts.inserted or counts.updated) for name, counts in tables.items())


def ingest_collected(store, settings, workspace: Path):
    """Load every message the collector acknowledged and no load has taken yet (store/collected.py):
    exactly once, with quarantine and dedupe on messageId; rebuild the identities when anything was read;
    then carry out the privacy requests sent over the API (services/privacy_requests.py; an erasure closes
    and reopens `store`). Returns a store.collected.LoadReport. `centric run` does the same three as steps
    of their own (services/run.py), so that the identities table is rebuilt once."""
    from centric.services.identity import rebuild
    from centric.services.privacy_requests import execute_pending

    report = load_collected_messages(store, settings, workspace)
    if report.messages_read:
        rebuild(store)  # identify, alias and events naming both ids merge visitors (queries/identity.py)
    # privacy requests sent over the API, after the load's transaction (an erasure rewrites the file) and
    # with the identities current (an erasure follows them to the person's anonymous ids)
    report.privacy_requests = execute_pending(store, settings, Path(workspace))
    return report


def load_collected_messages(store, settings, workspace: Path):
    """The load alone (store/collected.py), erased people suppressed: no identities, no privacy requests."""
    from centric.services.privacy import suppression_secret
    from centric.store.collected import load_collected

    return load_collected(store, Path(workspace), settings, secret=suppression_secret(store))
