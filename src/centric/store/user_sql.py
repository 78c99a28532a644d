"""A user's own SQL (`centric sql`, Workspace.sql): read-only, SELECT statements only.

Two guards, both needed: every statement must parse as a SELECT (checked before anything runs), and
the statements run only on a Store opened read_only, whose connection can neither write the
database nor read or write any outside file (enable_external_access off: store/connection.py).
Several statements may be given; the last one's result comes back as a DataFrame. Anything
refused, invalid or failing becomes one SqlRefused line, never a traceback.
"""

from __future__ import annotations

from centric.errors import CentricError


class SqlRefused(CentricError):
    """The statement would write, or is not SQL DuckDB can run."""


def check_read_only(con, query: str) -> None:
    """Refuse anything but SELECT statements, before any of them runs."""
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


def run_user_sql(con, query: str):
    """Run one or more SELECT statements on a read-only connection; the last one's result as a DataFrame."""
    import duckdb

    check_read_only(con, query)
    try:
        return con.execute(query).df()
    except duckdb.Error as exc:
        raise SqlRefused(str(exc).splitlines()[0]) from exc
