"""A Spark workspace's tables: Parquet under the warehouse, committed by replacing one manifest file.

Rule: a table is never written in place. Each commit writes every table it changes as a new version
directory (`<warehouse>/tables/<table>/<version>/`, Parquet files), then replaces the one manifest
(`<warehouse>/_manifest.json`, {"version": n, "tables": {table: "tables/<table>/<version>"}}) with
`os.replace` after an fsync. A reader resolves each table through the manifest it read, so it sees
the state before the commit or after it, never half; several tables change together in one commit
(an ingest's rows, its quarantine and its log). A crash before the replace leaves only version
directories no manifest names; `sweep()` removes them (and superseded versions after each commit).

Why not Delta Lake or Iceberg: both need jars that Spark fetches from Maven at run time
(`spark.jars.packages`); the PyPI packages (delta-spark, pyiceberg) ship Python only, and Maven is out
of reach here. docs/spark.md gives the measurements. The manifest needs a file system with an atomic
rename (local disk, NFS, HDFS mounted); one writer at a time (the workspace's run lock).

This module is pure file handling (pyarrow for the empty first versions): it never starts Spark.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from pathlib import Path

from centric.store.spool import fsync_dir

MANIFEST = "_manifest.json"
TABLES = "tables"


class Warehouse:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).expanduser().resolve()

    # -- the manifest -----------------------------------------------------------------------------
    def exists(self) -> bool:
        return (self.root / MANIFEST).exists()

    def manifest(self) -> dict:
        try:
            return json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": 0, "tables": {}}

    def location(self, table: str, manifest: dict | None = None) -> Path | None:
        rel = (manifest or self.manifest())["tables"].get(table)
        return None if rel is None else self.root / rel

    def new_location(self, table: str) -> Path:
        """A fresh version directory for `table` (not created: the writer creates it)."""
        stamp = f"v{time.time_ns():020d}-{secrets.token_hex(4)}"
        return self.root / TABLES / table / stamp

    def commit(self, changed: dict[str, Path], expected_version: int | None = None) -> dict:
        """Point each table of `changed` at its new version directory in one atomic replace of the
        manifest; then remove the versions this commit superseded. Returns the new manifest.

        expected_version: the manifest version the writer started from; another commit in between
        is refused (one writer at a time)."""
        old = self.manifest()
        if expected_version is not None and old["version"] != expected_version:
            raise RuntimeError(f"the warehouse changed during this write (version {old['version']}, "
                               f"expected {expected_version}): run it again")
        tables = dict(old["tables"])
        for table, path in changed.items():
            tables[table] = str(Path(path).resolve().relative_to(self.root))
        new = {"version": old["version"] + 1, "tables": tables}
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / f".{MANIFEST}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(new, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.root / MANIFEST)
        fsync_dir(self.root)
        self.sweep(new)
        return new

    def sweep(self, manifest: dict | None = None) -> list[Path]:
        """Remove version directories the manifest does not name (superseded, or left by a crash)."""
        manifest = manifest or self.manifest()
        keep = {self.root / rel for rel in manifest["tables"].values()}
        removed = []
        base = self.root / TABLES
        if not base.exists():
            return removed
        for table_dir in base.iterdir():
            for version in table_dir.iterdir():
                if version not in keep:
                    shutil.rmtree(version, ignore_errors=True)
                    removed.append(version)
        return removed

    # -- the first, empty versions ----------------------------------------------------------------
    def create_empty(self, schemas: dict) -> dict:
        """Give every table of `schemas` (name -> pyarrow.Schema) it lacks an empty first version."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        current = self.manifest()
        changed = {}
        for table, schema in schemas.items():
            if table in current["tables"]:
                continue
            path = self.new_location(table)
            path.mkdir(parents=True, mode=0o700)
            pq.write_table(pa.Table.from_batches([], schema=schema), path / "part-00000.parquet")
            changed[table] = path
        return self.commit(changed) if changed else current


def table_schemas() -> dict:
    """name -> pyarrow schema of every table of schema.py (and the ingest log), exactly as the DuckDB
    store declares them: an in-memory DuckDB is migrated and each table read back empty."""
    import duckdb

    from centric.store.migrations import migrate

    con = duckdb.connect()
    try:
        migrate(con)
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name <> '_centric_meta'").fetchall()]
        out = {}
        for name in names:
            schema = con.execute(f'SELECT * FROM "{name}" LIMIT 0').to_arrow_table().schema
            out[name] = _plain(schema)
        return out
    finally:
        con.close()


def _plain(schema):
    """DuckDB's Arrow extension types (JSON) as plain strings, unsigned integers as signed ones: what
    Spark reads and writes back the same."""
    import pyarrow as pa

    fields = []
    for f in schema:
        t = f.type
        if isinstance(t, pa.ExtensionType):
            t = pa.string()
        elif pa.types.is_unsigned_integer(t):
            t = pa.int64()
        elif pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        fields.append(pa.field(f.name, t))
    return pa.schema(fields)

