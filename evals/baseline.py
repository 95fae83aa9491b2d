"""Plain LangChain RAG baseline for comparison: fixed-size chunks, dense search only, top-k."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.factory import build_embedder
from assistant.schema import Embedder
from evals.cases import EvalCase
from evals.metrics import score_item, summarize
from evals.runner import EvalReport
from ingest.fetch.sources import load_sources
from ingest.fetch.sync import find_document_file
from ingest.read.loading import load_document


class EmbeddingsAdapter(Embeddings):
    """Our Embedder seen as a LangChain ``Embeddings`` (same model for a fair comparison)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passages."""
        return self._embedder.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        """Questions."""
        return self._embedder.embed_query(text)


def baseline_documents(settings: Settings) -> list[Document]:
    """Every synced document as one LangChain Document (header excluded, as in our pipeline)."""
    documents = []
    for source in load_sources(settings.corpus_file):
        path = find_document_file(source, settings.corpus_dir)
        if path is not None:
            body = load_document(path).body
            documents.append(Document(page_content=body, metadata={"doc_id": source.doc_id}))
    return documents


def run_langchain_baseline(
    settings: Settings,
    cases: Sequence[EvalCase],
    *,
    k: int = 5,
    embedder: Embedder | None = None,
    chunk_size: int = 1000,
    chunk_overlap: int = 100,
) -> EvalReport:
    """Index with ``RecursiveCharacterTextSplitter`` + ``langchain_chroma.Chroma``, then score.

    The baseline's "answer" is its top passage (no refusal, no sentence selection).
    """
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    chunks = splitter.split_documents(baseline_documents(settings))
    embeddings = EmbeddingsAdapter(embedder or build_embedder(settings))
    items = []
    with tempfile.TemporaryDirectory(prefix="coop-baseline-") as tmp:
        client = chromadb.PersistentClient(
            path=tmp, settings=ChromaSettings(anonymized_telemetry=False)
        )
        store = Chroma(
            client=client,
            collection_name="langchain-baseline",
            embedding_function=embeddings,
            collection_metadata={"hnsw:space": "cosine"},
        )
        store.add_documents(chunks, ids=[f"c{i}" for i in range(len(chunks))])
        for case in cases:
            started = time.perf_counter()
            found = store.similarity_search(" ".join([*case.history, case.question]), k=k)
            latency = time.perf_counter() - started
            docs = [str(d.metadata["doc_id"]) for d in found]
            answer = found[0].page_content if found else ""
            items.append(score_item(case, docs, answer, docs[:1], False, latency))
    return EvalReport(summarize(items, k), items)
