"""Batch records in the spool (store/spool.py): a common /v1/batch request is one line holding its messages.

The rules under test: every reader sees a batch record as the records of its messages (the loader, the
erasure, the tests' reader), in files that also hold the one-message lines written before (a
workspace whose server was upgraded mid-file); a torn batch record is skipped whole until it is
complete; the batch's sentAt corrects the clock of its messages; an erasure takes one person's
messages out of a batch record and keeps everyone else's, at the same byte offsets."""

from __future__ import annotations

import json

from centric.services import collector
from centric.store import spool_erase
from centric.store.spool import SpoolFile, encode, read_records, record, records, spool_folder

from tests.store.test_collected import RECEIVED, load, q, ws  # noqa: E402,F401 (ws: the fixture)


def track(mid, user="u1", **extra):
    return {"type": "track", "messageId": mid, "userId": user, "event": "Product Viewed",
            "timestamp": "2026-11-29T11:59:00Z", "properties": {"sku": "A1"}, **extra}


def batch_line(messages, sent_at="2026-11-29T12:00:00Z") -> bytes:
    """The line the collector spools for a common batch (its real code path), checked to be one record."""
    body = json.dumps({"batch": messages} | ({"sentAt": sent_at} if sent_at else {})).encode()
    fields, items = collector.parse_request(body, batch=True)
    out = collector.accept(items, source="key1", sent_at=fields.get("sentAt"), received_at=RECEIVED)
    assert not out.errors and len(out.lines) == 1 and out.lines[0].startswith(b'{"kind":"batch"')
    return out.lines[0]


def old_line(message) -> bytes:
    """A one-message line as spooled before batch records (and still, for single calls)."""
    return encode(record(message["type"], message, message["messageId"], "key1", received_at=RECEIVED))


def test_a_file_upgraded_mid_stream_loads_every_message_once_and_waits_for_a_torn_record(ws):
    path, store, settings = ws
    sf = SpoolFile(spool_folder(path))
    sf.append([old_line(track("o1")), old_line(track("o2"))])  # written before the upgrade
    first = batch_line([track("b1"), track("b2", anonymousId="a2"), {"type": "page", "messageId": "b3",
                                                                       "anonymousId": "a3", "name": "Home"}])
    sf.append([first, old_line(track("o3"))])
    torn = batch_line([track("b4"), track("b5")])
    with open(sf._path, "ab") as handle:  # killed mid-write: never acknowledged
        handle.write(torn[:-40])
    assert [r["id"] for r in read_records(sf._path)] == ["o1", "o2", "b1", "b2", "b3", "o3"]
    rep = load(ws)
    assert rep.messages_read == 6 and rep.tables["events"].inserted == 6 and rep.quarantined_rows == 0
    assert q(store, "SELECT lines_loaded FROM spool_loads") == [(4,)]  # lines, not messages
    with open(sf._path, "ab") as handle:
        handle.write(torn[-40:])
    sf.append([batch_line([track("b1"), track("b6")])])  # a retry of b1 beside a new message
    sf.seal()
    rep = load(ws)
    assert rep.messages_read == 4 and rep.duplicates == 1 and rep.tables["events"].inserted == 3
    assert sorted(r[0] for r in q(store, "SELECT event_id FROM events")) == [
        "b1", "b2", "b3", "b4", "b5", "b6", "o1", "o2", "o3"]
    assert q(store, "SELECT lines_loaded, sealed FROM spool_loads") == [(6, True)]
    assert load(ws).messages_read == 0


