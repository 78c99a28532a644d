"""`centric personas`: cluster customers on every variable and print (or export) the persona cards."""

from __future__ import annotations

from pathlib import Path

import click

from centric.cli.common import console, print_frame, workspace_option
from centric.workspace import Workspace


@click.command()
@workspace_option
@click.option("--clusters", type=int, default=None,
              help="Number of personas (default: the best silhouette among the stable k in 2-10, or one persona "
                   "when no k is stable).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample and of k-means.")
@click.option("--numeric", default=None, help="Comma-separated numeric variables (default: docs/segments.md).")
@click.option("--categorical", default=None, help="Comma-separated categorical variables.")
@click.option("--multi", default=None, help="Comma-separated list variables (tags, categories, themes).")
@click.option("--export", "export_file", default=None, type=click.Path(dir_okay=False),
              help="Write the cards to FILE: .md, .html or .json.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--refit", is_flag=True, default=False,
              help="Re-cluster now. Without it (and without the options above) new and changed customers join the "
                   "nearest existing persona, until the drift check asks for a re-clustering.")
def personas(workspace, clusters, seed, numeric, categorical, multi, export_file, fmt, refit):
    """Build buyer personas: clusters on profile, habits, value and voice, one card each.

    \b
    Examples:
      centric personas
      centric personas --refit
      centric personas --clusters 6 --export personas.html
      centric personas --numeric age,aov,orders --categorical city,language --multi tags,categories
    Writes personas and customer_personas; `centric report` shows the cards.
    """
    from rich.markup import escape
    from rich.progress import Progress

    out = console()
    ws = Workspace(workspace)
    with ws.open(), Progress(console=out, transient=True) as bar:
        task = bar.add_task("personas", total=None)
        result = ws.personas(n_clusters=clusters, seed=seed, numeric=numeric, categorical=categorical, multi=multi,
                             progress=lambda message: bar.update(task, description=message), refit=refit or None)
        shop = ws.settings.shop_name
    if export_file:
        _export(result.cards, Path(export_file), shop)
    if fmt == "json":
        from centric.report.personas import to_json

        click.echo(to_json(result.cards))
        return
    scores = ", ".join(f"{k}: {v:.3f}" for k, v in result.silhouettes.items())
    out.print(f"{len(result.cards)} personas from {result.customers:,} customers (silhouette by k: {scores}).")
    out.print(result.consent.message() + " (docs/privacy.md)", markup=False)
    if result.stability_note:
        out.print(escape(result.stability_note))
    for card in result.cards:
        out.print(f"\n[bold]{card['persona_id']}. {escape(card['name'])}[/bold]")
        out.print(escape(card["summary"]))
        for quote in card["quotes"]:
            out.print(f"  “{escape(quote['text'])}” [dim]({escape(str(quote['language']))})[/dim]")
    if result.skipped:
        out.print("\nLeft out: " + "; ".join(f"{k} ({v})" for k, v in result.skipped.items()) + ".")
        if any(v == "no values" for v in result.skipped.values()):
            out.print("Run `centric clv` and `centric listen` first to cluster on value and voice too.")
    if result.quality is not None and len(result.quality):
        dirty = result.quality[result.quality["reason"] != "missing in the data"]
        if len(dirty):
            print_frame(dirty, limit=20, title="Values set aside as dirty (not used for clustering)")
    click.echo("Next: centric report (cards in the report), or --export personas.html")


def _export(cards, path: Path, shop: str) -> None:
    from centric.report import personas as render

    suffix = path.suffix.lower()
    if suffix not in (".md", ".html", ".htm", ".json"):
        raise click.UsageError("--export takes a .md, .html or .json file")
    text = (render.to_markdown(cards, shop) if suffix == ".md" else render.to_json(cards) if suffix == ".json"
            else render.to_html(cards, shop))
    path.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {path}")
