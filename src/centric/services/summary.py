"""Build the customer_summary table from the orders, through the query layer."""

from __future__ import annotations


def observation_end(store):
    """The end of observation: the last order's time (a datetime), None without orders."""
    import pandas as pd

    from centric.queries.customer_summary import observation_end as last_order

    db = store.ibis()
    end = db.execute(last_order(db.table("orders")))
    return None if end is None or pd.isna(end) else pd.Timestamp(end).to_pydatetime()


def build_customer_summary(store, observed_until=None, cuts=None) -> int:
    from centric.queries.customer_summary import DEFAULT_RFM_CUTS, customer_summary

    store.refresh_order_values()
    end = observed_until or observation_end(store)
    if end is None:
        store.clear_table("customer_summary")
        return 0
    # the end bound as a variable: the same SQL every run, compiled once per process (Store.moment)
    expr = customer_summary(store.ibis().table("orders"), store.moment("summary_end", end), cuts or DEFAULT_RFM_CUTS)
    return store.replace_table("customer_summary", expr)