def test_the_batch_sent_at_corrects_the_clock_of_its_messages(ws):
    path, store, settings = ws
    # the device's clock is 2 hours fast: stamped 11:59, the batch sent at 12:00, received at 10:00 UTC
    own = track("k2", sentAt="2026-11-29T11:00:00Z")  # its own sentAt wins over the batch's
    bare = {"type": "identify", "messageId": "k3", "userId": "u9", "traits": {"email": "x@shop.example"}}
    sf = SpoolFile(spool_folder(path))
    sf.append([batch_line([track("k1"), own, bare]), batch_line([track("k4")], sent_at=None)])
    sf.seal()
    load(ws)
    got = dict(q(store, "SELECT event_id, strftime(occurred_at, '%H:%M:%S') FROM events"))
    # Europe/Madrid is UTC+1. k1: 10:00 - (12:00 - 11:59) = 09:59 UTC; k2, by its own sentAt:
    # 10:00 - (11:00 - 11:59) = 10:59 UTC; k4 (no sentAt anywhere): its timestamp, 11:59 UTC
    assert got["k1"] == "10:59:00" and got["k2"] == "11:59:00" and got["k4"] == "12:59:00"
    assert got["k3"] == "11:00:00"  # no time of its own: received
    assert q(store, "SELECT email FROM customers WHERE customer_id = 'u9'") == [("x@shop.example",)]


def test_a_bad_message_in_a_batch_record_is_quarantined_with_its_line(ws):
    """The collector never spools a refused message, but a batch record written by hand (or by another
    writer) is checked like any record: its bad messages quarantined with the record's file and line,
    the others loaded; a file holding a line that is not JSON is read line by line, batches too."""
    path, store, settings = ws
    good = batch_line([track("g1"), track("g2")])
    head = b'{"kind":"batch","received_at":"2026-11-29T10:00:00+00:00","source":"key1",'
    bad = head + b'"batch":[' + json.dumps(track("g3")).encode() + b',{"type":"track","messageId":"g4","event":"X"}]}\n'
    sf = SpoolFile(spool_folder(path))
    sf.append([old_line(track("o1")), good, bad, b'{"id": "broken", "kind": "track", "mess\n'])
    sf.seal()
    rep = load(ws)
    assert sorted(r[0] for r in q(store, "SELECT event_id FROM events")) == ["g1", "g2", "g3", "o1"]
    assert sorted(q(store, "SELECT line, reason FROM quarantine")) == [
        (3, "no userId and no anonymousId"), (4, "line is not a JSON record with a message object")]
    assert rep.messages_read == 6 and rep.quarantined_rows == 2


def test_an_erasure_takes_one_persons_messages_out_of_a_batch_record(ws):
    path, store, settings = ws
    target = {"type": "identify", "messageId": "t1", "userId": "cust-target-77",
              "traits": {"email": "target.person@example.org"}}
    target_page = {"type": "page", "messageId": "t2", "anonymousId": "anon-target-5511", "userId": "cust-target-77"}
    keepers = [track("k1", user="cust-keeper-12"), track("k2", user="cust-keeper-13", properties={"n": 1.0E2})]
    mixed = batch_line([keepers[0], target, keepers[1], target_page])
    alone = batch_line([target])
    sf = SpoolFile(spool_folder(path))
    sf.append([mixed, alone, old_line(track("o1"))])
    sf.seal()
    (file,) = spool_folder(path).glob("*.jsonl")
    before = file.read_bytes()
    test = spool_erase.mentions({"cust-target-77", "target.person@example.org"})
    found = spool_erase.find(spool_folder(path), test)
    assert sorted(rec["id"] for _, rec in found) == ["t1", "t1", "t2"]
    removed, pending = spool_erase.erase(spool_folder(path), test)
    assert removed == 3 and pending == []
    after = file.read_bytes()
    assert len(after) == len(before) and b"target" not in after
    assert [len(line) for line in after.splitlines()] == [len(line) for line in before.splitlines()]  # same offsets
    assert all(json.dumps(k).encode() in after for k in keepers)  # the others' bytes as they were sent
    kept = records(after)
    assert [r["id"] for r in kept] == ["k1", "k2", "o1"]
    assert [r["message"] for r in kept[:2]] == [k | {"sentAt": "2026-11-29T12:00:00Z"} for k in keepers]
    rep = load(ws)
    assert rep.quarantined_rows == 0 and sorted(r[0] for r in q(store, "SELECT event_id FROM events")) == [
        "k1", "k2", "o1"]


