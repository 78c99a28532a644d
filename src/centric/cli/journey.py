"""The journey commands: `centric journey` (stages, moves, drivers), `centric funnel` and `centric kpis`."""

from __future__ import annotations

import json

import click

from centric.cli.common import console, emit, print_frame, records, workspace_option
from centric.report.figures import kpi_text
from centric.workspace import Workspace


@click.command()
@workspace_option
@click.option("--steps", required=True, help='Comma-separated event names, in order.')
@click.option("--window", default="7d", show_default=True, help="Time from the first step to the last: 7d, 24h, 30m.")
@click.option("--by", default=None, help="Break down by channel (of the first step), persona or a customer_profiles column.")
@click.option("--exclude", default=None, help="Comma-separated events that cancel the steps after them.")
@click.option("--order", type=click.Choice(["ordered", "strict", "any"]), default="ordered", show_default=True,
              help="ordered: other events may come between steps; strict: none may; any: steps in any order.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def funnel(workspace, steps, window, by, exclude, order, fmt):
    """Conversion through steps within a window (ClickHouse windowFunnel semantics).

    \b
    Examples:
      centric funnel --steps "Product Viewed,Product Added,Checkout Started,Order Completed" --window 1d
      centric funnel --steps "Product Added,Order Completed" --window 7d --by acquisition_channel --format json
      centric funnel --steps "Product Viewed,Product Added" --window 1h --order strict
    """
    table = Workspace(workspace).funnel(steps, window, by=by, exclude=exclude, order=order)
    if fmt != "table":
        emit(table, fmt)
        return
    view = table.copy()
    for col in ("conversion_from_previous", "conversion_from_first"):
        view[col] = view[col].map(lambda v: "" if v is None or v != v else f"{100 * v:.1f}%")
    for col in ("median_seconds_from_first", "p90_seconds_from_first"):
        view[col] = view[col].map(_duration)
    view = view.rename(columns={"median_seconds_from_first": "median time", "p90_seconds_from_first": "p90 time",
                                "conversion_from_previous": "from previous", "conversion_from_first": "from first"})
    print_frame(view, title=f"Funnel within {window}" + ("" if order == "ordered" else f", {order} order"))
    console().print("Users are customers, or anonymous visitors by anonymous_id. Next: --by acquisition_channel, "
                    "--by persona, or --exclude EVENT")
    console().print(table.attrs["consent"].message() + " (docs/privacy.md)", markup=False)


def _duration(seconds) -> str:
    if seconds is None or seconds != seconds:
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


@click.command()
@workspace_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def journey(workspace, fmt):
    """Journey stages, the moves between them, and what drives each move (chance and speed).

    \b
    Example:
      centric journey
      centric sql "SELECT * FROM journey_drivers WHERE significant"
    Writes journey_stages, stage_transitions, stage_transition_rates, journey_drivers, cohorts,
    repeat_purchase_curve, path_edges and top_paths
    (docs/journey.md).
    """
    import pandas as pd
    from rich.markup import escape

    result = Workspace(workspace).journey()
    if fmt == "json":
        click.echo(json.dumps({
            "stages": records(result.stages), "statuses": records(result.statuses),
            "transitions": records(result.transitions),
            "drivers": records(result.drivers), "repeat_purchase_curve": records(result.repeat_curve),
            "consent": vars(result.consent),
        }, ensure_ascii=False))
        return
    out = console()
    out.print(result.consent.message() + " (docs/privacy.md)", markup=False)
    total = int(result.stages["customers"].sum())
    print_frame(result.stages, title=f"Customers in each stage now ({total:,} in all)")
    if result.statuses is not None and not result.statuses.empty:
        print_frame(result.statuses, title="Customers by purchase status now (prospect: not bought yet)")
    moves = result.transitions.assign(share=lambda d: (100 * d["share"]).round(1).astype(str) + "%",
                                      median_days=lambda d: d["median_days"].round(1))
    print_frame(moves, title="Moves between stages")
    if result.repeat_curve is not None and not result.repeat_curve.empty:
        whole = result.repeat_curve[result.repeat_curve["dimension"] == "all"]
        view = whole.assign(**{"bought again": lambda d: d.apply(
            lambda r: f"{100 * r.repeated_share:.1f}% ({100 * r.low:.1f}-{100 * r.high:.1f})", axis=1)})
        print_frame(view[["day", "customers_waiting", "bought again"]],
                    title="Repeat purchase: bought again within N days of the first purchase (95% interval)")
        median = whole["median_days"].iloc[0]
        if pd.notna(median):
            out.print(f"Half of first-time buyers buy again within {median:.0f} days.")
    if result.drivers is None:
        out.print(escape(result.driver_note))
        return
    for transition, table in result.drivers.groupby("transition", sort=False):
        top = table[table["significant"] | table["speed_significant"].eq(True)]
        landmark, window = int(table["landmark_days"].iloc[0]), int(table["window_days"].iloc[0])
        out.print(f"[bold]What moves customers {escape(transition)}[/bold] (adjusted odds of moving in days "
                  f"{landmark}-{landmark + window} for having it by day {landmark}, among the "
                  f"{int(table['customers_at_landmark'].iloc[0]):,} still waiting then; hazard ratios of moving "
                  "sooner from the moment it happened; 95% intervals, Holm-adjusted):")
        if top.empty:
            out.print("  nothing stands out")
        for r in top.itertuples():
            speed = (f"; moves x{r.hazard_ratio:.2f} as fast [{r.hazard_ratio_low:.2f}-{r.hazard_ratio_high:.2f}]"
                     if pd.notna(r.hazard_ratio) else "")
            out.print(f"  {escape(r.label)}: {r.direction} the odds x{r.odds_ratio:.2f} "
                      f"[{r.odds_ratio_low:.2f}-{r.odds_ratio_high:.2f}]{speed}, {r.customers_with:,} customers")
    if result.driver_note:
        out.print(escape(result.driver_note))
    out.print("[dim]Observational data: customers chose these touchpoints; read the effects as associations "
              "adjusted for the others, not as proof of cause (see flags in journey_drivers).[/dim]")


@click.command()
@workspace_option
@click.option("--by", type=click.Choice(["all", "acquisition_channel", "persona"]), default="all", show_default=True,
              help="Show the breakdown of AOV, repeat rate, CLV, CAC and CLV:CAC by channel or persona.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def kpis(workspace, by, fmt):
    """The KPI board: each KPI with its target ([kpi_targets] in centric.toml), status and trend.

    \b
    Examples:
      centric kpis
      centric kpis --by acquisition_channel
      centric sql "SELECT period, value FROM kpis WHERE kpi = 'retention_rate' AND dimension = 'all' ORDER BY 1"
    """
    view = Workspace(workspace).kpis(by=by)
    if fmt == "json":
        emit(view, fmt)
        return
    shown = view.assign(value=[kpi_text(v, u) for v, u in zip(view["value"], view["unit"])],
                        target=[kpi_text(v, u) for v, u in zip(view["target"], view["unit"])])
    cols = ["kpi", "period", "value", "target", "status", "trend"] if by == "all" else ["kpi", "group", "value"]
    print_frame(shown[cols], title="KPI board" if by == "all" else f"KPIs by {by}")
    if by == "all" and (view["status"] == "no target").all():
        click.echo("Set targets in centric.toml, e.g. [kpi_targets] repeat_customer_rate = 0.35, churn_rate = 0.6")

