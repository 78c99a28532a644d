"""When each customer first reached each journey milestone, and the long silences between purchases.

Milestones (the default eCommerce journey):
- visitor: the customer's first event, their creation or their first purchase, whichever came first;
- engaged: the first engagement event (adding to cart, starting checkout, ...), when it came before
  the first purchase (or there is none yet): a customer who bought first skipped it;
- first_purchase, repeat, loyal: the 1st, 2nd and `loyal_purchases`-th purchase day;
- advocate: the first sign of advocacy after the first purchase: an NPS of 9-10, a review of 4-5
  stars, or an advocacy event (a referral, a share).
Silences: every gap between consecutive purchase days (and from the last one to the end of
observation) longer than `at_risk_days`, for the at-risk and lapsed stays.
"""

from __future__ import annotations

from centric.queries.customer_summary import purchases
from centric.queries.moments import timestamp

ENGAGED_EVENTS = ("Product Added", "Cart Viewed", "Checkout Started", "Product Added to Wishlist")
ADVOCACY_EVENTS = ("Referral Sent", "Product Shared", "Product Reviewed", "Cart Shared")


def purchase_days(orders, end):
    """Each customer's purchase days (completed orders up to end): customer_id, day, at (the day's
    first order) and n (1 for the customer's first purchase day, 2 for the second, ...)."""
    import ibis

    buys = purchases(orders, end)
    days = buys.group_by(["customer_id", buys.ordered_at.date().name("day")]).aggregate(at=buys.ordered_at.min())
    return days.mutate(n=ibis.row_number().over(group_by=days.customer_id, order_by=days.at) + 1)


def milestones(tables: dict, observed_until, loyal_purchases: int = 4):
    import ibis

    end = timestamp(observed_until)
    days = purchase_days(tables["orders"], end)
    purchases = days.group_by("customer_id").aggregate(
        first_purchase_at=days.at.min(),
        repeat_at=days.at.min(where=days.n == 2),
        loyal_at=days.at.min(where=days.n == loyal_purchases),
        last_purchase_at=days.at.max(),
    )
    ev = tables["events"]
    ev = ev.filter(ev.customer_id.notnull() & (ev.occurred_at <= end))
    seen = ev.group_by("customer_id").aggregate(
        first_event_at=ev.occurred_at.min(),
        engaged_at=ev.occurred_at.min(where=ev.name.isin(list(ENGAGED_EVENTS))),
        advocacy_event_at=ev.occurred_at.min(where=ev.name.isin(list(ADVOCACY_EVENTS))),
    )
    fb = tables["feedback"]
    praise = fb.filter(fb.customer_id.notnull() & (fb.received_at <= end) & (
        ((fb.rating_scale == "nps_0_10") & (fb.rating >= 9)) | ((fb.rating_scale == "stars_1_5") & (fb.rating >= 4))))
    c = tables["customers"].select("customer_id", "created_at")
    t = (c.left_join(purchases, "customer_id").drop("customer_id_right")
         .left_join(seen, "customer_id").drop("customer_id_right"))
    praised = praise.join(t.select("customer_id", "first_purchase_at"), "customer_id")
    praised = praised.filter(praised.received_at >= praised.first_purchase_at)
    praised = praised.group_by("customer_id").aggregate(praised_at=praised.received_at.min())
    t = t.left_join(praised, "customer_id").drop("customer_id_right")
    advocacy = ibis.ifelse(t.advocacy_event_at >= t.first_purchase_at, t.advocacy_event_at, ibis.null("timestamp"))
    seen_at = ibis.least(t.first_event_at, t.created_at).fill_null(t.created_at)
    # purchases are facts: a customer is a visitor by their first purchase at the latest, and one who
    # bought before any engagement event skipped engaged (a later cart event does not delay the purchase)
    visitor_at = ibis.least(seen_at, t.first_purchase_at).fill_null(seen_at)
    engaged_at = ibis.ifelse(t.first_purchase_at.isnull() | (t.engaged_at <= t.first_purchase_at), t.engaged_at,
                             ibis.null("timestamp"))
    return t.select(
        "customer_id",
        visitor_at=visitor_at,
        engaged_at=engaged_at, first_purchase_at=t.first_purchase_at, repeat_at=t.repeat_at, loyal_at=t.loyal_at,
        advocate_at=ibis.least(t.praised_at, advocacy), last_purchase_at=t.last_purchase_at,
    )


def silences(orders, observed_until, at_risk_days: int):
    """Gaps longer than at_risk_days after a purchase day: customer_id, after (the purchase), until (the next
    purchase, NULL when none came before the end)."""
    import ibis

    end = timestamp(observed_until)
    days = purchase_days(orders, end)
    nxt = days.at.lead().over(group_by=days.customer_id, order_by=days.at)
    gaps = days.mutate(until=nxt)
    limit = ibis.interval(days=int(at_risk_days))
    gaps = gaps.filter(ibis.coalesce(gaps.until, end) > gaps.at + limit)
    return gaps.select("customer_id", after=gaps.at, until=gaps.until)
