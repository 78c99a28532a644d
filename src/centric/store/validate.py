"""Validation rules, derived from the schema, compiled to DuckDB SQL over the staged text.

For a target table and the staged columns that feed it, `compile_rules` gives
- `values`: one SQL expression per canonical column that turns the staged text into the typed value;
- `checks`: ordered (predicate, column, raw value, reason) tuples; a row is quarantined with the
  first check it fails and loaded when it fails none;
- `evidence`: per date and number column, the SQL of each value's evidence class (store/formats.py),
  from which the column's format is decided over the whole file.
Dates and numbers are read with the one format decided for their column (`Formats`).
Everything runs inside DuckDB over the whole file at once, so validation costs about one scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from centric import schema as S
from centric.schema import Column, Table
from centric.store import formats as F
from centric.store.formats import DECIMALS, Formats, date_label
from centric.store.sqltext import constant, ident, var

STATUS_SYNONYMS = {
    "completed": "completed", "complete": "completed", "paid": "completed", "fulfilled": "completed",
    "shipped": "completed", "delivered": "completed", "processing": "completed", "wc-completed": "completed",
    "wc-processing": "completed", "partially_refunded": "completed", "closed": "completed",
    "cancelled": "cancelled", "canceled": "cancelled", "voided": "cancelled", "failed": "cancelled",
    "wc-cancelled": "cancelled", "wc-failed": "cancelled",
    "refunded": "refunded", "returned": "refunded", "return": "refunded", "wc-refunded": "refunded",
    "pending": "pending", "on-hold": "pending", "authorized": "pending", "unpaid": "pending",
    "wc-pending": "pending", "wc-on-hold": "pending", "open": "pending",
}

BOOLEAN_TRUE = ["true", "t", "yes", "y", "1", "si", "sí", "sim", "granted", "opt-in", "opted_in"]
BOOLEAN_FALSE = ["false", "f", "no", "n", "0", "denied", "revoked", "opt-out", "opted_out"]


# Values taken when a column is absent or a cell is blank.
DEFAULTS = {("orders", "status"): "'completed'", ("feedback", "source"): "'other'"}


@dataclass
class Check:
    predicate: str  # true when the row is bad
    column: str | None
    value: str  # SQL for the raw text shown in quarantine
    reason: str  # SQL expression for the reason text


@dataclass
class Rules:
    values: dict[str, str] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    formats: Formats = field(default_factory=Formats)
    kinds: dict[str, str] = field(default_factory=dict)  # date and number columns read -> kind
    evidence: dict[str, str] = field(default_factory=dict)  # column -> SQL of its values' evidence class
    texts: dict[str, str] = field(default_factory=dict)  # column -> SQL of its raw text

    def output_columns(self) -> str:
        """SQL select list: each canonical column's typed value, then the evidence classes."""
        out = [f"{expr} AS {ident(name)}" for name, expr in self.values.items()]
        out += [f"CAST({expr} AS UTINYINT) AS {ident(evidence_column(name))}" for name, expr in self.evidence.items()]
        return ", ".join(out)

    def reason_struct(self) -> str:
        """SQL giving {column, value, reason} of the first failed check, NULL for a good row."""
        if not self.checks:
            return "NULL"
        whens = " ".join(
            f"WHEN {c.predicate} THEN "
            f"{{'column_name': {constant(c.column) if c.column else 'NULL'}, "
            f"'value': ({c.value})::VARCHAR, 'reason': {c.reason}}}"
            for c in self.checks
        )
        return f"CASE {whens} END"


def prepare(con) -> None:
    """Register the lookup tables and macros validation needs on this connection."""
    from centric.store.countries import COUNTRY_CODES

    con.execute("CREATE OR REPLACE TEMP TABLE _country_names (_cn_name VARCHAR, _cn_code VARCHAR)")
    con.executemany("INSERT INTO _country_names VALUES (?, ?)", list(COUNTRY_CODES.items()))
    con.execute("SET VARIABLE centric_dmy = ?", [F.slash_formats("dmy")])
    con.execute("SET VARIABLE centric_mdy = ?", [F.slash_formats("mdy")])
    con.execute("SET VARIABLE centric_true = ?", [BOOLEAN_TRUE])
    con.execute("SET VARIABLE centric_false = ?", [BOOLEAN_FALSE])


