"""Find and remove one person's lines in the collector's spool (store/spool.py).

Rule: a spool file is only ever replaced whole and atomically: its whole lines, the person's blanked
to spaces of the same length (so every other line keeps its byte offset and the loader's progress
stays true; an unacknowledged partial last line is left out), go to a new file in the same folder,
which is fsync'd and renamed over the old name. A sealed file, and an open file whose writer is gone (a live
SpoolFile holds an flock on its open file until it has renamed it sealed), are rewritten at once.
An open file a live server still appends to is never touched: its name (no id) goes to
``spool/.erase-pending``, and ``apply_pending`` rewrites it once it is sealed, matching lines by the
salted hashes of ``erasures`` (it no longer knows the ids). Until then the loader and the collector
drop the person's lines through suppression.

A line is the person's when one of its message's string values equals one of their ids, or contains
their e-mail or an id of 8 or more characters (an anonymous id in a page URL). A batch record (one line,
many people's messages: store/spool.py) is judged message by message (each as the record ``spool.expand``
gives): when only some of its messages are the person's, the line is written again without them, from
the other messages' bytes as they were, padded with spaces to its old length (same offsets, still one
JSON record); when all are, it is blanked like any other line.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from centric.store.erasures import normalise
import msgspec

from centric.store.spool import (BATCH_KIND, OPEN_SUFFIX, batch_line, encode, expand, is_batch, record_lines, spool_files,
                                 whole_lines)

PENDING_FILE = ".erase-pending"


def string_values(obj) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from string_values(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from string_values(value)


def mentions(ids: set[str]) -> Callable[[bytes], bool]:
    """A test of one raw spool line: does it carry one of these ids (module rule)?"""
    exact = {normalise(i) for i in ids}
    inner = sorted({normalise(i) for i in ids if "@" in i or len(i) >= 8})

    def test(line: bytes) -> bool:
        try:
            rec = json.loads(line)
        except ValueError:  # not a record: judge the bytes
            text = line.decode("utf-8", "replace").lower()
            return any(i.lower() in text for i in inner)
        for value in string_values(rec.get("message") if isinstance(rec, dict) else rec):
            v = normalise(value)
            if v in exact or any(i in v.lower() for i in inner):
                return True
        return False

    return test


def hashed(hash_of: Callable[[str], str], hashes: set[str]) -> Callable[[bytes], bool]:
    """A test of one raw line by the salted hashes of erased ids (equality only)."""

    def test(line: bytes) -> bool:
        try:
            rec = json.loads(line)
        except ValueError:
            return False
        return any(hash_of(v) in hashes for v in string_values(rec.get("message") if isinstance(rec, dict) else rec))

    return test


def batch_parts(line: bytes) -> list[bytes] | None:
    """The records a batch record line holds (``spool.expand``), each encoded as a line of its own, or
    None for any other line."""
    if b'"batch"' not in line:
        return None
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    return [encode(r) for r in expand(rec)] if is_batch(rec) else None


def picks(line: bytes, test: Callable[[bytes], bool]) -> bool:
    """Does the test pick the line, or (a batch record) one of its messages?"""
    parts = batch_parts(line)
    return test(line) if parts is None else any(test(part) for part in parts)


class _BatchLine(msgspec.Struct):
    """A batch record with each part's bytes as written (nothing decoded but the kind)."""

    kind: str
    batch: list[msgspec.Raw]
    received_at: msgspec.Raw = msgspec.Raw(b"null")
    source: msgspec.Raw = msgspec.Raw(b"null")
    sentAt: msgspec.Raw = msgspec.Raw(b"")  # empty: absent


def without(line: bytes, drop: list[bool]) -> bytes:
    """The batch record ``line`` without the messages ``drop`` marks, as a line of the same length: the
    others' bytes as they were, then spaces before the closing brace."""
    rec = msgspec.json.decode(line, type=_BatchLine)
    head = b"".join((b'{"kind":"', BATCH_KIND.encode(), b'","received_at":', bytes(rec.received_at),
                     b',"source":', bytes(rec.source), b","))
    out = batch_line(head, bytes(rec.sentAt) if len(rec.sentAt) else None,
                     [raw for raw, gone in zip(rec.batch, drop) if not gone])
    pad = len(line) - len(out)
    if pad < 0:  # never: the kept messages are a part of the line's bytes
        raise ValueError("a batch record rewritten without some of its messages came out longer")
    return out[:-2] + b" " * pad + out[-2:]  # the spaces before the closing brace and the newline


