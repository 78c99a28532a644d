"""How a file writes its dates and numbers: decided once per column, from the whole column.

A value such as `12/1/2010` or `1,234` means different things in different countries, and one
value alone cannot tell which. So no value is read on its own: every value of a date or number
column is first sorted into an evidence class (ISO, proves day-first, proves month-first, reads
both ways, ...), the classes are counted over the whole column, the column's format is decided
from those counts (`decide`), and then every value of the column is read with that one format.
A value that the chosen format cannot read is quarantined with the format named in its reason.

Rules of the decision, for each column the user did not fix with --date-format or --decimal:
- Dates. ISO 8601 (`2024-12-31`, `2024-12-31T23:59:59+01:00`, `2024/12/31`) is unambiguous and is
  read in every column. Among the other shapes (day/month/year with `/`, `-` or `.`; epoch
  seconds, 9-10 digits; epoch milliseconds, 12-13 digits) the one most values have is the
  column's. For day/month/year, a value whose first field is above 12 proves day-first, one whose
  second field is above 12 proves month-first. Proof one way only decides it. No proof at all
  (every day <= 12) takes the order proved by the file's other date columns when they agree, else
  the column is refused. Proof both ways is a mixed column: refused, since its other values could
  be either. The refusal names --date-format.
- Numbers. A value with a separator followed by other than three digits (`12.50`, `12,5`), both
  separators (`1.234,56`), or repeated groups (`1,234,567`) proves its decimal mark; `1,234` and
  `1.234` read both ways. The same rules: proof one way decides; none takes the file's other
  number columns' mark when they agree, else refused naming --decimal; proof both ways is refused.
Everything here is plain Python over counts, or SQL text built from centric's own constants:
values, and the user's formats, travel as DuckDB variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from centric import schema as S
from centric.errors import CentricError
from centric.store.sqltext import constant, var

DATE_KINDS = (S.TIMESTAMP, S.DATE)
NUMBER_KINDS = (S.MONEY, S.NUMBER, S.INTEGER)

# The date formats a user may name; any other text is a strptime format such as "%m/%d/%Y %H:%M".
DATE_NAMES = {
    "iso": "ISO 8601, e.g. 2024-12-31 23:59",
    "dmy": "day first, e.g. 31/12/2024 23:59",
    "mdy": "month first, e.g. 12/31/2024 23:59",
    "epoch_s": "seconds since 1970-01-01 UTC",
    "epoch_ms": "milliseconds since 1970-01-01 UTC",
}
DECIMALS = {".": "decimal point, e.g. 1,234.56", ",": "decimal comma, e.g. 1.234,56"}
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-16": "utf-16", "utf16": "utf-16",
             "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1", "iso8859-1": "latin-1"}

_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")


def slash_formats(order: str) -> list[str]:
    """Every strptime format of one field order (dmy or mdy): separators / - ., 2- or 4-digit years,
    with or without a time. A two-digit year comes first: %Y would read `10` as the year 10."""
    first, second = ("%d", "%m") if order == "dmy" else ("%m", "%d")
    return [f"{first}{sep}{second}{sep}{year}{time}"
            for sep in "/-." for year in ("%y", "%Y") for time in _TIMES]


# Evidence classes of a date value (NULL for a blank cell).
D_ISO, D_DMY, D_MDY, D_EITHER, D_SAME, D_EPOCH_S, D_EPOCH_MS, D_NONE = range(8)
# Evidence classes of a number value.
N_PLAIN, N_POINT, N_COMMA, N_EITHER, N_NONE = range(5)

EPOCH_S_RE = "[0-9]{9,10}([.][0-9]+)?"  # 1973-03 .. 2286: seconds
EPOCH_MS_RE = "[0-9]{12,13}"  # the same span in milliseconds
POINT_RE = "[+-]?(([0-9]+|[1-9][0-9]{0,2}(,[0-9]{3})+)([.][0-9]*)?|[.][0-9]+)"
COMMA_RE = "[+-]?(([0-9]+|[1-9][0-9]{0,2}([.][0-9]{3})+)(,[0-9]*)?|,[0-9]+)"
EITHER_RE = "[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}"  # 1,234 or 1.234: a thousands group or three decimals
CURRENCY_AND_BLANKS = "[€$£¥\\s\u00a0\u202f']"


class FormatError(CentricError, ValueError):
    """A date or number column whose format the file does not settle, or a bad format option."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file, as the user said it: everything left None is detected."""

    delimiter: str | None = None
    encoding: str | None = None  # utf-8 (default), utf-16, latin-1
    date_formats: dict[str | None, str] = field(default_factory=dict)  # column (None: all) -> format
    decimal: str | None = None  # "." or ","

    @classmethod
    def build(cls, delimiter: str | None = None, encoding: str | None = None,
              date_format: tuple[str, ...] | list[str] | str | None = (), decimal: str | None = None) -> ReadOptions:
        """Options from the command line's texts; a bad one is a FormatError naming it."""
        if encoding is not None:
            enc = ENCODINGS.get(encoding.strip().lower())
            if enc is None:
                raise FormatError(f"--encoding {encoding}: use utf-8, utf-16 or latin-1")
            encoding = enc
        if decimal is not None and decimal not in DECIMALS:
            raise FormatError(f"--decimal {decimal}: use . (1,234.56) or , (1.234,56)")
        formats: dict[str | None, str] = {}
        for item in ([date_format] if isinstance(date_format, str) else list(date_format or ())):
            column, fmt = None, item.strip()
            head, sep, tail = item.partition("=")
            if sep and head.strip().isidentifier():
                column, fmt = head.strip(), tail.strip()
            if not fmt or (fmt not in DATE_NAMES and "%" not in fmt):
                raise FormatError(f"--date-format {item}: use iso, dmy, mdy, epoch_s, epoch_ms or a strptime "
                                  f"format such as \"%m/%d/%Y %H:%M\" (optionally COLUMN=FORMAT)")
            formats[column] = fmt
        return cls(delimiter, encoding, formats, decimal)

    def fixed_date(self, column: str) -> str | None:
        return self.date_formats.get(column, self.date_formats.get(None))


