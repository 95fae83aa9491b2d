"""Synthetic corpora for the scale benchmark: recombined real sentences, random unit vectors."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence

import numpy as np

from assistant.schema import Chunk

# Synthetic documents are cut in passages of this many chunks (the real corpus averages ~13,
# the codes several hundred): the per-document catalog work is exercised, not hidden.
SYNTHETIC_DOC_CHUNKS = 50
SYNTHETIC_DIM = 768


class PrecomputedEmbedder:
    """Returns a fixed vector per question, so that only retrieval is timed."""

    model_id = "synthetic-random"

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self._vectors = vectors

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors of known texts (the bench never embeds passages through this)."""
        return [self._vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """The precomputed vector of this question."""
        return self._vectors[text]


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random vectors of norm 1 in the synthetic dimension."""
    vectors = rng.standard_normal((n, SYNTHETIC_DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def synthetic_chunks(passages: Sequence[str], size: int, seed: int = 7) -> list[Chunk]:
    """``size`` chunks whose texts recombine sentences of real passages (same vocabulary)."""
    sentences = [s.strip() for p in passages for s in re.split(r"(?<=[.;:])\s+", p) if s.strip()]
    if not sentences:
        raise ValueError("no passage to recombine")
    rng = random.Random(seed)
    chunks = []
    for i in range(size):
        doc = i // SYNTHETIC_DOC_CHUNKS
        text = " ".join(rng.choice(sentences) for _ in range(5))[:900]
        chunks.append(
            Chunk(
                id=f"s{i}",
                text=text,
                doc_id=f"synth-{doc}",
                title=f"Texte synthétique {doc}",
                kind="page",
                date="2024-01-01",
                official_url="",
                section="",
                article=f"R{1000 + doc % 9000}-{i % SYNTHETIC_DOC_CHUNKS}",
                page=1,
                start=0,
                end=len(text),
                chunk_index=i % SYNTHETIC_DOC_CHUNKS,
                content_hash=hashlib.sha1(text.encode()).hexdigest(),
                doc_hash=hashlib.sha256(f"synth-{doc}".encode()).hexdigest(),
            )
        )
    return chunks
