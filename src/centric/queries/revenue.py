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
