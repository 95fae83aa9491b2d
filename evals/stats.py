"""Statistics of the evaluations: the one percentile formula, bootstrap intervals over questions."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

Array = np.ndarray[Any, np.dtype[np.float64]]


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


@dataclass(frozen=True, slots=True)
class Interval:
    """A value with its bootstrap confidence interval."""

    value: float
    low: float
    high: float

    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0."""
        return self.low > 0 or self.high < 0


BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20251
"""Fixed seed: the same runs always give the same intervals (and the same gate verdict)."""


def _ratio(numerators: Array, denominators: Array, axis: int = -1) -> Array:
    """sum(numerators) / sum(denominators) along ``axis``, 0 where nothing counts (as summarize)."""
    top = np.sum(numerators, axis=axis)
    bottom = np.sum(denominators, axis=axis)
    ratio: Array = np.divide(top, bottom, out=np.zeros_like(top, dtype=float), where=bottom > 0)
    return ratio


def ratio_interval(
    numerators: Sequence[float],
    denominators: Sequence[float],
    *,
    level: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Interval:
    """Percentile bootstrap interval of ``sum(num) / sum(den)``, resampling questions."""
    top, bottom = np.asarray(numerators, float), np.asarray(denominators, float)
    value = float(_ratio(top, bottom))
    if len(top) < 2:
        return Interval(value, value, value)
    return _bootstrap((top, bottom), _ratio, value, level, resamples, seed)


def paired_difference(
    before: tuple[Sequence[float], Sequence[float]],
    after: tuple[Sequence[float], Sequence[float]],
    *,
    level: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Interval:
    """Paired bootstrap interval of ``after - before`` for a ratio metric over the same questions.

    ``before`` and ``after`` are (numerators, denominators), one value per question in the same
    order. Questions are resampled together, so what both runs share cancels out: only the
    questions whose score changed move the difference.
    """
    arrays = [np.asarray(values, float) for values in (*before, *after)]
    if len({len(a) for a in arrays}) != 1:
        raise ValueError("paired_difference needs one value per question in both runs")

    def difference(n_a: Array, d_a: Array, n_b: Array, d_b: Array, axis: int = -1) -> Array:
        return _ratio(n_b, d_b, axis) - _ratio(n_a, d_a, axis)

    value = float(difference(arrays[0], arrays[1], arrays[2], arrays[3]))
    if len(arrays[0]) < 2 or all(np.array_equal(arrays[i], arrays[i + 2]) for i in (0, 1)):
        return Interval(value, value, value)
    return _bootstrap(tuple(arrays), difference, value, level, resamples, seed)


def _bootstrap(
    samples: tuple[Array, ...],
    statistic: Callable[..., Array],
    value: float,
    level: float,
    resamples: int,
    seed: int,
) -> Interval:
    """Percentile bootstrap interval of ``statistic``, the samples resampled together."""
    result = stats.bootstrap(
        samples,
        statistic,
        paired=True,
        vectorized=True,
        n_resamples=resamples,
        confidence_level=level,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    ci = result.confidence_interval
    return Interval(value, float(ci.low), float(ci.high))
