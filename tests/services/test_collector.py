"""The collector's rules on messages (services/collector.py): what is accepted, how it is spooled.

The spool line must hold the message exactly as parsed from the request (plus only the fields the
collector appends), whatever the JSON's spacing, escapes or key order."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centric.services import collector
from centric.services.keys import KeyChecker, create_key, list_keys, revoke_key
from centric.store import spool


def _accept(body: bytes, batch=True, kind=None):
    fields, items = collector.parse_request(body, batch=batch)
    return fields, collector.accept(items, source="k1", kind=kind, sent_at=fields.get("sentAt") if batch else None)


def _recs(out) -> list[dict]:
    """The records of the spooled lines (a batch record expanded into its messages' records)."""
    return spool.records(b"".join(out.lines))


def test_lines_hold_the_message_as_sent_plus_what_is_appended():
    body = (b'{ "sentAt" : "2026-11-29T10:00:05Z",\n "batch" : [\n'
            b'  {"type":"track","userId":"u1","event":"Order Completed","messageId":"m1",\n'
            b'   "properties":{"note":"caf\\u00e9 \\"x\\"\\n","products":[{"price":1.5}]},"timestamp":"2026-11-29T10:00:00Z"},\n'
            b'  {"type":"identify","anonymousId":"a1","traits":{"email":"a@example.com"},"sentAt":"2026-11-29T09:00:00Z"}\n'
            b'], "writeKey": "secret" }')
    _, out = _accept(body)
    assert not out.errors and len(out.lines) == 2
    first, second = spool.records(b"".join(out.lines))
    sent = json.loads(body)["batch"]
    assert first["message"] == {**sent[0], "sentAt": "2026-11-29T10:00:05Z"}
    assert first["id"] == "m1" and first["kind"] == "track" and first["source"] == "k1" and first["received_at"]
    assert second["message"]["sentAt"] == "2026-11-29T09:00:00Z"  # its own sentAt is kept
    assert second["generated_id"] is True and second["id"] == second["message"]["messageId"] == out.generated[0]
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in out.lines)
    assert b"secret" not in b"".join(out.lines)


@pytest.mark.parametrize("message, words", [
    ({"type": "track", "userId": "u"}, "event"),
    ({"type": "track", "event": "x"}, "userId or anonymousId"),
    ({"type": "alias", "userId": "u"}, "previousId"),
    ({"type": "group", "userId": "u"}, "groupId"),
    ({"type": "nope", "userId": "u"}, "type must be one of"),
    ({"userId": "u"}, "type must be one of"),
    ({"type": "identify", "userId": {"a": 1}}, "userId must be a string"),
    ({"type": "identify", "userId": "u", "timestamp": "yesterday"}, "ISO 8601"),
    ({"type": "identify", "userId": "u", "traits": [1]}, "traits must be a JSON object"),
    ({"type": "identify", "userId": "u", "messageId": 7}, "messageId"),
    ({"type": "identify", "userId": "u", "traits": {"bio": "x" * 40_000}}, "32 KB"),
    ("just text", "JSON object"),
])
def test_a_bad_message_is_refused_with_a_reason_and_the_rest_kept(message, words):
    good = {"type": "page", "anonymousId": "a", "messageId": "ok"}
    _, out = _accept(json.dumps({"batch": [good, message, good | {"messageId": "ok2"}]}).encode())
    assert [e["index"] for e in out.errors] == [1] and words in out.errors[0]["reason"]
    assert out.ids == ["ok", "ok2"]


def test_single_call_routes_set_the_type_and_refuse_another():
    _, out = _accept(b'{"userId": "u", "event": "E", "writeKey": "k"}', batch=False, kind="track")
    rec = _recs(out)[0]
    assert rec["kind"] == "track" and rec["message"]["type"] == "track" and "writeKey" not in rec["message"]
    _, out = _accept(b'{"type": "page", "userId": "u"}', batch=False, kind="track")
    assert "page" in out.errors[0]["reason"] and not out.lines


