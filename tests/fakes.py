"""Test doubles for the slow or external parts: an embedder and a chat model.

Both are real code with the production interfaces (``assistant.schema.Embedder`` and
``Generator``), so the code under test cannot tell them apart from the real backends.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.errors import GenerationError
from assistant.schema import Embedder, Generator, Message

DIMENSION = 64

# Function words shared by every French passage: hashed, they would make unrelated texts close.
_STOPWORDS = frozenset(
    [
        "les",
        "des",
        "une",
        "que",
        "qui",
        "est",
        "sont",
        "par",
        "pour",
        "sur",
        "dans",
        "aux",
        "avec",
        "ces",
        "cette",
        "son",
        "ses",
        "leur",
        "leurs",
        "elle",
        "ils",
        "elles",
        "pas",
        "plus",
        "ont",
        "peut",
        "peuvent",
        "entre",
        "lorsque",
        "dont",
    ]
)


def _words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return [w for w in re.findall(r"[a-z0-9]+", folded) if len(w) > 2 and w not in _STOPWORDS]


def _bucket(word: str) -> int:
    # blake2b, not hash(): the built-in is salted per process, and vectors must be reproducible
    # across processes (the crash-safety test ingests in a subprocess).
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big") % DIMENSION


class HashingEmbedder:
    """Hashed bag of accent-folded words: texts sharing words get close vectors."""

    model_id = "hashing-64"
    dimension = DIMENSION

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text."""
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        """One unit vector for a question (same space as the documents)."""
        return self._embed(text)

    @staticmethod
    def _embed(text: str) -> list[float]:
        vector = [0.0] * DIMENSION
        for word in _words(text):
            vector[_bucket(word)] += 1.0
        norm = math.sqrt(sum(x * x for x in vector))
        if norm == 0.0:
            # No content word: a fixed unit vector, so that the norm contract still holds.
            vector[0] = 1.0
            return vector
        return [x / norm for x in vector]


class ScriptedGenerator:
    """Replies with the enqueued answers in order; an enqueued exception is raised instead."""

    name = "scripted"

    def __init__(self, *replies: str | Exception) -> None:
        self._queue: deque[str | Exception] = deque(replies)
        self.calls: list[list[Message]] = []

    def enqueue(self, reply: str | Exception) -> ScriptedGenerator:
        """Add the next reply (or exception to raise); returns self for chaining."""
        self._queue.append(reply)
        return self

    def generate(self, messages: Sequence[Message]) -> str:
        """Record the messages and return (or raise) the next scripted reply."""
        self.calls.append(list(messages))
        if not self._queue:
            raise GenerationError("aucune réponse programmée pour le générateur de test")
        reply = self._queue.popleft()
        if isinstance(reply, Exception):
            raise reply
        return reply


if TYPE_CHECKING:
    # mypy checks that the fakes satisfy the production Protocols.
    _embedder: Embedder = HashingEmbedder()
    _generator: Generator = ScriptedGenerator()
