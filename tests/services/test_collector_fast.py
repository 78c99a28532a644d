"""The collector's fast path (services/collector_fast.py) against its general path (services/collector.py).

The rule under test: for any body, what is accepted, refused (and why), and spooled is the same whichever
path reads it; the fast path only decides faster. Bodies are drawn with every field the rules look at,
in right and wrong types and values, present or absent, so both paths' branches are taken."""

import datetime as dt
import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centric.services import collector, collector_fast
from centric.store import spool

RECEIVED = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def _numbered_ids(monkeypatch):
    counter = itertools.count()
    monkeypatch.setattr(collector, "_new_id", lambda: f"centric-gen-{next(counter)}")


def _outcome(items, kind, sent_at, suppressed=None):
    out = collector.accept(items, source="k1", kind=kind, sent_at=sent_at, received_at=RECEIVED, suppressed=suppressed)
    return spool.records(b"".join(out.lines)), out.ids, out.errors, len(out.generated)  # batch records expanded


def both(body: bytes, kind=None, suppressed=None):
    """(fast path's outcome, general path's outcome, whether the fast path took the whole body)."""
    batch = kind is None
    fields, items = collector.parse_request(body, batch=batch)
    fast = isinstance(items, collector_fast.Fast)
    sent_at = fields.get("sentAt") if batch else None
    first = _outcome(items, kind, sent_at, suppressed)
    general_fields, general_items = collector._parse_general(body, batch)
    second = _outcome(general_items, kind, general_fields.get("sentAt") if batch else None, suppressed)
    return first, second, fast


def _same(first, second):
    """Equal but for the generated ids, which each path draws anew."""
    def plain(outcome):
        records, ids, errors, generated = outcome
        strip = lambda v: "GEN" if isinstance(v, str) and v.startswith("centric-gen-") else v  # noqa: E731
        records = [{**r, "id": strip(r["id"]), "message": {k: strip(v) if k == "messageId" else v
                                                           for k, v in r["message"].items()}} for r in records]
        return records, [strip(i) for i in ids], errors, generated
    assert plain(first) == plain(second)


def test_the_benchmark_batch_takes_the_fast_path_and_matches():
    messages = [{"type": "track", "userId": f"u{i}", "anonymousId": f"a{i}", "event": "Product Viewed",
                 "messageId": f"m{i}", "timestamp": "2026-11-29T10:00:00.000Z",
                 "properties": {"sku": "X", "price": 1.5}, "context": {"ip": "203.0.113.9"}} for i in range(20)]
    body = json.dumps({"batch": messages, "sentAt": "2026-11-29T10:00:00.100Z"}).encode()
    first, second, fast = both(body)
    assert fast and len(first[0]) == 20 and not first[2]
    _same(first, second)
    assert first[0][0]["message"]["sentAt"] == "2026-11-29T10:00:00.100Z"  # the batch's sentAt is added


def test_a_line_holds_the_bytes_sent_not_a_re_encoding():
    body = (b'{"batch": [{"type": "track", "userId": "u", "event": "E", "messageId": "m",\n'
            b' "properties": {"price": 1.0E2, "n": 123456789012345678901234567890, "s": "caf\\u00e9"}}]}')
    fields, items = collector.parse_request(body, batch=True)
    assert isinstance(items, collector_fast.Fast)
    out = collector.accept(items, source="k1", sent_at=fields.get("sentAt"))
    line = out.lines[0]
    assert b'"price": 1.0E2, "n": 123456789012345678901234567890, "s": "caf\\u00e9"' in line
    assert line.count(b"\n") == 1 and spool.records(line)[0]["message"]["properties"]["n"] == 123456789012345678901234567890


def test_what_the_fast_path_cannot_take_goes_the_general_way():
    assert collector_fast.parse(b'{"batch": [{"type": "track", "userId": NaN}]}', True) is None
    assert collector_fast.parse(b'{"batch": [1]}', True) is None
    assert collector_fast.parse(b'{"userId": "u", "writeKey": "k"}', False) is None
    assert collector_fast.parse(b'{"batch": [{"type": "track", "userId": "\\ud800"}]}', True) is None
    assert collector_fast.MAX_ID_CHARS == collector.MAX_ID_CHARS


