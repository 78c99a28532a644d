"""Per-customer features at a cut-off, for a repeat-purchase classifier trained on a time split.

Every feature is computed from what was known on the cut-off day (purchases up to and including
it), so the same query at an inner cut-off (to train) and at the end of calibration (to score)
gives features of the same meaning. Purchases and purchase days follow clv_data.py and
customer_summary.py (purchases() with their net value; purchases on one
day count once); returns are refunded orders with a negative total, as in customer_summary.

Columns, per customer whose first purchase is on or before the cut-off day (times in days):

- frequency, recency, T: the BTYD triple (repeat purchase days, last - first purchase day,
  cut-off - first purchase day); days_since_last = T - recency;
- orders: purchases; spend: their net value; mean_spend: spend per purchase day;
- mean_gap: recency / frequency (mean days between purchase days; 0 without repeats);
- days_last_30, days_last_90: purchase days in the 30 and 90 days up to the cut-off (inclusive);
- products, categories: distinct skus and categories bought (order_lines; 0 when a shop has none);
- lines: order lines bought; units_per_order: units bought (order_lines.quantity, a line without one
  counting 1, negative ones 0) per purchase (0 without order lines; basket depth: trade buyers stock up);
  return_share: returned value / (spend + returned value); refunds: refunded
  orders (negative totals) up to the cut-off;
- overdue: days_since_last / mean_gap (how many of the customer's own mean gaps have passed since the last
  purchase; 0 without repeats); rate: frequency / T (repeat purchase days per day since the first; 0 when
  T = 0); active_month_share: calendar months with a purchase day / (T / (365.25 / 12) + 1), the share of
  the months of a customer's tenure in which they bought (regularity);
- product_repeat: how often the buyers of this customer's products came back, learned from the shop's
  own past. For each sku, among the (customer, purchase day) pairs with it on or before the cut-off day
  less REPEAT_DAYS, the share whose customer had another purchase day within REPEAT_DAYS, shrunk towards
  the shop's share over all skus with REPEAT_PRIOR pseudo-pairs: (buys again + prior * shop share) /
  (pairs + prior); a customer's value is the mean over the (purchase day, sku) pairs they bought up to the
  cut-off (the shop's share for a customer without order lines; 0 when nothing can be labelled yet, e.g.
  a shop without order lines). Only purchases up to the cut-off day are labelled (a pair's next purchase
  day is within REPEAT_DAYS of a day at least REPEAT_DAYS before the cut-off), so it sees nothing after
  it. Products, not customers, carry this signal: it is shop-generic (a basket of refills or trade
  supplies comes back, a one-off gift does not) and needs only order lines;
- last_products: distinct skus in the orders of the customer's last purchase day (0 without order lines;
  the breadth of the latest basket, beside the lifetime `products`);
- domestic: 1 when the customer's country (customers.country) is the shop's home country, the most
  common country among the customers who had bought by the cut-off day (ties: the first in
  alphabetical order), else 0 (also for a customer without a country, and for everyone when no
  customer has one). A general "home vs abroad" split, not a list of countries: delivery cost and
  time differ between them in most shops. Country is a customer attribute; the home country is
  decided from the customers known at the cut-off, so a later wave of foreign customers cannot
  change a past cut-off's value.

With `label_end` (a later datetime), also `purchases_after`: purchase days after the cut-off day up to
and including label_end's day (the label of the time split). Customers first buying after the cut-off are
left out.

Returns known at the cut-off only (with `reversals`, the order_reversals table): every feature reads the
purchases as known at the end of the cut-off day (customer_summary.purchases_as_of): a purchase before
it, returned by a credit note dated after it, is still a purchase of its whole value there, as it was
on that day. The label window's purchases are read as known at the end of `known_at`'s day (default:
label_end's day). The services pass the scoring cut-off (the end of the calibration period when
evaluating, the last order when refitting): the label then means what the holdout's outcome means (a
purchase the customer kept, as far as anyone can know when the model is fitted), and no credit note from
after that cut-off ever reaches a training row. Without reversals, final values throughout (every credit
note loaded).
"""

from __future__ import annotations

import datetime as dt

