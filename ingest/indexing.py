"""Incremental, crash-safe ingestion: sources → chunks → vectors → Chroma → lexical index.

Nothing already indexed is lost on a fault: a document that cannot be read keeps its previous
version, a document whose file is missing keeps its previous version, identical files are indexed
once, and a write that fails stops the run with the index in its previous state.

A run first reads and splits every changed document and counts the passages whose vectors must be
computed (none already in the cache counts), then embeds and writes them: the caller hears the
count and the speed to expect before the long part, then each batch (``on_passages``). One run at a
time per index folder: ``index_lock`` (a file lock; two ``coop ingest`` on one machine wait for each
other, see docs/usage.md).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, ParamSpec, TypeVar

from chromadb.errors import ChromaError
from filelock import FileLock, Timeout

from assistant.config import Settings
from assistant.errors import CorpusError, IndexWriteError
from assistant.files import sha256_of
from assistant.index.lexical import Bm25Index, load_or_build_lexical
from assistant.index.store import ChromaStore, DocumentRecord, embed_key, make_client
from assistant.index.units import refresh_unit_vectors, units_path
from assistant.schema import Chunk, Embedder
from ingest.fetch.sources import Source, load_catalogue
from ingest.fetch.sync import find_document_file
from ingest.read.loading import describe_os_error, load_document
from ingest.read.streaming import StreamedChunks, should_stream
from ingest.split.chunking import CHUNKER_VERSION, chunk_document

logger = logging.getLogger(__name__)

DocStatus = Literal["new", "changed", "unchanged", "duplicate", "removed", "absent", "failed"]
Progress = Callable[[str, int, int], None]
"""Per document while the changed documents are read: (doc_id, position, number of sources)."""

_P = ParamSpec("_P")
_T = TypeVar("_T")

# Chunks embedded and written per step: the vectors of a huge file are never all in memory
# (73,000 chunks of 768 floats would take about 1.8 GB as Python lists).
WRITE_BATCH = 256
# Chunks of changed documents kept in memory between the count and the writes (about 40 MB);
# the documents beyond are read and split again when their turn comes. Streamed files are
# always read twice (once to count, once to write): reading costs ~0.2 ms a passage, embedding
# ~130 ms here.
PLAN_HOLD = 20_000
LOCK_FILE = "ingest.lock"
SPEED_FILE = "embedding-speed.json"

_INDEXED: frozenset[DocStatus] = frozenset({"new", "changed", "unchanged"})


@dataclass(frozen=True, slots=True)
class DocumentOutcome:
    """What happened to one document during an ingestion run."""

    doc_id: str
    status: DocStatus
    chunks: int = 0
    reason: str = ""
    kept: bool = False
    """An older version is still served (the document failed or its file is missing)."""


@dataclass(slots=True)
class IngestReport:
    """Counts and per-document outcomes of one run; failures are data, not log lines."""

    outcomes: list[DocumentOutcome] = field(default_factory=list)
    total_chunks: int = 0
    embedded_chunks: int = 0
    reused_vectors: int = 0
    embedded_units: int = 0
    """Answer units (sentences) embedded for sentence choice (see ``assistant.index.units``)."""
    orphans_purged: int = 0
    seconds: float = 0.0
    documents: int = 0
    """Documents served once the run is over, older versions kept included."""
    pdf_warnings: dict[str, int] = field(default_factory=dict)
    """File name → number of warnings pypdf logged while reading it (malformed but readable)."""
    embedding_seconds: float = 0.0
    """Time spent computing the ``embedded_chunks`` and ``embedded_units`` vectors (model loading
    included)."""

    @property
    def failures(self) -> list[DocumentOutcome]:
        """Documents that could not be indexed (the previous version, if any, is kept)."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def missing(self) -> list[DocumentOutcome]:
        """Catalogued documents whose file is gone: an older version is served in their place.

        Documents never synced (no file, nothing indexed) are not listed: nothing is stale.
        """
        return [o for o in self.outcomes if o.status == "absent" and o.kept]

    @property
    def complete(self) -> bool:
        """True when every catalogued document that has a file is served in its current version."""
        return not self.failures and not self.missing

    def count(self, status: DocStatus) -> int:
        """Number of documents with this outcome."""
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass(frozen=True, slots=True)
class PassageProgress:
    """Passages whose vectors this run has computed so far, out of those it has to compute."""

    done: int
    total: int
    document: str = ""
    """The document of the last passages computed (empty before the first batch)."""
    passages_per_s: float | None = None
    """Speed to expect: this run's once a batch is done, else the last one kept for the model."""
    measured_now: bool = False
    """``passages_per_s`` was measured during this run (else it comes from an earlier run)."""

    @property
    def seconds_left(self) -> float | None:
        """Time the remaining passages should take at ``passages_per_s`` (None: no speed known)."""
        if not self.passages_per_s:
            return None
        return max(self.total - self.done, 0) / self.passages_per_s


