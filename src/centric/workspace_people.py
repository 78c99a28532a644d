"""The Workspace's operations on groups of people and on one person: segments, surveys, identities and
privacy requests answered from the command line (`centric segments | survey | identity | privacy`).

Rule: as in workspace.py, one method per command, returning data and printing nothing; a method that
writes a file the user named (a segment export) writes it here, so the Python call does what the
command does. Mixed into centric.Workspace, whose `_store` and `settings` these methods use.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_BASE_URL = "http://127.0.0.1:8765"  # where `centric serve` listens by default


class PeopleOps:
    # -- segments (`centric segments ...`) ------------------------------------------------------
    def segments_refresh(self):
        """Recompute every saved rule segment and the RFM segments (as `centric segments list` and
        `refresh`); returns the segments table: size, revenue share, who entered and left."""
        from centric.services import segments

        with self._store() as (settings, store):
            return segments.refresh(self.path, store, settings)

    def segment_preview(self, rule):
        """Count the customers a rule (a dict or JSON text, see docs/segments.md) selects, without saving it."""
        from centric.services.segments import preview

        with self._store() as (settings, store):
            return preview(store, settings, rule)

    def create_segment(self, name: str, rule, description: str = "", replace: bool = False,
                       rebuild_profiles: bool = True):
        """Save a rule segment in segments/ and recompute every segment (as `centric segments create`,
        which keeps the last run's profiles: rebuild_profiles=False); returns the segments table, whose
        attrs["file"] is the saved definition."""
        from centric.services import segments

        with self._store() as (settings, store):
            saved = segments.save(self.path, name, rule, description, replace=replace)
            frame = segments.refresh(self.path, store, settings, rebuild_profiles=rebuild_profiles)
        frame.attrs["file"] = saved
        return frame

    def segment_show(self, name: str):
        """A segment's row of the segments table (rule, size, computed_at, ...) and its membership
        history (as `centric segments show`): (row, history)."""
        from centric.services import segments

        with self._store(read_only=True) as (_, store):
            frame = segments.table(store)
            history = segments.members(store, name, history=True)
        return frame[frame["segment"] == name].iloc[0], history

    def segment_members(self, name: str, history: bool = False):
        """The customers in a segment now, or with history=True every stay (as `centric segments members`)."""
        from centric.services.segments import members

        with self._store(read_only=True) as (_, store):
            return members(store, name, history=history)

    def segment_export(self, name: str, output: str | os.PathLike, marketing_only: bool = False):
        """Write a segment's members to the CSV `output`, safe to open in a spreadsheet (as `centric segments
        export`); with marketing_only, only customers holding marketing consent now. Returns the rows
        written; their attrs["consent"] says who consent left out (None without marketing_only)."""
        from centric.report.export import safe_csv
        from centric.services.segments import export_members

        with self._store(read_only=not marketing_only) as (settings, store):
            frame, left_out = export_members(store, settings, name, marketing_only)
        Path(output).write_text(safe_csv(frame), encoding="utf-8")
        frame.attrs["consent"] = left_out
        return frame

    def segment_delete(self, name: str) -> None:
        """Delete a saved rule segment; its history is kept, every stay closed (as `centric segments delete`)."""
        from centric.services.segments import delete

        with self._store() as (_, store):
            delete(self.path, store, name)

    def segment_movement(self, start, end):
        """How customers moved between RFM segments from `start` to `end` (as `centric segments movement`):
        dates or timestamps; a date alone for `end` means the end of that day."""
        import datetime as dt

        import pandas as pd

        from centric.services.segments import movement

        start_at, end_at = pd.Timestamp(start), pd.Timestamp(end)
        if isinstance(end, str) and ":" not in end or isinstance(end, dt.date) and not isinstance(end, dt.datetime):
            end_at = end_at + pd.Timedelta(hours=23, minutes=59, seconds=59)
        with self._store(read_only=True) as (settings, store):
            return movement(store, settings, start_at, end_at)

    # -- surveys (`centric survey ...`) ---------------------------------------------------------
    def survey_add(self, file: str | os.PathLike) -> dict:
        """Add or replace a survey from its JSON definition (docs/listening.md); returns the definition."""
        from centric.services.surveys import add_survey

        with self._store() as (settings, store):
            return add_survey(store, settings, Path(file))

    def survey_list(self):
        """The workspace's surveys (survey_id, kind, status, ...)."""
        from centric.services.surveys import list_surveys

        with self._store(read_only=True) as (_, store):
            return list_surveys(store)

    def survey_close(self, survey_id: str, reopen: bool = False) -> None:
        """Stop (or, with reopen, restart) accepting answers and comments."""
        from centric.services.surveys import set_status

        with self._store() as (_, store):
            set_status(store, survey_id, "open" if reopen else "closed")

    def survey_link(self, survey_id: str, customer: str, score: int | None = None, lang: str | None = None,
                    valid_days: int | None = None, send: str | None = None, base_url: str = DEFAULT_BASE_URL) -> str:
        """A signed e-mail link for this survey, customer and send, with an optional prefilled score; it
        works valid_days (default [surveys] link_days)."""
        from centric.services.surveys import survey_link, workspace_secret

        days = valid_days or self.settings.survey_link_days
        return survey_link(base_url, workspace_secret(self.path), survey_id, customer, score, lang, days, send)

    def survey_audience(self, survey_id: str, links: bool = False, valid_days: int | None = None,
                        send: str | None = None, base_url: str = DEFAULT_BASE_URL):
        """Customers to ask now, after targeting, sampling, the minimum wait and marketing consent; with
        links, a signed link each, all of one send. attrs["consent"]: who consent left out; attrs["send"]:
        the send id (a new one when not given)."""
        from centric.services.surveys import audience, audience_links, new_send_id, workspace_secret

        with self._store(read_only=True) as (settings, store):
            frame = audience(store, survey_id, settings=settings)
        if links:
            send = send or new_send_id()
            frame = audience_links(frame, base_url, workspace_secret(self.path), survey_id,
                                   valid_days or settings.survey_link_days, send)
            frame.attrs["send"] = send
        return frame

    # -- identities (`centric identity ...`) -----------------------------------------------------
    def identity_show(self, any_id: str):
        """Every id of the customer `any_id` (customer id, anonymous id or e-mail) resolves to, and the
        message that merged each."""
        from centric.services.identity import show

        with self._store() as (_, store):
            return show(store, any_id)

    def identity_split(self, anonymous_id: str, customer: str | None = None, note: str | None = None) -> list[str]:
        """Undo a merge: the anonymous id's events stop counting for the customer (every customer it is
        merged into, without `customer`); returns the customers it was split from."""
        from centric.services.identity import split

        with self._store() as (_, store):
            return split(store, anonymous_id, customer, note)

    # -- one person's privacy (`centric privacy ...`) -------------------------------------------
    def privacy_export(self, customer: str, output: str | os.PathLike):
        """Write everything centric holds about a person (customer id or e-mail) to the folder `output`:
        centric-export.json plus one CSV per table (as `centric privacy export`); returns an ExportResult."""
        from centric.services.privacy_export import export

        with self._store() as (settings, store):
            return export(store, settings, self.path, customer, Path(output))

    def privacy_erase(self, customer: str, request_id: str | None = None):
        """Erase a person (customer id or e-mail) and every id merged into them: tables, spool, snapshot and
        the database file's bytes (as `centric privacy erase`); returns an ErasureResult."""
        from centric.services.privacy import erase

        if self._held is None:
            return erase(self.path, customer, request_id=request_id)
        with self._store() as (settings, store):
            return erase(self.path, customer, request_id=request_id, store=store, settings=settings)

    def is_suppressed(self, *ids: str) -> bool:
        """Whether any of these ids (customer id, e-mail, anonymous id) belongs to an erased person."""
        from centric.services.privacy import is_suppressed

        with self._store(read_only=True) as (_, store):
            return is_suppressed(self.path, ids, store=store)