@dataclass(frozen=True)
class Formats:
    """The format of each date column (a DATE_NAMES key or a strptime format) and number column (. or ,)."""

    dates: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)

    def date(self, column: str) -> str:
        return self.dates.get(column, "iso")

    def number(self, column: str) -> str:
        return self.numbers.get(column, ".")

    @classmethod
    def assumed(cls, columns: dict[str, str], options: ReadOptions) -> Formats:
        """The formats a first reading assumes: the user's where given, else ISO and the decimal point."""
        dates = {c: options.fixed_date(c) or "iso" for c, k in columns.items() if k in DATE_KINDS}
        numbers = {c: options.decimal or "." for c, k in columns.items() if k in NUMBER_KINDS}
        return cls(dates, numbers)


def date_label(fmt: str) -> str:
    return f"{fmt} ({DATE_NAMES[fmt]})" if fmt in DATE_NAMES else fmt


# -- SQL: reading a value with one format ---------------------------------------------------------

def iso_expr(x: str) -> str:
    """ISO text in the shop's time zone: an offset (Z, +01:00, +0100) is converted to the shop's
    local time; text without one is shop local time already."""
    # Length first: a plain "YYYY-MM-DD hh:mm:ss" (19 characters) cannot carry an offset, which
    # spares the regular expression on almost every row of a typical export.
    has_offset = f"(length({x}) > 19 AND regexp_matches(rtrim({x}), '(Z|[+-][0-9]{{2}}:?[0-9]{{2}})$'))"
    # strptime first: DuckDB's cast takes milliseconds to give up on "... 11:35:52 -0800" (a space
    # before the offset), which made a 15k-line export take 20 s
    with_offset = (f"timezone({var('centric_tz')}, coalesce(try_strptime(trim({x}), ['%Y-%m-%d %H:%M:%S %z', "
                   f"'%Y-%m-%d %H:%M %z', '%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%dT%H:%M:%S.%f%z']), "
                   f"try_cast({x} AS TIMESTAMPTZ)))")
    return f"CASE WHEN {has_offset} THEN {with_offset} ELSE try_cast({x} AS TIMESTAMP) END"


def date_expr(fmt: str, x: str, user_var: str | None = None) -> str:
    """SQL reading text x as a timestamp with format `fmt` (ISO text is read in every column).

    user_var: the DuckDB variable holding a user's strptime format (never pasted into SQL)."""
    iso = iso_expr(x)
    t = f"trim({x})"
    if fmt == "iso":
        return iso
    if fmt in ("dmy", "mdy"):
        other = f"try_strptime({t}, {var('centric_' + fmt)})"
    elif fmt == "epoch_s":
        other = (f"CASE WHEN regexp_full_match({t}, '-?[0-9]+([.][0-9]+)?') "
                 f"THEN timezone({var('centric_tz')}, to_timestamp(CAST({t} AS DOUBLE))) END")
    elif fmt == "epoch_ms":
        other = (f"CASE WHEN regexp_full_match({t}, '-?[0-9]{{1,15}}') "
                 f"THEN timezone({var('centric_tz')}, timezone('UTC', epoch_ms(CAST({t} AS BIGINT)))) END")
    else:
        parsed = f"try_strptime({t}, {var(user_var)})"
        other = f"timezone({var('centric_tz')}, {parsed})" if "%z" in fmt else f"CAST({parsed} AS TIMESTAMP)"
    return f"coalesce({iso}, {other})"