def test_order_and_size_rules_hold_across_batch_records(ws):
    """Rows keep the order they were spooled in (a later identify wins; of two copies of a messageId the
    first is loaded), and the 32 KB limit counts the batch's sentAt a message takes."""
    path, store, settings = ws
    first = {"type": "identify", "messageId": "i1", "userId": "u7", "traits": {"email": "old@shop.example"}}
    later = {"type": "identify", "messageId": "i2", "userId": "u7", "traits": {"email": "new@shop.example"}}
    copy = track("t1", user="u8", properties={"copy": "second"})
    sent = '"2026-11-29T12:00:00Z"'
    room = 32 * 1024 - len(f',"sentAt":{sent}') - len(json.dumps(track("fits", properties={"b": ""}), separators=(",", ":")))
    fits, over = (track(mid, properties={"b": "x" * n}) for mid, n in (("fits", room), ("over", room + 1)))  # ids of one length
    head = b'{"kind":"batch","received_at":"2026-11-29T10:00:00+00:00","source":"key1","sentAt":' + sent.encode()
    hand = head + b',"batch":[' + b",".join(json.dumps(m, separators=(",", ":")).encode() for m in (fits, over)) + b"]}\n"
    sf = SpoolFile(spool_folder(path))
    sf.append([old_line(track("t1", user="u8")), batch_line([first, copy]), batch_line([later]), hand])
    sf.seal()
    rep = load(ws)
    assert rep.duplicates == 1 and q(store, "SELECT customer_id FROM events WHERE event_id = 't1'") == [("u8",)]
    assert q(store, "SELECT properties->>'copy' FROM events WHERE event_id = 't1'") == [(None,)]  # the first copy
    assert q(store, "SELECT email FROM customers WHERE customer_id = 'u7'") == [("new@shop.example",)]
    assert q(store, "SELECT line, reason FROM quarantine") == [(4, "message larger than 32 KB")]
    assert {r[0] for r in q(store, "SELECT event_id FROM events")} == {"t1", "i1", "i2", "fits"}


def test_each_quarantined_message_names_its_line_across_files_loads_and_erased_first_messages(ws):
    """A message's line is its batch record's, in every file of one scan, on a later load of the same
    file, after a batch with no message (quarantined: a line with nothing to load) and when the record's
    first message was dropped as an erased person's."""
    from centric.store import erasures
    from centric.store.collected import load_collected

    path, store, settings = ws
    head = b'{"kind":"batch","received_at":"2026-11-29T10:00:00+00:00","source":"key1",'

    def raw_batch(*messages) -> bytes:
        return head + b'"batch":[' + b",".join(json.dumps(m).encode() for m in messages) + b"]}\n"

    nobody = {"type": "track", "messageId": "n1", "event": "X"}  # no userId, no anonymousId
    sf = SpoolFile(spool_folder(path))
    sf.append([old_line(track("a1")), batch_line([track("a2"), track("a3")]), raw_batch(track("a4"), nobody)])
    load(ws)
    sf.append([raw_batch(), raw_batch(track("a5"), dict(nobody, messageId="n2"))])  # the same file, a later load
    sf.seal()
    other = SpoolFile(spool_folder(path))
    erased = track("e1", user="cust-erased-1")
    other.append([batch_line([track("b1"), track("b2")]), raw_batch(erased, dict(nobody, messageId="n3"), track("b3"))])
    other.seal()
    secret = "s3cret"
    with store.transaction() as con:
        erasures.record(con, [(erasures.id_hash(secret, "cust-erased-1"), "customer_id")], "subject", None)
    rep = load_collected(store, path, settings, secret=secret)
    assert rep.suppressed == 1
    files = sorted(p.name for p in spool_folder(path).glob("*.jsonl"))
    got = sorted(q(store, "SELECT source_file, line, coalesce(column_name, value), reason FROM quarantine"))
    assert got == sorted([
        (files[0], 3, "userId", "no userId and no anonymousId"),
        (files[0], 4, "a batch record holds no message", "line is not a JSON record with a message object"),
        (files[0], 5, "userId", "no userId and no anonymousId"),
        (files[1], 2, "userId", "no userId and no anonymousId")]), got
    assert sorted(r[0] for r in q(store, "SELECT event_id FROM events")) == ["a1", "a2", "a3", "a4", "a5", "b1", "b2", "b3"]
    assert sorted(q(store, "SELECT file, lines_loaded FROM spool_loads")) == [(files[0], 5), (files[1], 2)]
