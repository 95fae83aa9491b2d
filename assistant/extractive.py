"""Extractive answers: the most relevant sentences of the retrieved passages, each one cited."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.lexical import tokenize_fr
from assistant.schema import Hit

_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[«\"A-ZÀ-ÖØ-Ý0-9])")
_EDITORIAL = re.compile(r"^\s*\[[^\]]*\]\s*$")
_LIST_MARK = re.compile(r"^\s*(?:[-–•*]|\d+°|[IVX]+(?:\.-?|-)|[A-Z]\.-|[a-z]\)|\d+[.)-])\s*-?\s*")
# A split after "L." / "art." / "n°" etc. is an abbreviation, not a sentence end.
_ABBREVIATION_END = re.compile(r"(?:\b[A-Z]|\bart|\bArt|\bn°|\bcf|\bp|\bal|\bnos?)\.$")
_URL = re.compile(r"https?://\S+")
_MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s")
_MIN_CHARS = 30
_MAX_CHARS = 520

Idf = Callable[[str], float]


@dataclass(frozen=True, slots=True)
class Sentence:
    """A candidate sentence of one passage."""

    passage: int
    position: int
    text: str
    tokens: frozenset[str]


@dataclass(frozen=True, slots=True)
class Extract:
    """The chosen sentences, by passage index (0-based), in reading order."""

    sentences: list[Sentence]
    coverage: float


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a passage, editorial notes and headings left out."""
    pieces: list[str] = []
    for line in _logical_lines(text):
        for sentence in _merge_abbreviations(_SENTENCE_END.split(line.strip())):
            cleaned = _LIST_MARK.sub("", _URL.sub("", sentence)).strip()
            if len(cleaned) >= _MIN_CHARS and not _is_heading(cleaned):
                pieces.append(_shorten(cleaned))
    return pieces


def _logical_lines(text: str) -> list[str]:
    """Lines re-joined where a PDF or a web page broke a sentence in the middle."""
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or _EDITORIAL.match(line) or _MARKDOWN_HEADING.match(line):
            if lines and lines[-1]:
                lines.append("")
            continue
        previous = lines[-1] if lines else ""
        if previous and not previous.endswith((".", ";", ":", "!", "?")) and line[0].islower():
            lines[-1] = f"{previous} {line}"
        else:
            lines.append(line)
    return [line for line in lines if line]


def _merge_abbreviations(parts: list[str]) -> list[str]:
    merged: list[str] = []
    for part in parts:
        if merged and _ABBREVIATION_END.search(merged[-1]):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged


def _is_heading(text: str) -> bool:
    """Titles, questions used as titles and label lines are not answers."""
    if text.endswith(("?", ":")) or ":" in text[:25] and len(text) < 80:
        return True
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) > 0.6 * len(letters):
        return True
    return text.lower().startswith(("article ", "art. ", "annexe")) and len(text) < 60


def _shorten(text: str) -> str:
    if len(text) <= _MAX_CHARS:
        return text
    return text[:_MAX_CHARS].rsplit(" ", 1)[0] + " […]"


def weighted_query(question: str, context: str = "") -> dict[str, float]:
    """Query tokens with weights: the question's own words count fully, carried-over ones half."""
    weights = dict.fromkeys(tokenize_fr(context), 0.5)
    weights.update(dict.fromkeys(tokenize_fr(question), 1.0))
    return weights


def coverage(query: dict[str, float], tokens: set[str] | frozenset[str], idf: Idf) -> float:
    """IDF-weighted share of the query's tokens present in ``tokens`` (0 … 1)."""
    total = sum(w * idf(t) for t, w in query.items())
    if total <= 0:
        return 0.0
    return sum(w * idf(t) for t, w in query.items() if t in tokens) / total


def extract(
    query: dict[str, float],
    hits: Sequence[Hit],
    idf: Idf,
    *,
    max_sentences: int = 4,
    max_chars: int = 1100,
) -> Extract:
    """Pick the best sentences: query coverage, passage rank prior, diversity, a length budget."""
    candidates = [
        Sentence(p, i, text, frozenset(tokenize_fr(text)))
        for p, hit in enumerate(hits)
        for i, text in enumerate(split_sentences(hit.chunk.text))
    ]
    if not candidates:
        return Extract([], 0.0)

    def score(sentence: Sentence) -> float:
        hit = hits[sentence.passage]
        prior = 0.25 / (sentence.passage + 1) + (0.2 if hit.exact_reference else 0.0)
        lead = 0.05 if sentence.position == 0 else 0.0
        return coverage(query, sentence.tokens, idf) + prior + lead

    ranked = sorted(candidates, key=score, reverse=True)
    best = score(ranked[0])
    chosen: list[Sentence] = []
    used = 0
    for sentence in ranked:
        if len(chosen) == max_sentences or score(sentence) < 0.55 * best:
            break
        if used + len(sentence.text) > max_chars and chosen:
            continue
        if any(_overlap(sentence.tokens, c.tokens) > 0.6 for c in chosen):
            continue
        chosen.append(sentence)
        used += len(sentence.text)
    top_tokens: set[str] = set()
    for hit in hits[:3]:
        top_tokens |= set(tokenize_fr(hit.chunk.indexed_text))
    ordered = sorted(chosen, key=lambda s: (s.passage, s.position))
    return Extract(ordered, coverage(query, top_tokens, idf))


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))
