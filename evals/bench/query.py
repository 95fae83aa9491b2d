"""Query benchmark: each step's p50/p95 against the query embedding alone and LangChain."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.schema import Embedder
from evals.bench.harness import Timing, ratio, timing
from evals.cases import EvalCase

if TYPE_CHECKING:
    from assistant.index.store import ChromaStore


@dataclass(frozen=True, slots=True)
class QueryBench:
    """Per-question p50/p95 of each step and their ratios to the query embedding alone."""

    questions: int
    chunks: int
    query_embedding: Timing
    retrieval: Timing
    answer_extractive: Timing
    langchain_similarity_search: Timing
    retrieval_p95_vs_embedding: float
    answer_p95_vs_embedding: float
    langchain_p95_vs_embedding: float
    retrieval_p95_vs_langchain: float


def bench_queries(
    assistant: Assistant,
    cases: Sequence[EvalCase],
    *,
    k: int = 5,
    extra: Mapping[str, Callable[[str], object]] | None = None,
) -> dict[str, Timing]:
    """Per question, in one run: query embedding alone, retrieval alone, whole answer.

    ``extra`` steps (e.g. a baseline search) are timed on each question right after ours, so
    that load on the machine weighs on every step alike.
    """
    retriever = assistant.retriever
    steps: dict[str, Callable[[str], object]] = {
        "query_embedding": retriever.embedder.embed_query,
        "retrieval": lambda question: retriever.search(question, k),
        "answer_extractive": lambda question: assistant.ask(question, k=k),
        **(extra or {}),
    }
    measured: dict[str, list[float]] = {name: [] for name in steps}
    for step in steps.values():
        step("échauffement")  # load the model and warm caches outside the measurement
    for case in cases:
        for name, step in steps.items():
            started = time.perf_counter()
            step(case.question)
            measured[name].append(time.perf_counter() - started)
    return {name: timing(values) for name, values in measured.items()}


@contextmanager
def langchain_search(
    store: ChromaStore, embedder: Embedder, *, k: int = 5
) -> Iterator[Callable[[str], object]]:
    """``langchain_chroma.Chroma.similarity_search`` over the same chunks, vectors and embedder."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    from evals.baseline import EmbeddingsAdapter

    chunks = list(store.iter_chunks())
    vectors = store.vectors_of(chunks)
    with tempfile.TemporaryDirectory(prefix="coop-bench-lc-") as tmp:
        client = chromadb.PersistentClient(
            path=tmp, settings=ChromaSettings(anonymized_telemetry=False)
        )
        collection = client.create_collection(
            "langchain-bench", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        for start in range(0, len(chunks), 1000):
            part = chunks[start : start + 1000]
            collection.add(
                ids=[c.id for c in part],
                embeddings=np.asarray([vectors[c.id] for c in part], dtype=np.float32),
                documents=[c.text for c in part],
                metadatas=[{"doc_id": c.doc_id} for c in part],
            )
        search = Chroma(
            client=client,
            collection_name="langchain-bench",
            embedding_function=EmbeddingsAdapter(embedder),
        )
        yield lambda question: search.similarity_search(question, k=k)


def run_query_bench(
    settings: Settings, embedder: Embedder, cases: Sequence[EvalCase]
) -> QueryBench:
    """Query section on the configured index (embedded or server)."""
    from assistant.factory import build_assistant

    assistant = build_assistant(settings, embedder=embedder, backend="extractive")
    store = assistant.retriever.store
    with langchain_search(store, embedder, k=settings.k) as baseline:
        timings = bench_queries(
            assistant, cases, k=settings.k, extra={"langchain_similarity_search": baseline}
        )
    langchain = timings["langchain_similarity_search"]
    floor = timings["query_embedding"].p95
    return QueryBench(
        questions=len(cases),
        chunks=len(assistant.retriever.lexical.chunks),
        query_embedding=timings["query_embedding"],
        retrieval=timings["retrieval"],
        answer_extractive=timings["answer_extractive"],
        langchain_similarity_search=langchain,
        retrieval_p95_vs_embedding=ratio(timings["retrieval"].p95, floor),
        answer_p95_vs_embedding=ratio(timings["answer_extractive"].p95, floor),
        langchain_p95_vs_embedding=ratio(langchain.p95, floor),
        retrieval_p95_vs_langchain=ratio(timings["retrieval"].p95, langchain.p95),
    )
