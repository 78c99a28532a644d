"""Load a line-level order export (a preset) into customers, orders and order_lines at once.

The file is staged, its headers matched to the preset's fields, the preset's transforms applied,
and every line validated with the same rules as the canonical tables (store/validate.py). Good
lines become order_lines; orders are built from their lines; customers from every line that
names one. All three tables change in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from centric import schema as S
from centric.schema import Column, Table
from centric.store import charges, erasures, fx, validate
from centric.store.ingest import (
    IngestReport, clear_previous_quarantine, drop_staging, fingerprint, insert_quarantine, log_ingest,
    prepare_connection, quarantine_rejects, quarantine_rows, transaction, validate_file,
)
from centric.store.formats import ReadOptions
from centric.store.reversals import refresh_order_values
from centric.store.preset_fields import field_texts, match_headers, require_fields
from centric.store.presets import EXPORT_FIELDS, ORDER_FIELDS, PRESET_TABLES, PRESETS, OrderExportPreset
from centric.store.sources import STAGE, SourceError, stage_file
from centric.store.sqltext import ident
from centric.store.upsert import MergeCounts, merge

REQUIRED_FIELDS = ("order_id", "ordered_at", "quantity", "unit_price")


def _canonical_column(name: str) -> Column:
    """The column a field feeds, from the first of order_lines, orders, customers that has it."""
    if name == "cancelled_at":
        return Column("cancelled_at", S.TIMESTAMP, "when the order was cancelled")
    for table in (S.ORDER_LINES, S.ORDERS, S.CUSTOMERS):
        if name in table.names:
            return table.column(name)
    raise KeyError(name)


# The line of an export, validated like the canonical columns it feeds.
EXPORT_LINE = Table(
    "order_export", "one line of an order export",
    tuple(_canonical_column(name) for name in EXPORT_FIELDS) + (S.ORDER_LINES.column("attributes"),),
    extras="attributes",
)


def match_fields(preset: OrderExportPreset, columns: list[str]) -> dict[str, str]:
    found = match_headers(preset.fields, columns)
    require_fields(preset.name, preset.fields, found, REQUIRED_FIELDS)
    return found


def ingest_order_export(con, preset_name: str, path: Path, timezone: str = "UTC",
                        delimiter: str | None = None, currency: str | None = None,
                        charge_skus: dict[str, str] | None = None, options: ReadOptions | None = None,
                        secret: str | None = None) -> IngestReport:
    """Load an order export; its dates and numbers are read per column (see store/formats.py).

    currency: the workspace currency (orders in another one are converted at ingest, or quarantined
    without a rate: store/fx.py); charge_skus: the user's charge codes, added to the preset's
    (store/charges.py). secret: given when people were erased: their lines are dropped and counted
    (store/erasures.py)."""
    if preset_name not in PRESETS:
        raise SourceError(f"unknown preset {preset_name!r}: choose one of {', '.join(PRESETS)}")
    preset = PRESETS[preset_name]
    options = options or ReadOptions()
    prepare_connection(con, timezone)
    staged = stage_file(con, path, delimiter=delimiter or options.delimiter, encoding=options.encoding)
    found = match_fields(preset, staged.columns)
    extras = [c for c in staged.columns if c not in set(found.values())]
    source_file = str(Path(path).resolve())
    report = IngestReport(source_file, rows_read=staged.records)

    # 1. field texts, with the preset's transforms, order fields spread over all lines of an order
    texts = field_texts(EXPORT_FIELDS, found, preset.transforms)
    if preset.order_fields_on_first_line_only:
        order_key = texts["order_id"]
        for name in ORDER_FIELDS:
            texts[name] = (f"first_value({texts[name]} IGNORE NULLS) OVER (PARTITION BY {order_key} ORDER BY _line "
                           "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)")
    selects = ", ".join(f"CAST({expr} AS VARCHAR) AS {ident(name)}" for name, expr in texts.items())
    extra_cols = "".join(f", {ident(c)}" for c in extras)
    duplicate_of = "NULL::BIGINT"
    if preset.exact_duplicates_are_errors:
        everything = ", ".join(ident(c) for c in staged.columns)
        duplicate_of = f"min(_line) OVER (PARTITION BY {everything})"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _fields AS SELECT _line, {selects}{extra_cols}, "
        f"{duplicate_of} AS _first_copy FROM {STAGE}"
    )

    # 2. validation of each line, as the canonical tables validate
    sources = {name: name for name in EXPORT_FIELDS}
    validate.bind_extras(con, extras)

    def make_rules(formats, evidence):
        rules = validate.compile_rules(EXPORT_LINE, sources, extras, formats, evidence)
        dup = validate.Check("_first_copy < _line", "line", "_first_copy", "'exact duplicate of an earlier line'")
        rules.checks.insert(0, dup)
        return rules

    try:
        # every temp table first; the transaction then only writes the canonical tables
        rules, _ = validate_file(con, "order_lines", make_rules, "_fields", options=options)
        if secret is not None:
            report.suppressed = erasures.drop_suppressed(con, "_all_checked", EXPORT_LINE.names, secret)
        customer_values = ", ".join(
            f"{rules.values[c]} AS {ident(c)}" for c in ("customer_id", "email", "country", "region", "city", "postcode")
        )
        charges.register(con, {**preset.charge_codes, **(charge_skus or {})}, preset.charge_patterns)
        numbered = ("(SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY _line) AS line_no FROM _checked)")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _all_lines AS SELECT * FROM {charges.with_kind(numbered)}")
        _build_customers(con, customer_values)
        _build_orders(con, preset)
        _convert(con, currency)
        with transaction(con):
            clear_previous_quarantine(con, list(PRESET_TABLES), source_file)
            report.quarantined += quarantine_rejects(con, "order_lines", source_file, staged.rejects)
            report.quarantined += insert_quarantine(con, "order_lines", source_file, "_bad_rows")
            if currency:
                report.quarantined += quarantine_rows(
                    con, "order_lines", source_file,
                    fx.missing_rows(line_of="(SELECT order_id AS _fx_key, _line FROM _all_lines)"))
            _insert_new_customers(con, report)
            order_columns = [c.name for c in S.ORDERS.columns if c.name not in DERIVED and c.name != "event_id"]
            report.add("orders", merge(con, S.ORDERS, "_orders", order_columns))
            report.add("order_lines", merge(con, S.ORDER_LINES, "_lines", [c.name for c in S.ORDER_LINES.columns]))
            con.execute("DELETE FROM order_charges c WHERE EXISTS (SELECT 1 FROM _lines l "
                        "WHERE l.order_id = c.order_id AND l.line_no = c.line_no)")
            charges.store_charges(con, "_charges", report)
            refresh_order_values(con)
            for table in PRESET_TABLES:
                log_ingest(con, report, table, fingerprint(Path(path)))
    finally:
        for t in ("_fields", "_all_lines", "_lines", "_charges", "_orders", "_orders_raw", "_customers", "_fx"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        drop_staging(con)
    return report


def ingest_export(store, preset_name: str, path: Path, **options) -> IngestReport:
    """`ingest_order_export` on a Store: how services load an export (they never hold its connection)."""
    return ingest_order_export(store.con, preset_name, path, **options)


DERIVED = ("merchandise", "returned", "net_merchandise")  # set by store/reversals.py


def _convert(con, currency: str | None) -> None:
    """_orders, _lines (goods) and _charges in the workspace currency; orders without a rate left out."""
    if not currency:  # no workspace currency given: amounts as the file says, rate 1
        con.execute("CREATE OR REPLACE TEMP TABLE _fx AS SELECT order_id AS _fx_key, upper(currency) AS "
                    "original_currency, 1.0 AS fx_rate FROM _orders_raw")
        con.execute("CREATE OR REPLACE TEMP TABLE _orders AS SELECT *, upper(currency) AS original_currency, "
                    "total AS original_total, 1.0 AS fx_rate FROM _orders_raw")
    else:
        fx.build_rates(con, "_orders_raw", "order_id", currency)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _orders AS SELECT * FROM {fx.converted_orders('_orders_raw', 'order_id')}")
    price = fx.converted("l.unit_price", "f.fx_rate")
    rated = "_all_lines l JOIN _fx f ON f._fx_key = l.order_id WHERE f.fx_rate IS NOT NULL"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _lines AS SELECT l.* EXCLUDE (_charge_kind) REPLACE ({price} AS unit_price) "
                f"FROM {rated} AND l._charge_kind IS NULL")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _charges AS SELECT l.order_id, l.line_no, l.sku, l.product_name AS description, "
        f"l._charge_kind AS kind, l.quantity, CAST(round(l.quantity * l.unit_price * f.fx_rate, 2) AS DECIMAL(18,2)) "
        f"AS amount FROM {rated} AND l._charge_kind IS NOT NULL"
    )


def _build_customers(con, customer_values: str) -> None:
    """Customers named by any line of the export (even a quarantined line: the customer exists)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _customers AS SELECT customer_id, "
        f"min_by(email, _line) FILTER (WHERE email IS NOT NULL) AS email, "
        f"mode(country) AS country, min_by(region, _line) FILTER (WHERE region IS NOT NULL) AS region, "
        f"min_by(city, _line) FILTER (WHERE city IS NOT NULL) AS city, "
        f"min_by(postcode, _line) FILTER (WHERE postcode IS NOT NULL) AS postcode, 'order' AS origin "
        f"FROM (SELECT _line, {customer_values} FROM _fields) WHERE customer_id IS NOT NULL GROUP BY customer_id"
    )


