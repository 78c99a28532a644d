"""Privacy requests over the API: received by `centric serve`, carried out by the loader, answered from files.

Rule: the server never opens the workspace database. It checks a request, creates the request's
folder `<workspace>/exports/<request_id>/` (0700) with `status.json` saying pending (0600, written
atomically; the folder's creation is what makes a request id taken), then spools a record of kind
`privacy_request` (message: action, customer, request_id, requested_by). The loader's handler
(store/privacy_requests.py) records it in `privacy_requests`; after the load's transaction,
`execute_pending` carries each pending request out once, with the loader's open store:

- export: the bundle (services/privacy_export.py) is written into the request's folder;
- erase: the id given is replaced by its hash in `privacy_requests` first, then the person is erased
  (services/privacy.erase, which closes the store for the rewrite of the file and opens it again).

Then `status.json` says done (with the bundle's files) or failed (with a one-line reason), and the
row is marked the same. The server answers status requests by reading `status.json` only. No status
file and no row keeps the customer's id after an erasure: only its salted hash. An erase cut short by
a crash after its id was forgotten is marked done when the erasure was recorded, else failed with
"send it again".
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from pathlib import Path

from centric.errors import CentricError

REQUESTS_DIR = "exports"
STATUS_FILE = "status.json"
ACTIONS = ("export", "erase")
KIND = "privacy_request"
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_CUSTOMER_CHARS = 320  # an e-mail address at its longest
NO_CUSTOMER = "no customer in this workspace has this customer id or e-mail"


class PrivacyRequestError(CentricError):
    """A request that cannot be taken: `reason` is invalid, conflict or not_found."""

    def __init__(self, message: str, reason: str = "invalid"):
        super().__init__(message)
        self.reason = reason


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def request_folder(workspace: Path, request_id: str) -> Path:
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise PrivacyRequestError("request_id: 1 to 64 letters, digits, '_', '-' or '.', starting with a letter "
                                  "or digit", "not_found")
    return Path(workspace) / REQUESTS_DIR / request_id


def checked(customer, request_id) -> tuple[str, str]:
    """(customer, request id) of a request body, or a one-line PrivacyRequestError."""
    if not isinstance(customer, str) or not customer.strip():
        raise PrivacyRequestError("customer: give the customer id or e-mail of the person")
    customer = customer.strip()
    if len(customer) > MAX_CUSTOMER_CHARS or any(ord(c) < 32 or ord(c) == 127 for c in customer):
        raise PrivacyRequestError(f"customer: at most {MAX_CUSTOMER_CHARS} characters, no control characters")
    if request_id is None or request_id == "":
        request_id = "pr-" + secrets.token_hex(8)
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise PrivacyRequestError("request_id: 1 to 64 letters, digits, '_', '-' or '.', starting with a letter "
                                  "or digit")
    return customer, request_id


def write_status(folder: Path, status: dict) -> None:
    """status.json of a request, 0600, replaced atomically."""
    from centric.services.workspace_files import write_private_json

    write_private_json(folder / STATUS_FILE, status)


def open_request(workspace: Path, action: str, customer, request_id, key_id: str) -> tuple[str, dict]:
    """Take a request (server side, no database): its folder and pending status; returns (request id,
    spool record). A request id already taken is a conflict."""
    from centric.store.spool import record

    if action not in ACTIONS:
        raise PrivacyRequestError(f"action must be one of {', '.join(ACTIONS)}")
    customer, request_id = checked(customer, request_id)
    root = Path(workspace) / REQUESTS_DIR
    root.mkdir(mode=0o700, exist_ok=True)
    folder = request_folder(workspace, request_id)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        raise PrivacyRequestError(f"request_id {request_id!r} is taken: give another or none", "conflict") from None
    requested_at = _now()
    write_status(folder, {"request_id": request_id, "action": action, "status": "pending",
                          "requested_at": requested_at, "requested_by": key_id})
    message = {"action": action, "customer": customer, "request_id": request_id, "requested_by": key_id}
    return request_id, record(KIND, message, request_id, key_id)


def cancel_request(workspace: Path, request_id: str) -> None:
    """Undo `open_request` when its record could not be spooled."""
    folder = request_folder(workspace, request_id)
    (folder / STATUS_FILE).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass


def read_status(workspace: Path, request_id: str) -> dict:
    """A request's status.json (server side); PrivacyRequestError not_found when there is none."""
    path = request_folder(workspace, request_id) / STATUS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PrivacyRequestError(f"no privacy request {request_id!r}", "not_found") from None
    except ValueError:
        raise PrivacyRequestError(f"the status of request {request_id!r} is unreadable", "conflict") from None
    return data


