"""Scores of one answer against one case, and their aggregation. Pure functions."""

from __future__ import annotations

import hashlib
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
class CitedPassage:
    """The retrieved passage behind one citation ``[n]``: what a corpus change can invalidate."""

    n: int
    doc_id: str
    section: str
    page: int
    chunk_id: str
    content_hash: str


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
    passages: list[CitedPassage] = field(default_factory=list)
    answer_sha256: str = ""
    """Fingerprint of ``answer``: kept when the text itself is not (a committed baseline)."""

    @property
    def answer_fingerprint(self) -> str:
        """``answer_sha256``, or the hash of ``answer`` for runs saved before it existed."""
        return self.answer_sha256 or answer_sha256(self.answer)


def answer_sha256(text: str) -> str:
    """Hash of an answer's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def score_item(
    case: EvalCase,
    retrieved: Sequence[str],
    answer_text: str,
    cited_docs: Sequence[str],
    refused: bool,
    latency_s: float,
    passages: Sequence[CitedPassage] = (),
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
        passages=list(passages),
        answer_sha256=answer_sha256(answer_text),
    )


RATIO_METRICS = (
    "hit_at_1",
    "hit_at_5",
    "mrr",
    "key_fact_coverage",
    "citation_precision",
    "refusal_accuracy",
    "false_refusals",
)
"""Metrics that are a sum over questions divided by a sum over questions (bootstrap-able)."""


def item_parts(item: ItemResult, k: int) -> dict[str, tuple[float, float]]:
    """Each ratio metric's (numerator, denominator) contribution of one question.

    A metric is ``sum(numerators) / sum(denominators)`` over the questions: the one definition
    used by ``summarize`` and by the bootstrap, which resamples questions.
    """
    ranked = item.answerable and bool(item.expected)
    answered = item.answerable and not item.refused
    rank = item.rank
    return {
        "hit_at_1": (float(rank == 1), 1.0) if ranked else (0.0, 0.0),
        "hit_at_5": (float(rank is not None and rank <= k), 1.0) if ranked else (0.0, 0.0),
        "mrr": (1.0 / rank if rank else 0.0, 1.0) if ranked else (0.0, 0.0),
        "key_fact_coverage": (float(sum(item.groups_matched)), float(len(item.groups_matched)))
        if item.answerable
        else (0.0, 0.0),
        "citation_precision": (
            float(sum(doc in item.expected for doc in item.citations)),
            float(len(item.citations)),
        )
        if answered
        else (0.0, 0.0),
        "refusal_accuracy": (0.0, 0.0) if item.answerable else (float(item.refused), 1.0),
        "false_refusals": (float(item.refused), 1.0) if item.answerable else (0.0, 0.0),
    }


def summarize(items: Sequence[ItemResult], k: int) -> dict[str, float]:
    """The summary metrics of the evaluation issue (answerable-only where stated)."""
    parts = [item_parts(i, k) for i in items]
    summary: dict[str, float] = {"n": len(items)}
    for metric in RATIO_METRICS:
        numerator = sum(p[metric][0] for p in parts)
        denominator = sum(p[metric][1] for p in parts)
        summary[metric] = numerator / denominator if denominator else 0.0
    latencies = [i.latency_s for i in items]
    summary["latency_p50_s"] = percentile(latencies, 50)
    summary["latency_p95_s"] = percentile(latencies, 95)
    return summary
