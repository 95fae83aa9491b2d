"""Number-format benchmark: the same passages embedded in float32 and in bfloat16, in one run."""

from __future__ import annotations

import gc
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


def run_dtype_bench(passages: Sequence[str], local: LocalFactory) -> DtypeBench:
    """Embed ``passages`` with a float32 model, then a bfloat16 one (each loaded and warmed first).

    One model at a time is held in memory; the cosines compare each passage's two vectors.
    """
    if not passages:
        raise ValueError("the dtype bench needs passages")
    seconds: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    for dtype in DTYPES:
        embedder = local(dtype)
        embedder.embed_documents(list(passages[:4]))  # load the model, warm its kernels
        started = time.perf_counter()
        vectors[dtype] = np.asarray(embedder.embed_documents(list(passages)), dtype=np.float64)
        seconds[dtype] = time.perf_counter() - started
        del embedder
        gc.collect()
    cosines = np.sum(vectors["float32"] * vectors["bfloat16"], axis=1)
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
