"""Settings: the only code that reads the environment (variables prefixed ``COOP_``)."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from assistant.errors import ConfigError

Backend = Literal["extractive", "openai", "llamacpp"]
RetrieverMode = Literal["hybrid", "bm25", "dense"]

DEFAULT_EMBEDDING_MODEL = "models/embeddinggemma-300m"
DEFAULT_SERVICE_MODEL = "google/embeddinggemma-300m"
"""Name sent to an embedding service; its last part (``embeddinggemma-300m``) names the index."""
# EmbeddingGemma's prompts (its config_sentence_transformers.json), for a service without them.
DEFAULT_QUERY_PROMPT = "task: search result | query: "
DEFAULT_DOCUMENT_PROMPT = "title: none | text: "
K_MAX = 50
"""Most passages one search may return (``COOP_K``, ``--k``, the chat's slider)."""

_Positive = Annotated[int, Field(ge=1)]
_Seconds = Annotated[float, Field(gt=0)]
_Share = Annotated[float, Field(ge=0, le=1)]
_Threshold = Annotated[float, Field(ge=0)]


# Fitted on the dev set with ``coop eval --cv`` (cross-validated figures: docs/evaluation.md).
SECONDARY_DISCOUNT = 0.03
AUTHORITY_WEIGHT = 0.06
NEW_SOURCE_TOLL = 0.5
"""What a sentence from a document not cited yet must beat the others by to be quoted."""
KEEP_SHARE = 0.3
"""A sentence scoring under this share of the best one is not relevant enough to quote."""
ENGLISH_KEEP_SHARE = 0.2
"""The same share for an English question, whose scores add its units' cosines (weighted 3):
they spread wider, and a share of 0.3 kept one sentence where the French question kept four
(dev English questions: key facts 0.699 → 0.727, citation precision 0.840 → 0.832)."""
SEMANTIC_WEIGHT = 0.0
PART_MIN_COSINE = 0.5
"""The cosine with a part of a compound question that a sentence must reach to answer it by
meaning, when the part's words found no answer (dev grid 0.3 / 0.35 / 0.4 / 0.5)."""


class Settings(BaseSettings):
    """Every knob of coop-assistant; created once at the boundary (CLI, app) and passed down.

    Build it with ``load_settings`` there: a wrong value then becomes a French ``ConfigError``.
    """

    model_config = SettingsConfigDict(
        env_prefix="COOP_", env_file=".env", frozen=True, extra="ignore"
    )

    corpus_file: Path = Path("corpus/sources.yaml")
    corpus_dir: Path = Path("corpus/documents")
    index_dir: Path = Path(".coop/index")
    chroma_url: str = ""
    collection: str = "coop"
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_dtype: Literal["auto", "float32", "bfloat16"] = "auto"
    embedding_batch_size: _Positive = 16
    embedding_url: str = ""
    """OpenAI-compatible embedding service (``http://host:8080/v1``); empty: the local model."""
    embedding_api_key: SecretStr | None = None
    embedding_service_model: str = DEFAULT_SERVICE_MODEL
    embedding_timeout_s: _Seconds = 30.0
    embedding_retries: Annotated[int, Field(ge=0, le=10)] = 3
    embedding_query_prompt: str = DEFAULT_QUERY_PROMPT
    """Prefix of questions sent to the service (the local model's own prompts win when it has)."""
    embedding_document_prompt: str = DEFAULT_DOCUMENT_PROMPT
    chunk_size: _Positive = 800
    chunk_overlap: Annotated[int, Field(ge=0)] = 100
    k: Annotated[int, Field(ge=1, le=K_MAX)] = 5
    fetch_k: _Positive = 30
    max_per_document: Annotated[int, Field(ge=0)] = 0
    min_score: _Threshold = 0.47
    min_coverage: _Share = 0.15
    secondary_discount: _Share = SECONDARY_DISCOUNT
    """How much retrieval lowers secondary sources (ARS pages … press) against official texts."""
    authority_weight: _Share = AUTHORITY_WEIGHT
    """Sentence-choice bonus of a law in force over the lowest sources."""
    semantic_weight: Annotated[float, Field(ge=0, le=5)] = SEMANTIC_WEIGHT
    """Weight of a sentence's cosine with the question in sentence choice (0: off, and ingestion
    does not embed the answer units; measured in docs/evaluation.md)."""
    backend: Backend = "extractive"
    retriever: RetrieverMode = "hybrid"
    llm_base_url: str = ""
    llm_model: str = "albert-large"
    llm_api_key: SecretStr | None = None
    llm_timeout_s: _Seconds = 60.0
    llamacpp_model_path: Path = Path("models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    max_question_chars: _Positive = 2000
    feedback_db: Path = Path(".coop/feedback.sqlite3")
    sync_deadline_s: _Seconds = 120.0
    """Whole-download deadline of one document during ``coop corpus sync`` (seconds)."""
    allow_private_hosts: bool = False
    """Let ``coop corpus sync`` fetch loopback, private and link-local addresses (intranets)."""

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Self:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"COOP_CHUNK_OVERLAP = {self.chunk_overlap} : doit être inférieur à "
                f"COOP_CHUNK_SIZE ({self.chunk_size})"
            )
        return self

    @model_validator(mode="after")
    def _embedding_url_is_http(self) -> Self:
        url = self.embedding_url.strip()
        if url and not url.lower().startswith(("http://", "https://")):
            raise ValueError(
                f"COOP_EMBEDDING_URL = {url!r} : adresse http:// ou https:// attendue "
                "(ex. http://localhost:8080/v1), ou vide pour le modèle local"
            )
        return self

    @property
    def uses_embedding_service(self) -> bool:
        """True when passages and questions are embedded by a service, not the local model."""
        return bool(self.embedding_url.strip())

    @property
    def uses_chroma_server(self) -> bool:
        """True when a Chroma server URL is configured instead of the embedded client."""
        return bool(self.chroma_url.strip())


def load_settings(**overrides: Any) -> Settings:
    """The settings from ``COOP_*`` variables and ``.env``, ``overrides`` taking precedence.

    Raises:
        ConfigError: a value is invalid; the French message names each variable, the value
            given (never a secret's) and what is allowed.
    """
    try:
        return Settings(**overrides)
    except ValidationError as err:
        problems = [_describe(error) for error in err.errors()]
    except SettingsError as err:
        problems = [f"lecture impossible ({err})"]
    if len(problems) == 1:
        raise ConfigError(f"Réglage invalide : {problems[0]}.") from None
    raise ConfigError("Réglages invalides :\n" + "\n".join(f"- {p}" for p in problems)) from None


_EXPECTED = {
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "float_parsing": "nombre attendu (ex. 0.5)",
    "float_type": "nombre attendu (ex. 0.5)",
    "bool_parsing": "oui ou non attendu (true, false, 1 ou 0)",
    "bool_type": "oui ou non attendu (true, false, 1 ou 0)",
    "string_type": "texte attendu",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "doit être supérieur ou égal à"),
    "greater_than": ("gt", "doit être strictement supérieur à"),
    "less_than_equal": ("le", "doit être inférieur ou égal à"),
    "less_than": ("lt", "doit être strictement inférieur à"),
}


