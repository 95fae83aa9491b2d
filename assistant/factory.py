"""Composition root: the one place that turns Settings into wired objects."""

from __future__ import annotations

from pathlib import Path

from assistant.answer.answering import Assistant
from assistant.answer.generators import LlamaCppGenerator, openai_generator
from assistant.config import Backend, RetrieverMode, Settings
from assistant.index.embedding import SentenceTransformerEmbedder
from assistant.index.remote import ServiceEmbedder, model_prompts, service_model_id
from assistant.index.store import ChromaStore, make_client
from assistant.index.units import UnitVectorsFile, units_path
from assistant.retrieve.hybrid import HybridRetriever
from assistant.schema import Embedder, Generator


def build_embedder(settings: Settings) -> Embedder:
    """The embedding service when ``COOP_EMBEDDING_URL`` is set, else the local model.

    Nothing is loaded or contacted here: the model loads, or the service is called, on first use.
    """
    if settings.uses_embedding_service:
        return build_service_embedder(settings)
    return build_local_embedder(settings)


def build_local_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The configured sentence-transformers model (loaded on first use)."""
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        dtype=settings.embedding_dtype,
        batch_size=settings.embedding_batch_size,
    )


def build_service_embedder(settings: Settings) -> ServiceEmbedder:
    """The OpenAI-compatible service of ``COOP_EMBEDDING_URL``, with the model's prompts."""
    key = settings.embedding_api_key
    query, document = service_prompts(settings)
    return ServiceEmbedder(
        settings.embedding_url,
        model=settings.embedding_service_model,
        api_key=key.get_secret_value() if key is not None else None,
        query_prompt=query,
        document_prompt=document,
        batch_size=settings.embedding_batch_size,
        timeout_s=settings.embedding_timeout_s,
        retries=settings.embedding_retries,
    )


def service_prompts(settings: Settings) -> tuple[str, str]:
    """(query, document) prompts prepended to the texts sent to the embedding service.

    A prompt set in ``COOP_EMBEDDING_QUERY_PROMPT`` / ``COOP_EMBEDDING_DOCUMENT_PROMPT`` wins;
    else the local model folder's own (``config_sentence_transformers.json``) when that folder
    holds the model the service runs (same name); else the defaults, EmbeddingGemma's.
    """
    query, document = settings.embedding_query_prompt, settings.embedding_document_prompt
    local = Path(settings.embedding_model)
    same_model = local.name == service_model_id(settings.embedding_service_model)
    found = model_prompts(local) if same_model else None
    if found:
        if "embedding_query_prompt" not in settings.model_fields_set:
            query = found.get("query", query)
        if "embedding_document_prompt" not in settings.model_fields_set:
            document = found.get("document", document)
    return query, document


def index_dimension(store: ChromaStore) -> int | None:
    """Dimension of the vectors of an open index (None when it holds no passage)."""
    first = next(store.iter_chunks(), None)
    if first is None:
        return None
    vectors = store.vectors_of([first])
    return len(next(iter(vectors.values()))) if vectors else None


def build_store(settings: Settings) -> ChromaStore:
    """Chroma store on the embedded index or the configured server."""
    return ChromaStore(make_client(settings), settings.collection)


def build_generator(settings: Settings, backend: Backend | None = None) -> Generator | None:
    """LLM backend, or None for the default extractive answerer."""
    chosen = backend or settings.backend
    if chosen == "openai":
        return openai_generator(settings)
    if chosen == "llamacpp":
        return LlamaCppGenerator(settings.llamacpp_model_path)
    return None


def build_assistant(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    generator: Generator | None = None,
    backend: Backend | None = None,
    retriever: RetrieverMode | None = None,
    store: ChromaStore | None = None,
) -> Assistant:
    """Open the index for reading and wire retriever, generator and thresholds.

    Raises:
        IndexMissingError: nothing indexed yet.
        IndexMismatchError: index built with another embedding model.
    """
    from assistant.index.lexical import current_lexical, load_or_build_lexical

    embedder = embedder or build_embedder(settings)
    store = store or build_store(settings)
    store.open_for_reading(model_id=embedder.model_id)
    if isinstance(embedder, ServiceEmbedder):
        embedder.expect_dimension(index_dimension(store))
    lexical = load_or_build_lexical(settings, store)
    hybrid = HybridRetriever(
        store,
        embedder,
        lexical,
        mode=retriever or settings.retriever,
        fetch_k=settings.fetch_k,
        per_document=settings.max_per_document,
        reload_lexical=lambda held: current_lexical(settings, store, held),
        secondary_discount=settings.secondary_discount,
    )
    return Assistant(
        hybrid,
        generator if generator is not None else build_generator(settings, backend),
        k=settings.k,
        min_score=settings.min_score,
        min_coverage=settings.min_coverage,
        max_question_chars=settings.max_question_chars,
        authority_weight=settings.authority_weight,
        units=UnitVectorsFile(units_path(settings.index_dir)),
        semantic_weight=settings.semantic_weight,
    )