@pytest.mark.parametrize("body", [b"", b"{", b"[1,2]", b'{"batch": [1,]}', b'{"batch": []} x', b"\xff\xfe"])
def test_bodies_that_are_not_json_objects_are_refused(body):
    with pytest.raises(ValueError):
        fields, items = collector.parse_request(body, batch=True)
        assert items is not None or fields  # [1,2] parses to nothing usable


def test_a_body_without_a_batch_list_has_no_items():
    assert collector.parse_request(b'{"batch": {"a": 1}}', batch=True)[1] is None
    assert collector.parse_request(b'{"sentAt": "x"}', batch=True)[1] is None


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=10)


@settings(max_examples=150, deadline=None)
@given(props=st.dictionaries(st.text(), json_values, max_size=4), indent=st.sampled_from([None, 1, "\t"]),
       ascii_only=st.booleans())
def test_any_json_spelling_round_trips(props, indent, ascii_only):
    message = {"type": "track", "userId": "u", "event": "E", "messageId": "m", "properties": props}
    body = json.dumps({"batch": [message]}, indent=indent, ensure_ascii=ascii_only).encode()
    _, out = _accept(body)
    assert not out.errors
    assert _recs(out)[0]["message"] == message


def test_json_the_fast_parser_refuses_takes_the_stdlib_path_and_keeps_its_text():
    """pydantic-core refuses a lone surrogate escape that the stdlib reads: such a body is still accepted,
    each message spooled as its exact text (plus what is appended), and the line reads back the same."""
    body = (b'{"batch": [{"type":"track", "userId":"u", "event":"E", "messageId":"m1", "properties": {"s": "\\ud800"}},'
            b' {"type":"page", "anonymousId":"a", "messageId":"m2"}], "sentAt": "2026-11-29T10:00:05Z"}')
    _, out = _accept(body)
    assert not out.errors and out.ids == ["m1", "m2"]
    first = _recs(out)[0]
    assert first["message"]["properties"] == {"s": "\ud800"} and first["message"]["sentAt"] == "2026-11-29T10:00:05Z"
    assert b'"properties": {"s": "\\ud800"}' in out.lines[0]  # the exact text, spacing and escape kept


def test_integers_past_64_bits_are_spooled_exactly():
    """orjson (the fast path) reads an integer past 64 bits as a float: such a body is read again by the
    exact parsers, and the line holds the integer's digits."""
    big, negative = 2**70 + 1, -(2**64) - 3
    body = json.dumps({"batch": [
        {"type": "track", "userId": "u", "event": "E", "messageId": "m1", "properties": {"n": big, "k": negative}},
        {"type": "page", "anonymousId": "a", "messageId": "m2", "properties": {"f": 1e20, "url": "/?q=blue+shoe"}},
    ], "sentAt": "2026-11-29T10:00:05Z"}).encode()
    _, out = _accept(body)
    assert not out.errors and out.ids == ["m1", "m2"]
    first, second = spool.records(b"".join(out.lines))
    assert first["message"]["properties"] == {"n": big, "k": negative} and type(first["message"]["properties"]["n"]) is int
    assert str(big).encode() in out.lines[0] and str(negative).encode() in out.lines[0]
    assert second["message"]["properties"] == {"f": 1e20, "url": "/?q=blue+shoe"}
    assert first["message"]["sentAt"] == second["message"]["sentAt"] == "2026-11-29T10:00:05Z"


def test_nesting_deeper_than_orjson_writes_is_spooled_exactly():
    deep: object = "leaf"
    for _ in range(300):
        deep = [deep]
    message = {"type": "track", "userId": "u", "event": "E", "messageId": "m1", "properties": {"deep": deep}}
    _, out = _accept(json.dumps({"batch": [message, {"type": "page", "anonymousId": "a"}]}).encode())
    assert not out.errors and len(out.lines) == 2
    assert _recs(out)[0]["message"] == message