from centric.queries.clv_data import purchase_days
from centric.queries.customer_summary import purchases, purchases_as_of

FEATURES = ("frequency", "recency", "T", "days_since_last", "orders", "spend", "mean_spend", "mean_gap",
            "days_last_30", "days_last_90", "products", "categories", "lines", "return_share",
            "refunds", "overdue", "rate", "active_month_share", "product_repeat", "units_per_order",
            "last_products", "domestic")
MONTH_DAYS = 365.25 / 12
REPEAT_DAYS = 30  # product_repeat: "came back within a month"
REPEAT_PRIOR = 20.0  # product_repeat: pseudo-pairs at the shop's share (a sku bought twice says little)


def product_repeat(days, buys, order_lines, cut_day):
    """customer_id, product_repeat at `cut_day` (see the module docstring). days: purchase days (all of
    them, any later ones are never read as labels), buys: purchases with order_id, customer_id, ordered_at."""
    import ibis

    nxt = days.mutate(next_day=days.day.lead().over(ibis.window(group_by="customer_id", order_by="day")))
    nxt = nxt.select("customer_id", "day", "next_day")
    b = buys.filter(buys.ordered_at.date() <= cut_day)
    pairs = order_lines.filter(order_lines.sku.notnull()).join(
        b.select("order_id", "customer_id", day=b.ordered_at.date()), "order_id")
    pairs = pairs.select("customer_id", "day", "sku").distinct()
    labelled = pairs.filter(pairs.day <= cut_day - ibis.interval(days=REPEAT_DAYS)).join(nxt, ["customer_id", "day"])
    labelled = labelled.mutate(back=ibis.ifelse(labelled.next_day.notnull()
                                                & (labelled.next_day.delta(labelled.day, unit="day") <= REPEAT_DAYS),
                                                1.0, 0.0))
    shop = labelled.aggregate(share=labelled.back.mean())
    per_sku = labelled.group_by("sku").aggregate(back=labelled.back.sum(), pairs=labelled.count().cast("float64"))
    per_sku = per_sku.cross_join(shop)
    per_sku = per_sku.select("sku", rate=(per_sku.back + REPEAT_PRIOR * per_sku.share) / (per_sku.pairs + REPEAT_PRIOR))
    scored = pairs.left_join(per_sku, "sku").cross_join(shop)
    scored = scored.mutate(rate=scored.rate.fill_null(scored.share))
    return scored.group_by("customer_id").aggregate(product_repeat=scored.rate.mean()), shop


def domestic(customers, known):
    """customer_id, domestic (module docstring) for the customers of `known` (customer_id: those who had
    bought by the cut-off day) with a country; customers: the customers table."""
    import ibis

    c = customers.filter(customers.country.notnull()).select("customer_id", "country")
    c = c.join(known.select("customer_id"), "customer_id")
    counts = c.group_by("country").aggregate(n=c.count())
    top = counts.order_by([ibis.desc("n"), "country"]).limit(1).select(home="country")
    flags = c.cross_join(top)
    return flags.select("customer_id", domestic=ibis.ifelse(flags.country == flags.home, 1.0, 0.0))


