"""Segment's and RudderStack's own Python SDKs send to `centric serve` (a real process): every
message they had acknowledged is in the spool once, with the call type and the key's id.
(The loader's tests show the same messages in the tables.)"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from centric.services.keys import create_key
from tests.api.server import Server
from tests.api.spooled import records


@pytest.fixture
def served(workspace):
    info, key = create_key(workspace, "write", "sdk")
    srv = Server(workspace).start()
    yield srv, key, info.id
    srv.stop()


def _send(client_cls, url, key, errors, **options):
    client = client_cls(write_key=key, host=url, on_error=lambda e, batch: errors.append(e), sync_mode=False,
                        max_retries=1, **options)
    ids = []
    calls = [client.identify("C1", {"email": "c1@example.com"}), client.page("C1", "Shop", "Home"),
             client.track("C1", "Product Viewed", {"product_id": "P1", "price": 19.9}),
             client.track("C1", "Order Completed", {"order_id": "O1", "products": [{"product_id": "P1", "price": 19.9}]}),
             client.alias("anon-1", "C1"), client.group("C1", "G1", {"name": "Acme"}),
             client.screen("C1", "Checkout")]
    for ok, message in calls:
        assert ok
        ids.append(message["messageId"])
    client.flush()
    client.join()
    return ids


def test_segment_and_rudderstack_python_sdks(served, workspace):
    from rudderstack.analytics.client import Client as Rudder
    from segment.analytics.client import Client as Segment

    srv, key, key_id = served
    errors: list = []
    sent = _send(Segment, srv.url, key, errors, gzip=False)
    sent += _send(Rudder, srv.url, key, errors, gzip=True)  # RudderStack gzips by default
    assert not errors, errors
    spooled = records(workspace)
    counts = Counter(r["id"] for r in spooled)
    assert all(counts[i] == 1 for i in sent) and len(spooled) == len(sent)
    kinds = Counter(r["kind"] for r in spooled)
    assert kinds == {"identify": 2, "page": 2, "track": 4, "alias": 2, "group": 2, "screen": 2}
    assert {r["source"] for r in spooled} == {key_id}
    order = next(r for r in spooled if r["message"].get("event") == "Order Completed")
    assert order["message"]["properties"]["products"][0]["product_id"] == "P1"
    assert all(r["message"].get("sentAt") and r["message"].get("timestamp") for r in spooled)
    assert key not in json.dumps(spooled)
