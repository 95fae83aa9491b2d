"""Hybrid retrieval: dense (Chroma) + lexical (BM25) fused by RRF, exact references first."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from assistant.config import SECONDARY_DISCOUNT, RetrieverMode
from assistant.hierarchy import authority_of
from assistant.index.lexical import Bm25Index
from assistant.index.store import ChromaStore
from assistant.retrieve.text_articles import find_text_articles, passages_of
from assistant.schema import Chunk, Embedder, Hit, date_number, is_historical, is_in_force
from assistant.text.dates import FOLDED_MONTHS_PATTERN, FRENCH_MONTHS
from assistant.text.glossary import expand_vocabulary
from assistant.text.normalize import (
    TEXT_NUMBER,
    find_references,
    fold_accents,
    fold_for_matching,
    is_code_article,
    tokenize_fr,
)
from assistant.text.sentences import (
    leading_list_items,
    list_goes_on,
    list_introduction,
    only_list_items,
    starts_with_list_item,
)

logger = logging.getLogger(__name__)

# How many passages back the introduction of a list is sought.
_LIST_PASSAGES = 3

_EXACT_SCORE = 1.0


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrictions on what may be retrieved; empty means everything."""

    kinds: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    in_force_only: bool = False
    since: str = ""

    def where(self) -> dict[str, Any] | None:
        """The same restrictions as a Chroma ``where`` clause."""
        clauses: list[dict[str, Any]] = []
        if self.kinds:
            clauses.append({"kind": {"$in": list(self.kinds)}})
        if self.doc_ids:
            clauses.append({"doc_id": {"$in": list(self.doc_ids)}})
        if self.in_force_only:
            clauses.append({"in_force": True})
        if self.since:
            clauses.append({"date_num": {"$gte": date_number(self.since)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def accepts(self, chunk: Chunk) -> bool:
        """The same restrictions as a predicate, for lexical hits."""
        return (
            (not self.kinds or chunk.kind in self.kinds)
            and (not self.doc_ids or chunk.doc_id in self.doc_ids)
            and (not self.in_force_only or is_in_force(chunk.status))
            and (not self.since or date_number(chunk.date) >= date_number(self.since))
        )


# Share of the secondary-source discount by authority level (see ``source_prior``).
_SECONDARY_SHARE = {5: 0.5, 6: 0.75, 8: 1.0}


def rrf(rankings: Sequence[Sequence[str]], k: int = 60) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(id) = Σ 1 / (k + rank), ranks starting at 1.

    ``k = 60`` is the constant of Cormack et al. (2009): it damps the weight of the very first
    ranks so that one retriever alone cannot dominate. Ties keep first-seen order.
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def source_prior(chunk: Chunk, discount: float) -> float:
    """Weight of a passage by its source: 1 for official texts, down to ``1 - discount``.

    Secondary sources are lowered — information pages (ARS, presentations, other sites) by half
    the discount, communiqués and unclassified sources by three quarters, the press by all of it
    — so that when an official text and a page that repeats it are both found, the official text
    comes first. Historical texts are left to the in-force logic (a question about the past
    wants them).
    """
    return 1.0 - discount * _SECONDARY_SHARE.get(authority_of(chunk.kind, chunk.section).level, 0)


def official_first(
    fused: list[tuple[str, float]], chunks: dict[str, Chunk], discount: float
) -> list[tuple[str, float]]:
    """The fused ranking with each score weighted by its source's prior, best first."""
    if discount <= 0:
        return fused
    weighted = [(cid, score * source_prior(chunks[cid], discount)) for cid, score in fused]
    return sorted(weighted, key=lambda item: -item[1])


def _shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", fold_accents(text))
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


_DUPLICATE_JACCARD = 0.8


def is_near_duplicate(a: Chunk, b: Chunk, threshold: float = _DUPLICATE_JACCARD) -> bool:
    """Same passage in two places: identical text, or word-trigram Jaccard ≥ threshold."""
    if a.content_hash == b.content_hash:
        return True
    return _jaccard(_shingles(a.text), _shingles(b.text)) >= threshold


class HybridRetriever:
    """One interface for the three modes: ``hybrid`` (default), ``dense`` and ``bm25``."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        lexical: Bm25Index,
        *,
        mode: RetrieverMode = "hybrid",
        fetch_k: int = 30,
        per_document: int = 0,
        reload_lexical: Callable[[Bm25Index], Bm25Index] | None = None,
        check_every_s: float = 5.0,
        secondary_discount: float = SECONDARY_DISCOUNT,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.lexical = lexical
        self.mode = mode
        self.fetch_k = fetch_k
        self.per_document = per_document
        self.secondary_discount = secondary_discount
        self._reload_lexical = reload_lexical
        self._check_every_s = check_every_s
        self._checked_at = time.monotonic()

    def _refresh_lexical(self) -> None:
        """Follow an ingestion made by another process (a long-lived chat worker).

        At most every ``check_every_s``, the BM25 index is swapped for the current one when the
        index changed.
        """
        if self._reload_lexical is None:
            return
        now = time.monotonic()
        if now - self._checked_at >= self._check_every_s:
            self._checked_at = now
            self.lexical = self._reload_lexical(self.lexical)

    def search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Hit]:
        """Best ``k`` passages, exact article references first, near-duplicates collapsed."""
        return self.search_with_vector(query, k, filters)[0]

    def search_with_vector(
        self,
        query: str,
        k: int,
        filters: SearchFilters | None = None,
        *,
        mode: RetrieverMode | None = None,
        vector: list[float] | None = None,
    ) -> tuple[list[Hit], list[float]]:
        """``search``, and the query vector it computed (sentence choice reuses it).

        ``mode`` overrides the retriever's own for this query (an English question is searched
        by meaning only: its words match nothing in the French texts but noise). ``vector``:
        the query's, already computed by the caller.
        """
        filters = filters or SearchFilters()
        mode = mode or self.mode
        self._refresh_lexical()
        if vector is None:
            vector = self.embedder.embed_query(query)
        dense: list[tuple[Chunk, float]] = []
        lexical: list[tuple[Chunk, float]] = []
        if mode in ("hybrid", "dense"):
            dense = self.store.query(vector, self.fetch_k, filters.where())
        if mode in ("hybrid", "bm25"):
            found = self.lexical.search(lexical_query(query), self.fetch_k * 3)
            lexical = [(c, s) for c, s in found if filters.accepts(c)][: self.fetch_k]
        by_id = {c.id: c for c, _ in lexical} | {c.id: c for c, _ in dense}
        fused = rrf([[c.id for c, _ in dense], [c.id for c, _ in lexical]])
        fused = official_first(fused, by_id, self.secondary_discount)
        dense_scores = {c.id: s for c, s in dense}
        lexical_scores = {c.id: s for c, s in lexical}
        hits = [
            Hit(
                chunk=by_id[chunk_id],
                score=score,
                dense_score=dense_scores.get(chunk_id),
                lexical_score=lexical_scores.get(chunk_id),
            )
            for chunk_id, score in fused
        ]
        hits = self._exact_first(query, hits, filters) + hits
        # Room for versions in force and diversity; a question about the past (and not about
        # today) keeps the version it found first, older or not.
        past = asks_about_the_past(query) and not asks_about_the_present(query)
        hits = _collapse_duplicates(hits, 3 * k, higher_first=not past)
        hits = self._current_versions_first(query, hits, filters)
        hits = diversify(hits, k, self.per_document)
        hits = [self._with_list_items(self._with_list_introduction(hit)) for hit in hits]
        return self._with_dense_scores(vector, hits), vector

    def _with_list_introduction(self, hit: Hit) -> Hit:
        """A passage that opens on a list item, with the sentence introducing the list.

        A long list is cut between passages: the later one starts at an item (« 2° Le taux de
        reprise… ») and its introduction (« Ces indicateurs de suivi portent sur : ») ends the
        passage before. Quoted alone, the items would say nothing of what they list.
        """
        chunk = hit.chunk
        if chunk.chunk_index == 0 or not starts_with_list_item(chunk.text):
            return hit
        before = self.lexical.previous(chunk)
        # A list longer than a passage: its introduction is further back.
        for _ in range(_LIST_PASSAGES):
            if before is None or before.article != chunk.article:
                return hit
            introduction = list_introduction(before.text)
            if introduction is not None:
                break
            if not only_list_items(before.text):
                return hit
            before = self.lexical.previous(before)
        else:
            return hit
        if introduction in chunk.text:
            return hit
        return replace(hit, chunk=replace(chunk, text=f"{introduction}\n{chunk.text}"))

    def _with_list_items(self, hit: Hit) -> Hit:
        """A passage that ends in a list, with the items the next passages go on with.

        « Ces indicateurs de suivi portent sur : » ends one passage and « 1° Le nombre de
        patients… ; 2° Le taux de reprise… » opens the next: the question about the indicators
        finds the first, whose answer is in the second.
        """
        chunk = hit.chunk
        if not list_goes_on(chunk.text):
            return hit
        items: list[str] = []
        after = self.lexical.next(chunk)
        for _ in range(_LIST_PASSAGES):
            if after is None or after.article != chunk.article:
                break
            found = leading_list_items(after.text)
            items += [item for item in found if item not in chunk.text and item not in items]
            if not found or not only_list_items(after.text):
                break
            after = self.lexical.next(after)
        if not items:
            return hit
        return replace(hit, chunk=replace(chunk, text="\n".join([chunk.text, *items])))

    def _current_versions_first(
        self, query: str, hits: list[Hit], filters: SearchFilters
    ) -> list[Hit]:
        """Put the text in force of a code article just before a superseded version of it.

        Left as is when the question asks about the past ("avant 2019", "l'ancien article").
        """
        if asks_about_the_past(query):
            return hits
        later = {hit.chunk.id: hit for hit in hits}
        placed: set[str] = set()
        query_tokens = set(tokenize_fr(query))
        result: list[Hit] = []
        for hit in hits:
            chunk = hit.chunk
            if chunk.id in placed:
                continue
            if not is_in_force(chunk.status) and is_code_article(chunk.article):
                current = [
                    c
                    for c in self.lexical.by_article(chunk.article)
                    if is_in_force(c.status) and c.id not in placed and filters.accepts(c)
                ]
                if current:
                    best = max(current, key=lambda c: len(query_tokens & set(tokenize_fr(c.text))))
                    result.append(later.get(best.id, Hit(chunk=best, score=hit.score)))
                    placed.add(best.id)
            result.append(hit)
            placed.add(chunk.id)
        return result

    def _exact_first(self, query: str, hits: list[Hit], filters: SearchFilters) -> list[Hit]:
        """Passages of the articles or texts the query names, texts in force first.

        Superseded versions come first when the question asks about the past.
        """
        exact: list[Chunk] = []
        for reference in find_references(query):
            exact += self.lexical.by_article(reference)
        for text_article in find_text_articles(query):
            exact += passages_of(text_article, self.lexical.chunks)
        numbers = TEXT_NUMBER.findall(query)
        if numbers:
            for chunk in self.lexical.chunks:
                if chunk.chunk_index == 0 and any(
                    n in chunk.doc_id or n in chunk.title for n in numbers
                ):
                    exact.append(chunk)
        exact = [c for c in exact if filters.accepts(c)]
        past = asks_about_the_past(query)
        exact.sort(
            key=lambda c: (
                is_in_force(c.status) == past,
                -date_number(c.article_date or c.date),
            )
        )
        return [Hit(chunk=c, score=_EXACT_SCORE, exact_reference=True) for c in exact]

    def _with_dense_scores(self, vector: Sequence[float], hits: list[Hit]) -> list[Hit]:
        """Fill the cosine similarity of hits found only lexically (used for refusal)."""
        missing = [h.chunk for h in hits if h.dense_score is None]
        if not missing:
            return hits
        stored = self.store.vectors_of(missing)
        query = np.asarray(vector, dtype=np.float32)
        result = []
        for hit in hits:
            if hit.dense_score is None and hit.chunk.id in stored:
                similarity = float(np.dot(query, np.asarray(stored[hit.chunk.id], np.float32)))
                hit = replace(hit, dense_score=similarity)
            result.append(hit)
        return result


def _collapse_duplicates(hits: list[Hit], limit: int, *, higher_first: bool = True) -> list[Hit]:
    """The first ``limit`` hits that are not near-duplicates of an earlier one.

    With ``higher_first``, of two near-duplicates the higher source stays, at the better rank:
    a page that repeats a text word for word never takes its place (official first). Shingles
    are computed once per hit, not once per pair (that cost ~140 ms per query).
    """
    kept: list[tuple[Hit, set[str]]] = []
    for hit in hits:
        shingles = _shingles(hit.chunk.text)
        same = next(
            (
                position
                for position, (other, other_shingles) in enumerate(kept)
                if hit.chunk.id == other.chunk.id
                or hit.chunk.content_hash == other.chunk.content_hash
                or _jaccard(shingles, other_shingles) >= _DUPLICATE_JACCARD
            ),
            None,
        )
        if same is not None:
            other = kept[same][0]
            higher = _source_rank(hit.chunk) < _source_rank(other.chunk)
            if higher_first and higher and not other.exact_reference:
                kept[same] = (replace(hit, score=other.score), shingles)
            continue
        kept.append((hit, shingles))
        if len(kept) == limit:
            break
    return [hit for hit, _ in kept]


def _source_rank(chunk: Chunk) -> tuple[bool, int]:
    """Current texts before historical ones, then the highest authority (lowest level) first.

    A closed call for proposals is not superseded: it still outranks a page that repeats it.
    """
    return (is_historical(chunk.status), authority_of(chunk.kind, chunk.section).level)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# Words of a question about earlier law: superseded versions are then what it asks for.
_PAST = re.compile(
    r"\b(?:avant|ancien(?:ne)?s?|historique|auparavant|autrefois|anterieure?s?|precedente?s?|"
    r"hpst|experimentations?|2004|2005|2006|2009|2010|2011|(?:dev|pouv|fall|et)ai(?:en)?t)\b"
)
_PRESENT = re.compile(
    r"\b(?:aujourd'hui|actuel(?:le)?s?|actuellement|desormais|maintenant|en vigueur|"
    r"(?:depuis|apres) (?:la (?:reforme|simplification) (?:de )?)?(?:septembre )?2025)\b"
)


# "avant la loi du 24 juillet 2019", "avant 2019", "antérieurement à septembre 2025": a period
# bounded by a date, not a subject.
_PERIOD_BOUND = re.compile(
    r"\b(?:avant|ant[ée]rieur(?:e|s|es|ement)? à|jusqu['’]en)\s+"
    r"(?:(?:la |le |l['’])(?:(?:r[ée]forme|loi|d[ée]cret|arr[êe]t[ée]|r[ée]gime|simplification|"
    r"ordonnance|texte)s?\s+)?(?:(?:de|du|d['’])\s*)?)?(?:1er\s+|\d{1,2}\s+)?"
    rf"(?:(?:{'|'.join(FRENCH_MONTHS)}|{FOLDED_MONTHS_PATTERN})\s+)?(?:19|20)\d\d\b",
    re.IGNORECASE,
)


def lexical_query(query: str) -> str:
    """The words searched lexically: the query without its period bounds, vocabulary expanded.

    « Avant la loi de 2019, qui autorisait… ? » asks about the time before that law: matched
    word for word, « loi » and « 2019 » would rank the law itself first. Only « avant » is kept.
    """
    return expand_vocabulary(_PERIOD_BOUND.sub("avant", query))


def asks_about_the_past(question: str) -> bool:
    """Whether the question is about superseded texts ("avant 2019", "sous l'arrêté de 2009")."""
    return _PAST.search(fold_for_matching(question)) is not None


def asks_about_the_present(question: str) -> bool:
    """Whether the question asks for the rule in force now ("aujourd'hui", "depuis 2025")."""
    return _PRESENT.search(fold_for_matching(question)) is not None


def diversify(hits: list[Hit], k: int, per_document: int) -> list[Hit]:
    """The first ``k`` hits, at most ``per_document`` from one document while others are left.

    Named articles are never held back; held-back passages fill the remaining places in order.
    """
    if per_document <= 0:
        return hits[:k]
    chosen: list[Hit] = []
    held: list[Hit] = []
    counts: dict[str, int] = {}
    for hit in hits:
        if len(chosen) == k:
            break
        doc = hit.chunk.doc_id
        if hit.exact_reference or counts.get(doc, 0) < per_document:
            chosen.append(hit)
            counts[doc] = counts.get(doc, 0) + 1
        else:
            held.append(hit)
    chosen += held[: k - len(chosen)]
    return chosen
