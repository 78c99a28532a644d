"""What every module of store/ that writes shares: the store's error type and the transaction block.

Rule: this module imports nothing of centric but `errors`, so that the Store (connection.py) and the
modules it calls (migrations.py, ingest.py, ...) can all use it without importing one another in a
cycle.
"""

from __future__ import annotations

from contextlib import contextmanager

from centric.errors import CentricError


class StoreError(CentricError, RuntimeError):
    """The database could not be opened or a statement was refused."""


@contextmanager
def transaction(con):
    """Writes that land together or not at all (also on Ctrl-C): commit on success, else roll back."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
