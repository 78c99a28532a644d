"""Load one file into one canonical table of a Spark workspace: the DuckDB ingest's rules, data-parallel.

Rule: the same rules, the same quarantine, the same guarantees as store/ingest.py.
- Reading: Spark reads the file (CSV or Parquet) as text, split across the executors; each record's
  line is its position in the file (header = line 1), numbered from per-partition counts.
- Checking: each partition is typed and checked by store/validate.py's own rules (compile_rules,
  the SQL the DuckDB ingest runs), executed by an in-memory DuckDB inside `mapInArrow` on the
  executor that holds the partition: one rule set, no translation, so a value is loaded or
  quarantined for the same reason on both engines. Date and number formats are decided from the
  evidence classes counted over the whole file (store/formats.py decide), as on DuckDB. The one
  check that needs another table (an order line's order must exist) is an anti-join on Spark.
- Loading: duplicate keys in the file (the last line wins, the others quarantined), the merge on
  the natural key (inserted / updated / unchanged), customers created for unknown customer ids,
  order lines' charges split out, orders converted to the workspace currency (fx_rates, latest rate
  on or before the order's day), the orders' net values (store/spark_reversals.py), the file's
  earlier quarantine replaced, one _ingest_log row.
- Atomicity: every table the load changes is written as a new version and all are published by one
  manifest replace (store/warehouse.py): a crash leaves the workspace as it was; loading the same file
  again changes nothing.
Not on Spark (one-line error): presets and shop exports, erased people's suppression (docs/spark.md).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from centric.schema import CHARGE_KINDS, INPUT_TABLES, ORDER_CHARGES, Table
from centric.store import validate
from centric.store.formats import Formats, ReadOptions, decide, refusal
from centric.store.ingest import ORIGIN_OF, IngestReport, fingerprint, resolve_sources
from centric.store.sources import SourceError, detect_format
from centric.store.sqltext import constant, ident
from centric.store.transactions import StoreError
from centric.store.upsert import MergeCounts

SPREAD_BYTES = 64 << 20  # a CSV file larger than this is re-partitioned after its (one-task) parse
FAIL = ("_fail_column", "_fail_value", "_fail_reason")
UNKNOWN_ORDER = "unknown order_id: load the orders first"


class _Recorder:
    """Stands for a DuckDB connection while validate.prepare / bind_* run: keeps their statements so
    that each executor replays them on its own connection."""

    def __init__(self):
        self.calls: list[tuple[str, object, bool]] = []

    def execute(self, sql, params=None):
        self.calls.append((sql, params, False))
        return self

    def executemany(self, sql, params):
        self.calls.append((sql, params, True))
        return self

    def fetchall(self):
        return []


def _setup(timezone: str, formats: Formats, extras: list[str]) -> list:
    rec = _Recorder()
    validate.prepare(rec)
    rec.execute("SET VARIABLE centric_tz = ?", [timezone])
    validate.bind_formats(rec, formats)
    validate.bind_extras(rec, extras)
    return rec.calls


def _checker(setup: list, select_sql: str, arrow_schema):
    """The per-partition check: replays `setup` on an in-memory DuckDB, runs `select_sql` over each
    Arrow batch. Self-contained (duckdb and pyarrow only): executors need not import centric."""

    def check(batches):
        import duckdb
        import pyarrow as pa

        con = duckdb.connect()
        for sql, params, many in setup:
            (con.executemany if many else con.execute)(sql, params or [])
        for batch in batches:
            con.register("_batch", pa.Table.from_batches([batch]))
            out = con.execute(select_sql).to_arrow_table()
            con.unregister("_batch")
            yield from out.cast(arrow_schema).to_batches()
        con.close()

    return check


def read_text(spark, path: Path, delimiter: str | None, options: ReadOptions):
    """(frame of the file's columns as text plus _line, column names)."""
    from pyspark.sql import functions as f

    from centric.store.spark_csv import CORRUPT, with_corrupt_column

    fmt = detect_format(path)
    if fmt == "csv":
        reader = (spark.read.option("header", True).option("sep", separator(path, delimiter, options))
                  .option("quote", '"').option("escape", '"').option("multiLine", True)
                  .option("encoding", options.encoding or "utf-8").option("mode", "PERMISSIVE"))
        frame = with_corrupt_column(spark, reader, path)  # malformed records: store/spark_csv.py
        first = 2
    elif fmt == "parquet":
        return _read_parquet(spark, path)
    else:
        raise SourceError(f"{path.name}: {fmt} files load on DuckDB workspaces only; on Spark give CSV or Parquet")
    try:
        single = frame.rdd.getNumPartitions() == 1  # a multi-line CSV is one partition: no count needed
    except Exception:  # noqa: BLE001 - Spark Connect has no RDDs
        single = False
    if single:
        lined = frame.withColumn("_line", f.monotonically_increasing_id() + f.lit(first))
        if path.stat().st_size > SPREAD_BYTES:  # spread the checks over the executors
            lined = lined.repartition(int(spark.conf.get("spark.sql.shuffle.partitions")))
        return lined, [c for c in lined.columns if c not in ("_line", CORRUPT)]
    frame = frame.withColumn("_pid", f.spark_partition_id()).withColumn("_mid", f.monotonically_increasing_id())
    counts = dict(frame.groupBy("_pid").count().collect())
    offsets, total = {}, first
    for pid in sorted(counts):
        offsets[pid] = total
        total += counts[pid]
    start = f.create_map(*[x for pid, off in offsets.items() for x in (f.lit(pid), f.lit(off))]) if offsets \
        else f.create_map(f.lit(0), f.lit(first))
    lined = frame.withColumn("_line", (start[f.col("_pid")] + f.col("_mid") - f.shiftleft(f.col("_pid").cast("long"), 33))
                             .cast("long")).drop("_pid", "_mid")
    return lined, [c for c in lined.columns if c not in ("_line", CORRUPT)]


def _read_parquet(spark, path: Path):
    """A Parquet file as text, its row groups read in parallel by DuckDB on the executors with the same
    casts as the DuckDB stage (store/sources.py _as_text); line = row number from 1."""
    import duckdb
    import pyarrow.parquet as pq
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    from centric.store.sources import _as_text

    con = duckdb.connect()
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    finally:
        con.close()
    names = [d[0] for d in described]
    select = ", ".join(_as_text(name, ctype) + f" AS {ident(name)}" for name, ctype, *_ in described)
    meta = pq.ParquetFile(path).metadata
    groups, first = [], 0
    for i in range(meta.num_row_groups):
        rows = meta.row_group(i).num_rows
        groups.append((first, first + rows))
        first += rows
    schema = StructType([StructField(n, StringType()) for n in names] + [StructField("_line", LongType())])
    sql = (f"SELECT {select}, CAST(file_row_number + 1 AS BIGINT) AS _line FROM read_parquet($path, "
           f"file_row_number = true) WHERE file_row_number >= $lo AND file_row_number < $hi")
    spans = spark.createDataFrame(groups or [(0, 0)], "lo long, hi long").repartition(max(1, min(len(groups), 64)))
    text = spans.mapInArrow(_group_reader(str(path), sql, _arrow(schema)), schema)
    return text, names


def _arrow(schema):
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema)


