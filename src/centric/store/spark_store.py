"""The Store of a Spark workspace: the same interface the services use, over Parquet in a warehouse.

Rule: only this module (and the store modules it calls) starts Spark. Every table is a temporary view
over the version directory the warehouse's manifest names (store/warehouse.py); `ibis()` is an Ibis
PySpark backend on the session, so the services' Ibis expressions (queries/) run on the cluster
unchanged. Writes go through `replace_tables` (and the Spark ingest, store/spark_ingest.py): each
table changed is written as a new version, all of them published by one manifest replace, so a
step's tables land together or not at all, as in a DuckDB transaction.

What needs DuckDB's own SQL (surveys, privacy requests, the collector's spool, `centric sql`) is not
available on Spark: `con` and `transaction()` raise a one-line StoreError that says so (docs/spark.md
lists them).

The session: `spark_master` local[*] / local[N], spark://host:7077 (standalone) or sc://host:15002
(Spark Connect). An active session of the process is reused (tests, notebooks); a session this store
started is left running for the process's later stores and ends with the process.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from centric.store.connection import RowUpdate
from centric.store.transactions import StoreError
from centric.store.warehouse import Warehouse, table_schemas

# Spark settings centric relies on: naive timestamps as DuckDB's TIMESTAMP (wall-clock, no zone), UTC
# session time so that nothing shifts them, ANSI off (DuckDB-like NULL on a bad cast in Ibis' casts).
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
}


def spark_session(master: str, app: str = "centric", conf: dict | None = None):
    """The process's active Spark session if there is one, else a new one on `master`."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is a dependency
        raise StoreError("the Spark engine needs pyspark (pip install 'pyspark<4.1')") from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    import os
    import sys

    builder = SparkSession.builder.appName(app)
    if master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # the driver's Python (with duckdb and pyarrow) for the Python workers: PySpark reads only the
        # environment for them (spark.pyspark.python is not used in local mode), else `python3` on PATH
        os.environ["PYSPARK_PYTHON"] = sys.executable
        builder = builder.config("spark.pyspark.python", sys.executable)
    builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
    for key, value in {**SESSION_CONF, **(conf or {})}.items():
        if master.startswith("sc://") and key.startswith("spark.ui"):
            continue
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # py4j / JVM start-up errors have many types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"cannot start Spark on {master}: {first} (is Java installed and the master reachable?)") from exc