def customer_features(orders, order_lines, cutoff, label_end=None, customers=None, reversals=None, known_at=None):
    """The FEATURES per customer at `cutoff` (a datetime; its day is included), with purchases_after
    when label_end is given. customers: the customers table (for `domestic`; None: 0 for everyone).
    reversals, known_at: returns as known at the cut-off (features) and at known_at (labels; module
    docstring)."""
    import ibis

    cut_day = ibis.literal(cutoff).cast("timestamp").date()
    until = label_end or cutoff  # whole days: every purchase on the last day counts
    until = dt.datetime.combine(until.date(), dt.time.max)
    days = purchase_days(orders, until)
    if reversals is not None:  # the past as known at the cut-off, the label window as known at known_at
        past = purchase_days(orders, until, reversals, cut_day)
        later = purchase_days(orders, until, reversals, (known_at or until).date())
        days = past.filter(past.day <= cut_day).union(later.filter(later.day > cut_day))
    first = days.group_by("customer_id").aggregate(first_day=days.day.min())
    first = first.filter(first.first_day <= cut_day)
    d = days.join(first, "customer_id")
    d = d.mutate(before=d.day <= cut_day, age=cut_day.delta(d.day, unit="day"))
    past = d.filter(d.before)
    s = past.group_by("customer_id").aggregate(
        first_day=past.first_day.min(),
        last_day=past.day.max(),
        purchase_days=past.count(),
        days_last_30=(past.age < 30).sum().cast("float64"),
        days_last_90=(past.age < 90).sum().cast("float64"),
        months=past.day.truncate("M").nunique().cast("float64"),
    )
    buys = purchases(orders) if reversals is None else purchases_as_of(orders, reversals, cut_day)
    buys = buys.filter(buys.ordered_at.date() <= cut_day)
    spend = buys.group_by("customer_id").aggregate(orders=buys.count().cast("float64"),
                                                   spend=buys.value.sum())
    refunds = orders.filter((orders.status == "refunded") & (orders.total < 0) & orders.customer_id.notnull()
                            & (orders.ordered_at.date() <= cut_day))
    returns = refunds.group_by("customer_id").aggregate(returned=(-refunds.total.cast("float64")).sum(),
                                                        refunds=refunds.count().cast("float64"))
    lines = order_lines.join(buys.select("order_id", "customer_id", day=buys.ordered_at.date()), "order_id")
    basket = lines.group_by("customer_id").aggregate(products=lines.sku.nunique().cast("float64"),
                                                     categories=lines.category.nunique().cast("float64"),
                                                     lines=lines.count().cast("float64"),
                                                     units=ibis.greatest(lines.quantity.cast("float64")
                                                                         .fill_null(1.0), 0.0).sum())
    last = lines.join(s.select("customer_id", "last_day"), "customer_id")
    last = last.filter(last.day == last.last_day)
    last = last.group_by("customer_id").aggregate(last_products=last.sku.nunique().cast("float64"))
    repeat, shop = product_repeat(days, buys, order_lines, cut_day)
    parts = [spend, returns, basket, repeat, last]
    if customers is not None:
        parts.append(domestic(customers, s))
    for part in parts:
        s = s.left_join(part, "customer_id").drop("customer_id_right")
    s = s.cross_join(shop.select(shop_share=shop.share))
    frequency = (s.purchase_days - 1).cast("float64")
    recency = s.last_day.delta(s.first_day, unit="day").cast("float64")
    T = cut_day.delta(s.first_day, unit="day").cast("float64")
    spent, returned = s.spend.fill_null(0.0), s.returned.fill_null(0.0)
    mean_gap = ibis.ifelse(frequency > 0, recency / frequency, 0.0)
    s = s.mutate(
        frequency=frequency, recency=recency, T=T, days_since_last=T - recency,
        orders=s.orders.fill_null(0.0), spend=spent, mean_spend=spent / s.purchase_days.cast("float64"),
        mean_gap=mean_gap,
        products=s.products.fill_null(0.0), categories=s.categories.fill_null(0.0), lines=s.lines.fill_null(0.0),
        return_share=ibis.ifelse(spent + returned > 0, returned / (spent + returned), 0.0),
        refunds=s.refunds.fill_null(0.0),
        overdue=ibis.ifelse(mean_gap > 0, (T - recency) / mean_gap, 0.0),
        rate=ibis.ifelse(T > 0, frequency / T, 0.0),
        active_month_share=s.months / (T / MONTH_DAYS + 1.0),
        product_repeat=s.product_repeat.fill_null(s.shop_share).fill_null(0.0),
        units_per_order=ibis.ifelse(s.orders.fill_null(0.0) > 0, s.units.fill_null(0.0) / s.orders, 0.0),
        last_products=s.last_products.fill_null(0.0),
        domestic=s.domestic.fill_null(0.0) if customers is not None else ibis.literal(0.0),
    )
    columns = ["customer_id", *FEATURES]
    if label_end is None:
        return s.select(*columns)
    after = d.filter(~d.before)
    label = after.group_by("customer_id").aggregate(purchases_after=after.count().cast("float64"))
    s = s.left_join(label, "customer_id").drop("customer_id_right")
    return s.select(*columns, purchases_after=s.purchases_after.fill_null(0.0))
