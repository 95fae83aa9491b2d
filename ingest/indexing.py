"""Incremental, crash-safe ingestion: sources → chunks → vectors → Chroma → lexical index."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from assistant.config import Settings
from assistant.errors import CorpusError
from assistant.files import sha256_of
from assistant.lexical import TOKENIZER_VERSION, Bm25Index
from assistant.schema import Chunk, Embedder
from assistant.store import ChromaStore, DocumentRecord, embed_key
from ingest.chunking import CHUNKER_VERSION, chunk_document
from ingest.loading import load_document
from ingest.sources import Source, load_sources
from ingest.sync import find_document_file

logger = logging.getLogger(__name__)

DocStatus = Literal["new", "changed", "unchanged", "removed", "absent", "failed"]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class DocumentOutcome:
    """What happened to one document during an ingestion run."""

    doc_id: str
    status: DocStatus
    chunks: int = 0
    reason: str = ""


@dataclass(slots=True)
class IngestReport:
    """Counts and per-document outcomes of one run; failures are data, not log lines."""

    outcomes: list[DocumentOutcome] = field(default_factory=list)
    total_chunks: int = 0
    embedded_chunks: int = 0
    reused_vectors: int = 0
    orphans_purged: int = 0
    seconds: float = 0.0

    @property
    def failures(self) -> list[DocumentOutcome]:
        """Documents that could not be indexed (the previous version, if any, is kept)."""
        return [o for o in self.outcomes if o.status == "failed"]

    def count(self, status: DocStatus) -> int:
        """Number of documents with this outcome."""
        return sum(1 for o in self.outcomes if o.status == status)


def lexical_dir(settings: Settings) -> Path:
    """Where the BM25 index of a collection is persisted."""
    return settings.index_dir / f"lexical-{settings.collection}"


def version_hash(file_sha256: str, source: Source, settings: Settings) -> str:
    """Identity of an indexed version: file bytes + catalog metadata + chunking parameters."""
    parts = [
        file_sha256,
        source.model_dump_json(exclude={"sha256"}),
        CHUNKER_VERSION,
        str(settings.chunk_size),
        str(settings.chunk_overlap),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class Ingestor:
    """Runs one ingestion over the sources list; collaborators are injected."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: ChromaStore,
        *,
        on_progress: Progress | None = None,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._store = store
        self._progress = on_progress or (lambda _label, _done, _total: None)

    def run(self, *, rebuild: bool = False, only: Sequence[str] = ()) -> IngestReport:
        """Index every source whose file changed; remove what disappeared; refresh BM25."""
        started = time.perf_counter()
        report = IngestReport()
        sources = load_sources(self._settings.corpus_file)
        if only:
            sources = [s for s in sources if s.doc_id in set(only)]
        if rebuild:
            self._store.drop()
        self._store.create_or_check(
            model_id=self._embedder.model_id, dimension=None, chunker_version=CHUNKER_VERSION
        )
        committed = self._store.documents()
        present: set[str] = set()
        for position, source in enumerate(sources, start=1):
            self._progress(source.doc_id, position - 1, len(sources))
            outcome = self._ingest_one(source, committed.get(source.doc_id), report)
            report.outcomes.append(outcome)
            if outcome.status not in {"absent"}:
                present.add(source.doc_id)
        self._progress("", len(sources), len(sources))
        if not only:
            for doc_id in sorted(set(committed) - present):
                self._store.remove_document(doc_id)
                report.outcomes.append(DocumentOutcome(doc_id, "removed"))
        report.orphans_purged = self._store.purge_orphans()
        self.refresh_lexical()
        report.total_chunks = sum(d.chunks for d in self._store.documents().values())
        report.seconds = time.perf_counter() - started
        logger.info("indexed %d chunks from %d sources", report.total_chunks, len(sources))
        return report

    def _ingest_one(
        self, source: Source, previous: DocumentRecord | None, report: IngestReport
    ) -> DocumentOutcome:
        try:
            path = find_document_file(source, self._settings.corpus_dir)
        except CorpusError as err:
            return DocumentOutcome(source.doc_id, "failed", reason=err.message)
        if path is None:
            reason = "document non synchronisé (lancez `coop corpus sync`)"
            return DocumentOutcome(source.doc_id, "absent", reason=reason)
        try:
            doc_hash = version_hash(sha256_of(path), source, self._settings)
            if previous is not None and previous.doc_hash == doc_hash:
                return DocumentOutcome(source.doc_id, "unchanged", chunks=previous.chunks)
            document = load_document(path)
            chunks = chunk_document(
                document,
                source,
                chunk_size=self._settings.chunk_size,
                chunk_overlap=self._settings.chunk_overlap,
            )
        except CorpusError as err:
            return DocumentOutcome(source.doc_id, "failed", reason=err.message)
        except OSError as err:
            reason = f"{path} : lecture impossible ({err.strerror or err})"
            return DocumentOutcome(source.doc_id, "failed", reason=reason)
        if not chunks:
            reason = f"{path} : aucun texte indexable"
            return DocumentOutcome(source.doc_id, "failed", reason=reason)
        chunks = [_with_doc_hash(c, doc_hash) for c in chunks]
        self._store.add_chunks(chunks, self._vectors(chunks, report))
        self._store.commit_document(
            DocumentRecord(
                doc_id=source.doc_id,
                doc_hash=doc_hash,
                title=source.title,
                kind=source.kind,
                date=source.date or "",
                status=source.status,
                official_url=source.official_url or "",
                chunks=len(chunks),
                ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
                source_file=path.name,
            )
        )
        status: DocStatus = "new" if previous is None else "changed"
        return DocumentOutcome(source.doc_id, status, chunks=len(chunks))

    def _vectors(self, chunks: Sequence[Chunk], report: IngestReport) -> list[list[float]]:
        """Vectors for the chunks, reusing any already stored for the same content (cache)."""
        keys = [embed_key(c) for c in chunks]
        cached = self._store.cached_vectors(keys)
        missing = {key: c for key, c in zip(keys, chunks, strict=True) if key not in cached}
        if missing:
            fresh = self._embedder.embed_documents([c.indexed_text for c in missing.values()])
            cached.update(zip(missing, fresh, strict=True))
        report.embedded_chunks += len(missing)
        report.reused_vectors += len(chunks) - len(missing)
        return [cached[key] for key in keys]

    def refresh_lexical(self) -> Bm25Index:
        """Load the persisted BM25 index, rebuilding it when the store has changed since."""
        return load_or_build_lexical(self._settings, self._store)


def load_or_build_lexical(settings: Settings, store: ChromaStore) -> Bm25Index:
    """BM25 index consistent with the store's committed contents (rebuilt when stale)."""
    directory = lexical_dir(settings)
    version = f"{store.version()}-t{TOKENIZER_VERSION}"
    index = Bm25Index.load(directory)
    if index is not None and index.version == version:
        return index
    index = Bm25Index.build(list(store.iter_chunks()), version)
    try:
        index.save(directory)
    except OSError as err:
        logger.warning("lexical index not saved in %s: %s", directory, err)
    return index


def _with_doc_hash(chunk: Chunk, doc_hash: str) -> Chunk:
    return replace(chunk, doc_hash=doc_hash)