class SparkStore:
    """A Spark workspace's tables (a warehouse folder) behind the Store interface."""

    engine = "spark"

    def __init__(self, warehouse: str | Path, master: str = "local[*]", timezone: str = "UTC",
                 read_only: bool = False, spark=None):
        self.warehouse = Warehouse(warehouse)
        self.path = self.warehouse.root
        self.master = master
        self.timezone = timezone
        self.read_only = read_only
        if not read_only:
            self.warehouse.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.warehouse.create_empty(table_schemas())
            self.warehouse.sweep()  # what a crashed write left
        elif not self.warehouse.exists():
            raise StoreError(f"{self.warehouse.root} holds no centric tables: run `centric init --engine spark` first")
        self.spark = spark or spark_session(master)
        self._ibis = None
        self._views: dict[str, str] = {}
        self._register()

    # -- plumbing -------------------------------------------------------------------------
    def _register(self) -> None:
        """Read the manifest; views are (re)made lazily, when a table is first used (`view`)."""
        manifest = self.warehouse.manifest()
        self.version = manifest["version"]
        self._tables = manifest["tables"]

    def view(self, table: str) -> str:
        """Make sure the session's view `table` reads the version the manifest names; returns its name."""
        rel = self._tables.get(table)
        if rel is not None and self._views.get(table) != rel:
            self.spark.read.parquet(str(self.warehouse.root / rel)).createOrReplaceTempView(table)
            self._views[table] = rel
        return table

    def views(self, *tables: str) -> None:
        for table in tables:
            self.view(table)

    @property
    def con(self):
        raise StoreError("this operation needs DuckDB and the workspace runs on Spark: see docs/spark.md "
                         "for what the Spark engine does")

    @contextmanager
    def transaction(self):
        raise StoreError("transactions over raw SQL are DuckDB's: on Spark a step writes its tables with "
                         "replace_tables (docs/spark.md)")
        yield  # pragma: no cover

    @contextmanager
    def released(self):
        yield

    def close(self) -> None:
        self._ibis = None

    def __enter__(self) -> "SparkStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ibis(self):
        """An Ibis PySpark backend on this store's session."""
        if self._ibis is None:
            import ibis

            _patch_json_unwrap()
            self._ibis = _Backend(ibis.pyspark.connect(self.spark), self)
        return self._ibis

    def frame(self, table: str):
        """A table as a Spark DataFrame (store modules only)."""
        return self.spark.table(self.view(table))

    def moment(self, name: str, value):
        """A point in time as an Ibis timestamp (the Store's interface: on Spark a literal; DuckDB binds a
        variable so that the SQL stays the same from run to run)."""
        import ibis
        import pandas as pd

        if value is None or pd.isna(value):
            return ibis.null("timestamp")
        return ibis.literal(pd.Timestamp(value).to_pydatetime()).cast("timestamp")

    # -- reading --------------------------------------------------------------------------
    def count(self, table: str) -> int:
        return self.frame(table).count()

    def has_rows(self, table: str) -> bool:
        return bool(self.frame(table).limit(1).count())

    def query_df(self, sql: str, params: list | None = None):
        raise StoreError("raw SQL reads are DuckDB's; on Spark read tables with ibis() (docs/spark.md)")

    def run_user_sql(self, query: str):
        raise StoreError("`centric sql` runs on DuckDB workspaces; on Spark, query the warehouse's Parquet "
                         "tables with Spark SQL itself (docs/spark.md)")

    def refresh_order_values(self) -> int:
        """Orders' merchandise, returned and net_merchandise (store/spark_reversals.py), when some
        order lacks them."""
        from pyspark.sql import functions as f

        if self.frame("orders").where(f.col("net_merchandise").isNull()).limit(1).count() == 0:
            return 0
        from centric.store.spark_reversals import order_values

        self.views("orders", "order_lines")
        orders, reversals, changed = order_values(self.spark, count_changed=True)
        self.commit({"orders": orders, "order_reversals": reversals})
        return changed

    # -- per-partition work on the executors -------------------------------------------------
    def spark_frame(self, expr):
        """An Ibis expression of this store as a Spark DataFrame (its plan stays on the cluster)."""
        db = self.ibis().backend
        db._run_pre_execute_hooks(expr)  # Ibis' own UDFs (JSON unwrapping) and in-memory tables
        return db._session.sql(str(db.compile(expr.as_table())))

    def map_partitions(self, expr, fn, table: str, columns=None, collect: bool = False):
        """`fn(pandas rows) -> pandas rows` applied by the executors to each partition of the
        expression's rows (mapInPandas: a driver-side closure, pickled once per task); its output
        has `table`'s `columns` (default: all) with their types. Returns the Spark DataFrame (for
        replace_tables: the rows never reach the driver) or, with collect, a pandas frame."""
        from pyspark.sql.types import StructType

        target = self.frame(table).schema
        wanted = list(columns) if columns is not None else target.fieldNames()
        schema = StructType([target[name] for name in wanted])

        def per_partition(batches):
            for batch in batches:
                if len(batch):
                    yield fn(batch.reset_index(drop=True))[wanted]

        frame = self.spark_frame(expr).mapInPandas(per_partition, schema)
        if not collect:
            return frame
        import pyarrow as pa

        rows = frame.toArrow() if hasattr(frame, "toArrow") else pa.Table.from_pandas(frame.toPandas())
        return rows.to_pandas()

    # -- writing --------------------------------------------------------------------------
    def clear_table(self, table: str) -> None:
        self.replace_tables({table: self.frame(table).limit(0)})

    def replace_table(self, table: str, expr_or_df) -> int:
        return self.replace_tables({table: expr_or_df})[table]

    def replace_tables(self, contents: dict) -> dict[str, int]:
        """Replace several tables in one commit: all land together or none does."""
        frames = {table: self.conform(table, value) for table, value in contents.items()}
        self.commit(frames)
        return {table: self.count(table) for table in contents}

    def commit(self, frames: dict) -> None:
        """Write each Spark DataFrame as its table's new version, then publish them all at once."""
        staged = self.stage(frames)
        try:
            self.publish(staged)
        except BaseException:
            self.abort(staged)
            raise

    def stage(self, frames: dict) -> dict:
        """Write each frame as a new, unpublished version of its table and point the session's view at
        it (so later steps of the same write read it); returns {table: path} for publish or abort."""
        if self.read_only:
            raise StoreError("this store is open read-only")
        written = {}
        try:
            for table, frame in frames.items():
                path = self.warehouse.new_location(table)
                frame.write.mode("errorifexists").parquet(str(path))
                written[table] = path
        except BaseException:
            self.abort(written)
            raise
        for table, path in written.items():
            self._tables[table] = str(Path(path).relative_to(self.warehouse.root))
            self.view(table)
        return written

    def publish(self, staged: dict) -> None:
        """One manifest replace makes every staged version current."""
        self.warehouse.commit(staged, expected_version=self.version)
        self._register()

    def abort(self, staged: dict) -> None:
        """Drop staged versions; the views go back to the published ones."""
        import shutil

        for path in staged.values():
            shutil.rmtree(path, ignore_errors=True)
        self._views = {t: rel for t, rel in self._views.items() if t not in staged}
        self._register()

    def conform(self, table: str, value):
        """A Spark DataFrame with exactly `table`'s columns and types, from an Ibis expression, a
        pandas DataFrame or a Spark DataFrame (missing columns are NULL, as DuckDB's INSERT leaves them)."""
        from pyspark.sql import DataFrame
        from pyspark.sql import functions as f

        target = self.frame(table).schema
        if isinstance(value, RowUpdate):
            return self._row_update(table, value, target)
        if isinstance(value, DataFrame):
            frame = value
        elif hasattr(value, "compile"):
            frame = self.spark_frame(value)
        else:
            frame = self._from_pandas(value, target)
        given = set(frame.columns)
        unknown = given - set(target.fieldNames())
        if unknown:
            raise StoreError(f"{table} has no column {', '.join(sorted(unknown))}")
        return frame.select([
            (f.col(field.name) if field.name in given else f.lit(None)).cast(field.dataType).alias(field.name)
            for field in target.fields
        ])

    def _row_update(self, table: str, update: RowUpdate, target):
        """The table's rows whose key is not among `update.keys`, then `update.rows` (as DuckDB's
        delete-and-insert of those keys does): the new version is written whole, as every Spark write is."""
        import pyarrow as pa
        from pyspark.sql import functions as f

        fresh = self.conform(table, update.rows)
        kept = self.frame(table)
        if update.keys:
            keys = self.spark.createDataFrame(pa.table({update.key: pa.array(update.keys)}))
            keys = keys.select(f.col(update.key).cast(target[update.key].dataType).alias(update.key))
            kept = kept.join(f.broadcast(keys), on=update.key, how="left_anti")
        return self.conform(table, kept).unionByName(fresh)

    def _from_pandas(self, df, target):
        from pyspark.sql.types import StructType

        wanted = StructType([field for field in target.fields if field.name in set(df.columns)])
        if len(df) == 0:
            return self.spark.createDataFrame([], wanted)
        import pyarrow as pa

        table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
        return self.spark.createDataFrame(table)


