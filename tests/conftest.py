from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

import cli
from assistant import factory
from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.factory import build_assistant
from assistant.index.embedding import SentenceTransformerEmbedder
from assistant.index.store import ChromaStore
from ingest.indexing import Ingestor, IngestReport
from tests.fakes import HashingEmbedder
from tests.helpers import coop_env, make_settings, open_store, write_corpus

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
        pytest.skip(
            f"default embedding model absent from {REAL_MODEL_DIR} (run `coop model fetch`)"
        )
    yield SentenceTransformerEmbedder(str(REAL_MODEL_DIR))


@pytest.fixture(scope="module")
def shared_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """Like ``assistant_fakes`` but built once per module, for tests that only read the index."""
    root = tmp_path_factory.mktemp("shared")
    settings = make_settings(root)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    store = open_store(settings.index_dir, settings.collection)
    Ingestor(settings, HashingEmbedder(), store).run()
    return build_assistant(settings, embedder=HashingEmbedder(), store=store)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """COOP_* variables pointing at a synthetic corpus and an empty index folder in tmp_path."""
    settings = make_settings(tmp_path)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    variables = coop_env(settings) | {"COOP_EMBEDDING_MODEL": str(tmp_path / "modele-absent")}
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    # A wide console: table cells must not wrap in the captured output.
    monkeypatch.setattr(cli, "console", Console(width=250))
    return settings


@pytest.fixture
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds its embedder through the factory: give it the hashing one."""
    monkeypatch.setattr(factory, "build_embedder", lambda settings: HashingEmbedder())


@pytest.fixture
def indexed_env(env: Settings) -> Settings:
    """``env`` with the synthetic corpus indexed."""
    Ingestor(env, HashingEmbedder(), open_store(env.index_dir)).run()
    return env
