"""Scores of one answer against one case, and their aggregation. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.text.normalize import fold_for_matching
from evals.cases import EvalCase
from evals.stats import percentile


def normalize(text: str) -> str:
    """Case-, accent- and apostrophe-insensitive form for ``must_include`` matching."""
    folded = fold_for_matching(text).replace("‘", "'")
    return " ".join(folded.split())


def matched_groups(groups: Sequence[Sequence[str]], answer_text: str) -> list[bool]:
    """For each group, whether one of its alternatives occurs in the answer."""
    haystack = normalize(answer_text)
    return [any(normalize(alt) in haystack for alt in group if alt.strip()) for group in groups]


def first_hit_rank(retrieved: Sequence[str], expected: set[str]) -> int | None:
    """1-based rank of the first retrieved doc that is expected, or None."""
    for rank, doc_id in enumerate(retrieved, start=1):
        if doc_id in expected:
            return rank
    return None


@dataclass(slots=True)
class ItemResult:
    """Everything measured on one case."""

    id: str
    question: str
    answerable: bool
    retrieved: list[str]
    expected: list[str]
    answer: str
    citations: list[str]
    refused: bool
    groups_matched: list[bool]
    latency_s: float
    rank: int | None = None
    notice: str = ""
    extra: dict[str, float] = field(default_factory=dict)


def score_item(
    case: EvalCase,
    retrieved: Sequence[str],
    answer_text: str,
    cited_docs: Sequence[str],
    refused: bool,
    latency_s: float,
) -> ItemResult:
    """Score one answer (refused answers match no key fact)."""
    groups = (
        [False] * len(case.must_include)
        if refused
        else matched_groups(case.must_include, answer_text)
    )
    return ItemResult(
        id=case.id,
        question=case.question,
        answerable=case.answerable,
        retrieved=list(retrieved),
        expected=sorted(case.expected_docs),
        answer=answer_text,
        citations=list(cited_docs),
        refused=refused,
        groups_matched=groups,
        latency_s=latency_s,
        rank=first_hit_rank(retrieved, case.expected_docs),
    )


def _share(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def summarize(items: Sequence[ItemResult], k: int) -> dict[str, float]:
    """The summary metrics of the evaluation issue (answerable-only where stated)."""
    answerable = [i for i in items if i.answerable and i.expected]
    unanswerable = [i for i in items if not i.answerable]
    groups = [g for i in items if i.answerable for g in i.groups_matched]
    cited = [
        doc in i.expected for i in items if i.answerable and not i.refused for doc in i.citations
    ]
    latencies = [i.latency_s for i in items]
    return {
        "n": len(items),
        "hit_at_1": _share([i.rank == 1 for i in answerable]),
        "hit_at_5": _share([i.rank is not None and i.rank <= k for i in answerable]),
        "mrr": sum(1.0 / i.rank for i in answerable if i.rank) / len(answerable)
        if answerable
        else 0.0,
        "key_fact_coverage": _share(groups),
        "citation_precision": _share(cited),
        "refusal_accuracy": _share([i.refused for i in unanswerable]),
        "false_refusals": _share([i.refused for i in items if i.answerable]),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
    }
