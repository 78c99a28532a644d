"""What personas read of customer_profiles: each customer's fingerprint, and the rows of chosen customers.

Rule: a customer's fingerprint is the engine's hash of a struct of its clustering variables (the values,
lists included, as stored), computed where the profiles are: one pass over the table instead of
serialising 20,000 rows in Python. Equal variables give equal fingerprints on the same engine and
version; any change of a value changes it (up to hash collisions, 1 in 2^64 on DuckDB). A full
clustering writes the fingerprints (customer_personas.profile_hash) and an incremental run compares
them (services/personas_incremental.py).
"""

from __future__ import annotations

import ibis

#: Bumped when the fingerprint's definition changes: fingerprints saved under another one are not compared.
FINGERPRINT = "engine-hash-1"


def fingerprint(profiles, variables):
    """The fingerprint of `variables` per row of `profiles`, as text."""
    return ibis.struct({v: profiles[v] for v in variables}).hash().cast("string")


def fingerprints(profiles, variables):
    """customer_id, profile_hash."""
    return profiles.select("customer_id", profile_hash=fingerprint(profiles, variables))


def of_customers(profiles, columns, customers):
    """`columns` of the customers in `customers` (a table with customer_id)."""
    return profiles.select("customer_id", *columns).join(customers.select("customer_id"), "customer_id")
