"""Documented samples: which rows a fit or a description reads when a shop has more than it needs."""

from __future__ import annotations

import numpy as np


def sample_positions(n: int, limit: int, seed: int) -> np.ndarray:
    """Positions of the rows to read out of n: all of them up to `limit`, else `limit` drawn at random
    without replacement with `seed`, in their order (the same draw for the same n, limit and seed)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))
