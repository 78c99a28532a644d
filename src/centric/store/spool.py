"""The collector's spool: an append-only, durable log of accepted messages, one file per process.

Rule: a message is acknowledged (2xx) only after its line is written and fsync'd. Collection never
opens the analytics database; the loader (store/collected.py) moves spooled lines into the tables.

Layout, under ``<workspace>/spool/`` (folder 0700, files 0600):

- ``<started>-<pid>-<seq>.jsonl.open``: the file a live writer appends to;
- ``<started>-<pid>-<seq>.jsonl``: a sealed file (the writer rotated it: size or age), never written again.

Each line is one JSON object, a *record*::

    {"id": "<messageId>", "kind": "track", "received_at": "2026-11-29T10:00:00.123456+00:00",
     "source": "<key id or 'survey'>", "message": {...the message as the client sent it...}}

``kind`` is the Segment call type (identify, track, page, screen, group, alias) or a centric kind
(survey_answer, survey_comment, consent).

A *batch record* (since 2026-11-30; the collector writes one for a common ``/v1/batch``, every message
accepted) holds a whole request's messages in one line, with no id of its own::

    {"kind": "batch", "received_at": "...", "source": "...", "sentAt": "<the batch's sentAt, if any>",
     "batch": [{...message...}, {...message...}]}

Every message in it is a Segment call with its ``type`` and ``messageId``; ``expand`` turns the line into
the records above (id = messageId, kind = type, the batch's ``sentAt`` added to a message that has no
``sentAt`` key), which is what every reader sees: the loader (store/collected.py, in SQL), erasure
(store/spool_erase.py), exports and the tests. A file may mix both kinds of line (a workspace whose
server was upgraded mid-file): each line is read for what it is. A file killed mid-write may end in a partial line: it was
never acknowledged, and readers ignore everything after the last newline (``complete_bytes``; ``whole_lines``
reads a file's whole lines for every reader in Python).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from itertools import chain
from pathlib import Path

SPOOL_DIR = "spool"
_IOV_MAX = min(os.sysconf("SC_IOV_MAX"), 1024) if hasattr(os, "sysconf") else 1024
OPEN_SUFFIX = ".jsonl.open"
SEALED_SUFFIX = ".jsonl"


def spool_folder(workspace: Path) -> Path:
    folder = Path(workspace) / SPOOL_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def record(kind: str, message: dict, message_id: str, source: str, received_at: dt.datetime | None = None) -> dict:
    received = received_at or dt.datetime.now(dt.timezone.utc)
    return {"id": message_id, "kind": kind, "received_at": received.isoformat(), "source": source, "message": message}


def encode(rec: dict) -> bytes:
    return (json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


BATCH_KIND = "batch"


def is_batch(rec: object) -> bool:
    return isinstance(rec, dict) and rec.get("kind") == BATCH_KIND and isinstance(rec.get("batch"), list)


def batch_line(head: bytes, sent: bytes | None, raws: list) -> bytes:
    """One batch record as a line: ``head`` is ``{"kind":"batch","received_at":...,"source":...,`` (ending
    in a comma), ``sent`` the batch's ``sentAt`` as JSON (None: absent), ``raws`` the messages' bytes as
    received, joined."""
    sent_part = b"" if sent is None else b'"sentAt":' + sent + b","
    return b"".join((head, sent_part, b'"batch":[', b",".join(raws), b"]}\n"))


def expand(rec: object) -> list:
    """The records a spool line's JSON value stands for: a batch record's messages, each as the record
    the collector writes for one message; any other value alone (as it is)."""
    if not is_batch(rec):
        return [rec]
    sent = rec.get("sentAt")
    out = []
    for message in rec["batch"]:
        ok = isinstance(message, dict)
        if ok and sent is not None and "sentAt" not in message:
            message = {**message, "sentAt": sent}
        out.append({"id": message.get("messageId") if ok else None, "kind": message.get("type") if ok else None,
                    "received_at": rec.get("received_at"), "source": rec.get("source"), "message": message})
    return out


def records(data: bytes) -> list:
    """Every record of whole spool lines (``data``: bytes up to a newline), batch records expanded;
    blank (erased) lines skipped."""
    return [r for line in data.splitlines() if line.strip() for r in expand(json.loads(line))]


def read_records(path: Path) -> list:
    """Every record of the whole lines of a spool file (``records``)."""
    with open(path, "rb") as handle:
        return records(handle.read(complete_bytes(path)))


class SpoolFile:
    """The file one process appends to; rotated by size or age. Not thread-safe: one writer at a time."""

    def __init__(self, folder: Path, max_bytes: int = 64 << 20, max_seconds: float = 60.0):
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, exist_ok=True)
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.started = time.time_ns()
        self.seq = 0
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._opened_at = 0.0

    def _open(self) -> None:
        self.seq += 1
        self._path = self.folder / f"{self.started}-{os.getpid()}-{self.seq:06d}{OPEN_SUFFIX}"
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
        # held until the file is sealed: an erasure (store/spool_erase.py) leaves a locked file alone
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._size = 0
        self._opened_at = time.monotonic()
        fsync_dir(self.folder)

    def append(self, lines: list[bytes]) -> None:
        """Write ``lines`` and fsync: when this returns, they survive a crash of the process or the machine."""
        if self._fd is not None and (self._size >= self.max_bytes
                                     or time.monotonic() - self._opened_at >= self.max_seconds):
            self.seal()
        if self._fd is None:
            self._open()
        size = 0
        # writev: the kernel copies each line from where it is, with the GIL released (a join would copy
        # every line once more first, holding the GIL the server's requests need)
        for start in range(0, len(lines), _IOV_MAX):
            part = lines[start:start + _IOV_MAX]
            expected = sum(map(len, part))
            written = os.writev(self._fd, part)
            if written < expected:  # a short write (a signal, a disk filling up): the rest as one buffer
                view = memoryview(b"".join(part))[written:]
                while view:
                    view = view[os.write(self._fd, view):]
            size += expected
        os.fsync(self._fd)
        self._size += size

    def seal(self) -> None:
        """Close the open file and give it its sealed name (nothing was acknowledged that is not in it)."""
        if self._fd is None:
            return
        os.fsync(self._fd)
        # renamed while still locked, so an erasure never sees this file unlocked under its .open name
        if self._size:
            os.rename(self._path, self._path.with_name(self._path.name[: -len(".open")]))
        else:
            self._path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None
        fsync_dir(self.folder)


class SpoolWriter:
    """Group commit: callers submit records from any thread and get a Future that resolves once the
    records are durable. One background thread writes and fsyncs whatever has queued meanwhile, so a
    request never holds a lock or a worker while the disk works.

    ``backlog`` is the number of messages submitted and not yet durable (a batch record counts its
    messages); the server answers 429 when it passes its limit.
    """

    def __init__(self, folder: Path, max_bytes: int = 64 << 20, max_seconds: float = 60.0):
        self.file = SpoolFile(folder, max_bytes, max_seconds)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._backlog = 0
        self._count_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="centric-spool", daemon=True)
        self._stopping = False
        self._thread.start()

    @property
    def backlog(self) -> int:
        return self._backlog

    def submit(self, records: list[dict]) -> Future:
        return self.submit_lines([encode(r) for r in records])

    def submit_lines(self, lines: list[bytes], count: int | None = None) -> Future:
        """Like ``submit`` for records already encoded (``encode``): the server sizes each line once.
        ``count``: the messages the lines hold (a batch record holds many; default one a line), what
        ``backlog`` counts."""
        future: Future = Future()
        count = len(lines) if count is None else count
        with self._count_lock:
            self._backlog += count
        self._queue.put((lines, future, count))
        return future

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch = [item]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(entry is None for entry in batch)
            work = [entry for entry in batch if entry is not None]
            if work:
                try:
                    self.file.append(list(chain.from_iterable(lines for lines, _, _ in work)))
                    error = None
                except OSError as exc:  # disk full, permissions: refuse these, keep serving
                    error = exc
                with self._count_lock:
                    self._backlog -= sum(count for _, _, count in work)
                for lines, future, _ in work:
                    if error is None:
                        future.set_result(len(lines))
                    else:
                        future.set_exception(error)
            if stop:
                self.file.seal()
                return

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, seal the file and stop the thread."""
        if not self._stopping:
            self._stopping = True
            self._queue.put(None)
        self._thread.join(timeout)


def spool_files(folder: Path) -> list[Path]:
    """Every spool file, sealed or open, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.name.endswith(SEALED_SUFFIX) or p.name.endswith(OPEN_SUFFIX)]
    return sorted(files, key=lambda p: p.name)


def is_sealed(path: Path) -> bool:
    return path.name.endswith(SEALED_SUFFIX)


def complete_bytes(path: Path) -> int:
    """How many leading bytes of ``path`` are whole lines (a crash may leave a partial last line)."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb") as handle:
        block = 1 << 16
        end = size
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            chunk = handle.read(end - start)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                return start + cut + 1
            end = start
    return 0


def whole_lines(path: Path, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """The whole lines of ``path`` between byte offsets ``start`` and ``end`` (default: its last whole
    line, ``complete_bytes``), newlines kept, blank ones too: an erasure blanks a line in place to keep
    every other line's offset (store/spool_erase.py). A partial last line is never given."""
    end = complete_bytes(path) if end is None else end
    with open(path, "rb") as handle:
        handle.seek(start)
        left = end - start
        for line in handle:
            if len(line) > left:  # past `end`: not part of what was asked for
                break
            yield line
            left -= len(line)


def record_lines(path: Path, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """The lines of ``whole_lines`` that hold a record: every one but the blank (erased) ones. This is
    what the loader's JSON scan reads too (it skips blank lines)."""
    return (line for line in whole_lines(path, start, end) if line.strip())


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (the folder's entry, fsync'd)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
