"""CSV records Spark cannot parse: quarantined as malformed, with the reason the DuckDB ingest gives.

Rule: a record is quarantined as malformed on Spark exactly when the DuckDB ingest quarantines it,
with the same line, value and reason (store/sources.py csv_rejects: "malformed CSV record (too many
columns): Expected Number of Columns: 3 Found: 4"), and never loaded with empty fields.

- Spark reads the CSV in PERMISSIVE mode with a corrupt-record column (`CORRUPT`): a record whose
  token count differs from the header's, or that its parser cannot split, keeps its raw text there.
- Those records (few: one row each, collected to the driver) are parsed again by DuckDB's own CSV
  reader, each alone under the file's header with the same delimiter (store/sources.py _csv_source),
  and DuckDB decides: a record it rejects is quarantined with DuckDB's reason, its column and its
  text; a record DuckDB reads (its quoting is looser than Spark's) is loaded with DuckDB's values,
  as on a DuckDB workspace.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

CORRUPT = "_centric_corrupt_record"
MALFORMED = ("_line", "column_name", "value", "reason")


def with_corrupt_column(spark, reader, path: Path):
    """The CSV read by `reader` (options set) with every header column as text and CORRUPT."""
    from pyspark.sql.types import StringType, StructField, StructType

    names = reader.csv(str(path)).columns  # the header (Spark reads the first record only)
    schema = StructType([StructField(n, StringType()) for n in names] + [StructField(CORRUPT, StringType())])
    return reader.option("columnNameOfCorruptRecord", CORRUPT).schema(schema).csv(str(path))


def split_malformed(spark, text, columns: list[str], path: Path, sep: str, encoding: str | None):
    """(the records Spark parsed, without CORRUPT; a frame of the malformed ones with MALFORMED's
    columns; the malformed records as (line, column, text, reason) tuples). A record DuckDB reads is moved
    to the first frame with DuckDB's values."""
    from pyspark.sql import functions as f

    # every column is selected: Spark refuses a query of a raw CSV that reads the corrupt column alone
    flagged = text.where(f.col(CORRUPT).isNotNull()).select("_line", *columns, CORRUPT).collect()
    good = text.where(f.col(CORRUPT).isNull()).drop(CORRUPT)
    rejected, recovered = [], []
    if flagged:
        header = _header(path, encoding)
        for row in flagged:
            outcome = duckdb_reading(header, row[CORRUPT], sep, len(columns))
            if isinstance(outcome, tuple):
                recovered.append([*outcome, int(row["_line"])])
            else:
                rejected.append((int(row["_line"]), outcome.column, outcome.value, outcome.reason))
    if recovered:
        schema = good.select(*columns, "_line").schema
        good = good.unionByName(spark.createDataFrame(recovered, schema))
    bad = spark.createDataFrame(rejected, "_line long, column_name string, value string, reason string")
    return good, bad, rejected


def duckdb_reading(header: str, record: str, sep: str, width: int):
    """DuckDB's reading of one record under the header: its Reject, or the record's values (a tuple of
    `width` texts) when DuckDB reads it."""
    import duckdb

    from centric.store.sources import Reject, _csv_source, csv_rejects, set_variable

    with tempfile.TemporaryDirectory(prefix="centric-csv-") as tmp:
        one = Path(tmp) / "record.csv"
        one.write_text(header + "\n" + record.rstrip("\r\n") + "\n", encoding="utf-8")
        con = duckdb.connect()
        try:
            set_variable(con, "centric_source", str(one))
            source, params = _csv_source(con, one, sep, "utf-8")
            rows = con.execute(f"SELECT * FROM {source}", params).fetchall()
            rejects = csv_rejects(con)
        finally:
            con.close()
    if rejects:
        return rejects[0]
    if len(rows) == 1 and len(rows[0]) == width:
        return tuple(rows[0])
    return Reject(0, "malformed CSV record (unreadable): the record does not split into the header's columns",
                  record, None)


def _header(path: Path, encoding: str | None) -> str:
    with open(path, encoding=encoding or "utf-8", errors="replace", newline="") as handle:
        return handle.readline().rstrip("\r\n")
