"""What every command module shares: the --workspace option, the console, frames as tables."""

from __future__ import annotations

import click

from centric.config import WORKSPACE_ENV

def _remember_workspace(ctx, param, value):
    """Keep the workspace in ctx.meta (shared by the whole command chain), so that an error raised by
    the command is reported in that workspace's language (cli/lang.py)."""
    ctx.meta["centric.workspace"] = value
    return value


workspace_option = click.option(
    "--workspace", "-w", "workspace", envvar=WORKSPACE_ENV, default=None, callback=_remember_workspace,
    help="Workspace folder (default ./centric-workspace, or $CENTRIC_WORKSPACE).",
)


def console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def cell(value) -> str:
    """One value as text; lists joined with ', ', missing as blank. Rich escapes markup when asked."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if hasattr(value, "__len__") and not isinstance(value, str):
        return ", ".join(map(str, value))
    return str(value)


def print_frame(df, limit: int = 1000, title: str | None = None) -> None:
    """A DataFrame as a Rich table; text is escaped so customer text never becomes markup."""
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=title)
    for col in df.columns:
        t.add_column(escape(str(col)))
    for row in df.head(limit).itertuples(index=False):
        t.add_row(*[escape(cell(v)) for v in row])
    console().print(t)
    if len(df) > limit:
        click.echo(f"({len(df):,} rows; first {limit:,} shown: use --format csv for all)")


def records(frame) -> list:
    """A DataFrame (or None) as JSON-ready records, dates in ISO form."""
    import json

    return [] if frame is None else json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))


def emit(frame, fmt: str, title: str | None = None) -> None:
    """Print a frame as --format asks: a Rich table, CSV safe for spreadsheets, or JSON records."""
    if fmt == "json":
        click.echo(frame.to_json(orient="records", date_format="iso", force_ascii=False))
    elif fmt == "csv":
        from centric.report.export import safe_csv

        click.echo(safe_csv(frame), nl=False)
    else:
        print_frame(frame, title=title)
