"""`centric run`: every analysis that exists, in dependency order."""

from __future__ import annotations

from collections.abc import Callable

from centric.services.summary import build_customer_summary


def _customer_value(store, settings) -> int:
    from centric.services.clv import ClvError, build_customer_value

    try:
        return build_customer_value(store, settings).customers
    except ClvError:
        return 0  # too little history for the models yet: `centric clv` says why

# (step name, function(store, settings) -> rows written). Later analyses append here.
STEPS: list[tuple[str, Callable]] = [
    ("customer_summary", lambda store, settings: build_customer_summary(store, cuts=settings.rfm_cuts)),
    ("customer_value", _customer_value),
]


def run_all(store, settings, on_step: Callable[[str], None] | None = None) -> dict[str, int]:
    results = {}
    for name, step in STEPS:
        if on_step:
            on_step(name)
        results[name] = step(store, settings)
    return results
