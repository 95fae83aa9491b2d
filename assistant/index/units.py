"""Vectors of the answer units (sentences) of the indexed passages, computed once at ingestion.

Sentence choice compares each candidate unit with the question vector that retrieval already
computed, so answering costs no extra model call. The vectors are kept beside the index in one
``units.npz`` file, keyed by a hash of the unit's text (a sentence repeated by overlapping
passages is embedded once), L2-normalised, in float16: 1.5 KiB per unit with EmbeddingGemma.
They are kept whole: truncated to 256 components (a Matryoshka cut), they chose worse
sentences for the dev set's 60 English questions (key facts 0.705 → 0.672, citation precision
0.857 → 0.833).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assistant.schema import Chunk, Embedder
from assistant.text.sentences import quoted_units

__all__ = [
    "UnitVectors",
    "UnitVectorsFile",
    "answer_units",
    "embedded_similarities",
    "refresh_unit_vectors",
    "unit_key",
    "units_path",
]

logger = logging.getLogger(__name__)

_FILE_NAME = "units.npz"
_BATCH = 64


def units_path(index_dir: Path) -> Path:
    """Where the unit vectors of the index in ``index_dir`` are kept."""
    return index_dir / _FILE_NAME


def unit_key(text: str) -> str:
    """Stable key of one unit: a hash of its text, whitespace collapsed."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:20]


def answer_units(chunks: Iterable[Chunk]) -> dict[str, str]:
    """The answer units of these passages, by key, as sentence choice quotes them.

    A unit the passage cuts is stored shortened, so that no quoted unit needs embedding at
    question time.
    """
    units: dict[str, str] = {}
    for chunk in chunks:
        for _, text in quoted_units(chunk.text):
            units.setdefault(unit_key(text), text)
    return units


def _normalised(vectors: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Each row L2-normalised."""
    matrix = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def embedded_similarities(
    query: Sequence[float], texts: Sequence[str], embedder: Embedder
) -> list[float | None]:
    """Cosine of each text with the question, embedded now."""
    if not texts:
        return []
    question = _normalised(query)[0]
    return [float(s) for s in _normalised(embedder.embed_documents(list(texts))) @ question]


class UnitVectors:
    """Unit vectors by key, for one embedding model; cosine with a question vector."""

    def __init__(self, model_id: str, keys: Sequence[str], vectors: npt.ArrayLike) -> None:
        self.model_id = model_id
        self._rows = {key: i for i, key in enumerate(keys)}
        matrix = np.asarray(vectors, dtype=np.float16)
        self._vectors = matrix.reshape(len(keys), -1) if len(keys) else matrix.reshape(0, 0)

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def keys(self) -> list[str]:
        """Keys in storage order."""
        return list(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def vectors_of(self, keys: Sequence[str]) -> npt.NDArray[np.float32]:
        """The stored vectors of these keys (all held), one row each."""
        return self._vectors[[self._rows[key] for key in keys]].astype(np.float32)

    def similarities(self, query: Sequence[float], texts: Sequence[str]) -> list[float | None]:
        """Cosine of each text's unit vector with the question (None when not computed)."""
        if not self._rows or not texts:
            return [None] * len(texts)
        question = _normalised(query)[0]
        rows = [self._rows.get(unit_key(text)) for text in texts]
        known = [row for row in rows if row is not None]
        scores = self._vectors[known].astype(np.float32) @ question if known else []
        by_row = dict(zip(known, (float(s) for s in scores), strict=True))
        return [by_row[row] if row is not None else None for row in rows]

    def similarities_or_embed(
        self, query: Sequence[float], texts: Sequence[str], embedder: Embedder
    ) -> list[float | None]:
        """Like ``similarities``, embedding now only the texts not stored.

        Those are the units retrieval composes at question time (a list completed from the next
        passage, an introduction prepended): a handful, in one model call.
        """
        scores = self.similarities(query, texts)
        missing = [i for i, score in enumerate(scores) if score is None]
        if missing:
            fresh = embedded_similarities(query, [texts[i] for i in missing], embedder)
            for i, score in zip(missing, fresh, strict=True):
                scores[i] = score
        return scores

    def save(self, path: Path) -> None:
        """Write atomically (a reader never sees half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(
                    out,
                    keys=np.asarray(self.keys, dtype=str),
                    vectors=self._vectors,
                    model_id=np.asarray(self.model_id),
                )
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path) -> UnitVectors | None:
        """The saved vectors, or None when the file is missing or unreadable."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                return cls(str(saved["model_id"]), saved["keys"].tolist(), saved["vectors"])
        except (OSError, ValueError, KeyError) as err:
            if path.exists():
                logger.warning("unit vectors unreadable (%s): sentence choice without them", err)
            return None


def refresh_unit_vectors(
    path: Path,
    chunks: Iterable[Chunk],
    embedder: Embedder,
    *,
    on_units: Callable[[int], None] | None = None,
) -> UnitVectors:
    """Embed the units not embedded yet, drop those no passage holds any more, save.

    ``on_units`` is told how many units are about to be embedded (before any model call).
    """
    wanted = answer_units(chunks)
    held = UnitVectors.load(path)
    if held is not None and held.model_id != embedder.model_id:
        held = None
    kept = [key for key in (held.keys if held else []) if key in wanted]
    missing = [key for key in wanted if held is None or key not in held]
    if held is not None and not missing and len(kept) == len(held):
        return held
    if on_units is not None and missing:
        on_units(len(missing))
    blocks: list[npt.NDArray[np.float32]] = []
    if held is not None and kept:
        blocks.append(held.vectors_of(kept))
    for start in range(0, len(missing), _BATCH):
        texts = [wanted[key] for key in missing[start : start + _BATCH]]
        blocks.append(_normalised(embedder.embed_documents(texts)))
    keys = kept + missing
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, 0), np.float32)
    fresh = UnitVectors(embedder.model_id, keys, vectors)
    fresh.save(path)
    logger.info("unit vectors: %d embedded, %d kept", len(missing), len(kept))
    return fresh


class UnitVectorsFile:
    """The unit vectors of one index, reloaded when an ingestion (any process) rewrote them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._held: UnitVectors | None = None

    def current(self) -> UnitVectors | None:
        """The vectors as last saved (None when the index has none yet)."""
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError:
            return None
        if stamp != self._stamp:
            self._held, self._stamp = UnitVectors.load(self.path), stamp
        return self._held