PassagesProgress = Callable[[PassageProgress], None]


def version_hash(file_sha256: str, source: Source, settings: Settings) -> str:
    """Identity of an indexed version: file bytes + catalog metadata + chunking parameters."""
    # Official sources hash as they did before ``origin`` existed: no re-indexing for them.
    excluded = {"sha256"} if source.origin == "local" else {"sha256", "origin"}
    parts = [
        file_sha256,
        source.model_dump_json(exclude=excluded),
        CHUNKER_VERSION,
        str(settings.chunk_size),
        str(settings.chunk_overlap),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Located:
    """A source whose file was found and hashed."""

    source: Source
    path: Path
    file_sha256: str


@dataclass(frozen=True, slots=True)
class _Streamed:
    """A changed document too large to load whole: its chunks are read while they are written."""

    located: _Located
    doc_hash: str
    chunks: StreamedChunks
    previous: DocumentRecord | None


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A changed document, loaded and chunked, waiting for its vectors and its commit."""

    located: _Located
    doc_hash: str
    chunks: list[Chunk]
    is_new: bool


@dataclass(frozen=True, slots=True)
class _Deferred:
    """A changed document counted, but not kept in memory (over ``PLAN_HOLD``): read again."""

    located: _Located
    previous: DocumentRecord | None


_Planned = _Prepared | _Streamed | _Deferred


class Ingestor:
    """Runs one ingestion over the sources list; collaborators are injected."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: ChromaStore,
        *,
        on_progress: Progress | None = None,
        on_passages: PassagesProgress | None = None,
    ) -> None:
        self._settings = settings
        self._embedder = embedder
        self._store = store
        self._progress = on_progress or (lambda _label, _done, _total: None)
        self._on_passages = on_passages or (lambda _progress: None)
        self._to_embed = 0
        self._kept_speed: float | None = None
        self._timings: list[tuple[int, float]] = []
        """(passages, seconds) of each embedding call of the current run."""

    def run(self, *, rebuild: bool = False, only: Sequence[str] = ()) -> IngestReport:
        """Index every source whose file changed; remove what left the sources; refresh BM25.

        ``rebuild`` re-reads and re-embeds everything into a new generation that replaces the
        served one only once complete (see ``ChromaStore.activate``).

        Raises:
            CorpusError: the sources list is missing or invalid.
            IndexWriteError: the index cannot be written; documents already committed in this
                run stay committed, the others keep their previous version (after a failed
                rebuild, the whole previous index is still served).
        """
        started = time.perf_counter()
        report = IngestReport()
        self._timings = []
        sources = load_catalogue(self._settings.corpus_file)
        if only:
            sources = [s for s in sources if s.doc_id in set(only)]
        if rebuild:
            committed, outcomes = self._rebuild(sources, report, keep_others=bool(only))
        else:
            self._write(self._store.delete_stale_generations)
            self._open_for_writing()
            committed = self._store.documents()
            outcomes = self._index_sources(sources, committed, report)
        report.outcomes = [outcomes[s.doc_id] for s in sources]
        if not only:
            for doc_id in sorted(set(committed) - {s.doc_id for s in sources}):
                if not rebuild:
                    self._write(self._store.remove_document, doc_id)
                report.outcomes.append(DocumentOutcome(doc_id, "removed"))
        report.orphans_purged = self._write(self._store.purge_orphans)
        self._refresh_units(self.refresh_lexical().chunks, report)
        served = self._store.documents()
        report.documents = len(served)
        report.total_chunks = sum(d.chunks for d in served.values())
        report.seconds = time.perf_counter() - started
        if len(self._timings) > 1:  # the first call also loads the model: not a speed alone
            speed = self._measured_speed()
            if speed is not None:
                save_embedding_speed(self._settings, self._embedder.model_id, speed)
        logger.info("indexed %d chunks from %d sources", report.total_chunks, len(sources))
        return report

    def _rebuild(
        self, sources: Sequence[Source], report: IngestReport, *, keep_others: bool
    ) -> tuple[dict[str, DocumentRecord], dict[str, DocumentOutcome]]:
        """Index every source into a new generation, then serve it: readers never see half.

        A document that cannot be read now keeps its previous version (copied over, re-embedded
        when the model changed), as do documents left out of ``only`` (``keep_others``).

        Returns:
            The documents served before, and the outcome of each source.
        """
        live = self._store
        previous: dict[str, DocumentRecord] = {}
        if live.exists():
            self._write(live.open_for_reading, model_id=None)
            previous = live.documents()
        staged = self._write(live.new_generation)
        self._store = staged
        try:
            self._write(
                staged.create_or_check,
                model_id=self._embedder.model_id,
                dimension=None,
                chunker_version=CHUNKER_VERSION,
            )
            outcomes = self._index_sources(sources, {}, report)
            by_id = {s.doc_id: s for s in sources}
            for doc_id, outcome in outcomes.items():
                record = previous.get(doc_id)
                if record is not None and outcome.status in {"failed", "absent"}:
                    self._carry_forward(live, record, report)
                    kept = _absent(by_id[doc_id], record) if outcome.status == "absent" else None
                    outcomes[doc_id] = kept or _kept(outcome, record)
            if keep_others:
                for doc_id in sorted(set(previous) - set(outcomes)):
                    self._carry_forward(live, previous[doc_id], report)
            self._write(live.activate, staged)
        finally:
            self._store = live
        return previous, outcomes

    def _carry_forward(
        self, replaced: ChromaStore, record: DocumentRecord, report: IngestReport
    ) -> None:
        """Copy a document's served version from ``replaced`` into the store being built."""
        same_model = replaced.model_id == self._embedder.model_id
        for batch in replaced.document_chunks(record.doc_id, record.doc_hash, WRITE_BATCH):
            chunks = [chunk for chunk, _ in batch]
            if same_model:
                vectors = [vector for _, vector in batch]
                report.reused_vectors += len(batch)
            else:
                vectors = self._vectors(chunks, report)
            self._write(self._store.add_chunks, chunks, vectors)
        self._write(self._store.commit_document, record)

    def _index_sources(
        self, sources: Sequence[Source], committed: dict[str, DocumentRecord], report: IngestReport
    ) -> dict[str, DocumentOutcome]:
        """Each source's outcome: located and hashed, read and counted, written, duplicates last."""
        outcomes: dict[str, DocumentOutcome] = {}
        located: dict[str, _Located] = {}
        for source in sources:
            found = self._locate(source, committed.get(source.doc_id))
            if isinstance(found, _Located):
                located[source.doc_id] = found
            else:
                outcomes[source.doc_id] = found
        duplicate_of = self._duplicates(list(located.values()), committed)
        planned = self._plan(sources, located, duplicate_of, committed, outcomes, report)
        group: list[_Prepared] = []
        for item in planned:
            current = (
                self._prepare(item.located, item.previous, report)
                if isinstance(item, _Deferred)
                else item
            )
            if isinstance(current, DocumentOutcome):
                outcomes[current.doc_id] = current
                continue
            if isinstance(current, _Streamed):
                outcomes[current.located.source.doc_id] = self._store_streamed(current, report)
                continue
            # Small documents are embedded together (fuller batches), then committed one by one.
            if group and sum(len(p.chunks) for p in group) + len(current.chunks) > WRITE_BATCH:
                outcomes.update(self._store_group(group, report))
                group = []
            group.append(current)
        outcomes.update(self._store_group(group, report))
        for doc_id, original in duplicate_of.items():
            outcomes[doc_id] = self._settle_duplicate(
                located[doc_id], located[original], outcomes[original], doc_id in committed
            )
            if outcomes[doc_id].status == "duplicate":
                kept = outcomes[original]
                also = f"aussi publié sous « {doc_id} » (contenu identique)"
                outcomes[original] = replace(
                    kept, reason=f"{kept.reason} ; {also}" if kept.reason else also
                )
        return outcomes

    def _plan(
        self,
        sources: Sequence[Source],
        located: dict[str, _Located],
        duplicate_of: dict[str, str],
        committed: dict[str, DocumentRecord],
        outcomes: dict[str, DocumentOutcome],
        report: IngestReport,
    ) -> list[_Planned]:
        """Read and split each changed document, then announce the passages to compute.

        Documents that fail now get their outcome in ``outcomes``; the others are returned in
        sources order, to be written.
        """
        planned: list[_Planned] = []
        missing: set[str] = set()
        held = 0
        for position, source in enumerate(sources):
            self._progress(source.doc_id, position, len(sources))
            if source.doc_id not in located or source.doc_id in duplicate_of:
                continue
            previous = committed.get(source.doc_id)
            prepared = self._prepare(located[source.doc_id], previous, report)
            if isinstance(prepared, DocumentOutcome):
                outcomes[source.doc_id] = prepared
                continue
            if isinstance(prepared, _Streamed):
                failed = self._count_streamed(prepared, missing)
                if failed is not None:
                    outcomes[source.doc_id] = failed
                    continue
                planned.append(prepared)
                continue
            self._add_missing(prepared.chunks, missing)
            if held + len(prepared.chunks) > PLAN_HOLD:
                planned.append(_Deferred(prepared.located, previous))
            else:
                held += len(prepared.chunks)
                planned.append(prepared)
        self._progress("", len(sources), len(sources))
        self._to_embed = len(missing)
        self._kept_speed = load_embedding_speed(self._settings, self._embedder.model_id)
        self._on_passages(PassageProgress(0, self._to_embed, "", self._kept_speed))
        return planned

    def _count_streamed(self, streamed: _Streamed, missing: set[str]) -> DocumentOutcome | None:
        """Read a large file once to count its passages to compute; its outcome if it fails."""
        located, previous = streamed.located, streamed.previous
        try:
            for batch in _batches(self._stream(located), WRITE_BATCH):
                self._add_missing(batch, missing)
        except CorpusError as err:
            return _failed(located.source.doc_id, err.message, previous)
        except OSError as err:
            return _failed(located.source.doc_id, _unreadable(located.path, err), previous)
        return None

    def _add_missing(self, chunks: Sequence[Chunk], missing: set[str]) -> None:
        """Add to ``missing`` the embedded texts of ``chunks`` that have no vector yet."""
        for batch in _batches(chunks, WRITE_BATCH):
            new = [key for key in dict.fromkeys(embed_key(c) for c in batch) if key not in missing]
            cached = self._store.cached_vectors(new) if new else {}
            missing.update(key for key in new if key not in cached)

    def _locate(
        self, source: Source, previous: DocumentRecord | None
    ) -> _Located | DocumentOutcome:
        """Find and hash the source's file; a missing file keeps the indexed version."""
        path: Path | None = None
        try:
            path = find_document_file(source, self._settings.corpus_dir)
            if path is None:
                return _absent(source, previous)
            return _Located(source, path, sha256_of(path))
        except CorpusError as err:
            return DocumentOutcome(source.doc_id, "failed", reason=err.message)
        except OSError as err:
            # The file vanished or became unreadable between the listing and the read.
            return _failed(source.doc_id, _unreadable(path, err), previous)

    def _duplicates(
        self, located: Sequence[_Located], committed: dict[str, DocumentRecord]
    ) -> dict[str, str]:
        """doc_id → doc_id of the identical file that is indexed in its place.

        The copy already indexed (and unchanged) is kept when there is one, so that renaming a
        file or adding a second name re-embeds nothing; otherwise the first in sources order.
        """
        groups: dict[str, list[_Located]] = {}
        for item in located:
            groups.setdefault(item.file_sha256, []).append(item)
        duplicate_of: dict[str, str] = {}
        for group in groups.values():
            if len(group) < 2:
                continue
            current = [
                item
                for item in group
                if (record := committed.get(item.source.doc_id)) is not None
                and record.doc_hash == version_hash(item.file_sha256, item.source, self._settings)
            ]
            keeper = (current or group)[0]
            for item in group:
                if item is not keeper:
                    duplicate_of[item.source.doc_id] = keeper.source.doc_id
        return duplicate_of

    def _settle_duplicate(
        self, copy: _Located, original: _Located, indexed: DocumentOutcome, was_indexed: bool
    ) -> DocumentOutcome:
        doc_id, original_id = copy.source.doc_id, original.source.doc_id
        if indexed.status not in _INDEXED:
            # Its previous version, if any, stays: nothing replaces it.
            reason = (
                f"{copy.path} : contenu identique à « {original_id} » ({original.path.name}), "
                f"qui n'a pas pu être indexé : {indexed.reason}"
            )
            return DocumentOutcome(doc_id, "failed", reason=reason)
        note = ""
        if was_indexed:
            self._write(self._store.remove_document, doc_id)
            note = " ; l'ancienne copie indexée sous ce nom est retirée"
        reason = (
            f"{copy.path.name} : contenu identique à {original.path.name} : indexé une seule fois, "
            f"sous « {original_id} »{note}"
        )
        return DocumentOutcome(doc_id, "duplicate", reason=reason)

    def _prepare(
        self, located: _Located, previous: DocumentRecord | None, report: IngestReport
    ) -> _Prepared | _Streamed | DocumentOutcome:
        """Load and chunk a changed document; an outcome when there is nothing to write."""
        source, path = located.source, located.path
        doc_hash = version_hash(located.file_sha256, source, self._settings)
        if previous is not None and previous.doc_hash == doc_hash:
            return DocumentOutcome(source.doc_id, "unchanged", chunks=previous.chunks)
        if should_stream(path):
            return _Streamed(located, doc_hash, self._stream(located), previous)
        try:
            with _counting_pdf_warnings(path, report):
                document = load_document(path)
            chunks = chunk_document(
                document,
                source,
                chunk_size=self._settings.chunk_size,
                chunk_overlap=self._settings.chunk_overlap,
            )
        except CorpusError as err:
            return _failed(source.doc_id, err.message, previous)
        except OSError as err:
            return _failed(source.doc_id, _unreadable(path, err), previous)
        if document.sha256 != located.file_sha256:
            # Rewritten since it was hashed: record the bytes actually indexed.
            doc_hash = version_hash(document.sha256, source, self._settings)
        if not chunks:
            reason = f"{path} : aucun texte indexable"
            return _failed(source.doc_id, reason, previous)
        chunks = [_with_doc_hash(c, doc_hash) for c in chunks]
        return _Prepared(located, doc_hash, chunks, is_new=previous is None)

    def _stream(self, located: _Located) -> StreamedChunks:
        """The chunks of a large file, read as they are iterated (once)."""
        return StreamedChunks(
            located.path,
            located.source,
            chunk_size=self._settings.chunk_size,
            chunk_overlap=self._settings.chunk_overlap,
        )

    def _store_group(
        self, group: Sequence[_Prepared], report: IngestReport
    ) -> dict[str, DocumentOutcome]:
        """Write and commit each prepared document, its own transaction, vectors shared.

        A group of several documents holds at most ``WRITE_BATCH`` chunks and is embedded in one
        call; a single larger document is embedded and written ``WRITE_BATCH`` chunks at a time.
        """
        if len(group) > 1:
            vectors = self._vectors([c for p in group for c in p.chunks], report)
            offset = 0
            for prepared in group:
                count = len(prepared.chunks)
                self._write(
                    self._store.add_chunks, prepared.chunks, vectors[offset : offset + count]
                )
                offset += count
                self._commit(prepared)
        elif group:
            prepared = group[0]
            for batch in _batches(prepared.chunks, WRITE_BATCH):
                self._add(batch, report)
            self._commit(prepared)
        return {
            p.located.source.doc_id: DocumentOutcome(
                p.located.source.doc_id, "new" if p.is_new else "changed", chunks=len(p.chunks)
            )
            for p in group
        }

    def _store_streamed(self, streamed: _Streamed, report: IngestReport) -> DocumentOutcome:
        """Write a large document ``WRITE_BATCH`` chunks at a time as they are read, then commit.

        A read failure midway leaves the chunks written so far uncommitted (purged at the end
        of the run): the previous version, if any, stays served.
        """
        located, previous = streamed.located, streamed.previous
        doc_id, path = located.source.doc_id, located.path
        count = 0
        try:
            chunks = (_with_doc_hash(chunk, streamed.doc_hash) for chunk in streamed.chunks)
            for batch in _batches(chunks, WRITE_BATCH):
                self._add(batch, report)
                count += len(batch)
            changed = streamed.chunks.sha256 != located.file_sha256
        except CorpusError as err:
            return _failed(doc_id, err.message, previous)
        except OSError as err:
            return _failed(doc_id, _unreadable(path, err), previous)
        if changed:
            reason = f"{path} : fichier modifié pendant sa lecture ; relancez `coop ingest`"
            return _failed(doc_id, reason, previous)
        if count == 0:
            reason = f"{path} : aucun texte indexable"
            return _failed(doc_id, reason, previous)
        self._commit_record(located, streamed.doc_hash, count)
        return DocumentOutcome(doc_id, "new" if previous is None else "changed", chunks=count)

    def _add(self, chunks: Sequence[Chunk], report: IngestReport) -> None:
        """Embed (or reuse the vectors of) these chunks and write them, not yet committed."""
        self._write(self._store.add_chunks, chunks, self._vectors(chunks, report))

    def _commit(self, prepared: _Prepared) -> None:
        self._commit_record(prepared.located, prepared.doc_hash, len(prepared.chunks))

    def _commit_record(self, located: _Located, doc_hash: str, chunks: int) -> None:
        source = located.source
        self._write(
            self._store.commit_document,
            DocumentRecord(
                doc_id=source.doc_id,
                doc_hash=doc_hash,
                title=source.title,
                kind=source.kind,
                date=source.date or "",
                status=source.status,
                official_url=source.official_url or "",
                chunks=chunks,
                ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
                source_file=located.path.name,
            ),
        )

    def _vectors(self, chunks: Sequence[Chunk], report: IngestReport) -> list[list[float]]:
        """Vectors for the chunks, reusing any already stored for the same content (cache)."""
        keys = [embed_key(c) for c in chunks]
        cached = self._store.cached_vectors(keys)
        missing = {key: c for key, c in zip(keys, chunks, strict=True) if key not in cached}
        if missing:
            started = time.perf_counter()
            fresh = self._embedder.embed_documents([c.indexed_text for c in missing.values()])
            seconds = time.perf_counter() - started
            self._timings.append((len(missing), seconds))
            report.embedding_seconds += seconds
            cached.update(zip(missing, fresh, strict=True))
        report.embedded_chunks += len(missing)
        report.reused_vectors += len(chunks) - len(missing)
        if missing:
            done = report.embedded_chunks
            self._on_passages(
                PassageProgress(
                    done,
                    max(self._to_embed, done),  # a rebuild may re-embed kept versions too
                    chunks[-1].doc_id,
                    self._measured_speed() or self._kept_speed,
                    measured_now=True,
                )
            )
        return [cached[key] for key in keys]

    def _measured_speed(self) -> float | None:
        """Passages per second of this run's embedding calls, the first left out if others."""
        timings = self._timings[1:] or self._timings
        passages = sum(n for n, _ in timings)
        seconds = sum(s for _, s in timings)
        return passages / seconds if passages and seconds > 0 else None

    def _write(self, action: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Run a store write; a database refusal becomes a French ``IndexWriteError``."""
        try:
            return action(*args, **kwargs)
        except ChromaError as err:
            raise _write_error(self._settings, err) from err

    def _open_for_writing(self) -> None:
        """Open (or create) the served generation, refusing one built with another model."""
        self._write(
            self._store.create_or_check,
            model_id=self._embedder.model_id,
            dimension=None,
            chunker_version=CHUNKER_VERSION,
        )

    def _refresh_units(self, chunks: Sequence[Chunk], report: IngestReport) -> None:
        """Embed the answer units of the served passages that have no vector yet.

        Sentence choice reads them for every English question (and for all questions with
        ``COOP_SEMANTIC_WEIGHT`` above 0): embedded once here, never at question time.
        """
        started = time.perf_counter()

        def count(units: int) -> None:
            report.embedded_units = units

        refresh_unit_vectors(
            units_path(self._settings.index_dir), chunks, self._embedder, on_units=count
        )
        if report.embedded_units:
            report.embedding_seconds += time.perf_counter() - started

    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        """Drop these documents from the index now, then refresh BM25; returns those removed.

        Raises:
            IndexWriteError: the index cannot be written.
        """
        if not self._store.exists():
            return []
        self._open_for_writing()
        committed = self._store.documents()
        removed = [doc_id for doc_id in doc_ids if doc_id in committed]
        for doc_id in removed:
            self._write(self._store.remove_document, doc_id)
        if removed:
            self.refresh_lexical()
        return removed

    def refresh_lexical(self) -> Bm25Index:
        """Load the persisted BM25 index, rebuilding it when the store has changed since."""
        return load_or_build_lexical(self._settings, self._store)


def open_index_for_writing(settings: Settings) -> ChromaStore:
    """The configured store, after checking that the index folder can be written.

    Raises:
        IndexWriteError: the folder cannot be created or written, or the database in it is
            read-only; nothing has been changed.
        ConfigError: ``COOP_CHROMA_URL`` is invalid.
    """
    if not settings.uses_chroma_server:
        _check_writable(settings.index_dir)
    try:
        return ChromaStore(make_client(settings), settings.collection)
    except ChromaError as err:
        raise _write_error(settings, err) from err


class IndexBusyError(IndexWriteError):
    """Another ingestion holds the index (``index_lock`` without waiting)."""


def lock_path(settings: Settings) -> Path:
    """The lock file of the index: in ``COOP_INDEX_DIR``, with a Chroma server too."""
    return settings.index_dir / LOCK_FILE


@contextmanager
def index_lock(
    settings: Settings, *, wait: bool = True, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the index for one ingestion: a second one waits (``on_wait`` is told) or fails.

    A file lock in the index folder, released when the process ends however it ends. It only
    protects one machine: with a Chroma server (``COOP_CHROMA_URL``), ingestions started from
    two machines are not kept apart.

    Raises:
        IndexBusyError: another ingestion holds the index and ``wait`` is False.
        IndexWriteError: the index folder cannot be created or written.
    """
    _check_writable(settings.index_dir)
    lock = FileLock(lock_path(settings))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not wait:
            raise IndexBusyError(
                f"Une autre indexation est en cours sur cet index ({settings.index_dir}) : "
                "réessayez plus tard (ou relancez sans --no-wait pour attendre sa fin)."
            ) from None
        if on_wait is not None:
            on_wait()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def load_embedding_speed(settings: Settings, model_id: str) -> float | None:
    """Passages per second last measured for this model in this index folder, if any."""
    try:
        kept = json.loads((settings.index_dir / SPEED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = kept.get(model_id) if isinstance(kept, dict) else None
    speed = entry.get("passages_per_s") if isinstance(entry, dict) else None
    return float(speed) if isinstance(speed, int | float) and speed > 0 else None


def save_embedding_speed(settings: Settings, model_id: str, passages_per_s: float) -> None:
    """Keep this model's measured speed beside the index, for the next run's estimate."""
    path = settings.index_dir / SPEED_FILE
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = {}
    if not isinstance(kept, dict):
        kept = {}
    kept[model_id] = {
        "passages_per_s": round(passages_per_s, 3),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    partial = path.with_name(f".{SPEED_FILE}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(kept, indent=2), encoding="utf-8")
        os.replace(partial, path)
    except OSError as err:  # only an estimate is lost
        logger.debug("cannot keep the embedding speed in %s: %s", path, err)
        with suppress(OSError):
            partial.unlink(missing_ok=True)


def _check_writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory, prefix=".coop-probe-"):
            pass
    except OSError as err:
        raise IndexWriteError(
            f"Impossible d'écrire dans le dossier de l'index {directory} "
            f"({describe_os_error(err)}) : rien n'a été modifié. Rendez ce dossier accessible en "
            "écriture (ou changez COOP_INDEX_DIR), puis relancez `coop ingest`."
        ) from err


def _write_error(settings: Settings, err: Exception) -> IndexWriteError:
    where = settings.chroma_url if settings.uses_chroma_server else str(settings.index_dir)
    detail = str(err).lower()
    if "readonly" in detail or "read-only" in detail or "read only" in detail:
        reason = "base en lecture seule"
    elif "disk" in detail and "full" in detail:
        reason = "disque plein"
    else:
        reason = f"erreur de la base Chroma, {type(err).__name__}"
    return IndexWriteError(
        f"Impossible d'écrire dans l'index {where} ({reason}) : les documents déjà indexés gardent "
        "leur version précédente. Corrigez le problème, puis relancez `coop ingest`."
    )


def _absent(source: Source, previous: DocumentRecord | None) -> DocumentOutcome:
    if previous is None:
        reason = "document non synchronisé (lancez `coop corpus sync`)"
        return DocumentOutcome(source.doc_id, "absent", reason=reason)
    reason = (
        f"fichier absent du dossier des documents : la version indexée le "
        f"{previous.ingested_at[:10]} est conservée (lancez `coop corpus sync`)"
    )
    return DocumentOutcome(
        source.doc_id, "absent", chunks=previous.chunks, reason=reason, kept=True
    )


def _failed(doc_id: str, reason: str, previous: DocumentRecord | None) -> DocumentOutcome:
    """A document that could not be indexed, its previous version (if any) kept."""
    return _kept(DocumentOutcome(doc_id, "failed", reason=reason), previous)


def _unreadable(path: Path | None, err: OSError) -> str:
    """Why a file could not be read, in French."""
    return f"{path} : lecture impossible ({describe_os_error(err)})"


def _batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """``items`` in lists of ``size`` (the last one shorter), read lazily."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _kept(outcome: DocumentOutcome, previous: DocumentRecord | None) -> DocumentOutcome:
    """A failure, noting that the previously indexed version is still served."""
    if previous is None:
        return outcome
    return replace(
        outcome,
        chunks=previous.chunks,
        reason=f"{outcome.reason} ; la version indexée précédemment est conservée",
        kept=True,
    )


class _Counter(logging.Handler):
    """Counts the warnings logged by the thread that created it."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.count += 1


@contextmanager
def _counting_pdf_warnings(path: Path, report: IngestReport) -> Iterator[None]:
    """Record in ``report`` how many warnings pypdf logs while ``path`` is read.

    The records still reach the other handlers: whether they are shown (``--verbose``) or only
    summed up is the caller's choice.
    """
    counter = _Counter()
    pypdf_logger = logging.getLogger("pypdf")
    pypdf_logger.addHandler(counter)
    try:
        yield
    finally:
        pypdf_logger.removeHandler(counter)
        if counter.count:
            report.pdf_warnings[path.name] = counter.count


def _with_doc_hash(chunk: Chunk, doc_hash: str) -> Chunk:
    return replace(chunk, doc_hash=doc_hash)