def _describe(error: ErrorDetails) -> str:
    """One pydantic error as « COOP_NAME = 'value' : what is allowed » (French)."""
    kind, ctx = error["type"], error.get("ctx", {})
    if not error["loc"]:  # a model validator: its message is already French and complete
        return str(ctx.get("error", error["msg"]))
    name = str(error["loc"][0])
    field = Settings.model_fields.get(name)
    variable = f"COOP_{name.upper()}"
    secret = field is not None and SecretStr in _flatten(field.annotation)
    given = f"{variable} (valeur masquée)" if secret else f"{variable} = {error['input']!r}"
    if kind == "literal_error" and field is not None:
        allowed = ", ".join(str(v) for v in _flatten(field.annotation) if isinstance(v, str))
        return f"{given} : valeur non autorisée ; valeurs possibles : {allowed}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        bound = ctx[key]
        shown = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        return f"{given} : {words} {shown}"
    return f"{given} : {_EXPECTED.get(kind, 'valeur invalide')}"


def _flatten(annotation: Any) -> list[Any]:
    """The members of a type annotation: Literal values, the arms of a union, the type itself."""
    origin = get_origin(annotation)
    if origin is Literal:
        return list(get_args(annotation))
    if origin in (Union, types.UnionType, Annotated):
        return [member for arg in get_args(annotation) for member in _flatten(arg)]
    return [annotation]
