"""`centric privacy export`: the bundle of everything centric holds about one person (GDPR access).

Rule: the bundle holds exactly what services/privacy.collect finds, the same discovery the erasure
deletes by: one JSON file with everything (BUNDLE_FILE: the person's ids, every table scanned with
its rows, the tables not scanned and why, the spooled messages, and how their value and churn risk
were computed) and one CSV per table that holds rows of the person. Values are as stored: timestamps
in ISO 8601, money as decimal text ("10.50", never a float), JSON columns as JSON. CSV cells that
start with = + - @ are neutralised for spreadsheets (report/export.py). The folder is created 0700,
the files 0600.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from centric.services.privacy import _secret, collect, id_hash, resolve
from centric.services.privacy_bundle import BUNDLE_FILE, FORMAT


@dataclass
class ExportResult:
    customer_id: str
    folder: Path
    files: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    spool_messages: int = 0
    unclassified: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def plain(value):
    """A stored value as JSON: dates in ISO 8601, decimals as text, lists and objects kept."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if hasattr(value, "hex") and type(value).__name__ == "UUID":
        return str(value)
    return value


def records(columns: list[str], rows: list[tuple]) -> list[dict]:
    return [{c: plain(v) for c, v in zip(columns, row)} for row in rows]


def _cell(value) -> str:
    from centric.report.export import neutralise

    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, (dict, list)) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return neutralise(json.dumps(value, ensure_ascii=False))
    return str(neutralise(value))


def _csv(columns: list[str], rows: list[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def _values(tables: dict, table: str, column: str) -> list:
    """The distinct values of one column of the person's rows of a table (none when it was not scanned)."""
    if table not in tables:
        return []
    columns, rows = tables[table]
    at = columns.index(column)
    return sorted({row[at] for row in rows})


def export(store, settings, workspace: Path, customer: str, output: Path) -> ExportResult:
    """Write the bundle of the person `customer` names (a customer id or e-mail) to the folder `output`."""
    from centric.store import privacy as person

    catalog = person.catalog(store)
    customer_id = resolve(store, customer, catalog)
    data = collect(store, workspace, customer_id, catalog)
    ids = data["ids"]
    tables = data["tables"]
    output = Path(output)
    output.mkdir(mode=0o700, parents=True, exist_ok=True)
    result = ExportResult(customer_id, output, unclassified=data["unclassified"])
    explained = person.context(store, _values(tables, "segment_members", "segment"),
                               _values(tables, "customer_personas", "persona_id"))
    for table, (columns, rows) in sorted(tables.items()):
        result.rows[table] = len(rows)
        if rows:
            name = f"{table}.csv"
            _write(output / name, _csv(columns, rows))
            result.files.append(name)
    spool_rows = [(name, rec.get("id"), rec.get("kind"), rec.get("received_at"), rec.get("source"),
                   json.dumps(rec.get("message"), ensure_ascii=False)) if isinstance(rec, dict)
                  else (name, None, None, None, None, rec) for name, rec in data["spool"]]
    result.spool_messages = len(spool_rows)
    if spool_rows:
        _write(output / "spool.csv", _csv(["file", "id", "kind", "received_at", "source", "message"], spool_rows))
        result.files.append("spool.csv")
    value = tables.get("customer_value", ([], []))
    bundle = {
        "format": FORMAT,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "shop": settings.shop_name,
        "customer_id": customer_id,
        "subject_hash": id_hash(_secret(workspace), customer_id),
        "ids": {
            "customer_ids": sorted(ids.customer_ids), "emails": sorted(ids.emails),
            "anonymous_ids": sorted(ids.anonymous_ids), "other_ids": sorted(ids.identities),
            "anonymous_ids_shared_with_another_customer": len(ids.shared_anonymous_ids),
        },
        "row_counts": result.rows,
        "tables": {table: records(columns, rows) for table, (columns, rows) in sorted(tables.items())},
        "persona_quotes": plain(data["persona_quotes"]),
        "spooled_messages": [{"file": name, "record": plain(rec)} for name, rec in data["spool"]],
        "how_computed": {
            "customer_value": records(*value),
            "models": records(*explained["clv_models"]),
            "settings": {"clv_margin": settings.clv_margin, "clv_discount_rate": settings.clv_discount_rate,
                         "clv_horizon_days": settings.clv_horizon_days, "rfm_cuts": settings.rfm_cuts},
            "segments": records(*explained["segments"]),
            "personas": records(*explained["personas"]),
        },
        "tables_without_person_data": data["not_scanned"],
        "unclassified_tables": data["unclassified"],
        "files": [*result.files, BUNDLE_FILE],
    }
    _write(output / BUNDLE_FILE, json.dumps(bundle, ensure_ascii=False, indent=1, default=str))
    result.files.append(BUNDLE_FILE)
    return result
