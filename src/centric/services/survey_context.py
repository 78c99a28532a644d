"""A serving context for the survey routes (api/surveys.py): settings, the link-signing secret, the
read snapshot and a durable spool. Rule: the routes reach the workspace only through these four, so
they never open the workspace database.

The collector's server builds the full context of `centric serve`; this small one serves the survey
routes on their own (and in tests) with the same parts: store/snapshot.py and store/spool.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from centric.services.surveys import workspace_secret
from centric.store.snapshot import Snapshot
from centric.store.spool import SpoolWriter, spool_folder


class SurveyContext:
    def __init__(self, workspace: Path, settings):
        self.workspace = Path(workspace)
        self.settings = settings
        self.survey_secret = workspace_secret(self.workspace)
        self.snapshot = Snapshot(self.workspace)
        self._writer = SpoolWriter(spool_folder(self.workspace))

    async def spool(self, records: list[dict]) -> None:
        """Returns once ``records`` are durable (fsync'd) in the spool."""
        await asyncio.wrap_future(self._writer.submit(records))

    def close(self) -> None:
        self._writer.close()
        self.snapshot.close()
