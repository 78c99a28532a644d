"""Revenue is net merchandise revenue: what customers kept of the goods they bought.

The store gives every order its merchandise (goods less discount), returned (credit notes netted
against it) and net_merchandise (store/reversals.py states the netting rules). Here:

- an order counts in revenue when its status is completed or refunded; its net value is
  net_merchandise, on the order's own date (a purchase net of its later returns; an unlinked
  credit note, negative, on the credit note's date);
- gross value: the merchandise of counted orders with goods (merchandise > 0), before returns;
  returns = gross - net;
- shipping, discount lines and charges are not revenue (they are columns of their own);
- guest orders (no customer_id) count in the shop's revenue, not in any customer's.

An orders expression without the store's derived columns (a hand-made table) is read as if
nothing was returned: net = gross = total of completed orders, negative totals of refunded ones.

These are final values: they reflect every credit note loaded, also one dated after an analysis's
cut-off. A backtest reads `orders_as_of` instead: the orders as they were known at the end of a day.
"""

from __future__ import annotations

COUNTED = ("completed", "refunded")


def with_money(orders):
    """orders plus net and gross (float64) as defined above (0 for orders that do not count), and
    is_purchase: a completed order whose goods were not all given back (net > 0), or an order of
    no value at all (merchandise and total 0: a free order is still a transaction; an order of
    postage or fees alone is not a purchase)."""
    import ibis

    counted = orders.status.isin(list(COUNTED))
    if "net_merchandise" in orders.columns:
        net, merch = orders.net_merchandise.cast("float64"), orders.merchandise.cast("float64")
    else:
        net = merch = ibis.ifelse((orders.status == "completed") | (orders.total < 0), orders.total, 0).cast("float64")
    return orders.mutate(
        net=ibis.ifelse(counted, net.fill_null(0.0), 0.0),
        gross=ibis.ifelse(counted & (merch > 0), merch, 0.0),
        is_purchase=(orders.status == "completed") & ((net > 0) | ((merch == 0) & (orders.total == 0))).fill_null(False),
    )


def orders_as_of(orders, reversals, day):
    """orders with returned and net_merchandise as known at the end of `day` (an Ibis date, or a date):
    a completed order with goods gives back only what the credit notes dated on or before `day`
    took of it (order_reversals.amount), so its net is merchandise - those amounts; every other order
    keeps its values. reversals: the order_reversals table; None, or orders without the store's
    derived columns: orders unchanged.

    Exact, not an approximation: the store links a credit note to the latest purchase at or before
    its own time and takes the caps in the order the credit notes happened (store/reversals.py), so
    the credit notes dated on or before `day` are allocated exactly as if the later ones did not
    exist. An order's own status (e.g. refunded on the order row itself) has no history: it is read
    as it is now. Credit notes dated after `day` are themselves later orders: a reading up to `day`
    never sees them."""
    import ibis

    if reversals is None or "net_merchandise" not in orders.columns:
        return orders
    if not isinstance(day, ibis.Expr):
        day = ibis.literal(day).cast("date")
    notes = orders.select(credit_order_id=orders.order_id, credit_at=orders.ordered_at)
    r = reversals.join(notes, "credit_order_id")
    r = r.filter(r.credit_at.date() <= day)
    known = r.group_by("order_id").aggregate(returned_then=r.amount.sum())
    o = orders.left_join(known, "order_id")
    sale = (o.status == "completed") & (o.merchandise >= 0)
    then = o.returned_then.fill_null(0).cast(orders.returned.type())
    o = o.mutate(returned=ibis.ifelse(sale, then, o.returned),
                 net_merchandise=ibis.ifelse(sale, (o.merchandise - then).cast(orders.net_merchandise.type()),
                                             o.net_merchandise))
    return o.select(*orders.columns)


def counted_orders(orders, until=None):
    """Orders that count in revenue (completed or refunded), up to `until` (an Ibis timestamp) when given,
    with net and gross."""
    o = with_money(orders)
    o = o.filter(o.status.isin(list(COUNTED)))
    return o if until is None else o.filter(o.ordered_at <= until)


def customer_revenue(orders, until=None):
    """Per known customer: revenue (net), gross_revenue and returns (gross - net)."""
    o = counted_orders(orders, until)
    o = o.filter(o.customer_id.notnull())
    r = o.group_by("customer_id").aggregate(revenue=o.net.sum(), gross_revenue=o.gross.sum())
    return r.mutate(returns=r.gross_revenue - r.revenue)


def monthly_revenue(orders, until=None):
    """Per calendar month (a date, the 1st): revenue (net), gross_revenue, returns, guest_revenue."""
    import ibis

    o = counted_orders(orders, until)
    o = o.mutate(month=o.ordered_at.truncate("M").date())
    m = o.group_by("month").aggregate(
        revenue=o.net.sum(), gross_revenue=o.gross.sum(),
        guest_revenue=ibis.ifelse(o.customer_id.isnull(), o.net, 0.0).sum(),
    )
    return m.mutate(returns=m.gross_revenue - m.revenue).order_by("month")


def shop_totals(orders, until=None):
    """One row: purchases (by anyone, guests too), revenue, gross_revenue, returns, guest_revenue."""
    import ibis

    o = counted_orders(orders, until)
    t = o.aggregate(
        purchases=o.is_purchase.cast("int64").sum(), revenue=o.net.sum(), gross_revenue=o.gross.sum(),
        guest_revenue=ibis.ifelse(o.customer_id.isnull(), o.net, 0.0).sum(),
    )
    return t.mutate(returns=t.gross_revenue - t.revenue)
