"""Scale benchmark: hybrid retrieval on synthetic corpora, embedding cost excluded."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from evals.bench.harness import BenchOptions, Timing, disk_mb, ratio, timing
from evals.bench.synthetic import (
    SYNTHETIC_DOC_CHUNKS,
    PrecomputedEmbedder,
    synthetic_chunks,
    unit_vectors,
)
from evals.memory import rss_mib


@dataclass(frozen=True, slots=True)
class ScalePoint:
    """Retrieval on a synthetic corpus of ``chunks`` passages (query vector precomputed)."""

    chunks: int
    documents: int
    insert_s: float
    lexical_build_s: float
    lexical_load_s: float
    retrieval: Timing
    p95_vs_smallest: float
    disk_mb: float
    disk_kb_per_chunk: float
    rss_mb: float
    rss_kb_per_chunk: float


def scale_point(
    passages: Sequence[str], questions: Sequence[str], size: int, queries: int, workdir: str
) -> ScalePoint:
    """Build a synthetic index of ``size`` chunks in ``workdir`` and time hybrid retrieval.

    Meant to run in a fresh process, so that its resident memory is this corpus's alone.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.index.lexical import Bm25Index
    from assistant.index.store import ChromaStore, DocumentRecord
    from assistant.retrieve.hybrid import HybridRetriever

    root = Path(workdir)
    rss_before = rss_mib()
    rng = np.random.default_rng(size)
    chunks = synthetic_chunks(passages, size)
    client = chromadb.PersistentClient(
        path=str(root / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    store = ChromaStore(client, "synthetic")
    store.create_or_check(model_id="synthetic-random", dimension=None, chunker_version="bench")
    started = time.perf_counter()
    for start in range(0, size, SYNTHETIC_DOC_CHUNKS):
        part = chunks[start : start + SYNTHETIC_DOC_CHUNKS]
        store.add_chunks(part, unit_vectors(rng, len(part)).tolist())
        store.commit_document(
            DocumentRecord(
                doc_id=part[0].doc_id,
                doc_hash=part[0].doc_hash,
                title=part[0].title,
                kind="page",
                date="2024-01-01",
                status="en vigueur",
                official_url="",
                chunks=len(part),
                ingested_at="2024-01-01T00:00:00+00:00",
            )
        )
    insert_s = time.perf_counter() - started
    started = time.perf_counter()
    lexical = Bm25Index.build(chunks, "bench")
    lexical_build_s = time.perf_counter() - started
    del chunks
    lexical.save(root / "lexical")
    started = time.perf_counter()
    loaded = Bm25Index.load(root / "lexical")
    lexical_load_s = time.perf_counter() - started
    lexical = loaded or lexical
    asked = [questions[i % len(questions)] for i in range(queries)]
    vectors = dict(zip(asked, unit_vectors(rng, len(asked)).tolist(), strict=False))
    retriever = HybridRetriever(store, PrecomputedEmbedder(vectors), lexical, fetch_k=30)
    for question in asked[:3]:
        retriever.search(question, 5)
    latencies = []
    for question in asked:
        started = time.perf_counter()
        retriever.search(question, 5)
        latencies.append(time.perf_counter() - started)
    rss = rss_mib()
    disk = disk_mb(root)
    return ScalePoint(
        chunks=size,
        documents=-(-size // SYNTHETIC_DOC_CHUNKS),
        insert_s=insert_s,
        lexical_build_s=lexical_build_s,
        lexical_load_s=lexical_load_s,
        retrieval=timing(latencies),
        p95_vs_smallest=1.0,
        disk_mb=disk,
        disk_kb_per_chunk=disk * 1024 / size,
        rss_mb=rss,
        rss_kb_per_chunk=max(0.0, rss - rss_before) * 1024 / size,
    )


def run_scale_bench(
    passages: Sequence[str], questions: Sequence[str], options: BenchOptions, workdir: Path
) -> list[ScalePoint]:
    """One fresh process per corpus size; growth is stated against the smallest size."""
    points: list[ScalePoint] = []
    context = multiprocessing.get_context("spawn")
    for size in options.scale_sizes:
        target = workdir / f"scale-{size}"
        target.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            future = pool.submit(
                scale_point,
                list(passages),
                list(questions),
                size,
                options.scale_queries,
                str(target),
            )
            points.append(future.result())
    smallest = points[0].retrieval.p95 if points else 0.0
    return [_with_growth(p, smallest) for p in points]


def _with_growth(point: ScalePoint, smallest_p95: float) -> ScalePoint:
    values = asdict(point)
    values["retrieval"] = point.retrieval
    values["p95_vs_smallest"] = ratio(point.retrieval.p95, smallest_p95)
    return ScalePoint(**values)
