"""Issue 17's identity rule end to end with Segment's real Python client: an anonymous product view,
then an identify, then an order count as ONE user reaching "Order Completed" in `centric funnel`;
a shared device identified as two people never merges them; `centric identity split` restores the
counts from before the merge. Consent travels as Segment sends it (context.consent.categoryPreferences):
the visitor said yes to analytics on the banner."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.api.server import ServedWorkspace, centric

segment_analytics = pytest.importorskip("segment.analytics", reason="segment-analytics-python is a dev dependency")

YES = {"consent": {"categoryPreferences": {"Analytics": True, "Advertising": False}}}
STEPS = "Product Viewed,Order Completed"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def at(minutes: int) -> datetime:
    """The client's own timestamp, minutes apart (its clock has millisecond precision: calls made in one
    millisecond would tie, and a real visit takes minutes)."""
    return T0 + timedelta(minutes=minutes)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    shop = ServedWorkspace(tmp_path_factory.mktemp("identity-client") / "shop").start()
    yield shop
    shop.stop()


def _funnel(folder) -> list[int]:
    out = centric("funnel", "--steps", STEPS, "--window", "1d", "--format", "json", "--workspace", str(folder))
    return [step["users"] for step in json.loads(out.stdout)]


def test_anonymous_view_identify_order_is_one_user_and_split_restores(served):
    errors = []
    client = segment_analytics.Client(served.write_key, host=served.url, max_retries=2,
                                      on_error=lambda error, batch: errors.append(error))
    # a visitor browses anonymously, logs in, buys (all on one device)
    for result in (
        client.track(timestamp=at(1), anonymous_id="dev-1", event="Product Viewed", context=YES, properties={"sku": "TS-1"}),
        client.identify(timestamp=at(2), user_id="ana", anonymous_id="dev-1", context=YES, traits={"email": "ana@example.com"}),
        client.track(timestamp=at(3), user_id="ana", event="Order Completed", context=YES, properties={
            "order_id": "A-1", "total": 20.0, "currency": "EUR",
            "products": [{"sku": "TS-1", "name": "T-shirt", "price": 20.0, "quantity": 1}]}),
        # a shared laptop: identified as bea, who views and buys; later as carla, who only views
        client.track(timestamp=at(4), anonymous_id="laptop", event="Product Viewed", context=YES, properties={"sku": "MUG"}),
        client.identify(timestamp=at(5), user_id="bea", anonymous_id="laptop", context=YES),
        client.track(timestamp=at(6), user_id="bea", event="Order Completed", context=YES, properties={
            "order_id": "B-1", "total": 15.0, "currency": "EUR",
            "products": [{"sku": "MUG", "name": "Mug", "price": 15.0, "quantity": 1}]}),
        client.identify(timestamp=at(7), user_id="carla", anonymous_id="laptop", context=YES),
        client.track(timestamp=at(8), anonymous_id="laptop", event="Product Viewed", context=YES, properties={"sku": "CUP"}),
    ):
        assert result[0], result
    client.flush()
    client.shutdown()
    assert not errors, errors
    served.ingest_collected()

    # ana (merged from dev-1) and bea (the laptop before carla) bought; carla viewed: 3 users, 2 orders
    assert _funnel(served.folder) == [3, 2]
    people = {r["customer_id"] for r in served.rows(
        "SELECT DISTINCT customer_id FROM identities WHERE id_value = 'laptop'")}
    assert people == {"bea", "carla"}  # two spans of one device, two people
    merged = served.rows("SELECT customer_id FROM identities WHERE id_type = 'user_id' AND id_value IN ('bea', 'carla')")
    assert sorted(r["customer_id"] for r in merged) == ["bea", "carla"]  # never merged into one

    centric("identity", "split", "dev-1", "--customer", "ana", "--workspace", str(served.folder))
    # as before any identity: dev-1's view is its own anonymous user, ana's order has no view before it
    assert _funnel(served.folder) == [3, 1]
