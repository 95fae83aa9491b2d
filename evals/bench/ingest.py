"""Ingestion benchmark: ``coop ingest`` into an empty index against embedding its chunks alone."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.schema import Embedder
from evals.bench.harness import ratio
from evals.memory import peak_rss_mib


@dataclass(frozen=True, slots=True)
class IngestBench:
    """``coop ingest`` on the corpus, in an empty index, against embedding its chunks alone."""

    documents: int
    chunks: int
    ingest_s: float
    embed_only_s: float
    ratio_to_embedding: float
    chunks_per_s: float
    reingest_s: float
    reingest_share: float
    reingest_embedded_chunks: int
    peak_rss_mb: float


def run_ingest_bench(settings: Settings, embedder: Embedder, workdir: Path) -> IngestBench:
    """Ingest the corpus into an empty index under ``workdir``, then embed its chunks alone.

    The model is loaded before either measurement; the floor embeds the very chunks that the
    ingestion committed, in one call, with the same embedder and batch size.
    """
    from assistant.index.store import ChromaStore, make_client
    from ingest.indexing import Ingestor

    local = settings.model_copy(update={"index_dir": workdir / "index", "chroma_url": ""})
    embedder.embed_documents(["échauffement du modèle"])
    store = ChromaStore(make_client(local), local.collection)
    first = Ingestor(local, embedder, store).run()
    started = time.perf_counter()
    again = Ingestor(local, embedder, store).run()
    reingest_s = time.perf_counter() - started
    texts = [chunk.indexed_text for chunk in store.iter_chunks()]
    started = time.perf_counter()
    embedder.embed_documents(texts)
    embed_only_s = time.perf_counter() - started
    indexed = sum(1 for o in first.outcomes if o.status in {"new", "changed", "unchanged"})
    return IngestBench(
        documents=indexed,
        chunks=first.total_chunks,
        ingest_s=first.seconds,
        embed_only_s=embed_only_s,
        ratio_to_embedding=ratio(first.seconds, embed_only_s),
        chunks_per_s=ratio(first.total_chunks, first.seconds),
        reingest_s=reingest_s,
        reingest_share=ratio(reingest_s, first.seconds),
        reingest_embedded_chunks=again.embedded_chunks,
        peak_rss_mb=peak_rss_mib(),
    )
