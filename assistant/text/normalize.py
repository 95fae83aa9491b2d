"""French text normalisation: accent folding, tokens for BM25, legal references."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_FRENCH

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


# "[2]", "[1, 3]", "[4;5]": the form of the answer's citation markers.
CITATION_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


def strip_citation_markers(text: str) -> str:
    """``text`` without bracketed numbers: a document's own "[2]" must never become a citation."""
    # The space before a marker goes with it: "voir [2]." → "voir.", "pièces [4] :" → "pièces :";
    # the text's own French spacing (« exercice : les professions ») stays as written.
    stripped = re.sub(r"[ \t]*" + CITATION_MARKER.pattern + r"(?:[ \t]+(?=[.,]))?", "", text)
    return re.sub(r"[ \t]{2,}", " ", stripped).strip()
