"""Read one input file (CSV, Parquet or JSON Lines, optionally gzipped) into a staging table.

Every value is staged as text so that validation sees exactly what the file held; a column
`_line` gives each record's line (header = line 1, as DuckDB counts records). Records the
CSV reader cannot split into the header's columns, and records holding bytes that are not valid
in the file's encoding, come back as `rejects` with their line and reason: they are quarantined,
never dropped, and never change how the other records are read. A file is UTF-8 unless the user
names another encoding (or it starts with a UTF-16 byte-order mark): one bad line is that line's
problem, not a reason to read the whole file in another encoding.
"""

from __future__ import annotations

import gzip
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from centric.errors import CentricError
from centric.store.sqltext import ident, set_variable, var

STAGE = "_stage"  # a view: the staged records and their _line
STAGE_RAW = "_stage_raw"


class SourceError(CentricError, ValueError):
    """The file cannot be read at all (missing, empty, unknown format, no header)."""


@contextmanager
def reading(path: Path, what: str, input_errors_only: bool = False):
    """Turn DuckDB's complaint about a file into a SourceError naming the file and its format.

    input_errors_only: only errors in the file's content (a query that also types and checks the
    records lets any other error through as the bug it is)."""
    import duckdb

    try:
        yield
    except (duckdb.InvalidInputException if input_errors_only else duckdb.Error) as exc:
        raise SourceError(f"{path}: cannot read as {what}: {_first_line(exc)}") from exc


@dataclass
class Reject:
    line: int
    reason: str
    value: str
    column: str | None = None


@dataclass
class StagedFile:
    path: Path
    columns: list[str]
    rows: int
    rejects: list[Reject] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.rows + len(self.rejects)


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(".parquet") or name.endswith(".pq"):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "csv"


def detect_encoding(path: Path, encoding: str | None = None) -> str:
    """The encoding the user named; else utf-16 when a UTF-16 byte-order mark says so; else utf-8.

    The content is never sniffed: a file whose first lines are not UTF-8 is still read as UTF-8,
    and each line that is not valid UTF-8 is quarantined on its own (see csv_rejects)."""
    if encoding:
        return encoding
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(2)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc}") from exc
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return "utf-8"


def _encoding_option(encoding: str) -> str:
    """read_csv's encoding option: one of centric's own three names (formats.ENCODINGS), never user text."""
    if encoding not in ("utf-8", "utf-16", "latin-1"):
        raise SourceError(f"unknown encoding {encoding!r}: use utf-8, utf-16 or latin-1")
    return f"encoding = '{encoding}'"


