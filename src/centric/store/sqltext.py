"""Helpers for the SQL text the store writes.

Only identifiers (table and column names) are ever put into SQL text, and always through
`ident`; values travel as bound parameters or DuckDB variables (`SET VARIABLE x = ?`).
"""

from __future__ import annotations


def ident(name: str) -> str:
    """Quote an identifier for DuckDB: wrap in double quotes, double any inside."""
    if "\x00" in name:
        raise ValueError("identifier contains a NUL byte")
    return '"' + name.replace('"', '""') + '"'


def idents(names) -> str:
    return ", ".join(ident(n) for n in names)


CASTS = ("TIMESTAMP",)  # the types a variable may be cast to when bound (centric's own constants)


def set_variable(con, name: str, value, cast: str | None = None) -> None:
    """Bind a value to a DuckDB variable so that generated SQL can read it with getvariable(); `cast` (one
    of CASTS) fixes the variable's type whatever the value (a NULL is otherwise an INTEGER NULL)."""
    if not name.isidentifier():
        raise ValueError(f"bad variable name {name!r}")
    if cast is not None and cast not in CASTS:
        raise ValueError(f"bad variable type {cast!r}")
    con.execute(f"SET VARIABLE {name} = " + (f"CAST(? AS {cast})" if cast else "?"), [value])


def var(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"bad variable name {name!r}")
    return f"getvariable('{name}')"


def constant(text: str) -> str:
    """A SQL string literal for centric's own constant text (reasons, formats), never for data."""
    return "'" + text.replace("'", "''") + "'"
