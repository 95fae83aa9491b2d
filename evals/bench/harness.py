"""What every benchmark shares: the options, the timing summary, ratios and disk sizes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.schema import Embedder
from evals.stats import percentile

EmbedderFactory = Callable[[], Embedder]
SECTIONS = ("ingest", "query", "scale", "concurrency", "dtype", "service", "startup")


@dataclass(frozen=True, slots=True)
class Timing:
    """p50 / p95 of one measured step, in seconds."""

    p50: float
    p95: float


def timing(values: Sequence[float]) -> Timing:
    """p50 and p95 of ``values`` (``evals.stats.percentile``)."""
    return Timing(percentile(values, 50), percentile(values, 95))


def ratio(value: float, floor: float) -> float:
    """``value / floor``, 0.0 when the floor is not positive."""
    return value / floor if floor > 0 else 0.0


def disk_mb(path: Path) -> float:
    """Size of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


@dataclass(frozen=True, slots=True)
class BenchOptions:
    """What to run; ``quick()`` gives the CI-sized run."""

    sections: tuple[str, ...] = SECTIONS
    # 100,000 is opt-in (``--scale``): building it is bound by Chroma's writes, ~10+ min here.
    scale_sizes: tuple[int, ...] = (1_000, 10_000)
    scale_queries: int = 40
    workers: tuple[int, ...] = (1, 2, 4)
    questions_per_worker: int = 10
    max_questions: int = 0  # 0: every question of the file
    dtype_passages: int = 256  # passages embedded in each dtype (the index's first ones)
    service_documents: int = 0  # documents ingested locally and through the service (0: all)

    @classmethod
    def quick(cls) -> BenchOptions:
        """Minutes on two cores: small corpora, up to two askers, 20 questions, 48 passages."""
        return cls(
            scale_sizes=(1_000, 5_000),
            scale_queries=20,
            workers=(1, 2),
            questions_per_worker=5,
            max_questions=20,
            dtype_passages=48,
            service_documents=3,
        )
