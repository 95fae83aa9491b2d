"""Checklists built from an answer's retrieved passages: conditions, documents, steps, deadlines.

Nothing here is written by hand: every item is a sentence (or a list kept whole) of a retrieved
passage, classified by the words it uses, and cited with the number of its source. Texts no
longer in force are left out when texts in force give items, and higher authorities come first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.answer.authority import authority_sort_key
from assistant.answer.extractive import Idf, coverage
from assistant.schema import (
    Answer,
    Checklist,
    ChecklistItem,
    ChecklistSection,
    Citation,
    Hit,
    is_in_force,
)
from assistant.text.normalize import fold_for_matching, tokenize_fr
from assistant.text.sentences import split_sentences

__all__ = [
    "SECTION_TITLES",
    "Checklist",
    "ChecklistItem",
    "ChecklistSection",
    "build_checklist",
    "classify",
    "is_complete_sentence",
    "wants_checklist",
]


SECTION_TITLES: dict[str, str] = {
    "conditions": "Conditions à remplir",
    "documents": "Pièces à fournir",
    "steps": "Étapes",
    "deadlines": "Délais",
}
EMPTY_CHECKLIST = (
    "Aucune condition, pièce, étape ni délai n'a été trouvé dans les passages retrouvés : "
    "reformulez la question ou consultez la réponse et ses sources."
)
HISTORICAL_LEFT_OUT = (
    "Les passages de textes qui ne sont plus en vigueur ont été écartés de cette liste."
)

# Patterns run on accent-folded, lower-cased text; the first category that matches wins.
_CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "deadlines",
        re.compile(
            r"\bdelai|\bau plus tard\b|\bavant le \d|\bjusqu'au \d|\bsans delai\b"
            r"|\bdans les? \w+ (?:jours?|mois)\b|\b\d+ (?:jours?|mois)\b|\bannuellement\b"
            r"|\b(?:deux|trois|quatre|six|quinze|trente) (?:jours?|mois)\b"
        ),
    ),
    (
        "documents",
        re.compile(
            r"\bpieces?\b|\bjustificati|\battestation|\bdossier\b|\bcomporte|\bjoint"
            r"|\bfourni[rst]|\bformulaire|\bnumero d'enregistrement|\bcopie d"
            r"|\bdocuments? (?:attestant|fourni|demande)|\btelecharge"
        ),
    ),
    (
        "steps",
        re.compile(
            r"\bdeclar|\btransmet|\bsoum(?:et|is|ettent)|\bdepos|\bautoris|\bvalid"
            r"|\badresse|\bsaisi|\bnotifi|\bpubli|\benregistr|\binform|\bavis\b"
            r"|\bplateforme\b|\bdemarches?\b|\binstrui|\bdeliv"
        ),
    ),
    (
        "conditions",
        re.compile(
            r"\bdoi(?:t|vent)\b|\best tenu|\bsont tenus|\ba condition|\bsous reserve"
            r"|\bpeu(?:t|vent)\b|\bexige|\bobligatoire|\brequis|\bsont eligibles?"
            r"|\bformation\b|\bcompetences?\b|\bvolontaires?\b|\bconsentement"
        ),
    ),
)
# A sentence that names who receives or handles something describes, it is not a step to take
# ("L'ARS est destinataire de la déclaration", "la plateforme est chargée de…").
_DESCRIPTION = re.compile(
    r"\b(?:est|sont) (?:le |la |les |l'|un |une )?"
    r"(?:destinataires?|charges?|chargees?|competente?s?|responsables?|informes?|informees?)\b"
    # …nor a definition ("la date de déclaration constitue…", "les modalités sont précisées…").
    r"|\bconstitue(?:nt)?\b|\b(?:est|sont) (?:precisee?|definie?)s?\b"
)
# A complete item opens like a sentence and ends like one (or introduces its list): a list
# item cut from its introduction ("le référent chargé de la déclaration ;") is not one.
_SENTENCE_START = re.compile(r"^[«\"(]?\s*[A-ZÀ-ÖØ-Þ0-9]")
_SENTENCE_END = (".", "!", "?", "»", ":", "[…]", ")")
# Words every passage of this corpus shares: they say nothing about relevance.
_GENERIC = frozenset(tokenize_fr("protocole protocoles coopération professionnels santé"))
_MAX_ITEM_CHARS = 400
_MAX_DETAILS = 12
_DUPLICATE_OVERLAP = 0.7
# A sentence is kept when it covers at least this IDF-weighted share of the question.
_MIN_RELEVANCE = 0.12

# Questions users ask for a checklist ("puis-je adhérer", "quelles pièces", "qui valide").
_CHECKLIST_QUESTION = re.compile(
    r"\bpuis-je\b|\bpeut-on\b|\bpieces?\b|\bdocuments?\b|\bjustificati|\bconditions?\b"
    r"|\betapes?\b|\bdemarches?\b|\bdelais?\b|\bqui (?:valide|autorise|declare)|\bcomment\b"
    r"|\bque faut-il\b|\bfournir\b"
)


def wants_checklist(question: str) -> bool:
    """Whether a question asks for conditions, documents, steps or deadlines."""
    return _CHECKLIST_QUESTION.search(fold_for_matching(question)) is not None


def classify(sentence: str) -> str | None:
    """Category of a sentence: deadlines, documents, steps, conditions, or None."""
    folded = fold_for_matching(sentence)
    for category, pattern in _CATEGORIES:
        if category == "steps" and _DESCRIPTION.search(folded):
            continue
        if pattern.search(folded):
            return category
    return None


def is_complete_sentence(text: str) -> bool:
    """Whether a unit reads as a whole sentence: capital first, final punctuation last."""
    stripped = text.strip()
    return bool(_SENTENCE_START.match(stripped)) and stripped.endswith(_SENTENCE_END)


def _relevance(question: dict[str, float], tokens: frozenset[str], idf: Idf | None) -> float:
    """``coverage`` of the question (uniform weights without an IDF); 1.0 when nothing to weigh."""
    weight: Idf = idf or (lambda _: 1.0)
    if sum(weight(t) for t in question) <= 0:
        return 1.0
    return coverage(question, tokens, weight)


def _cited_number(hit: Hit, citations: Sequence[Citation]) -> int | None:
    """Number of the answer's citation for this passage (same document, place and text)."""
    chunk = hit.chunk
    flat = " ".join(chunk.text.split())
    for citation in citations:
        same_place = (
            citation.doc_id == chunk.doc_id
            and citation.section == chunk.section
            and citation.page == chunk.page
        )
        quote = " ".join(citation.quote.split())[:60]
        if same_place and (not quote or quote in flat):
            return citation.n
    return None