ids = st.one_of(st.none(), st.just(""), st.just("  "), st.text(max_size=4), st.integers(-3, 3), st.booleans(),
                st.just("x" * 201), st.just("y" * 200), st.just({"a": 1}), st.just([1]))
times = st.one_of(st.none(), st.sampled_from(["2026-11-29T10:00:00.000Z", "2026-11-29T10:00:00z", "2026-11-29",
                                              "yesterday", "2026-11-29T10:00:00.000000000000000000000000000000Z",
                                              "2026-11-29 10:00:00+01:00"]), st.integers(0, 2))
objects = st.one_of(st.none(), st.just({}), st.just({"email": "a@example.com"}), st.just({"traits": {"email": "b@x"}}),
                    st.just([1]), st.just("s"), st.just({"traits": "t"}))
FIELDS = {"type": st.one_of(st.sampled_from(collector.CALL_TYPES), st.just("nope"), st.none(), st.just(1)),
          "userId": ids, "anonymousId": ids, "previousId": ids, "groupId": ids,
          "event": st.one_of(st.none(), st.just(""), st.just(" "), st.just("Order Completed"), st.just(5)),
          "messageId": ids, "timestamp": times, "sentAt": times, "originalTimestamp": times,
          "properties": objects, "traits": objects, "context": objects, "integrations": objects,
          "writeKey": st.just("k"), "extra": st.text(max_size=3)}
message = st.fixed_dictionaries({}, optional=FIELDS)
valid = st.fixed_dictionaries({"type": st.sampled_from(collector.CALL_TYPES), "userId": st.just("u"),
                               "previousId": st.just("p"), "groupId": st.just("g"), "event": st.just("E")},
                              optional={"messageId": st.text(min_size=1, max_size=5).filter(lambda s: s.strip()),
                                        "timestamp": st.just("2026-11-29T10:00:00Z"), "context": st.just({"ip": "x"})})
one_change = st.sampled_from(sorted(FIELDS)).flatmap(lambda name: FIELDS[name].map(lambda value: {name: value}))
# a valid message with one or two fields changed (or none): each check's both sides are reached
near_valid = st.tuples(valid, st.lists(one_change, max_size=2)).map(
    lambda pair: {k: v for change in [pair[0], *pair[1]] for k, v in change.items()})


@settings(max_examples=200, deadline=None)
@given(messages=st.lists(st.one_of(message, near_valid, near_valid), min_size=1, max_size=4),
       sent_at=st.one_of(st.none(), st.just("2026-11-29T10:00:05Z"), st.just("later")), spaced=st.booleans(),
       erased=st.booleans())
def test_both_paths_agree_on_any_batch(messages, sent_at, spaced, erased):
    body = {"batch": messages} | ({} if sent_at is None else {"sentAt": sent_at})
    raw = json.dumps(body, indent=1 if spaced else None).encode()
    suppressed = (lambda found: "a@example.com" in found or "b@x" in found or 1 in found) if erased else None
    first, second, _ = both(raw, suppressed=suppressed)
    _same(first, second)


@settings(max_examples=200, deadline=None)
@given(one=st.one_of(message, near_valid, near_valid), kind=st.sampled_from(collector.CALL_TYPES))
def test_both_paths_agree_on_any_single_call(one, kind):
    first, second, _ = both(json.dumps(one).encode(), kind=kind)
    _same(first, second)


HEAD = b'{"kind":"batch","received_at":"2026-11-30T12:00:00+00:00","source":"k1",'
TAILS = {c: f',"kind":"{c}","received_at":"2026-11-30T12:00:00+00:00","source":"k1","message":'.encode()
         for c in collector.CALL_TYPES}