def _group_reader(path: str, sql: str, arrow_schema):
    def read(batches):
        import duckdb

        con = duckdb.connect()
        for batch in batches:
            for lo, hi in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
                out = con.execute(sql, {"path": path, "lo": lo, "hi": hi}).to_arrow_table()
                yield from out.cast(arrow_schema).to_batches()
        con.close()

    return read


def ident_spark(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def separator(path: Path, delimiter: str | None, options: ReadOptions) -> str:
    return delimiter or options.delimiter or _sniff(path, options.encoding)


def _sniff(path: Path, encoding: str | None) -> str:
    import csv

    with open(path, encoding=encoding or "utf-8", errors="replace", newline="") as handle:
        head = handle.read(65536)
    try:
        return csv.Sniffer().sniff(head.split("\n", 1)[0] + "\n", delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _select(rules, table: Table, with_evidence: bool) -> str:
    out = ["_line"]
    for name, expr in rules.values.items():
        kind = table.column(name).kind
        out.append(f"CAST({expr} AS {'VARCHAR' if kind == 'json' else table.column(name).sql_type}) AS {ident(name)}")
    if with_evidence:
        out += [f"CAST({expr} AS INTEGER) AS {ident(validate.evidence_column(n))}" for n, expr in rules.evidence.items()]
    fail = rules.reason_struct()
    out += [f"CAST(({fail}).column_name AS VARCHAR) AS _fail_column", f"CAST(({fail}).value AS VARCHAR) AS _fail_value",
            f"CAST(({fail}).reason AS VARCHAR) AS _fail_reason"] if rules.checks else \
        ["CAST(NULL AS VARCHAR) AS _fail_column", "CAST(NULL AS VARCHAR) AS _fail_value", "CAST(NULL AS VARCHAR) AS _fail_reason"]
    return f"SELECT {', '.join(out)} FROM _batch"


def check_file(store, table: Table, text, sources, extras, timezone: str, options: ReadOptions):
    """The file's rows typed and checked (a cached frame: _line, the columns, _fail_*), the rules, and
    how many rows the file has."""
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

    target = store.frame(table.name).schema

    def make_rules(formats, evidence):
        rules = validate.compile_rules(table, sources, extras, formats, evidence)
        if table.name == "customers":
            rules.values["origin"] = "'import'"
        rules.checks = [c for c in rules.checks if UNKNOWN_ORDER not in c.reason]  # an anti-join, below
        return rules

    def run(rules, with_evidence):
        fields = [StructField("_line", LongType())] + [target[name] for name in rules.values]
        if with_evidence:
            fields += [StructField(validate.evidence_column(n), IntegerType()) for n in rules.evidence]
        fields += [StructField(name, StringType()) for name in FAIL]
        schema = StructType(fields)
        check = _checker(_setup(timezone, rules.formats, extras), _select(rules, table, with_evidence),
                         to_arrow_schema(schema))
        return text.mapInArrow(check, schema).cache()

    rules = make_rules(Formats(), False)
    assumed = Formats.assumed(rules.kinds, options)
    rules = make_rules(assumed, True)
    checked = run(rules, True)
    names = list(rules.evidence)
    counts: dict[str, dict[int, int]] = {name: {} for name in names}
    rows = 0
    # one aggregate gives the rows read and every column's evidence classes
    for row in checked.groupBy(*[validate.evidence_column(n) for n in names]).count().collect():
        rows += row["count"]
        for name in names:
            k = row[validate.evidence_column(name)]
            if k is not None:
                counts[name][int(k)] = counts[name].get(int(k), 0) + row["count"]
    decided, undecided = decide(rules.kinds, counts, options)
    if undecided:
        checked.unpersist()
        raise SourceError(refusal(table.name, undecided[0], []))
    if decided != assumed:
        checked.unpersist()
        rules = make_rules(decided, False)
        checked = run(rules, False)
    return checked.drop(*[validate.evidence_column(n) for n in rules.evidence]), rules, rows


def ingest_spark_file(store, table_name: str, path: Path, mapping: dict[str, str] | None = None,
                      timezone: str = "UTC", delimiter: str | None = None, currency: str | None = None,
                      charge_skus: dict[str, str] | None = None, options: ReadOptions | None = None,
                      secret: str | None = None, preset=None, fmt: str | None = None) -> IngestReport:
    """Load one file into one table of a Spark workspace, atomically (see the module's rule)."""
    from pyspark.sql import functions as f

    if table_name not in INPUT_TABLES:
        raise SourceError(f"unknown table {table_name!r}: choose one of {', '.join(INPUT_TABLES)}")
    if preset is not None:
        raise SourceError("presets load on DuckDB workspaces only: on Spark map the columns with --map (docs/spark.md)")
    if secret is not None:
        raise StoreError("this workspace has erased people, whose rows ingest must drop: that runs on DuckDB only")
    options = options or ReadOptions()
    table = INPUT_TABLES[table_name]
    path = Path(path)
    source_file = str(path.resolve())
    spark = store.spark
    from centric.store.spark_csv import CORRUPT, split_malformed

    text, columns = read_text(spark, path, delimiter, options)
    malformed, rejected = None, []
    if CORRUPT in text.columns:
        text, malformed, rejected = split_malformed(spark, text, columns, path, separator(path, delimiter, options),
                                                    options.encoding)
    sources, extras = resolve_sources(table, columns, mapping or {})
    checked, rules, rows = check_file(store, table, text, sources, extras, timezone, options)
    now = dt.datetime.now(_zone(timezone)).replace(tzinfo=None)
    report = IngestReport(source_file, rows_read=rows + len(rejected))
    report.quarantined.update(Counter(reason.split(":")[0] for *_, reason in rejected))  # as store/ingest.py
    bad = [checked.where(f.col("_fail_reason").isNotNull()).select(
        "_line", f.col("_fail_column").alias("column_name"), f.col("_fail_value").alias("value"),
        f.col("_fail_reason").alias("reason"))]
    good = checked.where(f.col("_fail_reason").isNull()).drop(*FAIL)
    frames = {}
    if table.name == "order_lines":
        known = store.frame("orders").select("order_id").distinct()
        bad.append(good.join(known, "order_id", "left_anti").select(
            "_line", f.lit("order_id").alias("column_name"), f.col("order_id").alias("value"),
            f.lit(UNKNOWN_ORDER).alias("reason")))
        good = good.join(known, "order_id", "left_semi")
    system_columns: tuple[str, ...] = ()
    if table.name == "orders" and currency:
        good, missing = _converted_orders(store, good, currency.upper())
        bad.append(missing)
        system_columns = ("original_currency", "original_total", "fx_rate")
    if table.name == "order_lines":
        rates = store.frame("orders").select("order_id", "fx_rate")
        good = good.join(rates, "order_id", "left").withColumn(
            "unit_price", f.round(f.col("unit_price") * f.coalesce(f.col("fx_rate"), f.lit(1.0)), 2)
            .cast("decimal(18,2)")).drop("fx_rate")
        good, charge_rows = _split_charges(good, charge_skus or {})
        new_charges, charge_counts = merge_frames(store.frame("order_charges"), charge_rows, ORDER_CHARGES,
                                                  ORDER_CHARGES.names)
        report.add("order_charges", charge_counts)
    good, dups = _dedupe(good, table)
    bad.append(dups)
    loaded = [c.name for c in table.columns if not c.system or c.name == "origin" or c.name in system_columns]
    if table.name == "order_lines":
        goods_keys = good.select("order_id", "line_no")
        base = store.frame("order_lines").join(charge_rows.select("order_id", "line_no"),
                                               ["order_id", "line_no"], "left_anti")
    else:
        base = store.frame(table.name)
    new_table, counts = merge_frames(base, good.select(*loaded), table, loaded)
    report.add(table.name, counts)
    frames[table.name] = store.conform(table.name, new_table)
    if table.name == "order_lines":
        frames["order_charges"] = store.conform("order_charges", new_charges.join(
            goods_keys, ["order_id", "line_no"], "left_anti"))
    if "customer_id" in table.parents and table.name in ORIGIN_OF:
        new_ids = (good.where(f.col("customer_id").isNotNull()).select("customer_id").distinct()
                   .join(store.frame("customers").select("customer_id"), "customer_id", "left_anti")
                   .withColumn("origin", f.lit(ORIGIN_OF[table.name])))
        report.customers_created = new_ids.count()
        if report.customers_created:
            frames["customers"] = store.conform("customers", store.frame("customers").unionByName(
                store.conform("customers", new_ids)))
    quarantined = bad[0]
    for more in bad[1:]:
        quarantined = quarantined.unionByName(more)
    quarantined = quarantined.cache()
    report.quarantined.update({r["reason"]: r["count"] for r in quarantined.groupBy("reason").count().collect()})
    written = quarantined.unionByName(malformed) if rejected else quarantined
    previous = store.frame("quarantine").where(~((f.col("source_file") == source_file)
                                                 & (f.col("table_name") == table.name)))
    frames["quarantine"] = store.conform("quarantine", previous.unionByName(store.conform("quarantine", written.select(
        f.lit(table.name).alias("table_name"), f.lit(source_file).alias("source_file"), f.col("_line").alias("line"),
        "column_name", f.substring("value", 1, 1000).alias("value"), "reason", f.lit(now).alias("ingested_at")))))
    staged = store.stage(frames)
    try:
        if table.name in ("orders", "order_lines"):
            from centric.store.spark_reversals import order_values

            store.views("orders", "order_lines")
            orders, reversals, _ = order_values(spark)
            staged.update(store.stage({"orders": store.conform("orders", orders),
                                       "order_reversals": store.conform("order_reversals", reversals)}))
        done = report.tables.get(table.name, MergeCounts())
        log = spark.createDataFrame(
            [(source_file, table.name, fingerprint(path), report.rows_read, done.inserted, done.updated, done.unchanged,
              report.quarantined_rows, now)],
            "source_file string, table_name string, fingerprint string, rows_read long, loaded long, updated long, "
            "unchanged long, quarantined long, ingested_at timestamp_ntz")
        staged.update(store.stage({"_ingest_log": store.conform("_ingest_log", store.frame("_ingest_log").unionByName(log))}))
        store.publish(staged)
    except BaseException:
        store.abort(staged)
        raise
    finally:
        checked.unpersist()
        quarantined.unpersist()
    return report


def merge_frames(base, source, table: Table, columns: list[str]):
    """(the table's new rows, MergeCounts): `source` (unique on the key) upserted into `base`, the same
    counts as store/upsert.py merge (a changed row is replaced by the file's columns)."""
    from pyspark.sql import functions as f

    key = list(table.key)
    t = base.select(*[f.col(ident_spark(c)).alias(f"_t_{c}") for c in base.columns]).withColumn("_present", f.lit(True))
    on = None
    for k in key:
        cond = f.col(ident_spark(k)).eqNullSafe(f.col(f"_t_{k}"))
        on = cond if on is None else on & cond
    same = f.lit(True)
    for c in columns:
        if c in key:
            continue
        left, right = f.col(ident_spark(c)), f.col(f"_t_{c}")
        if table.column(c).kind == "json":
            left, right = left.cast("string"), right.cast("string")
        same = same & left.eqNullSafe(right)
    joined = source.join(t, on, "left").withColumn(
        "_action", f.when(f.col("_present").isNull(), "insert").when(same, "same").otherwise("update")).cache()
    counts = dict(joined.groupBy("_action").count().collect())
    changed = joined.where(f.col("_action") != "same").select(*columns)
    kept = base.join(changed.select(*key), [base[k].eqNullSafe(changed[k]) for k in key], "left_anti") \
        if key else base
    new = kept.unionByName(changed, allowMissingColumns=True)
    return new, MergeCounts(counts.get("insert", 0), counts.get("update", 0), counts.get("same", 0))


def _dedupe(good, table: Table):
    """(rows unique on the key, the last line kept; quarantine rows for the others)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as f

    key = list(table.key)
    if not key:
        return good, good.limit(0).select("_line", f.lit(None).cast("string").alias("column_name"),
                                          f.lit(None).cast("string").alias("value"), f.lit(None).cast("string").alias("reason"))
    window = Window.partitionBy(*key)
    ranked = good.withColumn("_rank", f.row_number().over(window.orderBy(f.col("_line").desc()))) \
        .withColumn("_kept", f.max("_line").over(window))
    texts = f.concat(f.lit("["), f.concat_ws(", ", *[f.col(k).cast("string") for k in key]), f.lit("]"))
    dups = ranked.where(f.col("_rank") > 1).select(
        "_line", f.lit("/".join(key)).alias("column_name"),
        f.concat(texts, f.lit(" (line "), f.col("_kept").cast("string"), f.lit(" is loaded)")).alias("value"),
        f.lit("duplicate key in this file: the last line with the key is loaded").alias("reason"))
    return ranked.where(f.col("_rank") == 1).drop("_rank", "_kept"), dups


def _converted_orders(store, good, home: str):
    """(orders in the workspace currency with original_currency, original_total and fx_rate; quarantine
    rows for orders without a rate): store/fx.py's rule, the ASOF join as a ranked join."""
    from pyspark.sql import Window
    from pyspark.sql import functions as f

    orders = good.withColumn("_cur", f.coalesce(f.upper(f.trim(f.col("currency").cast("string"))), f.lit(home))) \
        .withColumn("_day", f.to_date("ordered_at"))
    rates = store.frame("fx_rates").where(f.col("rate") > 0).select(
        f.upper(f.trim("currency")).alias("_rcur"), "rate_date", "rate")
    joined = orders.join(rates, (orders["_cur"] == rates["_rcur"]) & (orders["_day"] >= rates["rate_date"])
                         & (orders["_cur"] != f.lit(home)), "left")
    ranked = joined.withColumn("_r", f.row_number().over(Window.partitionBy("_line").orderBy(f.col("rate_date").desc_nulls_last())))
    one = ranked.where(f.col("_r") == 1).withColumn(
        "fx_rate", f.when(f.col("_cur") == f.lit(home), f.lit(1.0)).otherwise(f.col("rate").cast("double")))
    missing = one.where(f.col("fx_rate").isNull()).select(
        "_line", f.lit("currency").alias("column_name"), f.col("_cur").alias("value"),
        f.format_string("no %s rate on or before %s in fx_rates: load one with `centric ingest fx_rates FILE`, "
                        "then ingest this file again", f.col("_cur"), f.date_format("_day", "yyyy-MM-dd")).alias("reason"))
    ok = one.where(f.col("fx_rate").isNotNull()).withColumn("original_currency", f.col("_cur")) \
        .withColumn("original_total", f.col("total"))
    for money in ("total", "discount", "shipping", "charges"):
        ok = ok.withColumn(money, f.round(f.col(money) * f.col("fx_rate"), 2).cast("decimal(18,2)"))
    ok = ok.withColumn("currency", f.lit(home)).drop("_cur", "_day", "_rcur", "rate_date", "rate", "_r")
    return ok, missing


def _split_charges(lines, codes: dict[str, str]):
    """(goods lines, charge rows in order_charges' columns): lines whose sku is a charge code, or whose
    category is a charge kind, are charges (store/charges.py's rule)."""
    from pyspark.sql import functions as f

    sku = f.upper(f.trim(f.col("sku").cast("string")))
    kind = f.lit(None).cast("string")
    for code, name in sorted(codes.items(), reverse=True):
        kind = f.when(sku == f.lit(code.upper()), f.lit(name)).otherwise(kind)
    category = f.lower(f.col("category").cast("string"))
    kind = f.coalesce(kind, f.when(category.isin(*CHARGE_KINDS), category))
    tagged = lines.withColumn("_charge_kind", kind)
    charges = tagged.where(f.col("_charge_kind").isNotNull()).select(
        "order_id", "line_no", "sku", f.col("product_name").alias("description"), f.col("_charge_kind").alias("kind"),
        "quantity", f.round(f.col("quantity") * f.col("unit_price"), 2).cast("decimal(18,2)").alias("amount"))
    return tagged.where(f.col("_charge_kind").isNull()).drop("_charge_kind"), charges


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


__all__ = ["ingest_spark_file", "merge_frames", "constant"]
