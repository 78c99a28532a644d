"""Read what the server spooled (complete lines only, oldest file first), for the API tests."""

import json

from centric.store.spool import complete_bytes, spool_files


def records(workspace):
    out = []
    for path in spool_files(workspace / "spool"):
        with open(path, "rb") as handle:
            data = handle.read(complete_bytes(path))
        out += [json.loads(line) for line in data.splitlines() if line]
    return out

