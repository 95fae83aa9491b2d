"""The one percentile formula of the evaluations, the bench and the soak run."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: int) -> float:
    """The ``q``-th percentile (1 to 99) of ``values``; 0.0 when there is none.

    Linear interpolation between the sorted values, the smallest and largest being the 0th and
    100th percentiles (``statistics.quantiles`` with ``method="inclusive"``): the 50th is the
    median, and the 95th of 0.1, 0.2, 0.3, 0.4, 0.5 is 0.4 + 0.8 x 0.1 = 0.48.
    """
    if not 1 <= q <= 99:
        raise ValueError(f"percentile out of 1..99: {q}")
    if not values:
        return 0.0
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
