"""Load what the collector acknowledged: every spooled message into the tables, exactly once.

Rule: a spooled record is loaded, counted as a duplicate, quarantined with its reason, or kept in
`spool_pending` for a loader that does not exist yet; never two of these, never none. Progress
is a byte offset per spool file (`spool_loads`), written in the SAME transaction as the rows it
loaded, so a kill -9 at any moment leaves either the whole load or none of it.

How a load runs (`load_collected`):

1. For each spool file (store/spool.py), the bytes after its recorded offset up to its last whole
   line (`complete_bytes`) are new. A sealed file read to its end is skipped. An open file may be
   appended to while we read: its new bytes are copied to a private temporary file first, so the
   load reads exactly the prefix it records, and a partial last line waits for the next load.
2. The new lines are read with DuckDB's `read_json` (newline-delimited, explicit columns, the
   message as a map of its top-level keys to JSON values, so each line is parsed once; a batch
   record's messages as a list of such maps, each unnested in the same scan into a record of its own:
   `SCAN`), one bulk scan over all the files; only when a file holds a line that is not JSON are the files read one
   scan each, and that file again line by line, to quarantine that line alone.
3. Checks every record must pass (else quarantine, table `events`, with the spool file and line):
   readable JSON, a kind, a messageId without control characters, a message that is a JSON object
   of at most 32 KB. Within the load, a messageId seen twice is loaded once (the first).
4. Records are dispatched by kind through `HANDLERS` (kind -> handler). The Segment calls
   (identify, track, page, screen, group, alias) are handled by store/segment_calls.py. Other
   modules register the centric kinds (survey_answer, survey_comment, consent, privacy_request) with
   `register_handler`. A kind with no handler is neither loaded nor quarantined: the record is kept
   whole in `spool_pending`, and the first load that has a handler for its kind loads it.
5. One transaction: quarantine rows, every handler's writes, pending records and the new offsets.

A handler is `handler(con, records, ctx)`: `records` names a view of its records (columns _seq,
id, kind, received_at, source, message (JSON), _map (the message as a MAP(VARCHAR, JSON) of its
top-level keys: a lookup there costs no parse) and _batch_sent (a batch record's sentAt, which a
message of it without a sentAt key of its own takes: spool.expand; NULL for any other record; kept
apart because adding it to every map cost more than the rest of the expansion)), checked as in 3 and
unique on id within the load; it
runs inside the loader's transaction and must not open one; it dedupes against what earlier loads
wrote (a Segment call whose messageId is already in events.event_id is a duplicate), adds its
counts with `ctx.report.add(table, MergeCounts)` and `ctx.report.duplicates`, and quarantines
with `ctx.quarantine(table, select)`.
"""

from __future__ import annotations

import json
import os

import duckdb
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from centric.store.connection import transaction
from centric.store.ingest import prepare_connection
from centric.store.spool import OPEN_SUFFIX, SPOOL_DIR, complete_bytes, is_sealed, record_lines, spool_files
from centric.store.sqltext import constant, set_variable, var
from centric.store.upsert import MergeCounts
from centric.store.validate import Check, Rules

MAX_MESSAGE_BYTES = 32 * 1024  # Segment's limit for one message
# The message is read as a map of its top-level keys to their JSON values: the scan parses each line
# once, and a handler reads a field by a map lookup instead of parsing the message again.
MESSAGE_TYPE = "MAP(VARCHAR, JSON)"
# a batch record (store/spool.py) fills sentAt and batch (its messages, each a map as above) instead of message
# (SCAN below turns it into its messages)
COLUMNS = ("{'id': 'VARCHAR', 'kind': 'VARCHAR', 'received_at': 'VARCHAR', 'source': 'VARCHAR', "
           f"'message': '{MESSAGE_TYPE}', '_unreadable': 'VARCHAR', 'sentAt': 'JSON', 'batch': '{MESSAGE_TYPE}[]'}}")
READ = f"read_json(?, format = 'newline_delimited', columns = {COLUMNS}, maximum_object_size = 67108864)"
READ_NAMED = READ[:-1] + ", filename = true)"  # the same, with each row's file in column filename

Handler = Callable[..., None]
HANDLERS: dict[str, Handler] = {}


