"""The `centric` command: a thin shell over centric.Workspace (parse, call the Workspace method of the
command, render). Rule: no command does work of its own; every one is a Workspace method
(tests/cli/test_workspace_api.py), and cli/ imports nothing of centric.services."""

from __future__ import annotations

import datetime as dt
import sys

import click

from centric.cli.common import console as _console
from centric.cli.common import emit, records, workspace_option
from centric.cli.lang import gettext_for
from centric.errors import CentricError
from centric.workspace import Workspace


def _fail(message: str, workspace=None) -> None:
    _ = gettext_for(workspace)
    click.echo(_("Error: %(message)s") % {"message": message}, err=True)
    sys.exit(1)


class CentricGroup(click.Group):
    """Turns a user's mistake (a CentricError) into one line on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CentricError as exc:
            _fail(str(exc), _workspace_of(ctx))
        except KeyboardInterrupt:
            _ = gettext_for(_workspace_of(ctx))
            _fail(_("interrupted: nothing of the file being loaded was kept"), _workspace_of(ctx))


def _workspace_of(ctx):
    """The --workspace the command was given (None: the default folder or $CENTRIC_WORKSPACE)."""
    return ctx.meta.get("centric.workspace")


@click.group(cls=CentricGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="centric")
def cli():
    """centric: who your customers are, what they tell you, how they move and how to keep them.

    \b
    Start with a demo shop:   centric demo
    Or with your own data:    centric init && centric ingest orders orders.csv && centric run && centric report
    """
    import os

    os.umask(0o077)  # what centric writes (database, its WAL, spool, secrets, reports) is its owner's alone


@cli.command()
@workspace_option
@click.option("--shop-name", default="My shop", show_default=True)
@click.option("--currency", default="EUR", show_default=True, help="ISO 4217 code.")
@click.option("--timezone", default="Europe/Madrid", show_default=True, help="IANA time zone of the shop.")
@click.option("--languages", default="en,es,ca,pt", show_default=True, help="Comma-separated ISO 639-1 codes.")
@click.option("--lang", "language", default=None, type=click.Choice(["en", "es", "ca", "pt"]),
              help="Language the shop reads centric in (report, dashboard, messages); default: $LANG, else en.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="duckdb: embedded, one machine; spark: a Spark cluster (docs/spark.md).")
@click.option("--spark-master", default="local[*]", show_default=True,
              help="With --engine spark: local[*], local[N], spark://host:7077 or Spark Connect sc://host:15002.")
@click.option("--warehouse", default=None, metavar="PATH",
              help="With --engine spark: the folder of the tables (Parquet); default WORKSPACE/warehouse.")
def init(workspace, shop_name, currency, timezone, languages, language, engine, spark_master, warehouse):
    """Create a workspace: a folder with centric.toml and centric.duckdb (or, with --engine spark, a
    warehouse folder of Parquet tables that Spark reads).

    \b
    Examples:
      centric init --workspace my-shop --shop-name "La Botiga" --currency EUR --lang ca
      centric init --workspace big-shop --engine spark --spark-master spark://host:7077 --warehouse /data/wh
    """
    from centric.cli.lang import env_language

    ws = Workspace(workspace)
    options = {}
    if engine == "spark":
        from pathlib import Path

        options = {"engine": "spark", "spark_master": spark_master,
                   "warehouse": str(Path(warehouse).expanduser().resolve() if warehouse else ws.path / "warehouse")}
    elif warehouse is not None or spark_master != "local[*]":
        raise click.UsageError("--spark-master and --warehouse go with --engine spark")
    ws.init(shop_name=shop_name, currency=currency, timezone=timezone,
            languages=[x.strip() for x in languages.split(",") if x.strip()],
            language=language or env_language() or "en", **options)
    _ = gettext_for(workspace)
    click.echo(_("Workspace ready at %(path)s. Next: %(command)s") % {
        "path": ws.path, "command": f"centric ingest TABLE FILE --workspace {ws.path}"})


@cli.command()
@workspace_option
@click.argument("args", nargs=-1, required=False)
@click.option("--collected", is_flag=True, help="Load what the collector (centric serve) acknowledged: every "
              "spooled message not loaded yet, exactly once. Takes no TABLE or FILE.")
@click.option("--preset", default=None, help="Export format: centric (default); orders: online_retail, shopify, "
              "woocommerce; feedback: zendesk, freshdesk, reviews, social.")
@click.option("--map", "maps", multiple=True, metavar="CANONICAL=SOURCE", help="Read a canonical column from another column name.")
@click.option("--delimiter", default=None, help="CSV delimiter (detected when not given).")
@click.option("--charge-sku", "charge_skus", multiple=True, metavar="CODE[=KIND]",
              help="An order line with this sku is a charge (kind shipping, discount, fee, manual, sample, "
                   "adjustment or voucher; fee when not given), not a product: e.g. --charge-sku SHIP=shipping. "
                   "Repeatable; adds to [ingest] charge_skus of centric.toml.")
@click.option("--encoding", default=None, help="Text encoding: utf-8 (default), utf-16 or latin-1; lines not "
              "valid in it are quarantined. Example: --encoding latin-1")
@click.option("--date-format", "date_formats", multiple=True, metavar="[COLUMN=]FORMAT",
              help="How the file writes dates, when its values do not tell: iso, dmy, mdy, epoch_s, epoch_ms "
              "or a strptime format; for every date column, or COLUMN=FORMAT for one. "
              "Example: --date-format mdy, --date-format \"ordered_at=%m/%d/%Y %H:%M\"")
@click.option("--decimal", type=click.Choice([".", ","]), default=None,
              help="Decimal mark of the file's numbers, when its values do not tell. Example: --decimal ,")
def ingest(workspace, args, collected, preset, maps, delimiter, charge_skus, encoding, date_formats, decimal):
    """Load files into the workspace: TABLE FILE... , or FILE... with --preset, or --collected.

    CSV (any delimiter, gzip), Parquet and JSON Lines; globs allowed. Each file loads whole or not
    at all; rows that fail validation go to the quarantine table with their reason. Dates and
    numbers are read per column, with the format the whole column shows; a column that does not
    show it (every date reads day-first and month-first) is refused: say it with --date-format
    or --decimal.

    \b
    Examples:
      centric ingest customers customers.csv
      centric ingest orders 'exports/orders-*.csv.gz' --map order_id=Order --map total=Amount
      centric ingest orders us_orders.csv --date-format mdy --decimal .
      centric ingest customers clientes.csv --encoding latin-1
      centric ingest --preset online_retail online_retail.csv.gz
      centric ingest --preset shopify orders_export.csv
      centric ingest --preset zendesk tickets.jsonl
      centric ingest --preset social mentions.csv
      centric ingest fx_rates rates.csv
      centric ingest order_lines lines.csv --charge-sku SHIP=shipping --charge-sku GIFTWRAP
      centric ingest --collected
    """
    from rich.progress import Progress

    _ = gettext_for(workspace)
    if collected:
        if args or preset or maps:
            _fail(_("--collected loads the collector's spool: give it no TABLE, FILE, --preset or --map"), workspace)
        _ingest_collected(workspace)
        return
    if not args:
        _fail(_("name a TABLE and FILE... (or FILE... with --preset), or give --collected"), workspace)

    table, files = (None, list(args)) if preset and preset != "centric" else (args[0], list(args[1:]))
    if not files:
        _fail(_("give at least one file to load"), workspace)
    console = _console()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("loading", total=None)
        reports = Workspace(workspace).ingest(
            table, *files, preset=preset, mapping=maps, delimiter=delimiter, charge_skus=charge_skus,
            encoding=encoding, date_format=date_formats, decimal=decimal,
            on_file=lambda p: bar.update(task, description=f"loading {p.name}"))
    _print_ingest(console, reports, workspace)


def _ingest_collected(workspace) -> None:
    from rich.table import Table

    console = _console()
    ws = Workspace(workspace)
    with ws.open(), console.status("loading collected messages"):
        rep = ws.ingest_collected()
    console.print(f"{rep.messages_read:,} messages read from {len(rep.files):,} spool files; "
                  f"{rep.duplicates:,} duplicates skipped")
    if rep.tables:
        t = Table(title_justify="left")
        for col in ("table", "new", "updated", "unchanged"):
            t.add_column(col, justify="right" if col != "table" else "left")
        for name, counts in rep.tables.items():
            t.add_row(name, f"{counts.inserted:,}", f"{counts.updated:,}", f"{counts.unchanged:,}")
        console.print(t)
    for kind, n in rep.pending.most_common():
        console.print(f"  {n:,} {kind} records kept for a later loader (spool_pending)", markup=False)
    for req in rep.privacy_requests:
        console.print(f"  privacy request {req['request_id']} ({req['action']}): {req['status']}: {req['note']}",
                      markup=False)
    if rep.quarantined:
        console.print(f"  [yellow]{rep.quarantined_rows:,} messages quarantined:[/yellow]")
        for reason, n in rep.quarantined.most_common():
            console.print(f"    {n:>9,}  {reason}", markup=False)
        console.print("  See them: centric sql \"SELECT * FROM quarantine\"")


def _print_ingest(console, reports, workspace=None) -> None:
    from rich.markup import escape
    from rich.table import Table

    from centric.cli.lang import ui_language
    from centric.i18n import fmt_number, translator

    lang = ui_language(workspace)
    _ = translator(lang).gettext

    def n(value) -> str:
        return fmt_number(value, lang, 0)

    for rep in reports:
        t = Table(title=escape(_("%(file)s: %(n)s rows read") % {"file": rep.source_file, "n": n(rep.rows_read)}),
                  title_justify="left")
        for key, col in (("table", _("table")), ("new", _("new")), ("updated", _("updated")),
                         ("unchanged", _("unchanged"))):
            t.add_column(col, justify="right" if key != "table" else "left")
        for name, counts in rep.tables.items():
            t.add_row(name, n(counts.inserted), n(counts.updated), n(counts.unchanged))
        console.print(t)
        if rep.customers_created:
            console.print("  " + _("%(n)s customers created from the rows that named them") % {
                "n": n(rep.customers_created)}, markup=False)
        if getattr(rep, "suppressed", 0):
            console.print("  " + _("%(n)s rows dropped: they name erased people (see docs/privacy.md)") % {
                "n": n(rep.suppressed)}, markup=False)
        if rep.quarantined:
            console.print("  [yellow]" + escape(_("%(n)s rows quarantined:") % {"n": n(rep.quarantined_rows)})
                          + "[/yellow]")
            for reason, count in rep.quarantined.most_common():
                console.print(f"    {n(count):>9}  {reason}", markup=False)
            console.print("  " + _("See them: %(command)s") % {"command": 'centric sql "SELECT * FROM quarantine"'},
                          markup=False)
    console.print(_("Next: %(run)s, then %(report)s") % {"run": "centric run", "report": "centric report"},
                  markup=False)


@cli.command()
@workspace_option
@click.option("--every", "every", metavar="INTERVAL", default=None,
              help="Run again every INTERVAL (30s, 15m, 1h) until SIGTERM or Ctrl+C, one line per round.")
@click.option("--full", is_flag=True, default=False,
              help="Recompute everything and refit every model (by default only what changed since the last run).")
def run(workspace, every, full):
    """Run every analysis, in dependency order, and write the output tables.

    One run at a time per workspace: a run that finds another still going (or the database held by
    another command) says so in one line and exits 75, having done nothing. Safe from cron while
    `centric serve` runs.

    Each run recomputes what changed since the last one: steps whose inputs are unchanged are reused,
    listening reads only new texts and personas assign only new customers with the saved models (until
    a drift check refits them), CLV refits warm-started. One line per step says what it did and why.

    \b
    Examples:
      centric run --workspace my-shop
      centric run --workspace my-shop --full
      centric run --workspace my-shop --every 15m
      */15 * * * * cd /srv/shop && .venv/bin/centric run --workspace my-shop >> logs/centric-run.log 2>&1
    """
    from rich.progress import Progress

    from centric.workspace import RunBusy

    ws = Workspace(workspace)
    if every is not None and full:
        raise click.UsageError("--full recomputes once: run `centric run --full`, then `centric run --every ...`")
    if every is not None:
        _run_every(ws, every)
        return
    console = _console()
    bar, task = Progress(console=console), []

    def step(name: str) -> None:  # the bar starts with the first step: a busy run prints only its line
        if not task:
            bar.start()
            task.append(bar.add_task("analyses", total=len(ws.run_steps)))
        bar.update(task[0], advance=1, description=name)

    began = dt.datetime.now()
    try:
        try:
            results = ws.run(on_step=step, full=full)
        finally:
            if task:
                bar.stop()
    except RunBusy as exc:
        click.echo(f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} skipped: {exc}", err=True)
        sys.exit(exc.exit_code)
    left_out = ws.consent_messages(("personas", "journey"))
    for line in results.lines():  # whole lines, never wrapped: cron logs are read with grep
        click.echo(line)
    for line in left_out:
        console.print(line, markup=False)
    if left_out:
        console.print("Consent: each analysis reads only data recorded under its purpose (docs/privacy.md)")
    seconds = (dt.datetime.now() - began).total_seconds()
    console.print(f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} done in {seconds:.1f} s. Next: centric report")


def _run_every(ws: Workspace, every: str) -> None:
    """`centric run --every`: the loop is services/schedule.py's (through the Workspace); this prints its rounds."""
    import os

    from centric.workspace import Stop

    def show(one_round) -> None:
        click.echo(one_round.line())
        if one_round.number == 1 and one_round.result is not None:
            for line in one_round.result.left_out:
                click.echo(f"  {line}")

    seconds = ws.interval(every)  # a nonsense interval or no workspace: the one-line error, before anything is printed
    _ = ws.settings
    rounds = None
    with Stop() as stop:  # before the first line: once it is printed, a signal stops the loop cleanly
        click.echo(f"centric run every {every} on {ws.path} (pid {os.getpid()}); stop it with SIGTERM or Ctrl+C")
        try:
            rounds = ws.run_every(seconds, show, stop)
        except KeyboardInterrupt:  # a second signal between two rounds
            if not stop.abandoned:
                raise
        if stop.requested:
            stop.ignore_after_exit()  # this process ends now
    done = f"after {rounds} round{'s' if rounds != 1 else ''}" if rounds is not None else ""
    click.echo(f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} stopped by {stop.requested} {done}".rstrip())


