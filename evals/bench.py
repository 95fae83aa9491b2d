"""Performance bench: every figure is a ratio to a floor measured in the same run.

Sections: ingestion (vs embedding the same chunks alone), queries (vs embedding the query alone
and vs a plain LangChain + Chroma similarity search), scale (synthetic corpora with random
vectors, embedding cost excluded) and concurrency (threads and processes on one index).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import re
import resource
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.schema import Chunk, Embedder
from evals.cases import EvalCase

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

    from assistant.index.store import ChromaStore

EmbedderFactory = Callable[[], Embedder]
SECTIONS = ("ingest", "query", "scale", "concurrency")
# Synthetic documents are cut in passages of this many chunks (the real corpus averages ~13,
# the codes several hundred): the per-document catalog work is exercised, not hidden.
_SYNTHETIC_DOC_CHUNKS = 50
_SYNTHETIC_DIM = 768
_PAGE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Timing:
    """p50 / p95 of one measured step, in seconds."""

    p50: float
    p95: float


def _timing(values: Sequence[float]) -> Timing:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Timing(statistics.median(ordered), p95)


def _ratio(value: float, floor: float) -> float:
    return value / floor if floor > 0 else 0.0


def rss_mb() -> float:
    """Resident memory of this process now (Linux ``/proc``; 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text(encoding="utf-8").split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """Highest resident memory of this process so far (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(path: Path) -> float:
    """Size of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


# -- options and results ---------------------------------------------------------------------


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

    @classmethod
    def quick(cls) -> BenchOptions:
        """Minutes on two cores: small synthetic corpora, up to two askers, 20 questions."""
        return cls(
            scale_sizes=(1_000, 5_000),
            scale_queries=20,
            workers=(1, 2),
            questions_per_worker=5,
            max_questions=20,
        )


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


@dataclass(frozen=True, slots=True)
class ConcurrencyPoint:
    """``askers`` asking at once, as threads of one process or as separate processes."""

    mode: str
    askers: int
    questions: int
    throughput_qps: float
    latency: Timing


@dataclass(slots=True)
class BenchReport:
    """Everything one ``coop bench`` run measured."""

    cpu_count: int
    ingest: IngestBench | None = None
    query: QueryBench | None = None
    scale: list[ScalePoint] = field(default_factory=list)
    concurrency: list[ConcurrencyPoint] = field(default_factory=list)

    def to_json(self) -> str:
        """The report as indented JSON (seconds, MiB, KiB, ratios)."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    def tables(self) -> list[tuple[str, list[str], list[list[str]]]]:
        """(title, header, rows) of each measured section, in French, for the terminal."""
        out: list[tuple[str, list[str], list[list[str]]]] = []
        if self.ingest:
            out.append(_ingest_table(self.ingest))
        if self.query:
            out.append(_query_table(self.query))
        if self.scale:
            out.append(_scale_table(self.scale))
        if self.concurrency:
            out.append(_concurrency_table(self.concurrency))
        return out


def _ingest_table(i: IngestBench) -> tuple[str, list[str], list[list[str]]]:
    rows = [
        ["documents / passages", f"{i.documents} / {i.chunks}"],
        ["coop ingest (index vide)", f"{i.ingest_s:.1f} s"],
        ["embedding seul des mêmes passages", f"{i.embed_only_s:.1f} s"],
        ["rapport ingest / embedding (objectif ≤ 1,15)", f"{i.ratio_to_embedding:.2f}"],
        ["passages / s", f"{i.chunks_per_s:.1f}"],
        ["ré-indexation sans changement", f"{i.reingest_s:.2f} s"],
        ["part de la première indexation (objectif ≤ 2 %)", f"{100 * i.reingest_share:.2f} %"],
        ["passages recalculés à la ré-indexation", str(i.reingest_embedded_chunks)],
        ["mémoire résidente max", f"{i.peak_rss_mb:.0f} Mio"],
    ]
    return "Indexation", ["mesure", "valeur"], rows


def _query_table(q: QueryBench) -> tuple[str, list[str], list[list[str]]]:
    floor = q.query_embedding.p95
    steps = [
        ("embedding de la question seul", q.query_embedding),
        ("recherche (objectif ≤ 1,3×)", q.retrieval),
        ("réponse extractive complète (objectif ≤ 2×)", q.answer_extractive),
        ("LangChain + Chroma similarity_search", q.langchain_similarity_search),
    ]
    rows = [
        [name, f"{t.p50 * 1000:.1f}", f"{t.p95 * 1000:.1f}", f"{_ratio(t.p95, floor):.2f}"]
        for name, t in steps
    ]
    title = f"Requêtes ({q.questions} questions, {q.chunks} passages)"
    return title, ["étape", "p50 (ms)", "p95 (ms)", "p95 / embedding p95"], rows


def _scale_table(points: Sequence[ScalePoint]) -> tuple[str, list[str], list[list[str]]]:
    rows = [
        [
            f"{p.chunks:,}".replace(",", " "),
            f"{p.retrieval.p50 * 1000:.1f}",
            f"{p.retrieval.p95 * 1000:.1f}",
            f"{p.p95_vs_smallest:.2f}",
            f"{p.insert_s + p.lexical_build_s:.1f}",
            f"{p.lexical_load_s:.2f}",
            f"{p.disk_mb:.0f} ({p.disk_kb_per_chunk:.1f})",
            f"{p.rss_mb:.0f} ({p.rss_kb_per_chunk:.1f})",
        ]
        for p in points
    ]
    header = [
        "passages",
        "recherche p50 (ms)",
        "p95 (ms)",
        "p95 / plus petit",
        "construction (s)",
        "chargement BM25 (s)",
        "disque Mio (Kio/passage)",
        "RSS Mio (Kio/passage)",
    ]
    return "Passage à l'échelle (vecteurs aléatoires, embedding exclu)", header, rows


def _concurrency_table(
    points: Sequence[ConcurrencyPoint],
) -> tuple[str, list[str], list[list[str]]]:
    rows = [
        [
            "threads" if p.mode == "threads" else "processus",
            str(p.askers),
            f"{p.throughput_qps:.2f}",
            f"{p.latency.p50 * 1000:.0f}",
            f"{p.latency.p95 * 1000:.0f}",
        ]
        for p in points
    ]
    header = ["mode", "utilisateurs", "questions / s", "p50 (ms)", "p95 (ms)"]
    return "Utilisateurs simultanés (réponse extractive complète)", header, rows


# -- queries ---------------------------------------------------------------------------------


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
    return {name: _timing(values) for name, values in measured.items()}


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
        retrieval_p95_vs_embedding=_ratio(timings["retrieval"].p95, floor),
        answer_p95_vs_embedding=_ratio(timings["answer_extractive"].p95, floor),
        langchain_p95_vs_embedding=_ratio(langchain.p95, floor),
        retrieval_p95_vs_langchain=_ratio(timings["retrieval"].p95, langchain.p95),
    )


# -- ingestion -------------------------------------------------------------------------------


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
        ratio_to_embedding=_ratio(first.seconds, embed_only_s),
        chunks_per_s=_ratio(first.total_chunks, first.seconds),
        reingest_s=reingest_s,
        reingest_share=_ratio(reingest_s, first.seconds),
        reingest_embedded_chunks=again.embedded_chunks,
        peak_rss_mb=peak_rss_mb(),
    )


# -- scale -----------------------------------------------------------------------------------


class _PrecomputedEmbedder:
    """Returns a fixed vector per question, so that only retrieval is timed."""

    model_id = "synthetic-random"

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self._vectors = vectors

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors of known texts (the bench never embeds passages through this)."""
        return [self._vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """The precomputed vector of this question."""
        return self._vectors[text]


def _unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.standard_normal((n, _SYNTHETIC_DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def synthetic_chunks(passages: Sequence[str], size: int, seed: int = 7) -> list[Chunk]:
    """``size`` chunks whose texts recombine sentences of real passages (same vocabulary)."""
    sentences = [s.strip() for p in passages for s in re.split(r"(?<=[.;:])\s+", p) if s.strip()]
    if not sentences:
        raise ValueError("no passage to recombine")
    rng = random.Random(seed)
    chunks = []
    for i in range(size):
        doc = i // _SYNTHETIC_DOC_CHUNKS
        text = " ".join(rng.choice(sentences) for _ in range(5))[:900]
        chunks.append(
            Chunk(
                id=f"s{i}",
                text=text,
                doc_id=f"synth-{doc}",
                title=f"Texte synthétique {doc}",
                kind="page",
                date="2024-01-01",
                official_url="",
                section="",
                article=f"R{1000 + doc % 9000}-{i % _SYNTHETIC_DOC_CHUNKS}",
                page=1,
                start=0,
                end=len(text),
                chunk_index=i % _SYNTHETIC_DOC_CHUNKS,
                content_hash=hashlib.sha1(text.encode()).hexdigest(),
                doc_hash=hashlib.sha256(f"synth-{doc}".encode()).hexdigest(),
            )
        )
    return chunks


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
    rss_before = rss_mb()
    rng = np.random.default_rng(size)
    chunks = synthetic_chunks(passages, size)
    client = chromadb.PersistentClient(
        path=str(root / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    store = ChromaStore(client, "synthetic")
    store.create_or_check(model_id="synthetic-random", dimension=None, chunker_version="bench")
    started = time.perf_counter()
    for start in range(0, size, _SYNTHETIC_DOC_CHUNKS):
        part = chunks[start : start + _SYNTHETIC_DOC_CHUNKS]
        store.add_chunks(part, _unit_vectors(rng, len(part)).tolist())
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
    vectors = dict(zip(asked, _unit_vectors(rng, len(asked)).tolist(), strict=False))
    retriever = HybridRetriever(store, _PrecomputedEmbedder(vectors), lexical, fetch_k=30)
    for question in asked[:3]:
        retriever.search(question, 5)
    latencies = []
    for question in asked:
        started = time.perf_counter()
        retriever.search(question, 5)
        latencies.append(time.perf_counter() - started)
    rss = rss_mb()
    disk = disk_mb(root)
    return ScalePoint(
        chunks=size,
        documents=-(-size // _SYNTHETIC_DOC_CHUNKS),
        insert_s=insert_s,
        lexical_build_s=lexical_build_s,
        lexical_load_s=lexical_load_s,
        retrieval=_timing(latencies),
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
    values["p95_vs_smallest"] = _ratio(point.retrieval.p95, smallest_p95)
    return ScalePoint(**values)


# -- concurrency -----------------------------------------------------------------------------


def _ask_all(assistant: Assistant, questions: Sequence[str], k: int) -> list[float]:
    latencies = []
    for question in questions:
        started = time.perf_counter()
        assistant.ask(question, k=k)
        latencies.append(time.perf_counter() - started)
    return latencies


def _share(questions: Sequence[str], asker: int, count: int) -> list[str]:
    return [questions[(asker * count + i) % len(questions)] for i in range(count)]


def _bench_threads(
    assistant: Assistant, questions: Sequence[str], askers: int, per_asker: int, k: int
) -> ConcurrencyPoint:
    start = threading.Barrier(askers)

    def asker(number: int) -> list[float]:
        start.wait()
        return _ask_all(assistant, _share(questions, number, per_asker), k)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=askers) as pool:
        results = list(pool.map(asker, range(askers)))
    wall = time.perf_counter() - started
    latencies = [x for r in results for x in r]
    return ConcurrencyPoint(
        "threads", askers, len(latencies), _ratio(len(latencies), wall), _timing(latencies)
    )


def process_asker(
    settings: Settings,
    factory: EmbedderFactory,
    questions: Sequence[str],
    barrier: Barrier,
    results: Queue[tuple[float, float, list[float]]],
) -> None:
    """One asker process: open the index, load its model, wait for the others, ask."""
    from assistant.factory import build_assistant

    assistant = build_assistant(settings, embedder=factory(), backend="extractive")
    assistant.ask(questions[0], k=settings.k)
    barrier.wait()
    started = time.monotonic()
    latencies = _ask_all(assistant, questions, settings.k)
    results.put((started, time.monotonic(), latencies))


def _bench_processes(
    settings: Settings,
    factory: EmbedderFactory,
    questions: Sequence[str],
    askers: int,
    per_asker: int,
) -> ConcurrencyPoint:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(askers)
    results: Queue[tuple[float, float, list[float]]] = context.Queue()
    processes = [
        context.Process(
            target=process_asker,
            args=(settings, factory, _share(questions, n, per_asker), barrier, results),
        )
        for n in range(askers)
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    wall = max(end for _, end, _ in collected) - min(start for start, _, _ in collected)
    latencies = [x for _, _, r in collected for x in r]
    return ConcurrencyPoint(
        "processes", askers, len(latencies), _ratio(len(latencies), wall), _timing(latencies)
    )


def run_concurrency_bench(
    settings: Settings,
    embedder: Embedder,
    factory: EmbedderFactory,
    cases: Sequence[EvalCase],
    options: BenchOptions,
) -> list[ConcurrencyPoint]:
    """Threads share one Assistant (one model); processes each load their own, as workers do."""
    from assistant.factory import build_assistant

    questions = [case.question for case in cases]
    assistant = build_assistant(settings, embedder=embedder, backend="extractive")
    assistant.ask(questions[0], k=settings.k)
    points = [
        _bench_threads(assistant, questions, n, options.questions_per_worker, settings.k)
        for n in options.workers
    ]
    points += [
        _bench_processes(settings, factory, questions, n, options.questions_per_worker)
        for n in options.workers
    ]
    return points


# -- the whole bench -------------------------------------------------------------------------


def run_bench(
    settings: Settings,
    cases: Sequence[EvalCase],
    factory: EmbedderFactory,
    options: BenchOptions,
    *,
    workdir: Path,
) -> BenchReport:
    """Run the selected sections; the query-side sections read the configured index.

    ``factory`` must be picklable (a class or a module-level function): the process askers
    call it to get their own embedder. Everything written goes under ``workdir``.
    """
    from assistant.factory import build_store

    if options.max_questions:
        cases = list(cases)[: options.max_questions]
    if not cases:
        raise ValueError("the bench needs at least one question")
    embedder = factory()
    report = BenchReport(cpu_count=os.cpu_count() or 1)
    if "ingest" in options.sections:
        report.ingest = run_ingest_bench(settings, embedder, workdir / "ingest")
    if "query" in options.sections:
        report.query = run_query_bench(settings, embedder, cases)
    if "scale" in options.sections:
        store = build_store(settings)
        store.open_for_reading(model_id=embedder.model_id)
        passages = [chunk.text for chunk in store.iter_chunks()]
        report.scale = run_scale_bench(
            passages, [c.question for c in cases], options, workdir / "scale"
        )
    if "concurrency" in options.sections:
        report.concurrency = run_concurrency_bench(settings, embedder, factory, cases, options)
    return report
