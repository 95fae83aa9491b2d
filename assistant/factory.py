"""Composition root: the one place that turns Settings into wired objects."""

from __future__ import annotations

from assistant.answer.answering import Assistant
from assistant.answer.generators import LlamaCppGenerator, openai_generator
from assistant.config import Backend, RetrieverMode, Settings
from assistant.index.embedding import SentenceTransformerEmbedder
from assistant.index.store import ChromaStore, make_client
from assistant.retrieve.hybrid import HybridRetriever
from assistant.schema import Embedder, Generator


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The configured sentence-transformers model (loaded on first use)."""
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        dtype=settings.embedding_dtype,
        batch_size=settings.embedding_batch_size,
    )


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
    )