def register_handler(kinds, handler: Handler) -> None:
    """Make `handler` load the records of each kind in `kinds` (see the module docstring)."""
    for kind in ([kinds] if isinstance(kinds, str) else kinds):
        HANDLERS[kind] = handler


@dataclass
class LoadReport:
    """What one `load_collected` did."""

    files: list[str] = field(default_factory=list)  # spool files with new lines
    messages_read: int = 0
    tables: dict[str, MergeCounts] = field(default_factory=dict)
    duplicates: int = 0
    quarantined: Counter = field(default_factory=Counter)  # reason -> records
    pending: Counter = field(default_factory=Counter)  # kind -> records kept for a later loader
    customers_created: int = 0
    suppressed: int = 0  # records of erased people, dropped unread
    privacy_requests: list = field(default_factory=list)  # requests carried out after the load (services)

    def add(self, table: str, counts: MergeCounts) -> None:
        self.tables.setdefault(table, MergeCounts())
        self.tables[table] += counts

    @property
    def quarantined_rows(self) -> int:
        return sum(self.quarantined.values())

    @property
    def loaded(self) -> dict[str, int]:
        """Rows written per table (inserted or updated)."""
        return {t: c.inserted + c.updated for t, c in self.tables.items()}


@dataclass
class LoadContext:
    con: object
    timezone: str
    currency: str | None
    charge_skus: dict[str, str]
    report: LoadReport
    consent_ids: dict[str, str] = field(default_factory=dict)  # [consent.ids] of centric.toml

    def quarantine(self, table_name: str, select_sql: str) -> Counter:
        """Quarantine the rows of a query giving (_seq, column_name, value, reason), with file and line.
        The query runs once (as ingest.quarantine_rows): its rows are kept, inserted, then counted."""
        con = self.con
        con.execute(f"CREATE OR REPLACE TEMP TABLE _spool_bad AS SELECT l._file, l._line, q.column_name, "
                    f"left(CAST(q.value AS VARCHAR), 1000) AS value, q.reason "
                    f"FROM ({select_sql}) q JOIN _spool_lines l ON l._seq = q._seq")
        con.execute(f"INSERT INTO quarantine SELECT {constant(table_name)}, _file, _line, column_name, value, "
                    f"reason, current_localtimestamp() FROM _spool_bad")
        counts = Counter(dict(con.execute("SELECT reason, count(*) FROM _spool_bad GROUP BY reason").fetchall()))
        con.execute("DROP TABLE _spool_bad")  # on an error, load_collected drops it after the rollback
        self.report.quarantined += counts
        return counts


@dataclass
class Segment:
    """The new whole lines of one spool file."""

    key: str  # the file's name without .open: stable across sealing
    path: Path
    start: int
    end: int
    lines_before: int
    sealed: bool
    rid_from: int = 0  # its first row in _spool
    messages: int = 0  # its rows in _spool (a batch record's messages each a row)
    rows: int = 0  # its lines


def file_key(path: Path) -> str:
    name = path.name
    return name[: -len(".open")] if name.endswith(OPEN_SUFFIX) else name


def new_segments(con, folder: Path) -> list[Segment]:
    """The spool files with lines not loaded yet, oldest first."""
    done = {f: (b, n) for f, b, n in con.execute("SELECT file, bytes_loaded, lines_loaded FROM spool_loads").fetchall()}
    segments = []
    for path in spool_files(folder):
        key = file_key(path)
        start, lines = done.get(key, (0, 0))
        sealed = is_sealed(path)
        try:
            if sealed and start >= path.stat().st_size:
                continue
            end = complete_bytes(path)
        except FileNotFoundError:  # an open file sealed (renamed) meanwhile: the next load reads it
            continue
        if end > start:
            segments.append(Segment(key, path, start, end, lines, sealed))
    return segments


