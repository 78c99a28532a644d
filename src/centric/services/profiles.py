"""Build `customer_profiles`: the wide per-customer table segment rules and personas read.

Its behaviour columns (events, event_names) count only events recorded under analytics consent
(services/consent.py); its order, value and voice columns are the shop's own records."""

from __future__ import annotations

from centric.errors import CentricError
from centric.services.summary import build_customer_summary, observation_end

OPTIONAL_INPUTS = ("customer_value", "feedback_insights")


class ProfileError(CentricError):
    """There are no customers to profile."""


def build_customer_profiles(store, settings=None) -> int:
    """Write customer_profiles; builds customer_summary first when it is empty."""
    from centric.queries.consent import kept
    from centric.queries.customer_profile import customer_profile

    if not store.has_rows("customers"):
        raise ProfileError("no customers yet: load them with `centric ingest customers FILE` (or orders), "
                           "or try `centric demo`")
    from centric.services import consent

    db = store.ibis()
    end = observation_end(store)
    if end is None:
        end = db.execute(db.table("customers").created_at.max())
    if not store.has_rows("customer_summary"):
        build_customer_summary(store, cuts=settings.rfm_cuts if settings else None)
    names = ("customers", "customer_summary", "orders", "order_lines", "feedback", "consents")
    tables = consent.consented_tables(store, settings, consent.PURPOSES["customer_profiles"], names)
    # within `centric run`, the marked events personas and the journey read too (materialised once)
    shared = consent.shared_marked(store, settings, "customer_profiles")
    tables["events"] = (consent.consented_events(store, settings, consent.PURPOSES["customer_profiles"])
                        if shared is None else kept(shared))
    for name in OPTIONAL_INPUTS:
        tables[name] = db.table(name) if store.has_rows(name) else None
    return store.replace_table("customer_profiles", customer_profile(tables, store.moment("profile_end", end)))


def load_profiles(store, rebuild: bool = False, settings=None):
    """customer_profiles as pandas, built when empty (or when rebuild is asked)."""
    if rebuild or not store.has_rows("customer_profiles"):
        build_customer_profiles(store, settings)
    db = store.ibis()
    return db.execute(db.table("customer_profiles").order_by("customer_id"))
