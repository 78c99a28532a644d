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

    def start(self) -> None:
        if self.writer is None:
            self.writer = self.ws.open_spool()

    def close(self) -> None:
        """Write what is queued and seal the spool file; release the snapshot."""
        if self.writer is not None:
            self.writer.close(timeout=2.0)
            self.writer = None
        self.snapshot.close()

    async def spool_lines(self, lines: list[bytes]) -> None:
        """Return once ``lines`` are durable (fsync'd); raise Busy when the spool is behind."""
        if not lines:
            return
        if self.writer is None:
            raise Busy()
        if self.writer.backlog > self.max_backlog:
            raise Busy()
        await asyncio.wrap_future(self.writer.submit_lines(lines))

    async def spool(self, records: list[dict]) -> None:
        await self.spool_lines(encode_records(records))
