import dataclasses
import json
from pathlib import Path

import pytest

from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.index.store import ChromaStore
from evals.bench import BenchOptions, bench_queries, run_bench, synthetic_chunks, timing
from evals.cases import EvalCase
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import open_store


def test_timing_percentiles_are_hand_computable() -> None:
    # evals.stats.percentile interpolates: p95 = 0.4 + 0.8 x (0.5 - 0.4).
    measured = timing([0.5, 0.1, 0.3, 0.2, 0.4])
    assert measured.p50 == 0.3
    assert measured.p95 == pytest.approx(0.48)


def test_bench_measures_each_step_for_every_question(shared_assistant: Assistant) -> None:
    cases = [
        EvalCase(id="b1", question="Qui autorise un protocole local ?"),
        EvalCase(id="b2", question="Que dit l'article L. 4011-3 ?"),
    ]
    timings = bench_queries(shared_assistant, cases, k=3)
    assert set(timings) == {"query_embedding", "retrieval", "answer_extractive"}
    for step_timing in timings.values():
        assert 0 < step_timing.p50 <= step_timing.p95


CASES = [
    EvalCase(id="b1", question="Qui autorise un protocole local ?"),
    EvalCase(id="b2", question="Que dit l'article L. 4011-3 ?"),
    EvalCase(id="b3", question="Comment déclarer un protocole national ?"),
]


@pytest.fixture
def ingested(settings: Settings) -> ChromaStore:
    store = open_store(settings.index_dir, settings.collection)
    Ingestor(settings, HashingEmbedder(), store).run()
    return store


def test_bench_ingest_and_query_sections(
    tmp_path: Path, settings: Settings, ingested: ChromaStore
) -> None:
    options = dataclasses.replace(BenchOptions.quick(), sections=("ingest", "query"))
    report = run_bench(settings, CASES, HashingEmbedder, options, workdir=tmp_path / "bench")
    data = json.loads(report.to_json())

    assert data["scale"] == [] and data["concurrency"] == []
    ingest = data["ingest"]
    assert ingest["chunks"] == ingested.count() > 0
    assert ingest["documents"] == len(ingested.documents())
    # Nothing changed between the two runs: the second one embeds nothing.
    assert ingest["reingest_embedded_chunks"] == 0
    assert ingest["ratio_to_embedding"] == pytest.approx(
        ingest["ingest_s"] / ingest["embed_only_s"]
    )
    assert ingest["reingest_share"] > 0 and ingest["peak_rss_mb"] > 0
    # The bench ingests into its own folder, never into the configured index.
    assert (tmp_path / "bench" / "ingest" / "index" / "chroma.sqlite3").is_file()

    query = data["query"]
    assert query["questions"] == 3 and query["chunks"] == ingest["chunks"]
    for step in (
        "query_embedding",
        "retrieval",
        "answer_extractive",
        "langchain_similarity_search",
    ):
        assert 0 < query[step]["p50"] <= query[step]["p95"]
    assert query["retrieval_p95_vs_embedding"] == pytest.approx(
        query["retrieval"]["p95"] / query["query_embedding"]["p95"]
    )
    assert [title for title, _, _ in report.tables()] == [
        "Indexation",
        "Requêtes (3 questions, 12 passages)",
    ]


@pytest.mark.slow
def test_bench_scale_and_concurrency_sections(
    tmp_path: Path, settings: Settings, ingested: ChromaStore
) -> None:
    options = dataclasses.replace(
        BenchOptions.quick(),
        sections=("scale", "concurrency"),
        scale_sizes=(200, 400),
        scale_queries=5,
        questions_per_worker=2,
    )
    report = run_bench(settings, CASES, HashingEmbedder, options, workdir=tmp_path / "bench")
    data = json.loads(report.to_json())

    assert data["ingest"] is None and data["query"] is None
    assert [p["chunks"] for p in data["scale"]] == [200, 400]
    assert [p["documents"] for p in data["scale"]] == [4, 8]
    assert data["scale"][0]["p95_vs_smallest"] == 1.0
    for point in data["scale"]:
        assert point["disk_mb"] > 0 and point["rss_mb"] > 0
        assert 0 < point["retrieval"]["p50"] <= point["retrieval"]["p95"]
    assert (tmp_path / "bench" / "scale" / "scale-400" / "lexical" / "version").is_file()

    modes = [(p["mode"], p["askers"]) for p in data["concurrency"]]
    assert modes == [("threads", 1), ("threads", 2), ("processes", 1), ("processes", 2)]
    for point in data["concurrency"]:
        assert point["questions"] == 2 * point["askers"]
        assert point["throughput_qps"] > 0
        assert 0 < point["latency"]["p50"] <= point["latency"]["p95"]


def test_synthetic_chunks_recombine_real_sentences() -> None:
    passages = ["Le protocole est autorisé par arrêté. Il est publié au bulletin officiel."]
    chunks = synthetic_chunks(passages, 120)
    assert len({c.doc_id for c in chunks}) == 3  # 50 chunks per synthetic document
    assert all(c.text.startswith(("Le protocole", "Il est")) for c in chunks)
    assert synthetic_chunks(passages, 120) == chunks  # deterministic
