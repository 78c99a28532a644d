"""What every route of ``centric serve`` shares: the workspace, its settings, the survey-link
secret, the spool, the snapshot and the key checker, all taken from the centric.Workspace
(workspace_server.py): the routes read and write the workspace folder only through it, and call
services only for the pure checks of a request (services/collector.py, services/surveys.py).

Rule: the server never opens the workspace database. Writes go to the spool (``spool`` awaits the
group commit without holding a thread or a lock; when the spool is behind it raises ``Busy``, which
the app answers with 429 and Retry-After); reads come from the published snapshot.
"""

from __future__ import annotations

import asyncio
from itertools import chain

from centric.services.collector import encode_records
from centric.workspace import Workspace

MAX_BACKLOG = 20_000  # records queued for the disk before new writes get 429


class Busy(Exception):
    """The spool is behind: the client should retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int = 1):
        super().__init__("the collector is busy: retry later")
        self.retry_after = retry_after


def header_key(request) -> str | None:
    """The key a read-side request carries: ``X-Centric-Key``, else ``Authorization: Bearer``."""
    token = request.headers.get("x-centric-key")
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    if not token and scheme.lower() == "bearer":
        token = bearer.strip()
    return token or None


class ServerContext:
    def __init__(self, workspace, max_backlog: int = MAX_BACKLOG):
        self.ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        self.workspace = self.ws.path
        self.settings = self.ws.settings
        self.survey_secret = self.ws.survey_secret()  # signs survey links; never a key
        self.keys = self.ws.key_checker()
        self.snapshot = self.ws.open_snapshot()
        self.suppression = self.ws.suppression(self.snapshot)  # erased people, refused at the door
        self.max_backlog = max_backlog
        self.writer = None
        self._pending: list[tuple[list[bytes], asyncio.Future, int]] = []  # lines waiting for this loop turn's submit
        self._queued = 0

    def start(self) -> None:
        if self.writer is None:
            self.writer = self.ws.open_spool()

    def close(self) -> None:
        """Write what is queued and seal the spool file; release the snapshot."""
        if self.writer is not None:
            self.writer.close(timeout=2.0)
            self.writer = None
        self.snapshot.close()

    async def spool_lines(self, lines: list[bytes], count: int | None = None) -> None:
        """Return once ``lines`` are durable (fsync'd); raise Busy when the spool is behind.

        The requests of one turn of the event loop go to the spool writer together, and one call back
        from its thread wakes them all (not one per request): the writer's group commit, seen from the
        loop. ``count``: the messages the lines hold (a batch record holds many), what the backlog counts."""
        if not lines:
            return
        count = len(lines) if count is None else count
        if self.writer is None or self.writer.backlog + self._queued > self.max_backlog:
            raise Busy()
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        if not self._pending:
            loop.call_soon(self._submit, loop)
        self._pending.append((lines, waiter, count))
        self._queued += count
        await waiter

    def _submit(self, loop) -> None:
        pending, self._pending, self._queued = self._pending, [], 0
        if self.writer is None:  # closed meanwhile: nothing was written
            for _, waiter, _ in pending:
                if not waiter.done():
                    waiter.set_exception(Busy())
            return
        waiters = [waiter for _, waiter, _ in pending]
        try:
            done = self.writer.submit_lines(list(chain.from_iterable(lines for lines, _, _ in pending)),
                                            sum(count for _, _, count in pending))
        except Exception as exc:  # nothing was queued: every request gets the error, none an answer of success
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        done.add_done_callback(lambda future: loop.call_soon_threadsafe(_wake, waiters, future))

    async def spool(self, records: list[dict]) -> None:
        await self.spool_lines(encode_records(records))


def _wake(waiters: list[asyncio.Future], future) -> None:
    """Resolve the requests' waiters with the spool writer's outcome (durable, or its error)."""
    error = future.exception()
    for waiter in waiters:
        if not waiter.done():
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)
