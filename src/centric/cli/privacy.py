"""`centric privacy`: answer a person's access request (export) or erasure request (erase)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from centric.cli.common import console, workspace_option
from centric.workspace import Workspace


@click.group()
def privacy():
    """Privacy requests: export everything about a person, or erase them.

    \b
    Examples:
      centric privacy export c-1042 --output requests/2026-11-30-c-1042
      centric privacy erase c-1042 --request-id GDPR-2026-117
    See docs/privacy.md for what each does and how to answer a GDPR request.
    """


@privacy.command("export")
@workspace_option
@click.argument("customer")
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False),
              help="Folder for the bundle (created 0700; files 0600).")
def export_cmd(workspace, customer, output):
    """Write everything centric holds about CUSTOMER (a customer id or e-mail): one JSON file with all of it
    (centric-export.json) and one CSV per table that holds their rows.

    \b
    Example:
      centric privacy export c-1042 --output requests/c-1042
      centric privacy export ana@example.com -o requests/ana
    """
    result = Workspace(workspace).privacy_export(customer, output)
    out = console()
    tables = sum(1 for n in result.rows.values() if n)
    out.print(f"Exported {result.total_rows:,} rows from {tables} tables and {result.spool_messages:,} spooled "
              f"messages of customer {escape(result.customer_id)} to {escape(str(result.folder))}")
    for name in result.files:
        out.print(f"  {escape(name)}")
    if result.unclassified:
        out.print(f"[yellow]Not scanned (no rule says whether they hold person data): "
                  f"{escape(', '.join(result.unclassified))}[/yellow]")


@privacy.command("erase")
@workspace_option
@click.argument("customer")
@click.option("--request-id", default=None, help="The request this answers (ticket or case number), kept with "
              "the erasure record.")
def erase_cmd(workspace, customer, request_id):
    """Erase CUSTOMER (a customer id or e-mail) and every id merged into them: input and derived tables,
    segment history, identities, persona quotes, the collector's spool, the read snapshot and the bytes of
    the database file. Only salted hashes of the ids remain (table erasures); data carrying them is dropped
    when it arrives again. Cannot be undone: export first if the person asked for a copy.

    \b
    Example:
      centric privacy erase c-1042 --request-id GDPR-2026-117
    """
    result = Workspace(workspace).privacy_erase(customer, request_id=request_id)
    out = console()
    if result.already_erased:
        out.print(f"{escape(customer)} was already erased: nothing of them is left to remove.")
    else:
        ids = ", ".join(f"{n} {k.replace('_', ' ')}{'s' if n > 1 else ''}" for k, n in result.ids_erased.items())
        out.print(f"Erased customer {escape(result.customer_id)}: {result.total_rows:,} rows from "
                  f"{sum(1 for n in result.rows_deleted.values() if n)} tables; ids kept only as hashes: {escape(ids)}.")
        for table, n in result.rows_deleted.items():
            if n:
                out.print(f"  {table}: {n:,}")
        if result.persona_quotes_removed:
            out.print(f"  persona cards: {result.persona_quotes_removed} quotes removed")
        if result.kept_shared_anonymous_ids:
            out.print(f"  {result.kept_shared_anonymous_ids} anonymous ids kept: another customer used the same "
                      "device (see docs/privacy.md)")
        if result.report:
            out.print(f"  report.html {result.report}")
        if result.exports_removed:
            folders = sorted({str(Path(n).parent) for n in result.exports_removed})
            out.print(f"  {len(result.exports_removed)} files of earlier exports of this person removed from "
                      f"{escape(', '.join(folders))}")
        out.print(f"  database rewritten ({result.database_bytes:,} bytes); snapshot republished")
    if result.spool_lines_removed:
        out.print(f"  spool: {result.spool_lines_removed:,} lines removed")
    if result.spool_files_pending:
        out.print(f"[yellow]  {len(result.spool_files_pending)} spool files are still being written by a running "
                  "server: their lines of this person are removed once sealed (the next `centric privacy erase` "
                  "or load of the spool does it); until then they are never loaded.[/yellow]")
    if result.residue:
        out.print("[yellow]These files of the workspace still mention the person (not written by centric: "
                  "edit or delete them):[/yellow]")
        for path, kinds in result.residue.items():
            out.print(f"  {escape(path)} ({', '.join(kinds)})")
    if result.unclassified:
        out.print(f"[yellow]Not scanned (no rule says whether they hold person data): "
                  f"{escape(', '.join(result.unclassified))}[/yellow]")
