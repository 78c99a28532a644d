"""What the marking of the events by consent (queries/consent.py mark_events, after queries/identity.py
resolved_events) depends on, so that a kept marking (services/marked.py) is updated where it can differ.

Rule: the marking is a function of each event row alone, given the identities and the consents: an event
takes the customer of its anonymous id's span at its time (when it names none), then `_consented` from
that customer's consent records of the category (or its own banner answer, or the default). So the
marking of an event can change only when
- the event itself is new, changed or removed;
- it names, or is resolved to, a customer whose consent records of the category changed (`changed`:
  the customers of the records that differ between the kept copy and the consents now);
- it carries an anonymous id whose identity spans changed (the ids whose spans differ between the kept
  copy and the identities now);
- the default or the category changed (the caller marks everything again).
`inputs` gives the copy of the consent records and spans that is kept (marked_inputs); `touching` tells
the rows of the events (or of the kept marking) that must be marked again. Pure Ibis.
"""

from __future__ import annotations

COLUMNS = ("source", "customer_id", "anonymous_id", "granted", "valid_from", "valid_to")


def inputs(consents, identities, category: str):
    """marked_inputs rows: the consent records of `category` and the anonymous ids' spans, as they are."""
    import ibis

    c = consents.filter(consents.category == category)
    c = c.select(source=ibis.literal("consents", "string"), customer_id=c.customer_id.cast("string"),
                 anonymous_id=ibis.null("string"), granted=c.granted.cast("boolean"),
                 valid_from=c.recorded_at.cast("timestamp"), valid_to=ibis.null("timestamp"))
    s = identities.filter(identities.id_type == "anonymous_id")
    s = s.select(source=ibis.literal("identities", "string"), customer_id=s.customer_id.cast("string"),
                 anonymous_id=s.id_value.cast("string"), granted=ibis.null("boolean"),
                 valid_from=s.valid_from.cast("timestamp"), valid_to=s.valid_to.cast("timestamp"))
    return c.union(s, distinct=False)


def differing(now, kept):
    """The rows of `now` (`inputs`) not in `kept` (the stored copy) and the other way round, counted with
    their multiplicity (EXCEPT ALL both ways)."""
    a, b = _typed(now), _typed(kept)
    return a.difference(b, distinct=False).union(b.difference(a, distinct=False), distinct=False)


_TYPES = {"source": "string", "customer_id": "string", "anonymous_id": "string", "granted": "boolean",
          "valid_from": "timestamp(6)", "valid_to": "timestamp(6)"}


def _typed(table):
    return table.select(**{c: table[c].cast(_TYPES[c]) for c in COLUMNS})


def changed_customers(diff):
    """customer_id (distinct) of the consent records that differ."""
    d = diff.filter(diff.source == "consents")
    return d.select("customer_id").distinct()


def changed_visitors(diff, identities, customers):
    """anonymous_id (distinct) of the visitors whose events may be marked differently: their spans differ,
    or a span of theirs now resolves to one of `customers` (those whose consent records changed). An
    anonymous event resolved to such a customer by the kept marking is one of these: its spans either
    changed or are the same now."""
    d = diff.filter(diff.source == "identities").select("anonymous_id")
    s = identities.filter((identities.id_type == "anonymous_id") & identities.customer_id.isin(customers.customer_id))
    return d.union(s.select(anonymous_id=s.id_value.cast("string"))).distinct()


def touching(table, customers, visitors):
    """Whether a row of `table` (the events, or the kept marking, whose customer_id is the resolved one)
    names one of `customers` or carries one of `visitors` (never NULL: a row with no customer or no
    anonymous id is simply not named). An event matches in the events exactly when its row of the marking
    matches (module rule: an anonymous event resolved to one of `customers` carries one of `visitors`)."""
    import ibis

    return (ibis.coalesce(table.customer_id.isin(customers.customer_id), False)
            | ibis.coalesce(table.anonymous_id.isin(visitors.anonymous_id), False))
