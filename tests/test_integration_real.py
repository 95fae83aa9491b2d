"""End to end on the real corpus mirror with the real default embedder (opt-in: -m slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer import prompts
from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.factory import build_assistant
from assistant.index.embedding import SentenceTransformerEmbedder
from assistant.index.store import ChromaStore
from ingest.fetch.sources import load_sources
from ingest.fetch.sync import sync_corpus
from ingest.indexing import Ingestor, IngestReport
from tests.helpers import open_store

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
MIRROR = Path(__file__).resolve().parents[2] / "shared" / "corpus"
LEGISLATIVE = "csp-l4011-1-a-l4011-5-partie-legislative"


class RealIndex:
    """The mirror synced and ingested once for the module."""

    def __init__(self, settings: Settings, store: ChromaStore, report: IngestReport) -> None:
        self.settings = settings
        self.store = store
        self.report = report


@pytest.fixture(scope="module")
def real_index(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> RealIndex:
    if not (MIRROR / "manifest.json").is_file():
        pytest.skip(f"corpus mirror absent: {MIRROR}")
    root = tmp_path_factory.mktemp("real")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        corpus_file=REPO_ROOT / "corpus" / "sources.yaml",
        corpus_dir=root / "documents",
        index_dir=root / "index",
    )
    results = sync_corpus(load_sources(settings.corpus_file), settings.corpus_dir, mirror=MIRROR)
    assert not [r for r in results if r.status == "failed"], results
    store = open_store(settings.index_dir, settings.collection)
    report = Ingestor(settings, real_embedder, store).run()
    return RealIndex(settings, store, report)


@pytest.fixture(scope="module")
def real_assistant(real_index: RealIndex, real_embedder: SentenceTransformerEmbedder) -> Assistant:
    return build_assistant(real_index.settings, embedder=real_embedder, store=real_index.store)


def test_every_mirrored_document_is_indexed(real_index: RealIndex) -> None:
    manifest = json.loads((MIRROR / "manifest.json").read_text(encoding="utf-8"))
    assert real_index.report.failures == []
    indexed = real_index.store.documents()
    assert {entry["doc_id"] for entry in manifest} <= set(indexed)
    assert all(record.chunks > 0 for record in indexed.values())
    assert real_index.report.embedded_chunks == real_index.report.total_chunks


def test_second_ingest_changes_nothing(
    real_index: RealIndex, real_embedder: SentenceTransformerEmbedder
) -> None:
    report = Ingestor(real_index.settings, real_embedder, real_index.store).run()
    indexed = {o.doc_id: o.status for o in report.outcomes if o.status != "absent"}
    assert set(indexed.values()) == {"unchanged"}
    assert report.embedded_chunks == 0
    assert report.total_chunks == real_index.report.total_chunks


def test_named_article_comes_first(real_assistant: Assistant) -> None:
    answer = real_assistant.ask("Que dit l'article L. 4011-3 ?")
    first = answer.passages[0].chunk
    assert first.article == "L4011-3"
    assert first.doc_id == LEGISLATIVE
    assert not answer.refused
    assert answer.citations[0].doc_id == LEGISLATIVE


@pytest.mark.parametrize(
    ("question", "expected_docs"),
    [
        (
            "Faut-il informer le malade qu'il est soigné dans le cadre d'un protocole ?",
            {LEGISLATIVE, "ars-martinique-travailler-protocole-2024"},
        ),
        (
            "Quels sont les objectifs poursuivis par les protocoles de coopération ?",
            {"ars-cvl-presentation-protocoles-2022", "ars-martinique-travailler-protocole-2024"},
        ),
    ],
)
def test_paraphrase_finds_the_right_document(
    real_assistant: Assistant, question: str, expected_docs: set[str]
) -> None:
    hits = real_assistant.retriever.search(question, k=5)
    assert expected_docs & {h.chunk.doc_id for h in hits}


def test_out_of_corpus_question_is_refused(real_assistant: Assistant) -> None:
    answer = real_assistant.ask("Quel est le calendrier vaccinal du nourrisson ?")
    assert answer.refused
    assert answer.text == prompts.REFUSAL
    assert answer.citations == []
