"""Read what the server spooled (complete lines only, oldest file first, batch records expanded), for the API tests."""

from centric.store.spool import read_records, spool_files


def records(workspace):
    out = []
    for path in spool_files(workspace / "spool"):
        out += read_records(path)
    return out