@cli.command()
@workspace_option
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def sql(workspace, query, fmt):
    """Run a read-only SQL query on the workspace.

    \b
    Examples:
      centric sql "SELECT rfm_segment, count(*) FROM customer_summary GROUP BY 1"
      centric sql "SELECT * FROM quarantine" --format csv > quarantine.csv
    """
    emit(Workspace(workspace).sql(query), fmt)


@cli.command()
@workspace_option
@click.option("--model", type=click.Choice(["auto", "BetaGeo", "ModifiedBetaGeo", "ParetoNBD"]), default="auto",
              show_default=True, help="Transaction model; auto compares them on a holdout and keeps the best.")
@click.option("--holdout-days", type=click.IntRange(28, 3650), default=None,
              help="Days held out to compare the models (default: a third of the history, at most 365).")
@click.option("--holdout-from", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Check the models on the orders from this day on, fitted on the days before it "
                   "(e.g. --holdout-from 2011-09-09).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def clv(workspace, model, holdout_days, holdout_from, fmt):
    """Predict each customer's future orders, P(alive), lifetime value and churn risk.

    The models are first fitted on a calibration period and checked on the holdout that follows
    (total purchases, per-customer error, AUC and Brier score of "buys again", against the recency
    and past-rate baselines); P(alive) and churn risk come only from what that check validates.
    Writes customer_value, clv_rollups (by RFM segment and acquisition channel, with CLV:CAC),
    clv_models (the check), clv_calibration and clv_tracking. Margin, discount rate and horizon
    come from the [clv] section of centric.toml.

    \b
    Example:
      centric clv --workspace my-shop
      centric clv --model ParetoNBD --holdout-days 180
      centric clv --holdout-from 2011-09-09
    """
    import json

    from rich.progress import Progress

    console = _console()
    ws = Workspace(workspace)
    with ws.open(), Progress(console=console, transient=True) as bar:
        task = bar.add_task("customer value", total=None)
        if holdout_days is not None and holdout_from is not None:
            raise click.UsageError("give --holdout-days or --holdout-from, not both")
        result = ws.clv(model=model, holdout_days=holdout_days, progress=lambda msg: bar.update(task, description=msg),
                        holdout_from=holdout_from.date() if holdout_from else None)
        rollups = ws.clv_channels()
        settings = ws.settings
    if fmt == "json":
        click.echo(json.dumps({
            "model": result.model, "params": result.params, "customers": result.customers,
            "spend_model": result.spend_model, "spend_params": result.spend_params,
            "total_clv": result.total_clv, "high_churn_risk": result.high_risk,
            "comparison": None if result.comparison is None else records(result.comparison),
            "holdout_from": None if result.calibration_end is None else
            (result.calibration_end + dt.timedelta(days=1)).strftime("%Y-%m-%d"),
            "churn_source": result.churn_source, "churn_note": result.churn_note,
            "churn_horizon_days": result.churn_horizon_days, "spend_check": result.spend_check,
            "channels": records(rollups),
        }))
        return
    from rich.table import Table

    if result.comparison is not None:
        start = result.calibration_end + dt.timedelta(days=1)
        t = Table(title=f"Models checked on the holdout ({start:%Y-%m-%d}, {result.churn_horizon_days:.0f} days)")
        for col in ("model", "log-likelihood", "holdout actual", "predicted", "MAE", "AUC", "Brier", ""):
            t.add_column(col)
        num = (lambda v, f: "-" if v is None or v != v else f.format(v))
        for rec in result.comparison.to_dict("records"):
            if isinstance(rec.get("error"), str):
                t.add_row(rec["model"], "-", "-", "-", "-", "-", "-", rec["error"][:60])
                continue
            flags = [w for w, on in (("chosen", rec["chosen"]), ("churn source", rec["churn_source"]),
                                     ("boundary", rec.get("boundary"))) if on]
            t.add_row(rec["model"], num(rec.get("log_likelihood"), "{:,.1f}"), num(rec["holdout_total_actual"], "{:,.0f}"),
                      num(rec["holdout_total_predicted"], "{:,.0f}"), num(rec["holdout_mae"], "{:.3f}"),
                      num(rec["holdout_auc"], "{:.3f}"), num(rec["holdout_brier"], "{:.3f}"), ", ".join(flags))
        console.print(t)
    if result.churn_note:
        console.print(result.churn_note)
    if result.spend_check.get("holds") is False:
        console.print(result.spend_check["note"])
    console.print(f"{result.model} on {result.customers:,} customers (days): {_params_text(result.params)}")
    console.print(f"Spend: {result.spend_model} {_params_text(result.spend_params)}")
    console.print(f"Predicted CLV over {settings.clv_horizon_days} days: {result.total_clv:,.0f} {settings.currency}; "
                  f"{result.high_risk:,} customers at high churn risk")
    if len(rollups):
        t = Table(title="Value by acquisition channel")
        for col in ("channel", "customers", "mean CLV", "CAC", "CLV:CAC"):
            t.add_column(col)
        for rec in rollups.to_dict("records"):
            fmt_num = (lambda v, f: "-" if v is None or v != v else f.format(v))
            t.add_row(str(rec["group_name"]), f"{rec['customers']:,}", fmt_num(rec["mean_clv"], "{:,.2f}"),
                      fmt_num(rec["cac"], "{:,.2f}"), fmt_num(rec["clv_to_cac"], "{:.1f}"))
        console.print(t)
    console.print("Next: centric sql \"SELECT * FROM customer_value WHERE churn_risk = 'high' ORDER BY predicted_clv DESC\", "
                  "then centric report")


def _sentiment_table(models):
    """sentiment_models as a table: the accuracy to expect per language and source, or "unvalidated"."""
    from rich.table import Table

    def missing(value) -> bool:
        return value is None or value != value

    def figure(value) -> str:
        return "-" if missing(value) else f"{value:.3f}"

    readings = {"cold_start": "word lists", "self_trained": "shop's model", "cross_language": "other languages' model"}

    def reading(name: str) -> str:  # plain words; the stored names are in sentiment_models (data-model.md)
        base = name.removesuffix("_fallback")
        return readings.get(base, base) + (", cautious" if name.endswith("_fallback") else "")

    t = Table(title="Sentiment per language and source: macro-F1 to expect, from held-out rated feedback",
              caption="cautious: texts with no ratings keep the word lists' label unless the model is sure")
    for col in ("language · source", "texts (rated)", "held out", "cold start"):
        t.add_column(col, overflow="fold")
    for col in ("expected", "aspects agree"):  # "unvalidated" is read whole
        t.add_column(col, no_wrap=True)
    t.add_column("reading", overflow="fold")
    for rec in models.to_dict("records"):
        where = rec["language"] if rec["source"] == "all" else f"{rec['language']} · {rec['source']}"
        expected = figure(rec["expected_f1"]) if rec["validated"] else "unvalidated"
        aspects = ("unvalidated" if missing(rec["aspect_agreement"])
                   else f"{rec['aspect_agreement']:.0%} of {rec['aspect_texts']:,}")
        t.add_row(where, f"{rec['texts']:,} ({rec['rated_texts']:,})", f"{rec['n_test']:,}", figure(rec["cold_start_f1"]),
                  expected, aspects, reading(rec["reading"]))
    return t


@cli.command()
@workspace_option
@click.option("--no-train", is_flag=True, help="Use only the cold-start sentiment model (no self-training).")
@click.option("--theme", default=None, help="Show verbatims of one theme (delivery, price, product_quality, ...).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def listen(workspace, no_train, theme, fmt):
    """Read every feedback text: language, sentiment, themes; NPS/CSAT/CES, drivers and trends.

    Writes feedback_insights, sentiment_models, survey_scores, feedback_drivers and feedback_trends.
    Languages come from centric.toml; nothing is downloaded, everything runs on this machine.
    Prints the accuracy to expect per language and source (macro-F1 on held-out rated feedback),
    and "unvalidated" where no rated text backs a figure (e.g. tickets, or a language without ratings).

    \b
    Example:
      centric listen --workspace my-shop
      centric listen --theme delivery
    """
    import json

    from rich.progress import Progress

    console = _console()
    ws = Workspace(workspace)
    with ws.open(), Progress(console=console, transient=True) as bar:
        task = bar.add_task("listening", total=None)
        result = ws.listen(train=not no_train, progress=lambda msg: bar.update(task, description=msg))
        quotes = ws.verbatims(theme=theme, limit=8) if theme else None
    totals = result.scores[(result.scores["period"] == "all") & (result.scores["dimension"] == "all")]
    if fmt == "json":
        click.echo(json.dumps({
            "feedback": result.feedback, "languages": result.languages, "sentiments": result.sentiments,
            "scores": records(totals), "sentiment_models": records(result.models), "drivers": records(result.drivers),
            "rising": records(result.trends[result.trends["rising"]]) if result.trends is not None else [],
            "discovered_themes": result.discovered,
            "verbatims": records(quotes.assign(received_at=quotes["received_at"].astype(str))) if quotes is not None else [],
        }, default=str))
        return
    from rich.table import Table

    console.print(f"{result.feedback:,} feedback texts; languages: "
                  + ", ".join(f"{k} {v:,}" for k, v in result.languages.items())
                  + "; sentiment: " + ", ".join(f"{k} {v:,}" for k, v in result.sentiments.items()))
    t = Table(title="Scores (95% interval)")
    for col in ("metric", "answers", "score", "interval"):
        t.add_column(col)
    for rec in totals.to_dict("records"):
        t.add_row(rec["metric"].upper(), f"{rec['n']:,}", f"{rec['value']:.1f}",
                  "-" if rec["low"] is None or rec["low"] != rec["low"] else f"{rec['low']:.1f} to {rec['high']:.1f}")
    console.print(t)
    if result.models is not None and len(result.models):
        console.print(_sentiment_table(result.models))
    if result.drivers is not None and len(result.drivers):
        t = Table(title="What costs NPS points")
        for col in ("theme", "mentions", "% of detractors", "NPS points cost"):
            t.add_column(col)
        for rec in result.drivers.head(8).to_dict("records"):
            t.add_row(rec["theme"], f"{rec['mentions']:,}", f"{100 * rec['detractor_share']:.0f}%",
                      f"{rec['nps_points_cost']:.1f}")
        console.print(t)
    rising = result.trends[result.trends["rising"]] if result.trends is not None else []
    for rec in (rising.to_dict("records") if len(rising) else []):
        console.print(f"Rising: {rec['theme']} negative in {100 * rec['recent_share']:.1f}% of the last 30 days' "
                      f"feedback (was {100 * rec['previous_share']:.1f}%, p={rec['p_value']:.3f})")
    if quotes is not None:
        for rec in quotes.to_dict("records"):
            console.print(f"[{rec['sentiment']}] ({rec['language']}) " + str(rec["text"])[:300], markup=False, emoji=False, highlight=False)
    console.print("Next: centric listen --theme delivery, centric sql \"SELECT * FROM feedback_insights LIMIT 20\", "
                  "then centric report")


@cli.group()
def survey():
    """Define surveys (NPS, CSAT, CES, rating, text, choices), make links, see who to ask.

    \b
    Example:
      centric survey add nps.json
      centric survey link nps-post-purchase --customer C000123 --score 9
      centric survey audience nps-post-purchase --links > send.csv
    """


@survey.command("add")
@workspace_option
@click.argument("file", type=click.Path(dir_okay=False))
def survey_add(workspace, file):
    """Add or replace a survey from a JSON definition (see docs/listening.md)."""
    definition = Workspace(workspace).survey_add(file)
    _ = gettext_for(workspace)
    click.echo(_("Survey %(survey)s (%(kind)s) is open in %(languages)s. Next: centric serve, then paste the widget "
                 "or send links (%(command)s)") % {
        "survey": definition["survey_id"], "kind": definition["kind"], "languages": ", ".join(definition["languages"]),
        "command": f"centric survey link {definition['survey_id']} --customer ID"})


@survey.command("list")
@workspace_option
def survey_list(workspace):
    """The workspace's surveys."""
    frame = Workspace(workspace).survey_list()
    if frame.empty:
        _ = gettext_for(workspace)
        click.echo(_("No surveys yet: write one as JSON and run %(command)s")
                   % {"command": "centric survey add FILE"})
    for rec in frame.to_dict("records"):
        click.echo(f"{rec['survey_id']}\t{rec['kind']}\t{rec['status']}")


@survey.command("close")
@workspace_option
@click.argument("survey_id")
@click.option("--reopen", is_flag=True, help="Open it again.")
def survey_close(workspace, survey_id, reopen):
    """Stop (or restart) accepting answers and comments; what arrived before the close still loads."""
    Workspace(workspace).survey_close(survey_id, reopen=reopen)
    _ = gettext_for(workspace)
    click.echo((_("Survey %(survey)s is open.") if reopen else _("Survey %(survey)s is closed.")) % {"survey": survey_id})


@survey.command("link")
@workspace_option
@click.argument("survey_id")
@click.option("--customer", required=True, help="Customer the link is for (signed, so nobody else can answer).")
@click.option("--score", type=int, default=None, help="Prefill a score: one link per score button in an e-mail.")
@click.option("--lang", default=None, help="Language of the survey page.")
@click.option("--valid-days", type=click.IntRange(1, 3650), default=None,
              help="How long the link works (default: [surveys] link_days in centric.toml, 30).")
@click.option("--send", default=None, help="Send id: links of one mailing share it (default: a new one).")
@click.option("--base-url", default="http://127.0.0.1:8765", show_default=True)
def survey_link(workspace, survey_id, customer, score, lang, valid_days, send, base_url):
    """An e-mail link with a one-click prefilled score, signed for this survey, customer and send.

    Answering again through a link of the same send replaces the earlier answer (kept in
    feedback_history); after --valid-days the link is refused.

    \b
    Example:
      centric survey link nps-post-purchase --customer C000123 --score 9 --valid-days 14
    """
    click.echo(Workspace(workspace).survey_link(survey_id, customer, score=score, lang=lang, valid_days=valid_days,
                                                send=send, base_url=base_url))


@survey.command("audience")
@workspace_option
@click.argument("survey_id")
@click.option("--links", is_flag=True, help="Add a signed link per customer (one send for the whole list).")
@click.option("--valid-days", type=click.IntRange(1, 3650), default=None,
              help="How long the links work (default: [surveys] link_days in centric.toml, 30).")
@click.option("--send", default=None, help="Send id of this mailing (default: a new one, printed to stderr).")
@click.option("--base-url", default="http://127.0.0.1:8765", show_default=True)
def survey_audience(workspace, survey_id, links, valid_days, send, base_url):
    """Customers to ask now, after targeting, sampling and the minimum wait, as CSV.

    \b
    Example:
      centric survey audience nps-post-purchase --links --base-url https://shop.example/centric > send.csv
    """
    frame = Workspace(workspace).survey_audience(survey_id, links=links, valid_days=valid_days, send=send,
                                                 base_url=base_url)
    if links:
        click.echo(f"send id: {frame.attrs['send']}", err=True)
    click.echo(frame.to_csv(index=False), nl=False)
    click.echo(frame.attrs["consent"].message() + " at the time of sending", err=True)


@cli.command()
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (127.0.0.1: this machine only).")
@click.option("--port", default=8765, show_default=True)
def serve(workspace, host, port):
    """Collect events (Segment / RudderStack HTTP API), serve surveys, the read API and the dashboard.

    Never opens the workspace database: every other command runs while it serves. Keys: centric keys.
    The dashboard is at / (sign in with a read key: centric keys create --kind read).

    \b
    Example:
      centric keys create --kind write --name website
      centric serve --workspace my-shop
      curl -u WRITE_KEY: -H 'Content-Type: application/json' http://127.0.0.1:8765/v1/track \\
           -d '{"userId": "C1", "event": "Product Viewed"}'
    """
    ws = Workspace(workspace)
    folder = ws.path
    app = ws.app()
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: binding to {host} lets other machines reach this server; put TLS in front of it "
                   "and keep write and read keys secret.", err=True)
    live = [k for k in ws.keys_list() if not k.revoked]
    click.echo(f"centric serves {folder} on http://{host}:{port} (/v1/* collects with a write key; /widget.js and "
               f"/s/SURVEY serve surveys; /api/scores needs a read key; the dashboard at http://{host}:{port}/ takes a read "
               f"key). Keys: centric keys list | create | revoke "
               f"({len(live)} live). Ctrl+C stops it.")
    ws.serve(host=host, port=port, app=app)


@cli.group()
def keys():
    """API keys: write keys for /v1/* (collection), read keys for /api/scores and /api/drivers, admin for all.

    Stored hashed in WORKSPACE/keys.json (readable by you only); a key is shown once, when created.

    \b
    Example:
      centric keys create --kind write --name website
      centric keys list
      centric keys revoke 3f9a0c1d
    """


@keys.command("create")
@workspace_option
@click.option("--kind", type=click.Choice(["write", "read", "admin"]), required=True)
@click.option("--name", default=None, help="What the key is for (shown by centric keys list).")
def keys_create(workspace, kind, name):
    """Make a key; it is printed once, alone on the last line (store it now).

    \b
    Example:
      centric keys create --kind write --name website
    """
    info, token = Workspace(workspace).keys_create(kind, name)
    _ = gettext_for(workspace)
    click.echo(_("Created %(kind)s key %(key)s; it is shown only now:") % {
        "kind": kind, "key": info.id + (f" ({info.name})" if info.name else "")})
    click.echo(token)


@keys.command("list")
@workspace_option
def keys_list(workspace):
    """The workspace's keys (id, kind, name, created, revoked); never the keys themselves.

    \b
    Example:
      centric keys list --workspace my-shop
    """
    found = Workspace(workspace).keys_list()
    if not found:
        _ = gettext_for(workspace)
        click.echo(_("No keys yet: %(command)s") % {
            "command": "centric keys create --kind write --name website"})
    for k in found:
        click.echo(f"{k.id}\t{k.kind}\t{k.name or '-'}\t{k.created}\t{('revoked ' + k.revoked) if k.revoked else 'live'}")


@keys.command("revoke")
@workspace_option
@click.argument("key_id")
def keys_revoke(workspace, key_id):
    """Revoke a key by its id: a running server refuses it within a second.

    \b
    Example:
      centric keys revoke 3f9a0c1d
    """
    info = Workspace(workspace).keys_revoke(key_id)
    _ = gettext_for(workspace)
    click.echo(_("Key %(key)s (%(kind)s) is revoked.") % {"key": info.id, "kind": info.kind})


@cli.command()
@workspace_option
@click.option("--output", "-o", default=None, help="Where to write the report (default WORKSPACE/report.html).")
@click.option("--lang", default=None, type=click.Choice(["en", "es", "ca", "pt"]),
              help="Language of the report (default: the workspace's language in centric.toml).")
def report(workspace, output, lang):
    """Write the self-contained HTML report (works offline, opens in any browser), in the
    workspace's language or the one --lang names.

    \b
    Example:
      centric report --workspace my-shop -o report.html
      centric report --workspace my-shop --lang ca -o informe.html
    """
    out = Workspace(workspace).report(output, lang=lang)
    _ = gettext_for(workspace)
    click.echo(_("Report written to %(path)s") % {"path": out})


@cli.command()
@workspace_option
@click.option("--customers", default=20_000, show_default=True, help="How many customers the demo shop has.")
@click.option("--seed", default=7, show_default=True)
@click.option("--years", default=2.0, show_default=True, help="Length of the shop's history.")
def demo(workspace, customers, seed, years):
    """Generate a synthetic demo shop, load it, run every analysis and write the report.

    The shop's planted truth (personas, purchase parameters, journey drivers, feedback themes) is
    written to WORKSPACE/ground_truth/.

    \b
    Example:
      centric demo --workspace demo-shop --customers 5000
    """
    from rich.progress import Progress

    ws = Workspace(workspace)
    path = ws.path
    console = _console()
    with Progress(console=console) as bar:
        task = bar.add_task("demo", total=None)

        def step(description: str, total: int | None = None, advance: int = 0):
            bar.update(task, description=description, total=total, advance=advance)

        out = ws.demo(customers=customers, seed=seed, years=years, progress=step)
    for line in ws.consent_messages(("personas", "journey")):
        console.print(line + " (docs/privacy.md)", markup=False)
    console.print(f"Demo shop ready in {path}")
    console.print(f"Report: {out}")
    console.print(f"Try: centric sql \"SELECT rfm_segment, count(*) FROM customer_summary GROUP BY 1\" --workspace {path}")


from centric.cli.journey import funnel, journey, kpis  # noqa: E402  (command modules register on the group)
from centric.cli.identity import identity  # noqa: E402
from centric.cli.personas import personas  # noqa: E402
from centric.cli.privacy import privacy  # noqa: E402
from centric.cli.segments import segments  # noqa: E402

cli.add_command(segments)
cli.add_command(personas)
cli.add_command(identity)
cli.add_command(funnel)
cli.add_command(journey)
cli.add_command(kpis)
cli.add_command(privacy)



def _params_text(params: dict) -> str:
    """Fitted parameters on one line: numbers to 4 significant digits; a list (the Classifier's
    coefficients) as how many values it holds (`--format json` prints them all)."""
    def one(v):
        if isinstance(v, (int, float)):
            return f"{v:.4g}"
        if hasattr(v, "__len__") and not isinstance(v, str):
            return f"[{len(v)} value{'' if len(v) == 1 else 's'}]"
        return str(v)
    return ", ".join(f"{k}={one(v)}" for k, v in params.items())

def main() -> None:
    cli(prog_name="centric")


if __name__ == "__main__":
    main()