def text_of(source: str) -> str:
    """The trimmed staged text of a source column, NULL when blank."""
    return f"nullif(trim({ident(source)}), '')"


# Kinds whose DuckDB casts ignore surrounding blanks themselves: they parse the staged text as it
# is, and trim only the rare cell that does not parse (trimming every cell costs ~0.2 s per
# column per 10M rows).
CAST_KINDS = (S.TIMESTAMP, S.DATE, S.MONEY, S.NUMBER, S.INTEGER)


def source_text(col: Column, source: str) -> str:
    return ident(source) if col.kind in CAST_KINDS else text_of(source)


def evidence_column(name: str) -> str:
    return f"_ev_{name}"


def date_format_var(column: str) -> str:
    """The DuckDB variable holding a user's strptime format for a column."""
    return f"centric_datefmt_{column}" if column.isidentifier() else "centric_datefmt"


def bind_formats(con, formats: Formats) -> None:
    """Bind the user's strptime formats (text from the command line) to DuckDB variables."""
    import duckdb

    for column, fmt in formats.dates.items():
        if fmt not in F.DATE_NAMES:
            con.execute(f"SET VARIABLE {date_format_var(column)} = ?", [fmt])
            try:
                con.execute(f"SELECT try_strptime('', {var(date_format_var(column))})").fetchall()
            except duckdb.Error as exc:
                raise F.FormatError(f"--date-format {fmt}: not a strptime format ({str(exc).splitlines()[0]})") from exc


def parse_expr(col: Column, x: str, formats: Formats | None = None) -> str:
    """SQL turning text x into the column's typed value (NULL when it does not parse), dates and
    numbers with the column's format."""
    formats = formats or Formats()
    kind = col.kind
    if kind == S.TEXT:
        if col.name == "status":
            # a CASE over centric's own constant words: far cheaper than a lookup join on every row
            whens = " ".join(f"WHEN {constant(w)} THEN {constant(st)}" for w, st in STATUS_SYNONYMS.items())
            return f"CASE lower({x}) {whens} ELSE lower({x}) END"
        if col.allowed:
            return f"lower({x})"
        return x
    if kind == S.ID:
        # a float-typed export writes 12345.0; the cheap contains() spares the regex on every other id
        return f"CASE WHEN contains({x}, '.') THEN regexp_replace({x}, '^(-?[0-9]+)\\.0+$', '\\1') ELSE {x} END"
    if kind == S.EMAIL:
        return f"lower({x})"
    if kind in F.DATE_KINDS:
        fmt = formats.date(col.name)
        value = F.date_expr(fmt, x, date_format_var(col.name))
        if kind == S.DATE:
            return f"coalesce(try_cast({x} AS DATE), CAST({value} AS DATE))" if fmt == "iso" else f"CAST({value} AS DATE)"
        return value
    if kind in (S.MONEY, S.NUMBER):
        return F.number_expr(formats.number(col.name), x, col.sql_type)
    if kind == S.INTEGER:
        return F.integer_expr(formats.number(col.name), x)
    if kind == S.BOOLEAN:
        return (f"CASE WHEN list_contains({var('centric_true')}, lower({x})) THEN true "
                f"WHEN list_contains({var('centric_false')}, lower({x})) THEN false END")
    if kind == S.COUNTRY:
        return (f"CASE WHEN {x} SIMILAR TO '[A-Za-z]{{2}}' THEN upper({x}) "
                f"ELSE (SELECT _cn_code FROM _country_names WHERE _cn_name = lower({x})) END")
    if kind == S.LANGUAGE:
        return f"lower(split_part(replace({x}, '_', '-'), '-', 1))"
    if kind == S.TEXT_LIST:
        return (f"CASE WHEN {x} LIKE '[%' THEN try_cast(CASE WHEN json_valid({x}) THEN {x} END AS VARCHAR[]) "
                f"ELSE list_filter(list_transform(string_split({x}, '|'), lambda s: trim(s)), lambda s: s <> '') END")
    if kind == S.JSON:
        return f"CASE WHEN json_valid({x}) AND json_type({x}::JSON) = 'OBJECT' THEN {x}::JSON END"
    raise ValueError(f"no parse rule for kind {kind!r}")


