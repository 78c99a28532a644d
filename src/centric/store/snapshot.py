"""The read snapshot: what `centric serve` reads, published atomically so the server never opens
the workspace's database (DuckDB allows one writing process; a server that held it would block
`ingest`, `run` and `sql`).

Rule: commands that change what the server shows (`centric run`, `survey add|open|close`, `keys`)
call ``publish_snapshot``. It copies a fixed list of small tables into a new DuckDB file and renames
it over ``<workspace>/snapshot/api.duckdb`` (rename is atomic on POSIX). A ``Snapshot`` reader opens
that file read-only and reopens it when a newer one has been published; a reader holding the old
file keeps a consistent view until it reopens.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

from centric.store.spool import fsync_dir
from centric.store.sqltext import constant, ident

SNAPSHOT_DIR = "snapshot"
SNAPSHOT_FILE = "api.duckdb"
SNAPSHOT_TABLES = ("surveys", "survey_scores", "feedback_drivers", "kpis", "erasures", "consent_exclusions")
# what the dashboard's pages read as they are (api/dashboard.py); its row-level tables (dash_customers,
# dash_orders, dash_feedback, dash_events: queries/dashboard.py) come as `derived` expressions
DASHBOARD_TABLES = ("segments", "segment_members", "personas", "journey_stages", "stage_transitions",
                    "journey_drivers", "cohorts", "top_paths", "path_edges", "clv_calibration", "clv_models",
                    "clv_rollups", "feedback_trends", "consents", "customer_summary", "customer_value")


def _swap_in(temp: Path, target: Path) -> None:
    os.chmod(temp, 0o600)
    os.replace(temp, target)


def _discard(temp: Path) -> None:
    for leftover in (temp, temp.with_name(temp.name + ".wal")):
        leftover.unlink(missing_ok=True)


def snapshot_path(workspace: Path) -> Path:
    return Path(workspace) / SNAPSHOT_DIR / SNAPSHOT_FILE


def publish_snapshot(store, workspace: Path, tables: tuple[str, ...] = SNAPSHOT_TABLES,
                     derived: dict | None = None, built_from: dict | None = None, reuse=(),
                     patches: dict | None = None) -> Path:
    """Copy ``tables`` from the store, and the result of each ``derived`` Ibis expression (name ->
    expression over the store's tables), into a fresh file and swap it in; returns its path. All or
    nothing: a reader sees the old file or the whole new one.

    ``built_from`` (JSON-able) is recorded in snapshot_info: what the tables were computed from, read
    back by ``published_state`` for the next publish. Given ``reuse`` (names) or ``patches`` (name ->
    ``Patch``), the fresh file starts as a copy of the published one: a reused table is kept as it is
    (its sources did not change), a patched one loses the rows its patch names and gains the patch's
    rows (store/snapshot_delta.py); every other table is written again."""
    derived = dict(derived or {})
    patches = dict(patches or {})
    folder = Path(workspace) / SNAPSHOT_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / SNAPSHOT_FILE
    temp = folder / f".api-{os.getpid()}-{time.time_ns()}.duckdb"
    if getattr(store, "engine", "duckdb") == "spark":
        return _publish_from_spark(store, folder, temp, target, tables, derived)
    keep = (set(reuse) | set(patches)) if target.exists() else set()
    con = store.con
    try:
        if keep:
            shutil.copyfile(target, temp)  # the published file is complete (renamed in whole)
        # ATTACH takes no bound parameter: the path is centric's own (workspace folder + generated name)
        con.execute(f"ATTACH {constant(str(temp))} AS centric_snapshot")
        try:
            wanted = {*tables, *derived}
            keep &= set(_tables_in(con, "centric_snapshot"))  # a table the published file lacks is written
            compiled = {name: store.ibis().compile(expr) for name, expr in derived.items() if name not in keep}
            added = {name: store.ibis().compile(patch.rows) for name, patch in patches.items() if name in keep}
            for name in _tables_in(con, "centric_snapshot"):
                if name not in keep or name not in wanted:
                    con.execute(f"DROP TABLE centric_snapshot.{ident(name)}")
            for table in tables:
                if table not in keep:
                    con.execute(f"CREATE TABLE centric_snapshot.{ident(table)} AS SELECT * FROM main.{ident(table)}")
            for name, sql in compiled.items():
                con.execute(f"CREATE TABLE centric_snapshot.{ident(name)} AS {sql}")
            for name, sql in added.items():
                patches[name].apply(con, f"centric_snapshot.{ident(name)}", sql)
            con.execute("CREATE TABLE centric_snapshot.snapshot_info AS SELECT now() AS published_at, "
                        "? AS tables, ? AS built_from", [json.dumps([*tables, *derived]), json.dumps(built_from)])
        finally:
            con.execute("DETACH centric_snapshot")
        _swap_in(temp, target)
    except BaseException:  # an error or a stop (Ctrl+C twice) half-way: no half copy left behind
        _discard(temp)
        raise
    fsync_dir(folder)
    return target


def _tables_in(con, database: str) -> list[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'",
                       [database]).fetchall()
    return [r[0] for r in rows]


def published_state(workspace: Path) -> dict | None:
    """The ``built_from`` of the published snapshot (None when there is none, or it was published
    without one, as by an older centric)."""
    import duckdb

    path = snapshot_path(workspace)
    if not path.exists():
        return None
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {constant(str(path))} AS published (READ_ONLY)")
        columns = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'published' "
            "AND table_name = 'snapshot_info'").fetchall()}
        if "built_from" not in columns:
            return None
        row = con.execute("SELECT built_from FROM published.main.snapshot_info").fetchone()
        return json.loads(row[0]) if row and row[0] else None
    except duckdb.Error:  # unreadable: the next publish writes a whole new file
        return None
    finally:
        con.close()


def _publish_from_spark(store, folder: Path, temp: Path, target: Path, tables: tuple[str, ...],
                        derived: dict) -> Path:
    """The same snapshot from a Spark workspace: the tables, and the results of the derived expressions
    (run on the cluster), collected to the driver as Arrow and written to a fresh DuckDB file, swapped
    in the same way."""
    import duckdb

    try:
        con = duckdb.connect(str(temp))
        try:
            for table in tables:
                frame = store.frame(table).toArrow()  # noqa: F841 - read by DuckDB's replacement scan
                con.execute(f"CREATE TABLE {ident(table)} AS SELECT * FROM frame")
            for name, expr in derived.items():
                frame = store.ibis().to_pyarrow(expr)  # noqa: F841 - read by DuckDB's replacement scan
                con.execute(f"CREATE TABLE {ident(name)} AS SELECT * FROM frame")
            con.execute("CREATE TABLE snapshot_info AS SELECT now() AS published_at, ? AS tables",
                        [json.dumps([*tables, *derived])])
        finally:
            con.close()
        _swap_in(temp, target)
    except BaseException:  # an error or a stop (Ctrl+C twice) half-way: no half copy left behind
        _discard(temp)
        raise
    fsync_dir(folder)
    return target


class Snapshot:
    """Read-only access to the published snapshot, safe from many threads (a cursor per call)."""

    def __init__(self, workspace: Path):
        self.path = snapshot_path(workspace)
        self._lock = threading.Lock()
        self._con = None
        self._identity = None
        self._checked = float("-inf")

    def _connection(self):
        now = time.monotonic()
        if now - self._checked < 0.5:  # published or not, the file is looked at twice a second at most
            return self._con
        with self._lock:
            if now - self._checked < 0.5:  # another thread looked while this one waited for the lock
                return self._con
            try:
                stat = self.path.stat()
            except FileNotFoundError:  # none published (or removed): nothing to read
                self._con, self._identity = None, None
                self._checked = now
                return None
            identity = (stat.st_ino, stat.st_mtime_ns)
            if identity != self._identity:
                import duckdb

                # a private in-memory instance that attaches the file: duckdb.connect(path) would hand
                # back its cached instance of the path, still showing the replaced file
                fresh = duckdb.connect(":memory:")
                fresh.execute(f"ATTACH {constant(str(self.path))} AS snapshot (READ_ONLY)")
                fresh.execute("SET enable_external_access = false")
                # the old connection is not closed here: another thread may be reading from it; it
                # goes when its last cursor does
                self._con, self._identity = fresh, identity
            # marked checked only now: a thread that skips the look (above, without the lock) must find
            # the connection already open, not the None of a first look still under way
            self._checked = now
            return self._con

    def version(self):
        """Which snapshot is read now: the file's identity (inode, modification time), None when none is
        published. Callers that keep something derived from the snapshot compare it to know when to
        read again; a newly published file shows within 0.5 s."""
        return self._identity if self._connection() is not None else None

    def has_table(self, table: str) -> bool:
        """Whether the snapshot read now holds `table` (one published by an older centric may not)."""
        con = self._connection()
        if con is None:
            return False
        cursor = con.cursor()
        try:
            return cursor.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'snapshot' "
                                  "AND schema_name = 'main' AND table_name = ?", [table]).fetchone()[0] > 0
        finally:
            cursor.close()

    def rows(self, table: str, order_by: tuple[str, ...] = (), **equal) -> list[dict]:
        """Rows of a snapshot table as dicts, optionally filtered on columns equal to values."""
        con = self._connection()
        if con is None:
            return []
        cursor = con.cursor()
        try:
            where = " AND ".join(f"{ident(column)} = ?" for column in equal)
            sql = f"SELECT * FROM snapshot.main.{ident(table)}" + (f" WHERE {where}" if where else "")
            if order_by:
                sql += " ORDER BY " + ", ".join(ident(c) for c in order_by)
            result = cursor.execute(sql, list(equal.values()))
            names = [d[0] for d in result.description]
            return [dict(zip(names, row)) for row in result.fetchall()]
        finally:
            cursor.close()

    def cursor(self):
        """A cursor on the snapshot read now (None when none is published), for the dashboard's reads
        (store/dash_reads.py); the caller closes it."""
        con = self._connection()
        return None if con is None else con.cursor()

    def ibis(self, cursor):
        """An Ibis backend over ``cursor`` (from ``cursor()``): the snapshot's tables are in database
        "snapshot" (``backend.table(name, database="snapshot")``); it compiles each distinct expression
        once per process (store/compiled.py)."""
        from centric.store.compiled import duckdb_backend

        return duckdb_backend(cursor)

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
                self._identity = None
                self._checked = float("-inf")
