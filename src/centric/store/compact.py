"""Rewrite the workspace database into a fresh file, so deleted values leave its bytes.

Rule: DuckDB marks deleted rows and freed blocks but does not overwrite them; a CHECKPOINT folds the
WAL into the file, and the values of deleted rows can still sit in free blocks (tests/services/
test_privacy.py shows it). After an erasure the database is therefore copied into a new file
(ATTACH, COPY FROM DATABASE: only live rows travel), fsync'd and renamed over centric.duckdb; the
old WAL goes with it. The caller must have closed every connection to the database first.
"""

from __future__ import annotations

import os
from pathlib import Path

from centric.store.connection import StoreError
from centric.store.sqltext import constant


def checkpoint(con) -> None:
    con = getattr(con, "con", con)  # a Store, or its connection
    con.execute("CHECKPOINT")


def rewrite_database(path: Path) -> int:
    """Copy the database at `path` into a fresh file and swap it in atomically; returns the new size."""
    import duckdb

    path = Path(path)
    temp = path.with_name(f".{path.name}.rewrite-{os.getpid()}")
    for leftover in (temp, temp.with_name(temp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(":memory:")
    try:
        # ATTACH takes no bound parameter: the paths are the workspace's own file and a name made here
        con.execute(f"ATTACH {constant(str(path))} AS centric_old")
        con.execute("CHECKPOINT centric_old")
        con.execute(f"ATTACH {constant(str(temp))} AS centric_new")
        con.execute("COPY FROM DATABASE centric_old TO centric_new")
        con.execute("DETACH centric_new")
        con.execute("DETACH centric_old")
    except duckdb.Error as exc:
        temp.unlink(missing_ok=True)
        raise StoreError(f"could not rewrite {path} (is another centric command or server using it?): {exc}") from exc
    finally:
        con.close()
    wal = temp.with_name(temp.name + ".wal")
    if wal.exists():  # DETACH checkpoints; a WAL left means the copy is not whole
        temp.unlink(missing_ok=True)
        wal.unlink()
        raise StoreError(f"could not rewrite {path}: the copy did not checkpoint")
    os.chmod(temp, 0o600)
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return path.stat().st_size
