from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from assistant.answering import Assistant
from assistant.config import Settings
from assistant.embedding import SentenceTransformerEmbedder
from assistant.factory import build_assistant
from assistant.store import ChromaStore
from ingest.indexing import IngestReport, Ingestor
from tests.corpus_data import write_corpus
from tests.fakes import HashingEmbedder

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_MODEL_DIR = REPO_ROOT / "models" / "embeddinggemma-300m"


@pytest.fixture(autouse=True)
def _offline_and_clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach the Hugging Face Hub, and no COOP_* of the developer leaks in."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    for name in list(os.environ):
        if name.startswith("COOP_"):
            monkeypatch.delenv(name)


def make_settings(root: Path, **overrides: object) -> Settings:
    """Settings on the synthetic corpus written under ``root`` (nothing read from .env)."""
    values: dict[str, object] = {
        "corpus_file": root / "sources.yaml",
        "corpus_dir": root / "documents",
        "index_dir": root / "index",
        "chunk_size": 400,
        "chunk_overlap": 50,
        "k": 4,
        "fetch_k": 10,
        # The hashing embedder's similarities are lower than a real model's.
        "min_score": 0.2,
        "min_coverage": 0.15,
        "feedback_db": root / "feedback.sqlite3",
        "llamacpp_model_path": root / "absent.gguf",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def open_store(index_dir: Path, name: str = "coop") -> ChromaStore:
    """A ChromaStore on a real embedded Chroma in ``index_dir``."""
    client = chromadb.PersistentClient(
        path=str(index_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    return ChromaStore(client, name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a freshly written synthetic corpus in ``tmp_path``."""
    settings = make_settings(tmp_path)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    return settings


@pytest.fixture
def store(settings: Settings) -> ChromaStore:
    """Real Chroma in the settings' index folder (as ``make_client`` would place it)."""
    return open_store(settings.index_dir, settings.collection)


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def indexed(settings: Settings, embedder: HashingEmbedder, store: ChromaStore) -> IngestReport:
    """The synthetic corpus ingested with the hashing embedder."""
    return Ingestor(settings, embedder, store).run()


@pytest.fixture
def assistant_fakes(
    settings: Settings, embedder: HashingEmbedder, store: ChromaStore, indexed: IngestReport
) -> Assistant:
    """The real Assistant on the ingested synthetic corpus (extractive backend)."""
    return build_assistant(settings, embedder=embedder, store=store)


@pytest.fixture(scope="session")
def real_embedder() -> Iterator[SentenceTransformerEmbedder]:
    """The default model from ``models/`` (loaded once per session)."""
    if not (REAL_MODEL_DIR / "modules.json").is_file():
        pytest.skip(f"default embedding model absent from {REAL_MODEL_DIR} (run `coop model fetch`)")
    yield SentenceTransformerEmbedder(str(REAL_MODEL_DIR))