@dataclass(frozen=True, slots=True)
class _Candidate:
    category: str
    text: str
    tokens: frozenset[str]
    hit: Hit
    rank: int


def build_checklist(
    answer: Answer,
    *,
    idf: Idf | None = None,
    max_items: int = 6,
    min_relevance: float = _MIN_RELEVANCE,
) -> Checklist:
    """Conditions, documents, steps and deadlines found in the answer's retrieved passages.

    The checklist numbers its own sources from [1], in the order its items cite them: an item
    whose passage the answer cites reuses that citation (renumbered), another passage gets a
    citation quoting the items taken from it. Only complete sentences become items, and a
    sentence that describes who receives something is not a step. Items from texts no longer in
    force are left out when texts in force give items. Within a category, higher authorities
    come first, then retrieval order.

    Args:
        answer: The answer (its passages are the evidence; a refused answer gives no items).
        idf: Term weights (``retriever.lexical.idf``) to judge relevance to the question.
        max_items: Most items per category.
        min_relevance: Least IDF-weighted share of the question a sentence must cover.
    """
    if answer.refused or not answer.passages:
        return Checklist(answer.question, [], list(answer.citations), [EMPTY_CHECKLIST])
    candidates = _candidates(answer, idf, min_relevance)
    notes: list[str] = []
    in_force = [c for c in candidates if is_in_force(c.hit.chunk.status)]
    if in_force and len(in_force) < len(candidates):
        candidates = in_force
        notes.append(HISTORICAL_LEFT_OUT)
    candidates.sort(key=lambda c: (authority_sort_key(c.hit.chunk), c.rank))
    citations = list(answer.citations)
    sections, citations = _renumbered(_sections(candidates, citations, max_items), citations)
    return Checklist(answer.question, sections, citations, notes if sections else [EMPTY_CHECKLIST])