def number_expr(mark: str, x: str, target: str) -> str:
    """SQL reading text x as a number of type `target` with decimal mark `mark`; NULL when it does
    not read (a value written with the other mark, a malformed grouping)."""
    cleaned = f"regexp_replace({x}, {constant(CURRENCY_AND_BLANKS)}, '', 'g')"
    if mark == ".":
        grouped = (f"CASE WHEN regexp_full_match({cleaned}, {constant(POINT_RE)}) "
                   f"THEN try_cast(replace({cleaned}, ',', '') AS {target}) END")
        # the plain cast reads 12.50 and 1e3 at once; only what it cannot read is cleaned
        return f"coalesce(try_cast({x} AS {target}), {grouped})"
    grouped = (f"CASE WHEN regexp_full_match({cleaned}, {constant(COMMA_RE)}) "
               f"THEN try_cast(replace(replace({cleaned}, '.', ''), ',', '.') AS {target}) END")
    return (f"CASE WHEN contains({x}, '.') THEN {grouped} "
            f"ELSE coalesce(try_cast(replace({x}, ',', '.') AS {target}), {grouped}) END")


def integer_expr(mark: str, x: str) -> str:
    as_double = number_expr(mark, x, "DOUBLE")
    return (f"coalesce(try_cast({x} AS BIGINT), CASE WHEN {as_double} = floor({as_double}) "
            f"AND abs({as_double}) < 9e15 THEN CAST({as_double} AS BIGINT) END)")


# -- SQL: the evidence class of a value -------------------------------------------------------------

def date_evidence(x: str, iso_value: str) -> str:
    """The evidence class of text x (D_*), given the SQL of its ISO reading."""
    t = f"trim({x})"
    dmy, mdy = f"try_strptime({t}, {var('centric_dmy')})", f"try_strptime({t}, {var('centric_mdy')})"
    # cheapest first: an ISO value (the common case) is classed without trimming a copy of it
    return (f"CASE WHEN ({iso_value}) IS NOT NULL THEN {D_ISO} WHEN nullif({t}, '') IS NULL THEN NULL "
            f"WHEN regexp_full_match({t}, '{EPOCH_S_RE}') THEN {D_EPOCH_S} "
            f"WHEN regexp_full_match({t}, '{EPOCH_MS_RE}') THEN {D_EPOCH_MS} "
            f"WHEN {dmy} IS NOT NULL THEN CASE WHEN {mdy} IS NULL THEN {D_DMY} WHEN {dmy} = {mdy} THEN {D_SAME} "
            f"ELSE {D_EITHER} END WHEN {mdy} IS NOT NULL THEN {D_MDY} ELSE {D_NONE} END")


def number_evidence(x: str, point_value: str, target: str) -> str:
    """The evidence class of text x (N_*), given the SQL of its decimal-point reading."""
    cleaned = f"regexp_replace({x}, {constant(CURRENCY_AND_BLANKS)}, '', 'g')"
    # The common case first, without copying the text: a value the plain cast reads, with no comma,
    # and with other than three digits after its point (12.50, 7): proves the point, or nothing.
    plain = (f"WHEN NOT contains({x}, ',') AND strpos({x}, '.') <> length({x}) - 3 "
             f"AND try_cast({x} AS DOUBLE) IS NOT NULL THEN CASE WHEN contains({x}, '.') THEN {N_POINT} "
             f"ELSE {N_PLAIN} END ")
    return (f"CASE {plain}WHEN nullif(trim({x}), '') IS NULL THEN NULL "
            f"WHEN NOT contains({x}, ',') AND NOT contains({x}, '.') THEN {N_PLAIN} "
            f"WHEN regexp_full_match({cleaned}, '{EITHER_RE}') "
            f"THEN {N_EITHER} WHEN ({point_value}) IS NOT NULL THEN {N_POINT} "
            f"WHEN ({number_expr(',', x, target)}) IS NOT NULL THEN {N_COMMA} ELSE {N_NONE} END")


