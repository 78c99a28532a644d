"""Segment's and RudderStack's Python clients, unmodified, send to `centric serve`.

The rule under test: every message a real client had acknowledged appears exactly once in `events`
after `centric ingest --collected`, however it was batched, gzipped or retried, and loading again
adds nothing. "Order Completed" with products also becomes one order with its lines and the right
totals, and identify traits fill `customers`.

The clients are the libraries from PyPI (segment-analytics-python, rudder-sdk-python) with their own
consumer threads, batching and gzip. The test only listens to their HTTP session (requests' response
hook) to learn which batches the server acknowledged; it never builds a request itself.
"""

from __future__ import annotations

import gzip
import json
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.api.server import ServedWorkspace

segment_analytics = pytest.importorskip("segment.analytics", reason="segment-analytics-python is a dev dependency")
rudder_analytics = pytest.importorskip("rudderstack.analytics", reason="rudder-sdk-python is a dev dependency")

ORDER_AT = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)
BULK = 240  # more than two of the clients' 100-message batches


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    shop = ServedWorkspace(tmp_path_factory.mktemp("real-clients") / "shop").start()
    yield shop
    shop.stop()


class Wire:
    """What went over the client's own requests.Session: each /v1/batch body and the status it got."""

    def __init__(self, session):
        self.session = session
        self.exchanges: list[tuple[int, dict, dict]] = []
        self.lock = threading.Lock()

    def __enter__(self):
        self.session.hooks["response"].append(self._seen)
        return self

    def __exit__(self, *exc):
        self.session.hooks["response"].remove(self._seen)

    def _seen(self, response, *args, **kwargs):
        body = response.request.body
        if response.request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with self.lock:
            self.exchanges.append((response.status_code, dict(response.request.headers), json.loads(body)))

    def acknowledged(self) -> list[str]:
        return [m["messageId"] for status, _, body in self.exchanges if 200 <= status < 300 for m in body["batch"]]

    def batch_sizes(self) -> list[int]:
        return [len(body["batch"]) for _, _, body in self.exchanges]


def _send_a_shop_visit(client, prefix: str) -> tuple[list[str], dict]:
    """identify, page, screen, track (a product view and an order), group, alias and a bulk of views."""
    user = f"{prefix}-ana"
    order_id = f"{prefix}-1001"
    sent, tracked = [], {}

    def keep(result):
        ok, msg = result
        assert ok, f"the client refused {msg}"
        sent.append(msg["messageId"])
        if msg["type"] == "track":
            tracked[msg["messageId"]] = (msg["event"], msg.get("userId"), msg.get("anonymousId"))

    keep(client.identify(user_id=user, traits={
        "email": "Ana.Puig@Example.COM", "firstName": "Ana", "lastName": "Puig",
        "address": {"city": "Girona", "country": "ES", "postalCode": "17001"}}))
    keep(client.page(user_id=user, category="Shop", name="Home",
                     properties={"url": "https://shop.example/", "referrer": "https://search.example/"}))
    keep(client.screen(user_id=user, name="Basket", properties={"items": 2}))
    keep(client.track(user_id=user, event="Product Viewed", properties={
        "product_id": "TS-1", "sku": "TS-1", "name": "Linen T-shirt", "price": 20.0, "category": "shirts"}))
    keep(client.track(user_id=user, event="Order Completed", timestamp=ORDER_AT, properties={
        "order_id": order_id, "total": 57.5, "subtotal": 55.0, "shipping": 5.0, "discount": 2.5, "tax": 0,
        "currency": "EUR", "products": [
            {"product_id": "TS-1", "sku": "TS-1", "name": "Linen T-shirt", "price": 20.0, "quantity": 2,
             "category": "shirts"},
            {"product_id": "MUG-9", "sku": "MUG-9", "name": "Stoneware mug", "price": 15.0, "quantity": 1,
             "category": "home"}]}))
    keep(client.group(user_id=user, group_id=f"{prefix}-acme", traits={"name": "Acme SL", "employees": 12}))
    keep(client.alias(previous_id=f"{prefix}-anon-1", user_id=user))
    for i in range(BULK):
        keep(client.track(anonymous_id=f"{prefix}-anon-{i % 7}", event="Product Viewed",
                          properties={"product_id": f"P-{i % 13}", "price": 1.0 + i % 5, "position": i}))
    # A client that retries after a lost answer sends the same messageId again: it must load once.
    again = f"{prefix}-retried-message"
    for _ in range(2):
        keep(client.track(user_id=user, event="Product Added", message_id=again,
                          properties={"product_id": "TS-1", "quantity": 1}))
    return sent, {"user": user, "order_id": order_id, "again": again, "tracked": tracked}


