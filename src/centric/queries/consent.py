"""One definition of consent: a customer's consent to a category, as intervals in time.

The rule (docs/privacy.md):
- Every record of the `consents` ledger for a customer and category holds from its `recorded_at`
  until that customer's next record of the same category (`valid_until`, NULL while it is the
  latest). A withdrawal is a record with granted = false; a later grant opens a new interval.
- Data is used for a purpose when its customer had granted the purpose's category *when the data
  was recorded*: an event counts when its occurred_at falls inside a granted interval of its
  customer (valid_from <= occurred_at < valid_until).
- Time not covered by any record (before a customer's first record of the category, or a customer
  with no record) takes the banner answer the event was recorded with, when it carries one (an
  anonymous visit later merged into the customer: queries/identity.py), else the workspace's default (`[consent] default` in centric.toml: "denied" for
  opt-in regimes such as the GDPR, the default; "granted" for a shop that collects consent
  elsewhere). The essential category is always granted.
- An anonymous event (no customer_id) carries its own consent: the banner choice the collector put
  in `properties.consent.<category>` (a JSON true/false). An anonymous event without one takes the
  default.
- Consent for an act done now (a marketing export, an e-mail audience) is the state at that moment:
  `granted_at(..., at=now)`.

Every builder here is pure Ibis (DuckDB and PySpark alike); callers pass tables and the default.
"""

from __future__ import annotations

from centric.queries.moments import timestamp

CATEGORIES = ("essential", "personalization", "analytics", "marketing")
ALWAYS_GRANTED = ("essential",)


def _check(category: str) -> None:
    if category not in CATEGORIES:
        raise ValueError(f"consent category must be one of {', '.join(CATEGORIES)}, not {category!r}")


def consent_intervals(consents, category: str):
    """customer_id, granted, valid_from, valid_until (NULL while the record is the latest): one row per
    record of the category, holding until the customer's next record of it."""
    import ibis

    _check(category)
    c = consents.filter(consents.category == category)
    w = ibis.window(group_by=c.customer_id, order_by=c.recorded_at)
    return c.select("customer_id", granted=c.granted.cast("boolean"), valid_from=c.recorded_at,
                    valid_until=c.recorded_at.lead().over(w))


def mark_events(events, consents, category: str, default_granted: bool):
    """The events with `_consented` (boolean): whether each was recorded under consent to `category`."""
    import ibis

    _check(category)
    if category in ALWAYS_GRANTED:
        return events.mutate(_consented=ibis.literal(True))
    default = ibis.literal(bool(default_granted))
    columns = list(events.columns)
    known = events.filter(events.customer_id.notnull())
    iv = consent_intervals(consents, category).rename(_cid="customer_id")
    # an open interval ends in the far future: an OR in the join condition would make the engine
    # fall back to a nested-loop join (DuckDB: BLOCKWISE_NL_JOIN, minutes instead of seconds)
    iv = iv.mutate(_until=ibis.coalesce(iv.valid_until, ibis.timestamp("9999-12-31 00:00:00")))
    joined = known.left_join(iv, [known.customer_id == iv._cid, known.occurred_at >= iv.valid_from,
                                  known.occurred_at < iv._until])
    # the ledger decides where it has a record for that moment; before any record, the banner answer the
    # event itself was recorded with (an anonymous visit later merged into this customer), then the default
    own = joined.properties["consent"][category].bool
    known = joined.select(*columns, _consented=ibis.coalesce(joined.granted, own, default))
    anon = events.filter(events.customer_id.isnull())
    banner = anon.properties["consent"][category].bool
    anon = anon.mutate(_consented=ibis.coalesce(banner, default))
    return known.union(anon.select(*columns, "_consented"))


def consented_events(events, consents, category: str, default_granted: bool):
    """Only the events recorded under consent to `category` (same columns as `events`)."""
    return kept(mark_events(events, consents, category, default_granted))


def kept(marked):
    """The events of `mark_events` recorded under consent, without the mark."""
    return marked.filter(marked._consented).drop("_consented")


def left_out(events, consents, category: str, default_granted: bool):
    """One row: events_left_out (events not recorded under consent), anonymous_events_left_out, and
    customers_left_out (customers with events of whom none was recorded under consent)."""
    return left_out_of(mark_events(events, consents, category, default_granted))


def left_out_of(marked):
    """`left_out` of events already marked (`mark_events`). One pass: the marked events are grouped per
    customer (anonymous events in one group), then summed."""
    import ibis

    per = marked.group_by("customer_id").aggregate(
        _n=marked.count(), _kept=marked._consented.cast("int64").sum())
    known = per.customer_id.notnull()
    out = per.aggregate(
        customers_left_out=(known & (per._kept == 0)).cast("int64").sum(),
        events_left_out=(per._n - per._kept).sum(),
        anonymous_events_left_out=ibis.ifelse(known, 0, per._n - per._kept).sum())
    return out.select(*(ibis.coalesce(out[c], 0).cast("int64").name(c) for c in out.columns))


def has_records(consents, category: str):
    """A scalar: whether the ledger holds any record of `category`."""
    return consents.filter(consents.category == category).count() > 0


def granted_at(customers, consents, category: str, at, default_granted: bool):
    """customer_id, granted: each customer's consent to `category` at the moment `at` (their latest record
    on or before it, else the default)."""
    import ibis

    _check(category)
    c = customers.select("customer_id")
    if category in ALWAYS_GRANTED:
        return c.mutate(granted=ibis.literal(True))
    when = ibis.literal(at).cast("timestamp")
    iv = consent_intervals(consents, category)
    now = iv.filter((iv.valid_from <= when) & (iv.valid_until.isnull() | (iv.valid_until > when)))
    now = now.select(_cid="customer_id", _g="granted")
    j = c.left_join(now, c.customer_id == now._cid)
    return j.select("customer_id", granted=ibis.coalesce(j._g, ibis.literal(bool(default_granted))))


def ever_granted(customers, consents, category: str, until, default_granted: bool):
    """customer_id of customers who held consent to `category` at some moment up to `until`: a granted
    record on or before it, or (under a "granted" default) time before their first record or no record."""
    import ibis

    _check(category)
    c = customers.select("customer_id")
    if category in ALWAYS_GRANTED:
        return c
    when = timestamp(until)
    iv = consent_intervals(consents, category).filter(lambda t: t.valid_from <= when)
    granted = iv.filter(iv.granted).select("customer_id").distinct()
    if not default_granted:
        return c.semi_join(granted, "customer_id")
    # under a "granted" default a customer with no record of the category counts too (one whose only
    # records are refusals does not: the refusal is what the shop knows)
    recorded = iv.select("customer_id").distinct()
    return c.anti_join(recorded, "customer_id").union(c.semi_join(granted, "customer_id"))
