"""Number-format benchmark: the same passages embedded in float32 and in bfloat16, in one run."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.index.dtype import choose_dtype
from assistant.schema import Embedder
from evals.bench.harness import ratio

DTYPES = ("float32", "bfloat16")
LocalFactory = Callable[[str], Embedder]
"""The local embedder computing in the given dtype (``float32`` or ``bfloat16``)."""


@dataclass(frozen=True, slots=True)
class DtypeBench:
    """Throughput of each dtype on the same passages, and how close their vectors are."""

    passages: int
    float32_s: float
    bfloat16_s: float
    float32_per_s: float
    bfloat16_per_s: float
    bfloat16_speedup: float
    """bfloat16 throughput / float32 throughput (above 1: bfloat16 is faster here)."""
    cosine_min: float
    cosine_mean: float
    auto: str
    auto_reason: str


def run_dtype_bench(
    passages: Sequence[str], local: LocalFactory, *, slice_size: int = 16
) -> DtypeBench:
    """Embed ``passages`` in float32 and in bfloat16, slice by slice, the two models taking turns.

    Both models are loaded and warmed first (one untimed pass). Taking turns on each slice of
    ``slice_size`` passages (and swapping who goes first) makes a load that drifts during the
    run weigh on both alike. The cosines compare each passage's two vectors.
    """
    if not passages:
        raise ValueError("the dtype bench needs passages")
    embedders = {dtype: local(dtype) for dtype in DTYPES}
    for embedder in embedders.values():
        # One untimed pass: bfloat16 kernels are compiled once per new batch shape (oneDNN),
        # a cost that would otherwise fall on the timed pass of bfloat16 alone.
        for start in range(0, len(passages), slice_size):
            embedder.embed_documents(list(passages[start : start + slice_size]))
    seconds = dict.fromkeys(DTYPES, 0.0)
    vectors: dict[str, list[list[float]]] = {dtype: [] for dtype in DTYPES}
    for turn, start in enumerate(range(0, len(passages), slice_size)):
        part = list(passages[start : start + slice_size])
        for dtype in DTYPES if turn % 2 == 0 else DTYPES[::-1]:
            started = time.perf_counter()
            vectors[dtype] += embedders[dtype].embed_documents(part)
            seconds[dtype] += time.perf_counter() - started
    cosines = np.sum(np.asarray(vectors["float32"]) * np.asarray(vectors["bfloat16"]), axis=1)
    auto = choose_dtype("auto")
    count = len(passages)
    return DtypeBench(
        passages=count,
        float32_s=seconds["float32"],
        bfloat16_s=seconds["bfloat16"],
        float32_per_s=ratio(count, seconds["float32"]),
        bfloat16_per_s=ratio(count, seconds["bfloat16"]),
        bfloat16_speedup=ratio(seconds["float32"], seconds["bfloat16"]),
        cosine_min=float(cosines.min()),
        cosine_mean=float(cosines.mean()),
        auto=auto.dtype,
        auto_reason=auto.reason,
    )
