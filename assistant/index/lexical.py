"""French lexical index: BM25 (bm25s) over stemmed, accent-folded tokens, persisted."""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import bm25s
import numpy as np

from assistant.config import Settings
from assistant.index.store import ChromaStore
from assistant.schema import Chunk
from assistant.text.normalize import TOKENIZER_VERSION, tokenize_fr

logger = logging.getLogger(__name__)


class Bm25Index:
    """BM25 over a fixed list of chunks, saved with the store version it was built from."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        model: bm25s.BM25,
        version: str,
        document_frequency: dict[str, int] | None = None,
    ) -> None:
        self.chunks = list(chunks)
        self.version = version
        self._model = model
        self._df = document_frequency or {}
        self._by_article: dict[str, list[int]] = {}
        self._by_position: dict[tuple[str, int], int] = {}
        for position, chunk in enumerate(self.chunks):
            if chunk.article:
                self._by_article.setdefault(chunk.article.upper(), []).append(position)
            self._by_position[(chunk.doc_id, chunk.chunk_index)] = position

    @classmethod
    def build(cls, chunks: Sequence[Chunk], version: str) -> Bm25Index:
        """Tokenize and index the chunks."""
        corpus = [tokenize_fr(c.indexed_text) or ["_vide_"] for c in chunks]
        model = bm25s.BM25()
        if corpus:
            model.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                df[token] = df.get(token, 0) + 1
        return cls(chunks, model, version, df)

    def idf(self, token: str) -> float:
        """Inverse document frequency (BM25 form); unseen tokens get the highest value."""
        n = max(1, len(self.chunks))
        df = self._df.get(token, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        """Best ``k`` chunks for the query with their BM25 scores (zero scores dropped)."""
        tokens = tokenize_fr(query)
        if not tokens or not self.chunks:
            return []
        vocab = self._model.vocab_dict
        known = [t for t in tokens if t in vocab]
        if not known:
            return []
        scores = self._model.get_scores(known)
        k = min(k, len(self.chunks))
        top = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(top, key=lambda i: -float(scores[i]))
        return [(self.chunks[i], float(scores[i])) for i in ranked if scores[i] > 0]

    def by_article(self, reference: str) -> list[Chunk]:
        """Chunks of the named article ("L4011-3"), in document order."""
        return [self.chunks[i] for i in self._by_article.get(reference.upper(), [])]

    def previous(self, chunk: Chunk) -> Chunk | None:
        """The chunk just before ``chunk`` in its document, if any."""
        position = self._by_position.get((chunk.doc_id, chunk.chunk_index - 1))
        return None if position is None else self.chunks[position]

    def next(self, chunk: Chunk) -> Chunk | None:
        """The chunk just after ``chunk`` in its document, if any."""
        position = self._by_position.get((chunk.doc_id, chunk.chunk_index + 1))
        return None if position is None else self.chunks[position]

    def save(self, directory: Path) -> None:
        """Write atomically: a temp folder renamed over the old one."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".lexical-", dir=directory.parent))
        try:
            if self.chunks:
                self._model.save(str(staging / "bm25"), show_progress=False)
            with (staging / "chunks.jsonl").open("w", encoding="utf-8") as out:
                for chunk in self.chunks:
                    out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
            (staging / "version").write_text(self.version, encoding="utf-8")
            (staging / "df.json").write_text(json.dumps(self._df), encoding="utf-8")
            # A save killed between the two renames leaves "<dir>.old": clear it first, or no
            # later save could rename over it.
            old = directory.with_name(directory.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if directory.exists():
                directory.rename(old)
            staging.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> Bm25Index | None:
        """The saved index, or None if absent or unreadable (it is then rebuilt from the store)."""
        try:
            version = (directory / "version").read_text(encoding="utf-8").strip()
            with (directory / "chunks.jsonl").open(encoding="utf-8") as handle:
                chunks = [Chunk(**json.loads(line)) for line in handle if line.strip()]
            df = json.loads((directory / "df.json").read_text(encoding="utf-8"))
            model = (
                bm25s.BM25.load(str(directory / "bm25"), show_progress=False)
                if chunks
                else bm25s.BM25()
            )
        except (OSError, ValueError, TypeError, KeyError) as err:
            logger.info("lexical index at %s unusable (%s): rebuilding", directory, err)
            return None
        return cls(chunks, model, version, df)


def lexical_dir(settings: Settings) -> Path:
    """Where the BM25 index of a collection is persisted."""
    return settings.index_dir / f"lexical-{settings.collection}"


def lexical_version(store: ChromaStore) -> str:
    """Version a BM25 index must carry to match the store's committed contents."""
    return f"{store.version()}-t{TOKENIZER_VERSION}"


def current_lexical(settings: Settings, store: ChromaStore, held: Bm25Index) -> Bm25Index:
    """``held`` while it matches the store, else the BM25 index of its new contents."""
    if held.version == lexical_version(store):
        return held
    logger.info("index changed since the BM25 index was loaded: reloading it")
    return load_or_build_lexical(settings, store)


def load_or_build_lexical(settings: Settings, store: ChromaStore) -> Bm25Index:
    """BM25 index consistent with the store's committed contents (rebuilt when stale)."""
    directory = lexical_dir(settings)
    version = lexical_version(store)
    index = Bm25Index.load(directory)
    if index is not None and index.version == version:
        return index
    index = Bm25Index.build(list(store.iter_chunks()), version)
    try:  # save() clears a "<dir>.old" left by a crash between its two renames
        index.save(directory)
    except OSError as err:
        logger.warning("lexical index not saved in %s: %s", directory, err)
    return index