def test_the_32_kb_limit_is_on_the_message_as_spooled_not_on_its_line():
    """A message of exactly 32 KB is kept although its line (id, kind, time, source) is longer; one
    byte more is refused with the reason, and the rest of the batch is kept."""
    limit = collector.MAX_MESSAGE_BYTES
    base = {"type": "identify", "userId": "u", "messageId": "m1", "traits": {"bio": ""}}
    room = limit - len(json.dumps(base, separators=(",", ":")))
    fits = base | {"traits": {"bio": "x" * room}}
    over = base | {"messageId": "m2", "traits": {"bio": "x" * (room + 1)}}
    small = {"type": "page", "anonymousId": "a", "messageId": "m3", "writeKey": "secret"}
    _, out = _accept(json.dumps({"batch": [fits, over, small]}).encode())
    assert out.ids == ["m1", "m3"] and [e["index"] for e in out.errors] == [1]
    assert "32 KB" in out.errors[0]["reason"] and out.errors[0]["messageId"] == "m2"
    assert len(out.lines[0]) > limit and _recs(out)[0]["message"] == fits
    assert b"secret" not in out.lines[1] and _recs(out)[1]["message"] == {
        k: v for k, v in small.items() if k != "writeKey"}


def test_a_small_batch_with_a_malformed_message_keeps_the_rest():
    """The whole body under 32 KB: each message still checked on its own, its reason given."""
    body = json.dumps({"batch": [{"type": "track", "userId": "u", "messageId": "m1"},
                                 {"type": "identify", "userId": "u", "messageId": "m2", "timestamp": "2026-02-30T10:00:00Z"},
                                 {"type": "identify", "anonymousId": "a"}]}).encode()
    assert len(body) < collector.MAX_MESSAGE_BYTES
    _, out = _accept(body)
    assert [(e["index"], e["messageId"]) for e in out.errors] == [(0, "m1"), (1, "m2")]
    assert "event" in out.errors[0]["reason"] and "ISO 8601" in out.errors[1]["reason"]
    assert len(out.ids) == 1 and out.generated == out.ids
    assert _recs(out)[0]["generated_id"] is True


def test_keys_are_hashed_checked_by_kind_and_revocable(tmp_path):
    write_info, write = create_key(tmp_path, "write", "site")
    _, admin = create_key(tmp_path, "admin")
    checker = KeyChecker(tmp_path, recheck_seconds=0)
    assert checker.check(write, "write").id == write_info.id
    assert checker.check(write, "read") is None and checker.check(admin, "read").kind == "admin"
    assert checker.check("cw_forged", "write") is None and checker.check(None, "write") is None
    assert write not in (tmp_path / "keys.json").read_text()
    revoke_key(tmp_path, write_info.id)
    assert checker.check(write, "write") is None
    assert [k.revoked is not None for k in list_keys(tmp_path)] == [True, False]


def test_the_size_limit_counts_the_batch_sentat_a_common_batch_adds():
    """A common batch goes to the spool as one batch record; its messages are still held to 32 KB as the
    record each of them expands to (with the batch's sentAt): exactly the limit is taken, a byte more
    refused with the reason while the rest of the batch is spooled."""
    limit, sent = collector.MAX_MESSAGE_BYTES, "2026-11-29T10:00:05Z"
    base = {"type": "track", "userId": "u", "event": "E", "messageId": "m1", "properties": {"bio": ""}}
    room = limit - len(json.dumps(base, separators=(",", ":"))) - len(f',"sentAt":"{sent}"')
    fits = base | {"properties": {"bio": "x" * room}}
    other = {"type": "page", "anonymousId": "a", "messageId": "m3"}
    _, out = _accept(json.dumps({"batch": [fits, other], "sentAt": sent}, separators=(",", ":")).encode())
    assert not out.errors and out.ids == ["m1", "m3"] and len(out.lines) == 1  # one batch record
    first, second = _recs(out)
    assert first["message"] == fits | {"sentAt": sent} and second["message"] == other | {"sentAt": sent}
    assert len(json.dumps(first["message"], separators=(",", ":"))) == limit
    over = base | {"properties": {"bio": "x" * (room + 1)}}
    _, out = _accept(json.dumps({"batch": [over, other], "sentAt": sent}, separators=(",", ":")).encode())
    assert [e["index"] for e in out.errors] == [0] and "32 KB" in out.errors[0]["reason"] and out.ids == ["m3"]
    assert [r["id"] for r in _recs(out)] == ["m3"]