def find(folder: Path, test: Callable[[bytes], bool]) -> list[tuple[str, dict | str]]:
    """(file name, record) of every spooled record the test picks (a batch record's messages one by
    one), sealed and open files alike."""
    out = []
    for path in spool_files(folder):
        try:
            for line in record_lines(path):
                for part in batch_parts(line) or [line]:
                    if test(part):
                        try:
                            out.append((path.name, json.loads(part)))
                        except ValueError:
                            out.append((path.name, part.decode("utf-8", "replace")))
        except FileNotFoundError:  # sealed meanwhile: read under its new name
            continue
    return out


def _rewrite_locked(path: Path, handle, test: Callable[[bytes], bool]) -> int:
    """The person's lines become blank lines of the same length (spaces, then the newline; a batch
    record holding others' messages too: ``without``): every other line keeps its byte offset, so the
    loader's progress (spool_loads.bytes_loaded) stays true and no line of anyone else is skipped or
    read twice; readers skip blank lines."""
    kept, dropped = [], 0
    for line in whole_lines(path):
        parts = batch_parts(line) if line.strip() else None
        if parts is not None:  # a batch record: the person's messages go, the others stay
            drop = [test(part) for part in parts]
            count = sum(drop)
            if count:
                dropped += count
                kept.append(b" " * (len(line) - 1) + b"\n" if count == len(parts) else without(line, drop))
            else:
                kept.append(line)
        elif line.strip() and test(line):
            dropped += 1
            kept.append(b" " * (len(line) - 1) + b"\n")
        else:
            kept.append(line)
    if not dropped:
        return 0
    temp = path.with_name(f".{path.name}.erase-{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, b"".join(kept))
        os.fsync(fd)
    finally:
        os.close(fd)
    if os.fstat(handle.fileno()).st_ino != path.stat().st_ino:  # renamed under us: leave it
        temp.unlink()
        return 0
    os.replace(temp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return dropped


def rewrite(path: Path, test: Callable[[bytes], bool]) -> int | None:
    """Rewrite one file without the lines the test picks; their count, or None when a live writer holds it."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return 0
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        try:
            return _rewrite_locked(path, handle, test)
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def erase(folder: Path, test: Callable[[bytes], bool]) -> tuple[int, list[str]]:
    """Remove the lines the test picks from every spool file; (lines removed, open files left pending)."""
    removed, pending = 0, []
    for path in spool_files(folder):
        count = rewrite(path, test)
        if count is None:
            if any(picks(line, test) for line in record_lines(path)):
                pending.append(path.name)
        else:
            removed += count
    if pending:
        add_pending(folder, pending)
    return removed, pending


def pending(folder: Path) -> list[str]:
    try:
        return json.loads((Path(folder) / PENDING_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return []


def add_pending(folder: Path, names: list[str]) -> None:
    _write_pending(folder, sorted(set(pending(folder)) | set(names)))


def _write_pending(folder: Path, names: list[str]) -> None:
    target = Path(folder) / PENDING_FILE
    if not names:
        target.unlink(missing_ok=True)
        return
    temp = target.with_name(f"{PENDING_FILE}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(names).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, target)


def apply_pending(folder: Path, test: Callable[[bytes], bool]) -> tuple[int, list[str]]:
    """Rewrite the pending files that are sealed (or whose writer died) with the test; (removed, still pending)."""
    removed, still = 0, []
    for name in pending(folder):
        path = Path(folder) / name
        sealed = path.with_name(name[: -len(".open")]) if name.endswith(OPEN_SUFFIX) else path
        target = sealed if sealed.exists() else path
        if not target.exists():
            continue
        count = rewrite(target, test)
        if count is None:
            still.append(name)
        else:
            removed += count
    _write_pending(folder, still)
    return removed, still