def bundle_path(workspace: Path, request_id: str) -> Path | None:
    """The export bundle of a done export request, when its file is still there."""
    from centric.services.privacy_bundle import BUNDLE_FILE

    status = read_status(workspace, request_id)
    path = request_folder(workspace, request_id) / BUNDLE_FILE
    if status.get("action") != "export" or status.get("status") != "done" or not path.is_file():
        return None
    return path


def execute_pending(store, settings, workspace: Path) -> list[dict]:
    """Carry out every pending request (module rule), oldest first; returns their final statuses.
    Call it after the load's transaction, with no other connection to the database open."""
    from centric.store import privacy_requests as table

    done = []
    for request_id, action, given in table.pending(store):
        status = _execute(store, settings, Path(workspace), request_id, action, given)
        done.append(status)
    return done


def _execute(store, settings, workspace: Path, request_id: str, action: str, given: str | None) -> dict:
    from centric.services.privacy import PrivacyError, _secret, id_hash
    from centric.store import privacy_requests as table

    (workspace / REQUESTS_DIR).mkdir(mode=0o700, exist_ok=True)
    folder = workspace / REQUESTS_DIR / request_id
    folder.mkdir(mode=0o700, exist_ok=True)
    old = {}
    try:
        old = read_status(workspace, request_id)
    except PrivacyRequestError:
        pass
    status = {"request_id": request_id, "action": action, "requested_at": old.get("requested_at"),
              "requested_by": old.get("requested_by")}
    customer_id = None
    if action == "export":
        from centric.services.privacy_export import export

        hashed = id_hash(_secret(workspace), given)
        try:
            result = export(store, settings, workspace, given, folder)
        except PrivacyError:
            ok, note = False, NO_CUSTOMER
        else:
            ok, customer_id = True, result.customer_id
            tables = sum(1 for n in result.rows.values() if n)
            note = f"exported {result.total_rows} rows from {tables} tables and {result.spool_messages} spooled messages"
            status["files"] = result.files
    else:
        ok, note, hashed = _erase(store, settings, workspace, request_id, given)
    status.update(status="done" if ok else "failed", done_at=_now(), note=note)
    if not ok:
        status["reason"] = note
    write_status(folder, status)
    table.finish(store, request_id, status["status"], customer_id, hashed, note)
    return status


def _erase(store, settings, workspace: Path, request_id: str, given: str | None) -> tuple[bool, str, str | None]:
    """(ok, note, hash of the id given): the id is forgotten in the table before the erasure starts."""
    from centric.services.privacy import PrivacyError, _secret, erase, id_hash
    from centric.store import erasures
    from centric.store import privacy_requests as table

    secret = _secret(workspace)
    if given is None:  # interrupted after the id was forgotten: did the erasure get recorded?
        hashed = table.customer_hash(store, request_id)
        if hashed and erasures.subject_of(store, hashed):
            return True, "erased (the run that erased them was interrupted before it recorded so)", hashed
        return False, "interrupted before the erasure: send the request again", hashed
    hashed = id_hash(secret, given)
    with store.transaction():
        table.finish(store, request_id, "pending", None, hashed, "erasing")
    try:
        result = erase(workspace, given, request_id=request_id, store=store, settings=settings)
    except PrivacyError:
        return False, NO_CUSTOMER, hashed
    if result.already_erased:
        note = "already erased: nothing more to remove"
    else:
        note = f"erased {result.total_rows} rows"
    if result.spool_files_pending:
        note += (f"; {len(result.spool_files_pending)} spool files the server is still writing are cleaned "
                 "when it seals them")
    if result.residue:
        note += f"; ids still found in: {', '.join(sorted(result.residue))}"
    return True, note, hashed
