"""``coop bench`` sections dtype and service, with the hashing embedder standing for the model."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.index.embedding import SentenceTransformerEmbedder
from assistant.index.store import ChromaStore
from assistant.schema import Embedder
from evals.bench import BenchOptions, LoopbackEmbeddingService, run_bench
from evals.cases import EvalCase
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import open_store

CASES = [EvalCase(id="b1", question="Qui autorise un protocole local ?")]


@pytest.fixture
def ingested(settings: Settings) -> ChromaStore:
    store = open_store(settings.index_dir, settings.collection)
    Ingestor(settings, HashingEmbedder(), store).run()
    return store


def hashing(dtype: str) -> Embedder:
    return HashingEmbedder()


def test_dtype_and_service_sections(
    tmp_path: Path, settings: Settings, ingested: ChromaStore
) -> None:
    # The hashing model has no prompt: the service must get the texts as they are.
    plain = settings.model_copy(
        update={"embedding_query_prompt": "", "embedding_document_prompt": ""}
    )
    options = dataclasses.replace(
        BenchOptions.quick(), sections=("dtype", "service"), dtype_passages=5, service_documents=0
    )
    report = run_bench(
        plain, CASES, HashingEmbedder, options, workdir=tmp_path / "bench", local=hashing
    )
    data = json.loads(report.to_json())

    dtype = data["dtype"]
    assert dtype["passages"] == 5
    assert dtype["bfloat16_speedup"] == pytest.approx(dtype["float32_s"] / dtype["bfloat16_s"])
    assert dtype["float32_per_s"] == pytest.approx(5 / dtype["float32_s"])
    assert dtype["cosine_min"] == pytest.approx(1.0)
    assert dtype["auto"] in {"float32", "bfloat16"}

    service = data["service"]
    chunks = ingested.count()
    assert service["chunks"] == chunks and service["documents"] == len(ingested.documents())
    assert service["service_vs_local"] == pytest.approx(
        service["service_ingest_s"] / service["local_ingest_s"]
    )
    assert service["requests"] >= math.ceil(chunks / plain.embedding_batch_size)
    assert service["cosine_min"] == pytest.approx(1.0)
    assert (tmp_path / "bench" / "service" / "service" / "chroma.sqlite3").is_file()
    assert [title for title, _, _ in report.tables()] == [
        "Format de calcul (les 5 mêmes passages)",
        "Service d'embedding (boucle locale, même modèle ; documents un par un, en alternance)",
    ]
    assert data["notes"] == []


def test_only_some_documents_go_through_the_service(
    tmp_path: Path, settings: Settings, ingested: ChromaStore
) -> None:
    options = dataclasses.replace(BenchOptions.quick(), sections=("service",), service_documents=2)
    report = run_bench(
        settings, CASES, HashingEmbedder, options, workdir=tmp_path / "bench", local=hashing
    )
    assert report.service is not None and report.service.documents == 2
    assert 0 < report.service.chunks < ingested.count()


def test_without_the_local_model_the_sections_leave_a_note(
    tmp_path: Path, settings: Settings, ingested: ChromaStore
) -> None:
    def absent(dtype: str) -> Embedder:
        return SentenceTransformerEmbedder(str(tmp_path / "modele-absent"), dtype=dtype)

    options = dataclasses.replace(BenchOptions.quick(), sections=("dtype", "service"))
    report = run_bench(
        settings, CASES, HashingEmbedder, options, workdir=tmp_path / "bench", local=absent
    )
    assert report.dtype is None and report.service is None
    assert [note.split(" : ")[0] for note in report.notes] == [
        "Formats de calcul non mesurés",
        "Service d'embedding non mesuré",
    ]
    assert all("coop model fetch" in note for note in report.notes)


def test_the_loopback_service_refuses_what_is_not_a_list_of_texts() -> None:
    with LoopbackEmbeddingService(HashingEmbedder().embed_documents) as service:
        assert service.answer({"input": [1, 2]})[0] == 400
        status, body = service.answer({"input": "un seul texte", "model": "m"})
        assert status == 200 and len(json.loads(body)["data"]) == 1
        assert service.url.startswith("http://127.0.0.1:")
