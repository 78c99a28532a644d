"""`centric identity`: who is who. Rebuild the identities table, show a person's ids, split a merge."""

from __future__ import annotations

from centric.errors import CentricError


class IdentityError(CentricError):
    """An unknown id, or a split that names no merge."""


def rebuild(store) -> int:
    from centric.store.identities import rebuild_identities

    return rebuild_identities(store)


def show(store, any_id: str):
    from centric.store.identities import identities_of

    rebuild(store)
    frame = identities_of(store, any_id)
    if frame.empty:
        raise IdentityError(f"no customer, anonymous id or e-mail {any_id!r} in this workspace")
    return frame


def split(store, anonymous_id: str, customer_id: str | None = None, note: str | None = None) -> list[str]:
    """Undo the merge of `anonymous_id` into `customer_id` (default: every customer it is linked to).
    Its anonymous events stop counting for that customer; returns the customers split off."""
    from centric.store.identities import links_between, record_split

    linked = links_between(store, anonymous_id, customer_id)
    if not linked:
        target = f" and customer {customer_id!r}" if customer_id else ""
        raise IdentityError(f"no merge of anonymous id {anonymous_id!r}{target}: see `centric identity show ID`")
    for customer, _ in linked:
        record_split(store, anonymous_id, customer, note)
    rebuild(store)
    return [customer for customer, _ in linked]


def unsplit(store, anonymous_id: str, customer_id: str) -> None:
    from centric.store.identities import remove_split

    if not remove_split(store, anonymous_id, customer_id):
        raise IdentityError(f"{anonymous_id!r} was not split from {customer_id!r}")
    rebuild(store)


def person_events(db):
    """The events table as every behaviour analysis reads it: anonymous events carry the customer
    their visitor was merged into (queries/identity.py). `db` is the store's Ibis backend."""
    from centric.queries.identity import resolved_events

    return resolved_events(db.table("events"), db.table("identities"))
