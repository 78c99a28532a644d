"""Read-only SQL on a workspace, for `centric sql` and Workspace.sql."""

from __future__ import annotations

from centric.errors import CentricError


class SqlRefused(CentricError):
    """The statement would write, or is not SQL DuckDB can run."""


def check_read_only(con, query: str) -> None:
    import duckdb

    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise SqlRefused(f"not valid SQL: {str(exc).splitlines()[0]}") from exc
    if not statements:
        raise SqlRefused("no SQL statement given")
    for st in statements:
        if st.type != duckdb.StatementType.SELECT:
            raise SqlRefused(f"only SELECT queries are allowed here (got {st.type.name}); "
                             "change data with `centric ingest`")


def run_read_only(store, query: str):
    """Run one or more SELECT statements; return the last one's result as a DataFrame."""
    import duckdb

    check_read_only(store.con, query)
    try:
        return store.con.execute(query).df()
    except duckdb.Error as exc:
        raise SqlRefused(str(exc).splitlines()[0]) from exc
