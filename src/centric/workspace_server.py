"""The Workspace's server side: API keys (`centric keys`), the HTTP server (`centric serve`), and what
a running server reads and writes in the workspace folder.

Rule: nothing here opens the workspace database. A server holds the spool, the read snapshot, the key
checker and the survey-link secret, all taken from these methods (api/context.py); privacy requests
sent over the API live as files under the workspace and are carried out later by `centric ingest
--collected`. Mixed into centric.Workspace.
"""

from __future__ import annotations


class ServerOps:
    # -- keys (`centric keys ...`) --------------------------------------------------------------
    def keys_create(self, kind: str, name: str | None = None):
        """Make a write, read or admin key (as `centric keys create`): (KeyInfo, the key itself). The key
        exists in clear only in this answer: store it now."""
        from centric.services.keys import create_key
        from centric.services.workspace_files import load_settings

        load_settings(self.path)  # a workspace, or a clear error
        return create_key(self.path, kind, name)

    def keys_list(self) -> list:
        """The workspace's keys (id, kind, name, created, revoked), never the keys themselves."""
        from centric.services.keys import list_keys

        return list_keys(self.path)

    def keys_revoke(self, key_id: str):
        """Revoke a key by its id (a running server refuses it within a second); returns its KeyInfo."""
        from centric.services.keys import revoke_key

        return revoke_key(self.path, key_id)

    # -- the server (`centric serve`) -----------------------------------------------------------
    def app(self, allowed_origins: list[str] | None = None):
        """The ASGI app of `centric serve` for this workspace (collector, surveys, read and privacy API)."""
        from centric.api.app import create_app

        return create_app(self, allowed_origins=allowed_origins)

    def serve(self, host: str = "127.0.0.1", port: int = 8765, app=None) -> None:
        """Serve the app (this workspace's, unless another is given) until stopped (as `centric serve`)."""
        import gc

        import uvicorn

        app = app if app is not None else self.app()
        # what is loaded by now lives as long as the server: keep the collector from walking it again and
        # again (each request's parse makes hundreds of dicts, so collections are frequent)
        gc.freeze()
        # and collect less often: a batch's objects are freed by reference counting when its request
        # lets go of them, and a collection every 700 of them caught them alive, mid-parse (measured
        # under the collector benchmark's load: 0.09 ms of collections per request at 700, 0.03 here)
        gc.set_threshold(20_000, 10, 10)
        uvicorn.run(app, host=host, port=port, log_level="warning",
                    limit_concurrency=1024, backlog=2048, timeout_graceful_shutdown=2, timeout_keep_alive=30,
                    access_log=False)

    def survey_secret(self) -> str:
        """The secret that signs survey links (created on first use; never a key, never printed)."""
        from centric.services.surveys import workspace_secret

        return workspace_secret(self.path)

    def key_checker(self):
        """Answers "which live key is this?" from the hashed keys file, reread when it changes."""
        from centric.services.keys import KeyChecker

        return KeyChecker(self.path)

    def open_snapshot(self):
        """The published read snapshot (store/snapshot.py): what a server reads, never the database."""
        from centric.services.collector import open_snapshot

        return open_snapshot(self.path)

    def open_spool(self):
        """A writer to the collector's spool: submit(records) acknowledges once they are on disk."""
        from centric.services.collector import open_spool

        return open_spool(self.path)

    def suppression(self, snapshot=None):
        """The erased people as the read snapshot knows them: messages naming them are refused at the door."""
        from centric.services.privacy import Suppression

        return Suppression(self.path, snapshot)

    # -- privacy requests taken over the API -----------------------------------------------------
    def privacy_request_open(self, action: str, customer: str, request_id: str | None = None,
                             key_id: str = "python") -> tuple[str, dict]:
        """Take an export or erase request: its folder and pending status; returns (request id, the spool
        record to submit). `centric ingest --collected` carries it out once the record is loaded."""
        from centric.services.privacy_requests import open_request

        return open_request(self.path, action, customer, request_id, key_id)

    def privacy_request_cancel(self, request_id: str) -> None:
        """Undo privacy_request_open when its record could not be spooled."""
        from centric.services.privacy_requests import cancel_request

        cancel_request(self.path, request_id)

    def privacy_request_status(self, request_id: str) -> dict:
        """A request's status: pending, done or failed (with the reason)."""
        from centric.services.privacy_requests import read_status

        return read_status(self.path, request_id)

    def privacy_request_bundle(self, request_id: str):
        """The export bundle (centric-export.json) of a done export request, when its file is still there."""
        from centric.services.privacy_requests import bundle_path

        return bundle_path(self.path, request_id)