def _lean_and_careful(body: bytes, sent_at):
    """accept_common's outcome and accept's, each as (records, ids, generated): the batch record expanded."""
    fields, items = collector.parse_request(body, batch=True)
    if not isinstance(items, collector_fast.Fast):
        return None, None
    batch_sent = collector._string(sent_at) if isinstance(sent_at, str) and collector._is_time(sent_at) else None
    lean = collector_fast.accept_common(items, HEAD, batch_sent, collector.MAX_MESSAGE_BYTES)
    careful = collector_fast.accept(items, None, TAILS, TAILS, batch_sent, collector._string, collector._is_time,
                                    collector.MAX_MESSAGE_BYTES, None, lambda: "centric-gen-x")
    if lean is not None:
        assert len(lean[0]) == 1 and lean[0][0].count(b"\n") == 1  # one batch record, one line
        lean = (spool.records(lean[0][0]), lean[1], lean[2])
    if careful is not None:
        careful = ([json.loads(line) for line in careful[0]], careful[1], careful[2])
    return lean, careful


@settings(max_examples=300, deadline=None)
@given(messages=st.lists(st.one_of(message, near_valid, near_valid, near_valid), min_size=1, max_size=4),
       sent_at=st.one_of(st.none(), st.just("2026-11-29T10:00:05Z"), st.just("later")))
def test_the_lean_loop_spools_the_records_of_the_careful_one(messages, sent_at):
    """accept_common (the common batch in one lean loop) takes a batch only when accept takes it too, and
    then spools the same records (its one batch record, expanded, against the careful loop's lines)."""
    body = json.dumps({"batch": messages} | ({} if sent_at is None else {"sentAt": sent_at})).encode()
    lean, careful = _lean_and_careful(body, sent_at)
    if lean is not None:
        assert careful is not None and lean[0] == careful[0] and lean[1] == careful[1] and not careful[2]


def test_the_lean_loop_takes_the_common_batches():
    """The benchmark's batch, and the calls of Segment's Python client (no sentAt of their own)."""
    common = [{"type": "track", "userId": "u1", "event": "Product Viewed", "messageId": "m1",
               "timestamp": "2026-11-29T10:00:00.000Z", "properties": {"sku": "X"}},
              {"type": "identify", "anonymousId": "a1", "messageId": "m2", "traits": {"email": "a@example.com"},
               "timestamp": "2026-11-29T10:00:00+00:00", "context": {"library": {"name": "analytics-python"}}},
              {"type": "page", "userId": 42, "messageId": "m3", "name": "Home", "sentAt": "2026-11-29T10:00:01Z"},
              {"type": "screen", "userId": "u2", "anonymousId": " ", "messageId": "m4"}]
    for sent_at in ("2026-11-29T10:00:05Z", None):
        body = json.dumps({"batch": common} | ({"sentAt": sent_at} if sent_at else {})).encode()
        lean, careful = _lean_and_careful(body, sent_at)
        assert lean is not None and lean[:2] == careful[:2]
        records = lean[0]
        assert [r["message"].get("sentAt") for r in records] == (
            [sent_at, sent_at, "2026-11-29T10:00:01Z", sent_at] if sent_at else [None, None, "2026-11-29T10:00:01Z", None])
    # not common: an alias, a blank event, a messageId to generate, a lenient time, a writeKey inside
    for odd in ({"type": "alias", "userId": "u", "previousId": "p", "messageId": "m"},
                {"type": "track", "userId": "u", "event": " ", "messageId": "m"},
                {"type": "track", "userId": "u", "event": "E"},
                {"type": "track", "userId": "u", "event": "E", "messageId": "m", "timestamp": "2026-11-29T10:00:00z"},
                {"type": "track", "userId": "u", "event": "E", "messageId": "m", "writeKey": "k"}):
        lean, _ = _lean_and_careful(json.dumps({"batch": [common[0], odd]}).encode(), None)
        assert lean is None, odd