def stage_file(con, path: Path, fmt: str | None = None, delimiter: str | None = None,
               encoding: str | None = None) -> StagedFile:
    """Create the temporary table _stage from one file; return its columns and rejects."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SourceError(f"{path} is empty")
    fmt = fmt or detect_format(path)
    con.execute(f"DROP VIEW IF EXISTS {STAGE}")
    for leftover in (STAGE_RAW, "_stage_lines"):
        con.execute(f"DROP TABLE IF EXISTS {leftover}")
    set_variable(con, "centric_source", str(path))
    if fmt == "csv":
        return _stage_csv(con, path, delimiter, encoding)
    if fmt == "parquet":
        return _stage_parquet(con, path)
    if fmt == "jsonl":
        return _stage_jsonl(con, path, encoding)
    raise SourceError(f"{path}: unknown format {fmt!r} (use csv, parquet or jsonl)")


def _csv_source(con, path: Path, delimiter: str | None, encoding: str | None = None) -> tuple[str, list]:
    """The read_csv call (every value as text, malformed records kept aside) and its parameters."""
    encoding = detect_encoding(path, encoding)
    set_variable(con, "centric_encoding", encoding)
    options = [
        "all_varchar = true", "header = true", "store_rejects = true",
        "rejects_table = '_rejects'", "rejects_scan = '_rejects_scan'",
        _encoding_option(encoding),
    ]
    params = []
    if delimiter:
        options.append("delim = ?")
        params.append(delimiter)
    for table in ("_rejects", "_rejects_scan"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return f"read_csv({var('centric_source')}, {', '.join(options)})", params


def csv_rejects(con) -> list[Reject]:
    """The records the last CSV scan could not split or decode, one per line (DuckDB may report several)."""
    encoding = con.execute("SELECT getvariable('centric_encoding')").fetchone()[0] or "utf-8"
    rejects = [
        Reject(int(line), _reject_reason(etype, msg, encoding), csv_line or "", col)
        for line, etype, msg, csv_line, col in con.execute(
            "SELECT line, error_type, error_message, csv_line, column_name FROM _rejects ORDER BY line"
        ).fetchall()
    ]
    seen, unique = set(), []
    for r in rejects:
        if r.line not in seen:
            seen.add(r.line)
            unique.append(r)
    return unique


def _reject_reason(error_type: str, message: str, encoding: str) -> str:
    if error_type.upper().replace("_", " ") in ("INVALID ENCODING", "INVALID UNICODE"):
        return (f"line is not valid {encoding.upper()}: use --encoding if the file is in another encoding "
                "(e.g. --encoding latin-1)")
    return f"malformed CSV record ({error_type.lower()}): {message}"


def _stage_csv(con, path: Path, delimiter: str | None, encoding: str | None = None) -> StagedFile:
    source, params = _csv_source(con, path, delimiter, encoding)
    with reading(path, "CSV"):
        con.execute(f"CREATE TEMP TABLE {STAGE_RAW} AS SELECT * FROM {source}", params)
    columns = [r[0] for r in con.execute(f"DESCRIBE {STAGE_RAW}").fetchall()]
    unique = csv_rejects(con)
    number_lines(con, STAGE_RAW, STAGE, first_line=2, reject_lines=[r.line for r in unique])
    rows = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
    if not columns or (rows == 0 and not unique and columns == ["column0"]):
        raise SourceError(f"{path}: no header row found")
    return StagedFile(path, columns, rows, unique)


@dataclass
class LazyCsv:
    """A CSV file read where it is used: `source` is the read_csv call to select from.

    The records come out in file order without their line numbers; after the one scan that reads
    them into a table, `csv_rejects` gives the malformed records and `number_lines` the lines.
    """

    path: Path
    columns: list[str]
    source: str
    params: list


def open_csv(con, path: Path, delimiter: str | None = None, encoding: str | None = None) -> LazyCsv | None:
    """A lazy CSV source, or None when the file needs staging first (missing, empty, no header)."""
    import duckdb

    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return None
    set_variable(con, "centric_source", str(path))
    source, params = _csv_source(con, path, delimiter, encoding)
    try:
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}", params).fetchall()]
    except duckdb.Error:
        return None  # staging says what is wrong, with the file's name
    if not columns or columns == ["column0"]:
        return None
    return LazyCsv(path, columns, source, params)


def _stage_parquet(con, path: Path) -> StagedFile:
    with reading(path, "Parquet"):
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({var('centric_source')})").fetchall()
    select = ", ".join(_as_text(name, ctype) + f" AS {ident(name)}" for name, ctype, *_ in described)
    con.execute(f"CREATE TEMP TABLE {STAGE_RAW} AS SELECT {select} FROM read_parquet({var('centric_source')})")
    number_lines(con, STAGE_RAW, STAGE, first_line=1, reject_lines=[])
    rows = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
    return StagedFile(path, [d[0] for d in described], rows, [])


def _stage_jsonl(con, path: Path, encoding: str | None = None) -> StagedFile:
    """Each line one JSON object; keys become columns, a line that is not an object is rejected."""
    encoding = detect_encoding(path, encoding)
    set_variable(con, "centric_encoding", encoding)
    for table in ("_rejects", "_rejects_scan"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    with reading(path, "JSON Lines"):
        con.execute(
            f"CREATE TEMP TABLE _jsonl_raw AS SELECT * FROM read_csv({var('centric_source')}, "
            "columns = {'doc': 'VARCHAR'}, header = false, delim = '\x1f', quote = '', escape = '', "
            f"{_encoding_option(encoding)}, strict_mode = false, store_rejects = true, "
            "rejects_table = '_rejects', rejects_scan = '_rejects_scan')"
        )
    undecodable = csv_rejects(con)
    number_lines(con, "_jsonl_raw", "_jsonl_lined", first_line=1, reject_lines=[r.line for r in undecodable])
    con.execute("CREATE TEMP TABLE _jsonl AS SELECT doc, _line FROM _jsonl_lined")
    con.execute("DROP VIEW _jsonl_lined")
    con.execute("DROP TABLE _jsonl_raw")
    con.execute("CREATE OR REPLACE TEMP MACRO _is_object(d) AS "
                "CASE WHEN json_valid(d) THEN json_type(CASE WHEN json_valid(d) THEN d END) = 'OBJECT' ELSE false END")
    bad = con.execute(
        "SELECT _line, doc FROM _jsonl WHERE NOT coalesce(_is_object(doc), false) "
        "ORDER BY _line"
    ).fetchall()
    rejects = sorted(undecodable + [Reject(int(line), "not a JSON object", (doc or "")[:1000]) for line, doc in bad],
                     key=lambda r: r.line)
    keys = [
        r[0] for r in con.execute(
            "SELECT key FROM (SELECT unnest(json_keys(doc::JSON)) AS key, _line FROM "
            "(SELECT * FROM _jsonl WHERE _is_object(doc))) GROUP BY key ORDER BY min(_line), key"
        ).fetchall()
    ]
    if not keys:
        con.execute("DROP TABLE _jsonl")
        raise SourceError(f"{path}: no JSON objects found")
    # Keys travel as bound parameters; nested values keep their JSON text.
    selects = ", ".join(f"_json_text(doc::JSON -> ?) AS {ident(k)}" for k in keys)
    con.execute(
        "CREATE OR REPLACE TEMP MACRO _json_text(v) AS "
        "CASE WHEN v IS NULL OR json_type(v) = 'NULL' THEN NULL "
        "WHEN json_type(v) IN ('OBJECT', 'ARRAY') THEN v::VARCHAR ELSE v ->> '$' END"
    )
    con.execute(
        f"CREATE TEMP TABLE {STAGE_RAW} AS SELECT {selects}, _line AS _jsonl_line FROM _jsonl "
        "WHERE _is_object(doc) ORDER BY _line",
        [_json_key_path(k) for k in keys],
    )
    con.execute("DROP TABLE _jsonl")
    con.execute(f"CREATE TEMP VIEW {STAGE} AS SELECT * EXCLUDE (_jsonl_line), _jsonl_line AS _line FROM {STAGE_RAW}")
    rows = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
    return StagedFile(path, keys, rows, rejects)


def _json_key_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _as_text(name: str, ctype: str) -> str:
    upper = ctype.upper()
    if upper.startswith(("STRUCT", "MAP")) or upper.endswith("]") or upper == "JSON":
        return f"to_json({ident(name)})::VARCHAR"
    return f"CAST({ident(name)} AS VARCHAR)"


def number_lines(con, table: str, view: str, first_line: int, reject_lines: list[int]) -> None:
    """Expose the records of `table` as `view` with their line in the file, as column _line.

    rowid follows insertion order, which DuckDB keeps for a file read. Rejected records are not
    in the table, so each one before a record pushes it one line down: the k-th record (k from 0)
    is at line first_line + k + #{j : r_j - j <= first_line + k}, with r_j the rejected lines
    sorted and numbered from j = 0.
    """
    if not reject_lines:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT *, rowid + {int(first_line)} AS _line FROM {table}")
        return
    shifts = sorted(r - j for j, r in enumerate(sorted(reject_lines)))
    con.execute("CREATE OR REPLACE TEMP TABLE _shift AS SELECT unnest(?::BIGINT[]) AS s", [shifts])
    con.execute(f"CREATE OR REPLACE TEMP TABLE _stage_lines AS SELECT k, k + {int(first_line)} + "
                f"(SELECT count(*) FROM _shift WHERE s <= k + {int(first_line)}) AS _line "
                f"FROM (SELECT rowid AS k FROM {table})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT r.*, l._line FROM {table} r "
                f"JOIN _stage_lines l ON l.k = r.rowid")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