def _insert_new_customers(con, report: IngestReport) -> None:
    """Insert the customers not known yet; known ones keep what a customers file said of them."""
    new = con.execute(
        "INSERT INTO customers (customer_id, email, country, region, city, postcode, origin) "
        "SELECT * FROM _customers c WHERE NOT EXISTS (SELECT 1 FROM customers k WHERE k.customer_id = c.customer_id)"
    ).fetchone()[0]
    total = con.execute("SELECT count(*) FROM _customers").fetchone()[0]
    report.add("customers", MergeCounts(inserted=new, unchanged=total - new))
    report.customers_created += new


def _build_orders(con, preset: OrderExportPreset) -> None:
    """_orders_raw: one row per order of the export, in the file's currency.

    total: the export's order total, or the sum of every line (goods and charges) when the preset
    says so; shipping, discount and charges: the export's order fields plus the order's charge lines
    of that kind (a discount line's negative amount is a positive discount)."""
    line_total = "sum(quantity * unit_price)"
    total = line_total if preset.total_from_lines else f"coalesce(min_by(total, _line), {line_total})"

    def plus_lines(column: str, kinds: str, sign: str = "") -> str:
        lines = f"count(*) FILTER (WHERE _charge_kind IN {kinds})"
        amount = f"{sign}sum(quantity * unit_price) FILTER (WHERE _charge_kind IN {kinds})"
        given = f"min_by({column}, _line)"
        return (f"CAST(CASE WHEN {lines} = 0 THEN {given} ELSE coalesce({given}, 0) + {amount} END "
                f"AS DECIMAL(18,2)) AS {column}")

    discount = plus_lines("discount", "('discount')", "-")
    shipping = plus_lines("shipping", "('shipping')")
    other = plus_lines("charges", "('fee', 'manual', 'sample', 'adjustment', 'voucher')")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _orders_raw AS SELECT order_id, "
        f"min_by(customer_id, _line) AS customer_id, min(ordered_at) AS ordered_at, "
        f"min_by(status, _line) AS status, min_by(currency, _line) AS currency, "
        f"CAST({total} AS DECIMAL(18,2)) AS total, {discount}, "
        f"{shipping}, min_by(channel, _line) AS channel, "
        f"{other}, "
        f"min_by(reverses_order_id, _line) AS reverses_order_id, NULL::JSON AS attributes "
        f"FROM _all_lines GROUP BY order_id"
    )