def load_collected(store, workspace: Path, settings, secret: str | None = None) -> LoadReport:
    """Move every acknowledged spooled message not loaded yet into the tables (module docstring).
    With ``secret`` (the erasure secret, when someone was erased), records of erased people are
    dropped before anything is loaded or quarantined, and counted (store/erasures.py)."""
    from centric.store.charges import parse_charge_skus

    con = store.con
    report = LoadReport()
    folder = Path(workspace) / SPOOL_DIR
    segments = new_segments(con, folder) if folder.is_dir() else []
    handled = sorted(HANDLERS)
    waiting = con.execute("SELECT count(*) FROM spool_pending WHERE list_contains(?, kind)", [handled]).fetchone()[0]
    if not segments and not waiting:
        return report
    prepare_connection(con, settings.timezone)
    ctx = LoadContext(con, settings.timezone, settings.currency,
                      parse_charge_skus(getattr(settings, "ingest_charge_skus", ()) or ()), report,
                      dict(getattr(settings, "consent_ids", {}) or {}))
    try:
        with tempfile.TemporaryDirectory(dir=workspace, prefix=".centric-load-") as tmp:
            stage(con, segments, handled, Path(tmp))
        if secret is not None:
            report.suppressed = drop_erased(con, secret)
        report.files = [s.key for s in segments]
        report.messages_read = con.execute("SELECT count(*) FROM _spool").fetchone()[0]
        check_records(con)
        groups: dict[Handler, list[str]] = {}
        for (kind,) in con.execute("SELECT DISTINCT kind FROM _spool_ok ORDER BY kind").fetchall():
            if kind in HANDLERS:
                groups.setdefault(HANDLERS[kind], []).append(kind)
        # a handler's own temp tables (its `prepare`) are built before the transaction: a table made inside
        # it stays in the transaction's local storage, which DuckDB scans with one thread (the events
        # insert from the calls' table took about 1.7 times the wall time so)
        for handler, kinds in groups.items():
            if getattr(handler, "prepare", None) is not None:
                _records_view(con, kinds)
                handler.prepare(con, "_records", ctx)
        with transaction(con):
            ctx.quarantine("events", "SELECT _seq, _fail.column_name AS column_name, _fail.value AS value, "
                                     "_fail.reason AS reason FROM _spool_checked WHERE _fail IS NOT NULL")
            report.duplicates += con.execute("SELECT count(*) FROM _spool_checked WHERE _dup").fetchone()[0]
            con.execute("DELETE FROM spool_pending WHERE list_contains(?, kind)", [handled])
            for handler, kinds in groups.items():
                _records_view(con, kinds)
                handler(con, "_records", ctx)
            keep_pending(con, report, handled)
            record_progress(con, segments)
    finally:
        for view in ("_records", "_spool_ok", "_spool_lines"):
            con.execute(f"DROP VIEW IF EXISTS {view}")
        for table in ("_spool", "_spool_checked", "_spool_files", "_spool_starts", "_spool_bad", "_calls"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return report


def _records_view(con, kinds: list[str]) -> None:
    """View _records: the checked records of these kinds, what a handler reads."""
    set_variable(con, "centric_kinds", kinds)
    con.execute("CREATE OR REPLACE TEMP VIEW _records AS SELECT _seq, id, kind, received_at, source, "
                f"message, _map, _batch_sent FROM _spool_ok WHERE list_contains({var('centric_kinds')}, kind)")


def stage(con, segments: list[Segment], handled: list[str], tmp: Path) -> None:
    """Temp table _spool: the pending records now handled, then every segment's messages, in order (a
    batch record's messages each a row: `SCAN`); its rowid is each message's _seq. _spool_lines gives
    each _seq its file and line.

    The segments are read by one read_json over all their files (a scan per file costs about twice
    the CPU: each statement sets its scan up again), which keeps the files' order and each file's
    rows together; each file's range of rowids is then read back from its index (_part). A file
    holding a line that is not a record fails that scan: the files are then read one scan each,
    and only a failing file again line by line."""
    paths = [readable_copy(seg, tmp) for seg in segments]
    _create_spool(con, handled)
    if segments and not _read_together(con, segments, paths):
        _create_spool(con, handled)  # the scan may have added rows before the check
        for part, (seg, path) in enumerate(zip(segments, paths), 1):
            try:
                con.execute(f"INSERT INTO _spool {SCAN.format(read=READ, part=part)}", [str(path)])
            except duckdb.Error:  # a line that is not a record: find it, keep the rest
                cleaned = tmp / f"{seg.key}.clean"
                mark_unreadable(path, cleaned)
                con.execute(f"INSERT INTO _spool {SCAN.format(read=READ, part=part)}", [str(cleaned)])
        if not _find_segments(con, segments):
            raise RuntimeError("the spool files' rows were not read in order")  # never: one scan a file
    con.execute("CREATE OR REPLACE TEMP TABLE _spool_files (part INTEGER, file VARCHAR, rid_from BIGINT, lines_before BIGINT)")
    if segments:
        con.executemany("INSERT INTO _spool_files VALUES (?, ?, ?, ?)",
                        [(part, s.key, s.rid_from, s.lines_before) for part, s in enumerate(segments, 1)])
    if all(s.rows == s.messages for s in segments):  # one message a line: a row's line is its offset in its file
        con.execute("CREATE OR REPLACE TEMP VIEW _spool_lines AS SELECT s.rowid AS _seq, coalesce(s._file, f.file) AS _file, "
                    "coalesce(s._line, f.lines_before + s.rowid - f.rid_from + 1) AS _line FROM _spool s "
                    "LEFT JOIN _spool_files f ON f.part = s._part")
        return
    # batch records: each line's first message (_i = 1) numbered within its file, once, before anything
    # is deleted (drop_erased); a message's line is that of its line's first message
    con.execute("CREATE OR REPLACE TEMP TABLE _spool_starts AS SELECT s.rowid AS _start, f.file AS _file, "
                "f.lines_before + row_number() OVER (PARTITION BY s._part ORDER BY s.rowid) AS _line "
                "FROM _spool s JOIN _spool_files f ON f.part = s._part WHERE s._i = 1")
    con.execute("CREATE OR REPLACE TEMP VIEW _spool_lines AS SELECT s.rowid AS _seq, coalesce(s._file, l._file) AS _file, "
                "coalesce(s._line, l._line) AS _line FROM _spool s LEFT JOIN _spool_starts l ON l._start = s.rowid - s._i + 1")


# The rows of a read_json of spool lines (`read`, its files' index in `part`), in the columns of _spool: a
# batch record (store/spool.py) gives its messages, in order, each the record the collector writes for one
# message (id = messageId, kind = type; spool.expand) with the batch's sentAt in _sent (a message without
# a sentAt key takes it: store/segment_calls.py; adding it to each map cost more than the rest of the
# scan); any other line gives itself (its message passed beside the unnest, not through a list of one).
# _i: the message's place in its line (1: the line's first). The messages are unnested in the scan
# itself: staging the lines and then copying their messages into a second table wrote every message
# twice. A batch with no message gives one row, quarantined, so each line has a row with _i = 1 (its
# line number depends on it).
SCAN = ("SELECT CASE WHEN _one THEN id ELSE _m['messageId'] ->> '$' END, CASE WHEN _one THEN kind ELSE _m['type'] ->> '$' END, "
        "received_at, source, CASE WHEN _one THEN message ELSE _m END, "
        "CASE WHEN _one THEN _unreadable WHEN _n = 0 THEN 'a batch record holds no message' "
        "WHEN _m IS NULL THEN 'a batch record holds a message that is not an object' END, "
        "CASE WHEN NOT _one THEN sentAt END, _i, NULL, NULL, {part} "
        "FROM (SELECT * EXCLUDE (_messages), unnest(_messages) AS _m, generate_subscripts(_messages, 1) AS _i "
        "FROM (SELECT * EXCLUDE (batch), batch IS NULL AS _one, len(batch) AS _n, "
        f"CASE WHEN batch IS NULL OR len(batch) = 0 THEN [NULL::{MESSAGE_TYPE}] ELSE batch END AS _messages FROM {{read}}))")


def _create_spool(con, handled: list[str]) -> None:
    """_spool with the pending records of the kinds now handled (their file and line kept)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _spool (id VARCHAR, kind VARCHAR, received_at VARCHAR, source VARCHAR, "
                f"message {MESSAGE_TYPE}, _unreadable VARCHAR, _sent JSON, _i BIGINT, _file VARCHAR, "
                "_line BIGINT, _part INTEGER)")
    con.execute(f"INSERT INTO _spool SELECT message_id, kind, received_at, source, from_json(message, '\"{MESSAGE_TYPE}\"'), "
                "NULL, NULL, 1, file, line, NULL FROM spool_pending WHERE list_contains(?, kind) ORDER BY file, line",
                [handled])


def _read_together(con, segments: list[Segment], paths: list[Path]) -> bool:
    """Read every segment's lines in one scan. False when a file holds a line that is not a record, or
    (never seen) the scan did not keep each file's rows together in order: the caller then reads the
    files one by one."""
    names = [str(p) for p in paths]
    try:
        con.execute(f"INSERT INTO _spool {SCAN.format(read=READ_NAMED, part='list_position(?, filename)')}",
                    [names, names])
    except duckdb.Error:
        return False
    return _find_segments(con, segments)


def _find_segments(con, segments: list[Segment]) -> bool:
    """Set each segment's rows in _spool (rid_from, messages) and lines (rows) from its _part; False when
    a segment's rows are not together, in order, right after the previous segment's."""
    found = {part: (lo, hi, n, lines) for part, lo, hi, n, lines in con.execute(
        "SELECT _part, min(rowid), max(rowid), count(*), count(*) FILTER (WHERE _i = 1) FROM _spool GROUP BY _part").fetchall()}
    at = found.pop(None, (0, -1, 0, 0))[2]  # the pending records come first
    for i, seg in enumerate(segments, 1):
        lo, hi, n, lines = found.get(i, (at, at - 1, 0, 0))
        if lo != at or hi - lo + 1 != n:
            return False
        seg.rid_from, seg.messages, seg.rows, at = lo, n, lines, hi + 1
    return True


def readable_copy(seg: Segment, tmp: Path) -> Path:
    """The file itself when the segment is all of a sealed file; else a private copy of its bytes."""
    if seg.sealed and seg.start == 0 and seg.end == seg.path.stat().st_size:
        return seg.path
    target = tmp / f"{seg.key}.part"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(seg.path, "rb") as src, os.fdopen(fd, "wb") as dst:
        src.seek(seg.start)
        left = seg.end - seg.start
        while left:
            chunk = src.read(min(left, 8 << 20))
            if not chunk:
                raise OSError(f"{seg.path} is shorter than before: the spool was changed behind the loader")
            dst.write(chunk)
            left -= len(chunk)
    return target


def mark_unreadable(path: Path, cleaned: Path) -> None:
    """Copy the record lines of `path` (spool.record_lines: blank, erased lines are skipped as the JSON
    scan skips them), replacing each line that is not a record (a JSON object whose message, when
    given, is an object) by a marker record, so the line numbers stay right and the line is
    quarantined."""
    fd = os.open(cleaned, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as dst:
        for raw in record_lines(path):
            try:
                obj = json.loads(raw)
                ok = isinstance(obj, dict) and isinstance(obj.get("message", {}), (dict, type(None))) and (
                    isinstance(obj.get("batch", []), list)
                    and all(isinstance(m, (dict, type(None))) for m in obj.get("batch") or ()))
            except ValueError:
                ok = False
            if ok:
                dst.write(raw)
            else:
                text = raw.decode("utf-8", "replace").rstrip("\n")[:1000]
                dst.write((json.dumps({"_unreadable": text}) + "\n").encode())


# Checks every record passes, whatever its kind: (predicate, column, value, reason).
RECORD_CHECKS = [
    Check("_unreadable IS NOT NULL", None, "_unreadable", constant("line is not a JSON record with a message object")),
    Check("nullif(trim(kind), '') IS NULL", "kind", "kind", constant("missing kind (the call type)")),
    Check("NOT regexp_full_match(kind, '[a-z_]{1,40}')", "kind", "kind",  # every call type matches it
          constant("kind is not a call type (identify, track, page, screen, group, alias, ...)")),
    Check("nullif(trim(id), '') IS NULL", "messageId", "id", constant("missing messageId")),
    Check("regexp_matches(id, '[\\x00-\\x1f\\x7f]')", "messageId", "id",
          constant("messageId holds a control character (NUL, tab or line break)")),
    Check("message IS NULL", "message", "NULL", constant("message is not a JSON object")),
    # the size of the message as compact JSON, from its entries: {"key":value,...} (and the batch's
    # ,"sentAt":value when the message takes it)
    Check(f"1 + list_sum(list_transform(map_entries(message), e -> strlen(e.key) + strlen(e.value) + 4)) + "
          f"CASE WHEN _sent IS NULL OR map_contains(message, 'sentAt') THEN 0 ELSE strlen(_sent) + 10 END > {MAX_MESSAGE_BYTES}",
          "message", "left(to_json(message), 200)", constant(f"message larger than {MAX_MESSAGE_BYTES // 1024} KB")),
]


def check_records(con) -> None:
    """_spool_checked (_seq, _fail, _dup) of the records that fail a check or repeat a messageId, and
    the view _spool_ok of the records to dispatch.

    A messageId seen twice in this load: the first good record is kept, the others are duplicates
    (distinct hashes prove there is none, which spares the window on a clean load)."""
    fail = Rules(checks=RECORD_CHECKS).reason_struct()
    con.execute(f"CREATE OR REPLACE TEMP TABLE _spool_checked AS SELECT _seq, _fail, false AS _dup FROM "
                f"(SELECT rowid AS _seq, {fail} AS _fail FROM _spool) WHERE _fail IS NOT NULL")
    good = "(SELECT rowid AS _seq, id FROM _spool WHERE rowid NOT IN (SELECT _seq FROM _spool_checked))"
    total, distinct = con.execute(f"SELECT count(*), count(DISTINCT hash(id)) FROM {good}").fetchone()
    if distinct < total:
        con.execute(
            f"INSERT INTO _spool_checked SELECT _seq, NULL, true FROM (SELECT _seq, row_number() OVER "
            f"(PARTITION BY id ORDER BY _seq) AS n FROM {good} WHERE id IN (SELECT id FROM {good} "
            f"GROUP BY id HAVING count(*) > 1)) WHERE n > 1"
        )
    con.execute("CREATE OR REPLACE TEMP VIEW _spool_ok AS SELECT s.rowid AS _seq, s.id, s.kind, s.received_at, s.source, "
                "to_json(s.message) AS message, s.message AS _map, s._sent AS _batch_sent FROM _spool s "
                "WHERE s.rowid NOT IN (SELECT _seq FROM _spool_checked)")


PERSON_FIELDS = ("$.userId", "$.anonymousId", "$.previousId", "$.traits.email", "$.context.traits.email",
                 "$.customer_id")


def drop_erased(con, secret: str) -> int:
    """Delete from _spool the records whose person ids hash to an erased id; returns how many."""
    from centric.store.erasures import drop_erased_rows

    fields = [f"json_extract_string(to_json(message), {constant(path)})" for path in PERSON_FIELDS]
    return drop_erased_rows(con, "_spool", fields, secret)


def keep_pending(con, report: LoadReport, handled: list[str]) -> None:
    """Records of a kind no handler loads: kept whole in spool_pending for a later loader."""
    con.execute(
        "INSERT INTO spool_pending SELECT l._file, l._line, s.id, s.kind, s.received_at, s.source, s.message "
        "FROM _spool_ok s JOIN _spool_lines l USING (_seq) WHERE NOT list_contains(?, s.kind)", [handled]
    )
    report.pending += Counter(dict(con.execute(
        "SELECT kind, count(*) FROM _spool_ok WHERE NOT list_contains(?, kind) GROUP BY kind", [handled]).fetchall()))


def record_progress(con, segments: list[Segment]) -> None:
    for seg in segments:
        con.execute("DELETE FROM spool_loads WHERE file = ?", [seg.key])
        con.execute("INSERT INTO spool_loads VALUES (?, ?, ?, ?, current_localtimestamp())",
                    [seg.key, seg.end, seg.lines_before + seg.rows, seg.sealed])


def _register_segment_calls() -> None:
    from centric.schema import SEGMENT_CALLS
    from centric.store.segment_calls import load_calls

    register_handler(SEGMENT_CALLS, load_calls)


def _register_surveys() -> None:
    from centric.store.surveys import SURVEY_KINDS, load_survey_view

    register_handler(SURVEY_KINDS, load_survey_view)


def _register_privacy_requests() -> None:
    from centric.store.privacy_requests import KIND, load_request_view

    register_handler(KIND, load_request_view)


_register_segment_calls()
_register_surveys()
_register_privacy_requests()
