"""`centric segments ...`: rule segments and the RFM segments, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from centric.cli.common import console, emit, print_frame, records, workspace_option
from centric.workspace import Workspace

RULE_HELP = 'The rule as JSON, e.g. \'{"all": [{"field": "country", "op": "=", "value": "ES"}]}\'.'


def _rule_text(rule: str | None, file: str | None) -> str:
    if bool(rule) == bool(file):
        raise click.UsageError("give the rule either with --rule JSON or with --file FILE.json")
    if file:
        path = Path(file)
        if not path.is_file():
            raise click.UsageError(f"{file} not found")
        data = json.loads(path.read_text(encoding="utf-8"))
        return json.dumps(data.get("rule", data) if isinstance(data, dict) else data)
    return rule


@click.group()
def segments():
    """Segments: RFM and your own rules over profile, behaviour, value and voice.

    \b
    Examples:
      centric segments preview --rule '{"all": [{"field": "language", "op": "=", "value": "ca"},
                                                {"field": "orders", "op": ">=", "value": 3}]}'
      centric segments create "Catalan regulars" --rule '...' --description "Catalan speakers, 3+ orders"
      centric segments list
      centric segments members "Catalan regulars" --format csv > catalan.csv
      centric segments movement --from 2026-04-30 --to 2026-10-31
    Fields and operators: docs/segments.md.
    """


@segments.command("list")
@workspace_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def segments_list(workspace, fmt):
    """Recompute every saved segment and the RFM segments; show size, revenue share, who entered and left."""
    frame = Workspace(workspace).segments_refresh()
    if fmt == "json":
        emit(frame, fmt)
        return
    view = frame[["segment", "kind", "customers", "customer_share", "revenue_share", "entered", "left"]].copy()
    for col in ("customer_share", "revenue_share"):
        view[col] = (100 * view[col]).round(1).astype(str) + "%"
    print_frame(view, title="Segments")
    if not (frame["kind"] == "rule").any():
        click.echo('No rule segments yet: try centric segments preview --rule \'{"field": "orders", "op": ">=", '
                   '"value": 3}\' then centric segments create NAME --rule ...')


segments.add_command(segments_list, "refresh")


@segments.command("preview")
@workspace_option
@click.option("--rule", default=None, help=RULE_HELP)
@click.option("--file", default=None, type=click.Path(dir_okay=False), help="A JSON file with the rule.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def segments_preview(workspace, rule, file, fmt):
    """Count the customers a rule selects, before saving it."""
    got = Workspace(workspace).segment_preview(_rule_text(rule, file))
    if fmt == "json":
        click.echo(json.dumps({"customers": got.customers, "customer_share": got.customer_share,
                               "revenue_share": got.revenue_share,
                               "sample": records(got.sample)}))
        return
    console().print(f"{got.customers:,} customers ({got.customer_share:.1%} of customers, "
                    f"{got.revenue_share:.1%} of revenue)")
    if got.customers:
        print_frame(got.sample, title="First members")
    click.echo("Save it with: centric segments create NAME --rule ...")


@segments.command("create")
@workspace_option
@click.argument("name")
@click.option("--rule", default=None, help=RULE_HELP)
@click.option("--file", default=None, type=click.Path(dir_okay=False), help="A JSON file with the rule.")
@click.option("--description", default="", help="What the segment is for.")
@click.option("--replace", is_flag=True, help="Overwrite a segment of the same name.")
def segments_create(workspace, name, rule, file, description, replace):
    """Save a rule segment in WORKSPACE/segments/ and compute its members."""
    frame = Workspace(workspace).create_segment(name, _rule_text(rule, file), description, replace=replace,
                                                rebuild_profiles=False)
    saved = frame.attrs["file"]
    row = frame[frame["segment"] == name].iloc[0]
    console().print(f"Saved {saved}: {int(row['customers']):,} customers, {row['revenue_share']:.1%} of revenue.")
    click.echo(f'Next: centric segments members "{name}" --format csv > members.csv')


@segments.command("show")
@workspace_option
@click.argument("name")
def segments_show(workspace, name):
    """A segment's rule, size and membership history."""
    row, history = Workspace(workspace).segment_show(name)
    out = console()
    out.print(f"[bold]{_esc(name)}[/bold] ({row['kind']}) {_esc(row['description'] or '')}")
    out.print(f"Rule: {_esc(row['rule'])}")
    out.print(f"{int(row['customers']):,} customers now, {row['revenue_share']:.1%} of revenue; computed "
              f"{row['computed_at']:%Y-%m-%d %H:%M} UTC; {int(row['entered'])} entered and {int(row['left'])} left then.")
    stays = history.assign(when=history["entered_at"].dt.strftime("%Y-%m-%d %H:%M"))
    entered = stays.groupby("when").size().rename("entered")
    left = history.dropna(subset=["left_at"]).assign(when=lambda d: d["left_at"].dt.strftime("%Y-%m-%d %H:%M"))
    moves = entered.to_frame().join(left.groupby("when").size().rename("left"), how="outer").fillna(0).astype(int)
    print_frame(moves.reset_index().rename(columns={"when": "computed (UTC)"}), title="History")


def _esc(text) -> str:
    from rich.markup import escape

    return escape(str(text))


@segments.command("members")
@workspace_option
@click.argument("name")
@click.option("--history", is_flag=True, help="Every stay: who entered and left, and when.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def segments_members(workspace, name, history, fmt):
    """The customers in a segment now (or its whole history)."""
    emit(Workspace(workspace).segment_members(name, history=history), fmt)


@segments.command("export")
@workspace_option
@click.argument("name")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
@click.option("--marketing-only", is_flag=True,
              help="Only customers who hold marketing consent now, at export time (for e-mail and ad audiences).")
def segments_export(workspace, name, out_file, marketing_only):
    """Write a segment's members to a CSV that is safe to open in a spreadsheet.

    \b
    Examples:
      centric segments export champions --out champions.csv
      centric segments export champions --out mailing.csv --marketing-only
    """
    frame = Workspace(workspace).segment_export(name, out_file, marketing_only=marketing_only)
    left_out = frame.attrs["consent"]
    click.echo(f"Wrote {len(frame):,} customers to {out_file}"
               + ("" if marketing_only else " (add --marketing-only for e-mail campaigns: consent is data)"))
    if left_out is not None:
        click.echo(left_out.message() + " at export time (docs/privacy.md)")


@segments.command("delete")
@workspace_option
@click.argument("name")
def segments_delete(workspace, name):
    """Delete a saved rule segment (its history is kept, every stay closed)."""
    Workspace(workspace).segment_delete(name)
    click.echo(f"Deleted {name}.")


@segments.command("movement")
@workspace_option
@click.option("--from", "start", required=True, help="First date, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Second date, YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def segments_movement(workspace, start, end, fmt):
    """How customers moved between RFM segments from one date to another."""
    try:
        import pandas as pd

        start_at, end_at = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(hours=23, minutes=59, seconds=59)
    except ValueError as exc:
        raise click.UsageError(f"dates are YYYY-MM-DD: {exc}") from exc
    emit(Workspace(workspace).segment_movement(start_at, end_at), fmt)