class _Backend:
    """The Ibis PySpark backend, with each table's view made on first use (SparkStore.view)."""

    def __init__(self, backend, store: SparkStore):
        self.backend = backend
        self._store = store

    def table(self, name: str, *args, **kwargs):
        """The table, its JSON columns typed as JSON (Parquet keeps them as text), as DuckDB gives them."""
        from centric.schema import ALL_TABLES

        table = self.backend.table(self._store.view(name), *args, **kwargs)
        declared = ALL_TABLES.get(name)
        if declared is None:
            return table
        json = {c.name: table[c.name].cast("json") for c in declared.columns if c.kind == "json" and c.name in table.columns}
        return table.mutate(**json) if json else table

    def __getattr__(self, name: str):
        return getattr(self.backend, name)


def _patch_json_unwrap() -> None:
    """Ibis 12 reads a JSON field on PySpark with get_json_object, which gives a string value unquoted
    ('abc', not '"abc"'), then its `.str` / `.bool` UDF json-parses that text and fails on every plain
    string. This UDF takes get_json_object's text as it is: a string value as the string, true/false
    as booleans, objects and arrays as NULL for `.str` (DuckDB's reading; a JSON number read with
    `.str` gives its text here and NULL on DuckDB: centric reads no number that way)."""
    import ibis.backends.pyspark as backend

    if getattr(backend, "_centric_patched", False):
        return

    def unwrap_json(typ):
        import json

        import pandas as pd
        from pyspark.sql import functions as F
        from pyspark.sql.types import BooleanType, LongType, StringType

        returns = {str: StringType(), int: LongType(), bool: BooleanType()}[typ]

        def unwrap(s):
            def one(raw):
                if raw is None or (not isinstance(raw, str) and pd.isna(raw)) or raw == "null":
                    return None
                try:
                    value = json.loads(raw)
                except ValueError:
                    return raw if typ is str else None
                if typ is str:
                    return None if isinstance(value, (dict, list)) else raw
                return value if type(value) is typ else None

            return s.map(one)

        unwrap.__annotations__ = {"s": pd.Series, "return": pd.Series}  # real types: this module's are strings
        return F.pandas_udf(unwrap, returnType=returns)

    backend.unwrap_json = unwrap_json
    backend._centric_patched = True
