"""Read what the server spooled (complete lines only), for the API tests."""

import json

from centric.store.spool import complete_bytes, spool_files


def records(workspace):
    out = []
    for path in spool_files(workspace / "spool"):
        with open(path, "rb") as handle:
            data = handle.read(complete_bytes(path))
        out += [json.loads(line) for line in data.splitlines() if line]
    return out


def feedback(workspace):
    """Survey answers with their comments joined on feedback_id, as the loader will store them."""
    rows = {}
    for rec in records(workspace):
        if rec["kind"] == "survey_answer":
            rows[rec["id"]] = dict(rec["message"])
        elif rec["kind"] == "survey_comment":
            rows.setdefault(rec["message"]["feedback_id"], {})["text"] = rec["message"]["text"]
    return [rows[k] for k in sorted(rows)]