def compile_rules(table: Table, sources: dict[str, str], extras: list[str], formats: Formats | None = None,
                  evidence: bool = False) -> Rules:
    """Rules for loading `table` from staged columns: canonical name -> staged column name.

    formats: each date and number column's format (ISO and the decimal point when not given);
    evidence: also give each such column's evidence-class SQL, except for the formats in `fixed`."""
    formats = formats or Formats()
    rules = Rules(formats=formats)
    for col in table.input_columns:
        if col.name == table.extras:
            continue
        default = DEFAULTS.get((table.name, col.name))
        if col.name not in sources:
            rules.values[col.name] = default or "NULL"
            if col.required:
                raise ValueError(f"missing required column {col.name}")
            continue
        x = source_text(col, sources[col.name])
        value = parse_expr(col, x, formats)
        rules.values[col.name] = f"coalesce({value}, {default})" if default else value
        rules.checks.extend(_column_checks(table, col, x, rules.values[col.name], formats))
        if col.kind in F.DATE_KINDS or col.kind in F.NUMBER_KINDS:
            rules.kinds[col.name] = col.kind
            rules.texts[col.name] = x
            if evidence:
                rules.evidence[col.name] = _evidence(col, x, value, formats)
    if table.extras:
        rules.values[table.extras] = _extras_expr(table, sources, extras)
        if table.extras in sources:
            x = text_of(sources[table.extras])
            rules.checks.append(Check(f"{x} IS NOT NULL AND ({parse_expr(table.column(table.extras), x)}) IS NULL",
                                      table.extras, x, constant(f"{table.extras} is not a JSON object")))
    rules.checks.extend(_table_checks(table, rules.values, sources))
    return rules


def _evidence(col: Column, x: str, value: str, formats: Formats) -> str:
    """SQL of the evidence class of a value; `value` is its reading under `formats` (shared work when
    that is the format the evidence starts from: ISO dates, decimal points)."""
    if col.kind in F.DATE_KINDS:
        iso = value if formats.date(col.name) == "iso" and col.kind == S.TIMESTAMP else F.iso_expr(x)
        return F.date_evidence(x, iso)
    if col.kind == S.INTEGER or formats.number(col.name) != ".":
        return F.number_evidence(x, F.number_expr(".", x, "DOUBLE"), "DOUBLE")
    return F.number_evidence(x, value, col.sql_type)


def is_key(table: Table, col: Column) -> bool:
    """Identifiers and the columns of the table's key: never stored with control characters."""
    return col.kind == S.ID or col.name in table.key or col.name == "sku"