# -- the decision -----------------------------------------------------------------------------------

@dataclass
class Undecided:
    """A column the file does not settle: `classes` are the evidence classes to show examples of."""

    column: str
    kind: str  # "date" or "number"
    problem: str
    classes: tuple[int, ...]
    option: str


def decide(kinds: dict[str, str], counts: dict[str, dict[int, int]], options: ReadOptions
           ) -> tuple[Formats, list[Undecided]]:
    """Each column's format from its evidence counts (column -> class -> values).

    kinds: column -> schema kind, for every date and number column read; columns the user fixed
    keep the user's format and need no counts."""
    dates: dict[str, str] = {}
    numbers: dict[str, str] = {}
    open_dates, open_numbers, undecided = [], [], []
    for column, kind in kinds.items():
        c = counts.get(column, {})
        if kind in DATE_KINDS:
            fixed = options.fixed_date(column)
            if fixed:
                dates[column] = fixed
                continue
            choice, problem = _date_choice(c)
            if choice is not None:
                dates[column] = choice
            elif problem == "mixed":
                undecided.append(Undecided(column, "date", "mixes day-first and month-first dates",
                                           (D_DMY, D_MDY), "--date-format dmy or --date-format mdy"))
            elif problem == "family tie":
                undecided.append(Undecided(column, "date", "mixes date formats in equal numbers",
                                           (D_EITHER, D_EPOCH_S, D_EPOCH_MS), "--date-format FORMAT"))
            else:
                open_dates.append(column)
        elif kind in NUMBER_KINDS:
            if options.decimal:
                numbers[column] = options.decimal
                continue
            point, comma, either = c.get(N_POINT, 0), c.get(N_COMMA, 0), c.get(N_EITHER, 0)
            if point and comma:
                undecided.append(Undecided(column, "number", "mixes decimal points and decimal commas",
                                           (N_POINT, N_COMMA), "--decimal . or --decimal ,"))
            elif point or comma:
                numbers[column] = "." if point else ","
            elif either:
                open_numbers.append(column)
            else:
                numbers[column] = "."
    # A column with no evidence takes the file's: one export writes all its dates, and all its
    # numbers, one way; so when every other column that proved an order agrees, it holds here too.
    proved_orders = {f for c, f in dates.items() if f in ("dmy", "mdy") and not options.fixed_date(c)
                     and (counts.get(c, {}).get(D_DMY) or counts.get(c, {}).get(D_MDY))}
    proved_marks = {numbers[c] for c in numbers if not options.decimal
                    and (counts.get(c, {}).get(N_POINT) or counts.get(c, {}).get(N_COMMA))}
    for chosen, open_columns, proved, refusal_args in (
        (dates, open_dates, proved_orders, ("date", "has no date with a day above 12, so each reads day-first and "
                                            "month-first", (D_EITHER,), "--date-format dmy or --date-format mdy")),
        (numbers, open_numbers, proved_marks, ("number", "has only values such as 1,234 or 1.234, which read as "
                                               "thousands or as decimals", (N_EITHER,), "--decimal . or --decimal ,")),
    ):
        for column in open_columns:
            if len(proved) == 1:
                chosen[column] = next(iter(proved))
            else:
                undecided.append(Undecided(column, *refusal_args))
    return Formats(dates, numbers), undecided


def _date_choice(c: dict[int, int]) -> tuple[str | None, str | None]:
    slash = c.get(D_DMY, 0) + c.get(D_MDY, 0) + c.get(D_EITHER, 0) + c.get(D_SAME, 0)
    families = {"slash": slash, "epoch_s": c.get(D_EPOCH_S, 0), "epoch_ms": c.get(D_EPOCH_MS, 0)}
    best = max(families.values())
    if best == 0:
        return "iso", None
    leaders = [f for f, n in families.items() if n == best]
    if len(leaders) > 1:
        return None, "family tie"
    if leaders[0] != "slash":
        return leaders[0], None
    dmy, mdy = c.get(D_DMY, 0), c.get(D_MDY, 0)
    if dmy and mdy:
        return None, "mixed"
    if dmy or mdy:
        return ("dmy" if dmy else "mdy"), None
    if c.get(D_EITHER, 0):
        return None, "no evidence"
    return "dmy", None  # every value has day = month: both orders read it the same


def refusal(table: str, u: Undecided, examples: list[str]) -> str:
    shown = f" (e.g. {', '.join(examples)})" if examples else ""
    return f"{table}.{u.column} {u.problem}{shown}: say how the file writes them with {u.option}"