def _renumbered(
    sections: list[ChecklistSection], citations: list[Citation]
) -> tuple[list[ChecklistSection], list[Citation]]:
    """The checklist numbered on its own, [1] first: only the sources its items cite, in order."""
    numbers: dict[int, int] = {}
    for section in sections:
        for item in section.items:
            numbers.setdefault(item.n, len(numbers) + 1)
    by_n = {c.n: c for c in citations}
    renumbered = [
        ChecklistSection(s.category, s.title, [replace(i, n=numbers[i.n]) for i in s.items])
        for s in sections
    ]
    return renumbered, [replace(by_n[old], n=new) for old, new in numbers.items()]


def _candidates(answer: Answer, idf: Idf | None, min_relevance: float) -> list[_Candidate]:
    """Classified sentences of the passages that are relevant to the question."""
    question_text = answer.standalone_question or answer.question
    question = {t: 1.0 for t in tokenize_fr(question_text) if t not in _GENERIC}
    candidates: list[_Candidate] = []
    for rank, hit in enumerate(answer.passages):
        for sentence in split_sentences(hit.chunk.text):
            category = classify(sentence) if is_complete_sentence(sentence) else None
            tokens = frozenset(tokenize_fr(sentence))
            if category is None or _relevance(question, tokens, idf) < min_relevance:
                continue
            candidates.append(_Candidate(category, sentence, tokens, hit, rank))
    return candidates


def _sections(
    candidates: Sequence[_Candidate], citations: list[Citation], max_items: int
) -> list[ChecklistSection]:
    """Up to ``max_items`` distinct items per category, numbered (``citations`` is extended)."""
    added: dict[str, int] = {}
    sections = []
    for category, title in SECTION_TITLES.items():
        items: list[ChecklistItem] = []
        kept: list[frozenset[str]] = []
        for candidate in (c for c in candidates if c.category == category):
            if len(items) >= max_items:
                break
            if any(_overlap(candidate.tokens, other) > _DUPLICATE_OVERLAP for other in kept):
                continue
            text, details = _split_list(candidate.text)
            n = _number(candidate, citations, added)
            items.append(ChecklistItem(text, n, details))
            kept.append(candidate.tokens)
        if items:
            sections.append(ChecklistSection(category, title, items))
    return sections


def _number(candidate: _Candidate, citations: list[Citation], added: dict[str, int]) -> int:
    """The citation number of the candidate's passage, adding a citation when there is none.

    The answer's own citations are left untouched; a citation added for the checklist (recorded
    in ``added`` by chunk id) quotes every item taken from its passage.
    """
    chunk_id = candidate.hit.chunk.id
    if chunk_id in added:
        n = added[chunk_id]
        index = next(i for i, c in enumerate(citations) if c.n == n)
        citations[index] = replace(
            citations[index], quote=f"{citations[index].quote} {candidate.text}"
        )
        return n
    found = _cited_number(candidate.hit, citations)
    if found is not None:
        return found
    n = max((c.n for c in citations), default=0) + 1
    citations.append(Citation.from_hit(n, candidate.hit, candidate.text))
    added[chunk_id] = n
    return n


def _split_list(unit: str) -> tuple[str, tuple[str, ...]]:
    """A list kept whole ("intro : a ; b ; c.") as its introduction and its items."""
    intro, colon, rest = unit.partition(": ")
    parts = [p.strip().rstrip(".").strip() for p in rest.split(" ; ")] if colon else []
    if len(parts) < 2:
        return _cut(unit), ()
    return _cut(intro.strip() + " :"), tuple(_cut(p) for p in parts[:_MAX_DETAILS] if p)


def _cut(text: str, limit: int = _MAX_ITEM_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " […]"


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))