def _column_checks(table: Table, col: Column, x: str, value: str, formats: Formats) -> list[Check]:
    checks = []
    # For the cast kinds x is untrimmed: blank means "parses to NULL and is empty once trimmed".
    present = f"nullif(trim({x}), '') IS NOT NULL" if col.kind in CAST_KINDS else f"{x} IS NOT NULL"
    if col.required:
        missing = f"({value}) IS NULL AND NOT ({present})" if col.kind in CAST_KINDS else f"{x} IS NULL"
        checks.append(Check(missing, col.name, x, constant(f"missing {col.name}")))
    if is_key(table, col):
        # NUL, tab, line breaks: a key holding one cannot be matched or typed back (quarantine is safer
        # than stripping, which could merge two different keys into one)
        checks.append(Check(f"regexp_matches({x}, '[\\x00-\\x1f\\x7f]')", col.name, x,
                            constant(f"{col.name} holds a control character (NUL, tab or line break)")))
    what = {
        S.TIMESTAMP: "not a date and time", S.DATE: "not a date", S.MONEY: "not an amount",
        S.NUMBER: "not a number", S.INTEGER: "not a whole number", S.BOOLEAN: "not true or false",
        S.EMAIL: "not an e-mail address", S.LANGUAGE: "not an ISO 639-1 language code",
        S.TEXT_LIST: "not a JSON array or |-separated list",
    }.get(col.kind)
    if what:
        bad = f"({value}) IS NULL AND {present}"
        if col.kind == S.EMAIL:
            bad = f"{x} IS NOT NULL AND NOT regexp_full_match({x}, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+')"
        if col.kind == S.LANGUAGE:
            bad = f"{x} IS NOT NULL AND NOT regexp_full_match({value}, '[a-z]{{2}}')"
        reason = f"{col.name} is {what}"
        if col.kind in F.DATE_KINDS and formats.date(col.name) != "iso":
            reason = f"{col.name} does not match the column's format {date_label(formats.date(col.name))}"
        if col.kind in F.NUMBER_KINDS and formats.number(col.name) != ".":
            reason = f"{col.name} does not match the column's number format ({DECIMALS[formats.number(col.name)]})"
        checks.append(Check(bad, col.name, x, constant(reason)))
    if col.kind in (S.TIMESTAMP, S.DATE):
        checks.append(Check(f"year({value}) NOT BETWEEN 1900 AND 2200", col.name, x,
                            constant(f"{col.name} is outside the years 1900-2200")))
    if col.kind == S.COUNTRY:
        unknown = f"{x} IS NOT NULL AND ({value}) IS NULL AND NOT EXISTS (SELECT 1 FROM _country_names WHERE _cn_name = lower({x}))"
        checks.append(Check(unknown, col.name, x, constant("unknown country (use ISO 3166 alpha-2, e.g. ES)")))
    if col.allowed:
        allowed = ", ".join(constant(a) for a in col.allowed)
        checks.append(Check(f"({value}) IS NOT NULL AND ({value}) NOT IN ({allowed})", col.name, x,
                            constant(f"{col.name} must be one of {', '.join(col.allowed)}")))
    if col.minimum is not None:
        checks.append(Check(f"({value}) < {float(col.minimum)!r}", col.name, x,
                            constant(f"{col.name} is below {col.minimum:g}")))
    if col.positive:
        checks.append(Check(f"({value}) < 0", col.name, x, constant(f"{col.name} is negative")))
        checks.append(Check(f"({value}) = 0", col.name, x, constant(f"{col.name} is zero")))
    if col.nonzero:
        checks.append(Check(f"({value}) = 0", col.name, x, constant(f"{col.name} is zero")))
    return checks


def _table_checks(table: Table, values: dict[str, str], sources: dict[str, str]) -> list[Check]:
    checks = []
    if table.name == "orders" and "total" in sources:
        checks.append(Check(
            f"({values['total']}) < 0 AND coalesce({values['status']}, '') <> 'refunded'", "total",
            text_of(sources["total"]), constant("negative total on an order that is not refunded (a return)")))
    if table.name == "feedback" and "rating" in sources:
        rating, scale = values["rating"], values["rating_scale"]
        checks.append(Check(f"({rating}) IS NOT NULL AND ({scale}) IS NULL", "rating_scale",
                            text_of(sources.get("rating_scale", sources["rating"])),
                            constant("rating given without rating_scale")))
        for name, (low, high) in S.RATING_RANGES.items():
            checks.append(Check(f"({scale}) = {constant(name)} AND ({rating}) NOT BETWEEN {low} AND {high}",
                                "rating", text_of(sources["rating"]),
                                constant(f"rating outside {low}-{high} for {name}")))
    if table.name == "order_lines":
        # The value sits outside the subquery so that it binds to the staged column, not to orders.
        checks.append(Check(f"({values['order_id']}) NOT IN (SELECT order_id FROM orders)",
                            "order_id", text_of(sources["order_id"]),
                            constant("unknown order_id: load the orders first")))
    return checks


def _extras_expr(table: Table, sources: dict[str, str], extras: list[str]) -> str:
    """The extras JSON: the file's own JSON column merged with every column that has no canonical home."""
    base = parse_expr(table.column(table.extras), text_of(sources[table.extras])) if table.extras in sources else None
    parts = []
    for i, name in enumerate(extras):
        parts.append(f"{var(f'centric_extra_{i}')}, {text_of(name)}")
    if not parts:
        return base or "NULL"
    obj = f"json_object({', '.join(parts)})"
    # json_merge_patch drops the keys whose value is null (RFC 7386), so empty cells leave no trace.
    return f"json_merge_patch(coalesce({base or 'NULL'}, '{{}}'::JSON), {obj})"


def bind_extras(con, extras: list[str]) -> None:
    for i, name in enumerate(extras):
        con.execute(f"SET VARIABLE centric_extra_{i} = ?", [name])