def test_every_valid_batch_of_the_strategy_mostly_takes_the_fast_path():
    """The comparison above means something only if the fast path takes bodies: the valid ones it does."""
    body = json.dumps({"batch": [{"type": "alias", "userId": "u", "previousId": "p"},
                                 {"type": "group", "anonymousId": "a", "groupId": "g", "context": {"traits": {}}}],
                       "sentAt": "2026-11-29T10:00:05Z"}).encode()
    fields, items = collector.parse_request(body, batch=True)
    assert isinstance(items, collector_fast.Fast)
    done = collector_fast.accept(items, None, {c: b',"kind":"x","message":' for c in collector.CALL_TYPES},
                                 {c: b',"kind":"x","generated_id":true,"message":' for c in collector.CALL_TYPES},
                                 '"2026-11-29T10:00:05Z"', json.encoder.encode_basestring, collector._is_time,
                                 collector.MAX_MESSAGE_BYTES, None, lambda: "centric-gen-x")
    assert done is not None and len(done[0]) == 2 and done[2] == ["centric-gen-x", "centric-gen-x"]


ID_VALUES = [None, "", "  ", "u2", 0, 7, True, "x" * 201, "y" * 200, {"a": 1}, [1], 1.5]
TIME_VALUES = [None, "2026-11-29T10:00:00.000Z", "2026-11-29T10:00:00z", "2026-11-29", "yesterday",
               "2026-11-29T10:00:00.0000000000000000000000000000000Z", "2026-11-29 10:00:00+01:00", 3, ""]
OBJECT_VALUES = [None, {}, {"email": "a@example.com"}, {"traits": {"email": "b@x"}}, {"traits": "t"}, [1], "s", 2]
EXHAUSTIVE = {"type": [*collector.CALL_TYPES, "nope", None, 1, ["track"]], "userId": ID_VALUES, "anonymousId": ID_VALUES,
              "previousId": ID_VALUES, "groupId": ID_VALUES, "messageId": ID_VALUES,
              "event": [None, "", " ", "Order Completed", 5, {"a": 1}], "timestamp": TIME_VALUES, "sentAt": TIME_VALUES,
              "originalTimestamp": TIME_VALUES, "properties": OBJECT_VALUES, "traits": OBJECT_VALUES,
              "context": OBJECT_VALUES, "integrations": OBJECT_VALUES, "writeKey": ["k"],
              "big": ["z" * (collector.MAX_MESSAGE_BYTES - 200), "z" * collector.MAX_MESSAGE_BYTES]}


def test_every_single_change_of_a_valid_message_is_decided_alike():
    """Each call type's valid message with one field changed (or removed) to each value in the lists
    above, alone in a batch (with and without the batch's sentAt), on its single-call route, and with
    somebody erased: the fast path's outcome is the general path's every time."""
    erased = lambda found: "a@example.com" in found or "b@x" in found or 7 in found  # noqa: E731
    taken = 0
    for call in collector.CALL_TYPES:
        base = {"type": call, "userId": "u", "anonymousId": "a", "previousId": "p", "groupId": "g", "event": "E",
                "messageId": "m1", "timestamp": "2026-11-29T10:00:00Z"}
        changes = [(name, value) for name, values in EXHAUSTIVE.items() for value in values]
        changes += [(name, ...) for name in base]  # ... : the field removed
        for name, value in changes:
            message = {k: v for k, v in base.items() if k != name} if value is ... else {**base, name: value}
            for body, kind in ((json.dumps({"batch": [message], "sentAt": "2026-11-29T10:00:05Z"}), None),
                               (json.dumps({"batch": [message]}, indent=1), None), (json.dumps(message), call)):
                for suppressed in (None, erased):
                    first, second, fast = both(body.encode(), kind=kind, suppressed=suppressed)
                    _same(first, second)
                    taken += fast and bool(first[0])
    assert taken > 1000  # most of them were accepted by the fast path itself


def test_a_body_nested_past_what_the_parsers_read_is_refused_with_a_reason():
    deep = b"[" * 20_000 + b"]" * 20_000
    body = b'{"batch":[{"type":"track","userId":"u","event":"E","properties":{"d":' + deep + b"}}]}"
    with pytest.raises(ValueError, match="nested too deeply"):
        collector.parse_request(body, batch=True)