def _check_loaded_once(served, wire, sent, facts, errors):
    assert not errors, f"the client reported failed uploads: {errors[:3]}"
    statuses = sorted({status for status, _, _ in wire.exchanges})
    assert statuses == [200], f"statuses {statuses}; server log:\n{served.log_text()[-2000:]}"
    sizes = wire.batch_sizes()
    assert sum(sizes) == len(sent) and max(sizes) > 50, f"batches of {sizes}: the bulk should travel in big batches"
    assert sorted(wire.acknowledged()) == sorted(sent), "every message the client queued was acknowledged"

    distinct = set(sent)
    assert len(distinct) == len(sent) - 1  # the retried message went twice
    served.ingest_collected()
    counts = served.count_by_id("events", "event_id", distinct)
    wrong = {i: n for i, n in counts.items() if n != 1}
    assert not wrong, f"{len(wrong)} of {len(distinct)} messageIds are not in events exactly once: {list(wrong.items())[:5]}"

    rows = served.rows("SELECT event_id, name, customer_id, anonymous_id FROM events WHERE event_id IN "
                       "(SELECT unnest(?))", [sorted(facts["tracked"])])
    assert {r["event_id"]: (r["name"], r["customer_id"], r["anonymous_id"]) for r in rows} == facts["tracked"]

    order = served.rows("SELECT * FROM orders WHERE order_id = ?", [facts["order_id"]])
    assert len(order) == 1
    o = order[0]
    assert o["customer_id"] == facts["user"]
    assert (o["total"], o["shipping"], o["discount"], o["currency"]) == (57.5, 5.0, 2.5, "EUR")
    shop_time = ORDER_AT.astimezone(ZoneInfo("Europe/Madrid")).replace(tzinfo=None)
    assert abs(o["ordered_at"] - shop_time) < timedelta(seconds=60), (o["ordered_at"], shop_time)
    lines = served.rows("SELECT sku, quantity, unit_price FROM order_lines WHERE order_id = ? ORDER BY line_no",
                        [facts["order_id"]])
    assert [(r["sku"], r["quantity"], r["unit_price"]) for r in lines] == [("TS-1", 2, 20.0), ("MUG-9", 1, 15.0)]

    before = {t: served.rows(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in ("events", "orders", "order_lines")}
    served.ingest_collected()
    after = {t: served.rows(f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in ("events", "orders", "order_lines")}
    assert after == before, "a second load of the same spool must add nothing"
    assert served.count_by_id("events", "event_id", distinct) == counts

    # identify traits fill customers (RudderStack's client sends them in context.traits)
    customer = served.rows("SELECT * FROM customers WHERE customer_id = ?", [facts["user"]])
    assert len(customer) == 1
    assert (customer[0]["email"], customer[0]["country"], customer[0]["city"]) == (
        "ana.puig@example.com", "ES", "Girona")


def _segment_wire(exchanges):
    # Segment's client sends plain JSON with the key as HTTP Basic user name.
    assert all(h.get("Authorization", "").startswith("Basic ") for _, h, _ in exchanges)
    assert not any(h.get("Content-Encoding") for _, h, _ in exchanges)


def _rudderstack_wire(exchanges):
    # RudderStack's client gzips every batch by default: kept on.
    assert {h.get("Content-Encoding") for _, h, _ in exchanges} == {"gzip"}


@pytest.mark.parametrize("vendor, prefix, check_wire", [("segment", "seg", _segment_wire),
                                                        ("rudderstack", "rud", _rudderstack_wire)])
def test_python_client_batches_reach_events_once(served, vendor, prefix, check_wire):
    """Segment's client (plain JSON) and RudderStack's (gzipped batches), each with its defaults."""
    from rudderstack.analytics import request as rudder_request
    from segment.analytics import request as segment_request

    module, request = {"segment": (segment_analytics, segment_request),
                       "rudderstack": (rudder_analytics, rudder_request)}[vendor]
    errors = []
    client = module.Client(served.write_key, host=served.url, max_retries=2,
                           on_error=lambda error, batch: errors.append((error, len(batch))))
    with Wire(request._session) as wire:
        sent, facts = _send_a_shop_visit(client, prefix)
        client.flush()
        client.shutdown()
    check_wire(wire.exchanges)
    _check_loaded_once(served, wire, sent, facts, errors)


def test_segment_sync_mode_sends_one_message_per_request(served):
    """sync_mode posts each call on its own before returning: acknowledged means stored."""
    from segment.analytics import request as segment_request

    client = segment_analytics.Client(served.write_key, host=served.url, sync_mode=True, gzip=True, max_retries=0)
    with Wire(segment_request._session) as wire:
        sent = [client.track(user_id="sync-1", event="Checkout Started", properties={"value": 12.0})[1]["messageId"],
                client.page(user_id="sync-1", name="Checkout")[1]["messageId"],
                client.identify(user_id="sync-1", traits={"email": "sync@example.com"})[1]["messageId"]]
    assert wire.batch_sizes() == [1, 1, 1] and {s for s, _, _ in wire.exchanges} == {200}
    served.ingest_collected()
    assert served.count_by_id("events", "event_id", sent) == {i: 1 for i in sent}


def test_module_level_configuration_as_the_vendors_document_it(served, monkeypatch):
    """`analytics.write_key = ...; analytics.host = ...` (Segment) and `rudder_analytics.dataPlaneUrl = ...`."""
    from uuid import uuid4

    from segment.analytics import request as segment_request
    from rudderstack.analytics import request as rudder_request

    for module, url_setting in ((segment_analytics, "host"), (rudder_analytics, "dataPlaneUrl")):
        monkeypatch.setattr(module, "write_key", served.write_key)
        monkeypatch.setattr(module, url_setting, served.url, raising=False)
        monkeypatch.setattr(module, "default_client", None)
    ids = {"segment": [], "rudderstack": []}
    with Wire(segment_request._session) as seg_wire, Wire(rudder_request._session) as rud_wire:
        for name, module in (("segment", segment_analytics), ("rudderstack", rudder_analytics)):
            for call, args in (("identify", {"user_id": f"mod-{name}", "traits": {"email": f"{name}@example.com"}}),
                               ("track", {"user_id": f"mod-{name}", "event": "Product Viewed",
                                          "properties": {"sku": "TS-1"}})):
                message_id = f"mod-{name}-{call}-{uuid4()}"  # the rudder module's calls return nothing
                getattr(module, call)(message_id=message_id, **args)
                ids[name].append(message_id)
            module.flush()
            module.shutdown()
    assert sorted(seg_wire.acknowledged()) == sorted(ids["segment"])
    assert sorted(rud_wire.acknowledged()) == sorted(ids["rudderstack"])
    served.ingest_collected()
    every = ids["segment"] + ids["rudderstack"]
    assert served.count_by_id("events", "event_id", every) == {i: 1 for i in every}
