"""French lexical index: BM25 (bm25s) over stemmed, accent-folded tokens, persisted."""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_FRENCH

from assistant.schema import Chunk

logger = logging.getLogger(__name__)

# "L. 4011-3", "art. D 4011-4-2", "R4011-1" → one token "l4011-3": references must stay whole.
_CODE_REF = re.compile(r"\b([LRD])\s*\.?\s*(\d{4}(?:-\d+){1,3})\b", re.IGNORECASE)
# "2020-148", "2021-1512", "2019-774": decree/law numbers, kept whole as well.
# The ``article`` field of a chunk of a code: a reference letter then digits.
_CODE_ARTICLE = re.compile(r"^[LRD]\d")
TEXT_NUMBER = re.compile(r"\b((?:19|20)\d{2}-\d{2,5})\b")
# Bump when tokenize_fr changes: persisted lexical indexes of another version are rebuilt.
TOKENIZER_VERSION = "2"
_STOPWORDS = frozenset(
    unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode() for w in STOPWORDS_FRENCH
) | {"d", "l", "qu", "s", "n", "c", "j", "m", "t"}


def fold_accents(text: str) -> str:
    """Lowercase and strip diacritics ("Établissement" → "etablissement")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("œ", "oe")


def fold_for_matching(text: str) -> str:
    """``fold_accents`` with the typographic apostrophe as a plain one, for regex matching."""
    return fold_accents(text).replace("’", "'")


def normalize_reference(letter: str, number: str) -> str:
    """Canonical article reference, e.g. ("L", "4011-3") → "L4011-3"."""
    return f"{letter.upper()}{number}"


def is_code_article(article: str) -> bool:
    """Whether a chunk's ``article`` is a code article ("L4011-3", "D4011-4"), not "1" or "".

    Code articles have versions (in force, superseded); an article of a decree or a law is a
    part of that one text.
    """
    return _CODE_ARTICLE.match(article) is not None


def find_references(text: str) -> list[str]:
    """Article references named in a text, canonical form ("L4011-3"), in order, unique."""
    found = [normalize_reference(m.group(1), m.group(2)) for m in _CODE_REF.finditer(text)]
    return list(dict.fromkeys(found))


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french")


def tokenize_fr(text: str) -> list[str]:
    """Tokens for BM25: references whole, words accent-folded then stemmed (French Snowball).

    Folding first makes "infirmiere" and "infirmière" the same token, whatever the user typed.
    """
    tokens: list[str] = [ref.lower() for ref in find_references(text)]
    rest = _CODE_REF.sub(" ", text)
    tokens += TEXT_NUMBER.findall(rest)
    rest = TEXT_NUMBER.sub(" ", rest)
    words = [w for w in re.findall(r"\w+", fold_accents(rest)) if w not in _STOPWORDS]
    tokens += [stem for stem in _stemmer().stemWords(words) if stem and stem not in _STOPWORDS]
    return tokens


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
        for position, chunk in enumerate(self.chunks):
            if chunk.article:
                self._by_article.setdefault(chunk.article.upper(), []).append(position)

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
            old = directory.with_name(directory.name + ".old")
            shutil.rmtree(old, ignore_errors=True)  # left behind by a crash between two renames
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
