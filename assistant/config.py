"""Settings: the only code that reads the environment (variables prefixed ``COOP_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["extractive", "openai", "llamacpp"]
RetrieverMode = Literal["hybrid", "bm25", "dense"]

DEFAULT_EMBEDDING_MODEL = "models/embeddinggemma-300m"


class Settings(BaseSettings):
    """Every knob of coop-assistant; created once at the boundary (CLI, app) and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="COOP_", env_file=".env", frozen=True, extra="ignore"
    )

    corpus_file: Path = Path("corpus/sources.yaml")
    corpus_dir: Path = Path("corpus/documents")
    index_dir: Path = Path(".coop/index")
    chroma_url: str = ""
    collection: str = "coop"
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_dtype: Literal["float32", "bfloat16"] = "bfloat16"
    embedding_batch_size: int = 16
    chunk_size: int = 800
    chunk_overlap: int = 100
    k: int = 5
    fetch_k: int = 30
    max_per_document: int = 0
    min_score: float = 0.47
    min_coverage: float = 0.15
    backend: Backend = "extractive"
    retriever: RetrieverMode = "hybrid"
    llm_base_url: str = ""
    llm_model: str = "albert-large"
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 60.0
    llamacpp_model_path: Path = Path("models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    max_question_chars: int = 2000
    feedback_db: Path = Path(".coop/feedback.sqlite3")
    sync_deadline_s: float = 120.0
    """Whole-download deadline of one document during ``coop corpus sync`` (seconds)."""
    allow_private_hosts: bool = False
    """Let ``coop corpus sync`` fetch loopback, private and link-local addresses (intranets)."""

    @property
    def uses_chroma_server(self) -> bool:
        """True when a Chroma server URL is configured instead of the embedded client."""
        return bool(self.chroma_url.strip())
