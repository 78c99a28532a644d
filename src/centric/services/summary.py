"""Build the customer_summary table from the orders, through the query layer."""

from __future__ import annotations


def observation_end(store):
    """The end of observation: the last order's time."""
    return store.con.execute("SELECT max(ordered_at) FROM orders").fetchone()[0]


def build_customer_summary(store, observed_until=None, cuts=None) -> int:
    from centric.queries.customer_summary import DEFAULT_RFM_CUTS, customer_summary

    store.refresh_order_values()
    end = observed_until or observation_end(store)
    if end is None:
        store.con.execute("DELETE FROM customer_summary")
        return 0
    expr = customer_summary(store.ibis().table("orders"), end, cuts or DEFAULT_RFM_CUTS)
    return store.replace_table("customer_summary", expr)
