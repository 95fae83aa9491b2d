"""Query-time benchmark: our answer path against the time of embedding the query alone."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering import Assistant
from evals.cases import EvalCase


@dataclass(frozen=True, slots=True)
class Timing:
    """p50 / p95 of one measured step, in seconds."""

    p50: float
    p95: float


def _timing(values: Sequence[float]) -> Timing:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Timing(statistics.median(ordered), p95)


def bench_queries(
    assistant: Assistant, cases: Sequence[EvalCase], *, k: int = 5
) -> dict[str, Timing]:
    """Per question, in one run: query embedding alone, retrieval alone, whole answer."""
    embed, retrieve, answer = [], [], []
    retriever = assistant.retriever
    retriever.embedder.embed_query("échauffement")  # load the model outside the measurement
    for case in cases:
        started = time.perf_counter()
        retriever.embedder.embed_query(case.question)
        embed.append(time.perf_counter() - started)
        started = time.perf_counter()
        retriever.search(case.question, k)
        retrieve.append(time.perf_counter() - started)
        started = time.perf_counter()
        assistant.ask(case.question, k=k)
        answer.append(time.perf_counter() - started)
    return {
        "query_embedding": _timing(embed),
        "retrieval": _timing(retrieve),
        "answer_extractive": _timing(answer),
    }
