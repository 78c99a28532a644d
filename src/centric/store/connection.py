"""The Store: the only object in centric that opens the workspace database."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from centric.store.migrations import migrate
from centric.store.sqltext import ident, set_variable
from centric.store.transactions import StoreError, transaction

__all__ = ["ChangedRows", "MatchingRows", "RowUpdate", "Store", "StoreBusy", "StoreError", "transaction"]


class RowUpdate:
    """A value for `Store.replace_tables`: the table's rows whose `key` is one of `keys` are deleted and
    `rows` (a DataFrame holding only such keys) inserted; every other row stays (an incremental write)."""

    def __init__(self, key: str, keys, rows):
        self.key, self.keys, self.rows = key, sorted(set(keys)), rows
        self.columns = list(rows.columns)


class ChangedRows:
    """A value for `Store.replace_tables`: the table ends up holding exactly the rows of `rows` (an Ibis
    expression), as a whole replace would, but only the rows that differ are deleted and inserted (a
    table rebuilt every run whose content seldom moves, such as the identities: writing it whole, and
    DuckDB's checkpoint of it, cost more than comparing). Rows are compared by DuckDB's hash of the whole
    row as the table stores it, with the same 64-bit-collision caveat as the run's digests
    (store/fingerprint.py); duplicate rows count as many times as they occur."""

    def __init__(self, rows):
        self.rows = rows
        self.columns = list(rows.columns)


class MatchingRows:
    """A value for `Store.replace_tables`: the table's rows whose value in a column of `keys` is among that
    key's values (`keys`: column -> an Ibis expression with a column of that name) are deleted, and `rows`
    (an Ibis expression) inserted; every other row stays. For a partial rewrite whose affected rows are
    named by several columns at once (services/marked.py: by customer, by visitor or by event)."""

    def __init__(self, keys: dict, rows):
        self.keys, self.rows = dict(keys), rows
        self.columns = list(rows.columns)


class StoreBusy(StoreError):
    """Another process holds the database (DuckDB allows one writing process): try again later."""

    def __init__(self, message: str, pid: int | None = None):
        super().__init__(message)
        self.pid = pid


class Store:
    """A DuckDB database file with the canonical tables.

    `read_only=True` opens it so that nothing can be written and no outside file can be read,
    for `centric sql`.
    """

    def __init__(self, path: Path, timezone: str = "UTC", read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self.timezone = timezone
        creating = not read_only and not self.path.exists()
        # the database holds customers' data: created (with its WAL) readable by its owner only
        mask = os.umask(0o077) if creating else None
        try:
            self.con = self._connect()
        finally:
            if mask is not None:
                os.umask(mask)
        if creating and self.path.exists():
            os.chmod(self.path, 0o600)
        self._ibis = None
        self._moments: dict[str, object] = {}
        if not read_only:
            try:
                migrate(self.con)
            except BaseException:
                self.con.close()
                raise

    # -- plumbing -------------------------------------------------------------------------
    def _connect(self, again: bool = False):
        """A connection to the file as this Store opens it (read-only: no outside file either)."""
        import duckdb

        config = {"enable_external_access": False} if self.read_only else {}
        try:
            con = duckdb.connect(str(self.path), read_only=self.read_only, config=config)
        except duckdb.Error as exc:
            if isinstance(exc, duckdb.IOException) and "Conflicting lock" in str(exc):
                import re

                pid = re.search(r"\(PID (\d+)\)", str(exc))
                holder = f" (pid {pid.group(1)})" if pid else ""
                raise StoreBusy(f"{self.path} is in use by another process{holder}: try again when it has finished",
                                int(pid.group(1)) if pid else None) from exc
            raise StoreError(f"cannot open {self.path}{' again' if again else ''}: {exc}") from exc
        con.execute("SET TimeZone = ?", [self.timezone])
        con.execute("SET enable_progress_bar = false")  # centric shows its own (Rich) progress
        return con

    def close(self) -> None:
        """Close the connection, nothing of it left running. DuckDB's Python client gives up on a call cut
        short by a signal ("Query interrupted", a second Ctrl+C) while the query's tasks may still be running
        on DuckDB's worker threads, and closing does not wait for them; the next statement on the
        connection does (it cleans up the query before it). Left running to the interpreter's exit, a
        COMMIT whose cleanup frees a registered DataFrame needs the GIL then, and the process aborts
        ("terminate called without an active exception", exit -6)."""
        import duckdb

        try:
            self.con.execute("SELECT 1")
        except duckdb.Error:  # closed already, or its transaction aborted: the cleanup has run all the same
            pass
        self.con.close()

    @contextmanager
    def released(self):
        """Close the connection for the block (a rewrite of the database file needs every connection
        closed), then open the same file again; the Store stays usable after the block."""
        self.con.close()
        self._ibis = None
        try:
            yield
        finally:
            self.con = self._connect(again=True)
            for variable, value in self._moments.items():  # what `moment` bound lives on the connection
                set_variable(self.con, variable, value, cast="TIMESTAMP")

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self):
        with transaction(self.con):
            yield self.con

    def ibis(self):
        """An Ibis backend over this store's connection; it compiles each distinct expression once per
        process (store/compiled.py)."""
        if self._ibis is None:
            from centric.store.compiled import duckdb_backend

            self._ibis = duckdb_backend(self.con)
        return self._ibis

    def moment(self, name: str, value):
        """A point in time as an Ibis timestamp expression that reads the DuckDB variable
        `centric_moment_<name>`, bound here to `value` (a datetime). A query given it instead of a literal
        has the same SQL from one run to the next (the observation end moves every day), so the compile
        cache (store/compiled.py) serves it again. DuckDB folds the variable into a constant when it binds
        the statement (filters still reach the scans). The value is bound on this Store's connection
        (again after `released`): build and run the expression on this Store, and bind one name to one
        value at a time (the expressions read the variable when they run, not when they are built).
        None or NaT (a workspace with no orders and no customer dates) binds a NULL TIMESTAMP, as the
        literal did; an aware datetime is read in the session's time zone, as the literal's cast did."""
        import pandas as pd

        variable = f"centric_moment_{name}"
        value = None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()
        set_variable(self.con, variable, value, cast="TIMESTAMP")
        self._moments[variable] = value
        return _read_moment(variable)

    def temp_rows(self, name: str, frame):
        """A DataFrame as this connection's TEMP table `name` (replacing one of that name), as an Ibis
        table: unlike `ibis.memtable`, expressions over it compile to the same SQL each run."""
        self.con.register("_temp_rows", frame)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS SELECT * FROM _temp_rows")
        finally:
            self.con.unregister("_temp_rows")
        return self.ibis().table(name)

    # -- reading --------------------------------------------------------------------------
    def count(self, table: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM {ident(table)}").fetchone()[0]

    def has_rows(self, table: str) -> bool:
        return self.con.execute(f"SELECT EXISTS (SELECT 1 FROM {ident(table)})").fetchone()[0]

    def digests(self, tables) -> dict[str, list]:
        """{table: [rows, content digest]} (store/fingerprint.py): what an incremental run compares."""
        from centric.store.fingerprint import digests

        return digests(self.con, tables)

    def query_df(self, sql: str, params: list | None = None):
        return self.con.execute(sql, params or []).df()

    def run_user_sql(self, query: str):
        """A user's own SELECT statements (`centric sql`), on a store opened read_only only
        (store/user_sql.py); the last statement's result as a DataFrame."""
        from centric.store.user_sql import run_user_sql

        if not self.read_only:
            raise StoreError("a user's SQL runs only on a store opened read-only")
        return run_user_sql(self.con, query)

    def temp_table(self, name: str, expr):
        """Materialise an Ibis expression as this connection's TEMP table `name` (replacing one of that
        name) and return it as an Ibis table. A fixed name, unlike Ibis's cache(), gives the expressions
        read from it the same SQL from one run to the next (store/compiled.py serves it again)."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS {self.ibis().compile(expr)}")
        return self.ibis().table(name)

    def drop_temp_table(self, name: str) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS temp.main.{ident(name)}")

    # -- writing results ------------------------------------------------------------------
    def refresh_order_values(self) -> int:
        """Give orders without them their merchandise, returned and net_merchandise (store/reversals.py).

        Every ingest keeps them current; this only works when some order lacks them (a workspace
        loaded by an older centric, or orders written by other means), so a run does not recompute
        every order again. Returns how many orders changed."""
        from centric.store.reversals import refresh_order_values

        if self.con.execute("SELECT 1 FROM orders WHERE net_merchandise IS NULL LIMIT 1").fetchone() is None:
            return 0
        with self.transaction() as con:
            return refresh_order_values(con)

    def clear_table(self, table: str) -> None:
        """Empty an output table (an analysis with nothing to write)."""
        with self.transaction() as con:
            con.execute(f"DELETE FROM {ident(table)}")

    def replace_table(self, table: str, expr_or_df) -> int:
        """Replace an output table's rows with an Ibis expression's or a DataFrame's result."""
        return self.replace_tables({table: expr_or_df})[table]

    def replace_tables(self, contents: dict) -> dict[str, int]:
        """Replace several output tables in one transaction: all land together or none does. A value is an
        Ibis expression, a DataFrame, a RowUpdate (only the rows of some keys replaced) or a ChangedRows
        (an expression's rows, only those that differ written)."""
        with self.transaction() as con:
            for table, expr_or_df in contents.items():
                self._replace(con, table, expr_or_df)
        return {table: self.count(table) for table in contents}

    def _replace(self, con, table: str, expr_or_df) -> None:
        if isinstance(expr_or_df, ChangedRows):
            return self._replace_changed(con, table, expr_or_df)
        if isinstance(expr_or_df, MatchingRows):
            where = " OR ".join(f"{ident(column)} IN (SELECT {ident(column)} FROM ({self.ibis().compile(values)}))"
                                for column, values in expr_or_df.keys.items())
            if where:
                con.execute(f"DELETE FROM {ident(table)} WHERE {where}")
            expr_or_df = expr_or_df.rows
        elif isinstance(expr_or_df, RowUpdate):
            if expr_or_df.keys:
                import pandas as pd

                con.register("_update_keys", pd.DataFrame({"k": pd.Series(expr_or_df.keys, dtype=object)}))
                con.execute(f"DELETE FROM {ident(table)} WHERE {ident(expr_or_df.key)} IN (SELECT k FROM _update_keys)")
                con.unregister("_update_keys")
            expr_or_df = expr_or_df.rows
        else:
            con.execute(f"DELETE FROM {ident(table)}")
        columns = list(expr_or_df.columns)
        if hasattr(expr_or_df, "compile"):
            sql = self.ibis().compile(expr_or_df)
            con.execute(f"INSERT INTO {ident(table)} ({', '.join(map(ident, columns))}) {sql}")
        else:
            con.register("_replace_df", expr_or_df)
            con.execute(
                f"INSERT INTO {ident(table)} ({', '.join(map(ident, columns))}) "
                f"SELECT {', '.join(map(ident, columns))} FROM _replace_df"
            )
            con.unregister("_replace_df")

    def _replace_changed(self, con, table: str, value: ChangedRows) -> None:
        """`ChangedRows`: the new rows staged in the table's own types (so they hash as it stores them); a
        row hash whose number of rows differs between the stored and the new rows is touched, and the
        stored rows of touched hashes are deleted and the new ones inserted (grouping by hash, no sort:
        identical rows of an untouched hash stay, however many)."""
        from centric.store.fingerprint import row_alias

        target, staged, touched = ident(table), ident("_changed_rows"), ident("_changed_hashes")
        columns = ", ".join(map(ident, value.columns))
        row = row_alias(con, table)  # the staged copy has the same columns
        con.execute(f"CREATE OR REPLACE TEMP TABLE {staged} AS SELECT * FROM {target} LIMIT 0")
        con.execute(f"INSERT INTO {staged} ({columns}) {self.ibis().compile(value.rows)}")
        counted = f"(SELECT hash({row}) AS _h, count(*) AS _n FROM {{}} AS {row} GROUP BY ALL)"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {touched} AS SELECT _h FROM {counted.format(target)} AS old "
                    f"FULL JOIN {counted.format(staged)} AS new USING (_h) WHERE old._n IS DISTINCT FROM new._n")
        if con.execute(f"SELECT count(*) FROM {touched}").fetchone()[0]:
            con.execute(f"DELETE FROM {target} WHERE rowid IN (SELECT rowid FROM {target} AS {row} "
                        f"WHERE hash({row}) IN (SELECT _h FROM {touched}))")
            con.execute(f"INSERT INTO {target} SELECT * FROM {staged} AS {row} "
                        f"WHERE hash({row}) IN (SELECT _h FROM {touched})")
        con.execute(f"DROP TABLE {staged}")
        con.execute(f"DROP TABLE {touched}")


_moment_reader = None


def _read_moment(variable: str):
    """getvariable(variable) as an Ibis timestamp (one builtin UDF per process: its operation class is part
    of every expression's cache key)."""
    global _moment_reader
    import ibis

    if _moment_reader is None:
        def getvariable(variable):
            """DuckDB's getvariable()."""

        _moment_reader = ibis.udf.scalar.builtin(getvariable, name="getvariable",
                                                 signature=(("string",), "timestamp"))
    return _moment_reader(ibis.literal(variable, "string"))
