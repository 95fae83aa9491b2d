"""The whole bench: run the selected benchmarks and gather their figures in one report."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from assistant.config import Settings
from evals.bench.concurrency import run_concurrency_bench
from evals.bench.harness import BenchOptions, EmbedderFactory
from evals.bench.ingest import run_ingest_bench
from evals.bench.query import run_query_bench
from evals.bench.report import BenchReport
from evals.bench.scale import run_scale_bench
from evals.cases import EvalCase


def run_bench(
    settings: Settings,
    cases: Sequence[EvalCase],
    factory: EmbedderFactory,
    options: BenchOptions,
    *,
    workdir: Path,
) -> BenchReport:
    """Run the selected sections; the query-side sections read the configured index.

    ``factory`` must be picklable (a class or a module-level function): the process askers
    call it to get their own embedder. Everything written goes under ``workdir``.
    """
    from assistant.factory import build_store

    if options.max_questions:
        cases = list(cases)[: options.max_questions]
    if not cases:
        raise ValueError("the bench needs at least one question")
    embedder = factory()
    report = BenchReport(cpu_count=os.cpu_count() or 1)
    if "ingest" in options.sections:
        report.ingest = run_ingest_bench(settings, embedder, workdir / "ingest")
    if "query" in options.sections:
        report.query = run_query_bench(settings, embedder, cases)
    if "scale" in options.sections:
        store = build_store(settings)
        store.open_for_reading(model_id=embedder.model_id)
        passages = [chunk.text for chunk in store.iter_chunks()]
        report.scale = run_scale_bench(
            passages, [c.question for c in cases], options, workdir / "scale"
        )
    if "concurrency" in options.sections:
        report.concurrency = run_concurrency_bench(settings, embedder, factory, cases, options)
    return report
