"""The whole bench: run the selected benchmarks and gather their figures in one report."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.schema import Embedder
from evals.bench.concurrency import run_concurrency_bench
from evals.bench.dtype import LocalFactory, run_dtype_bench
from evals.bench.harness import BenchOptions, EmbedderFactory
from evals.bench.ingest import run_ingest_bench
from evals.bench.query import run_query_bench
from evals.bench.report import BenchReport
from evals.bench.scale import run_scale_bench
from evals.bench.service import Vectors, run_service_bench
from evals.bench.startup import run_startup_bench
from evals.cases import EvalCase


def run_bench(
    settings: Settings,
    cases: Sequence[EvalCase],
    factory: EmbedderFactory,
    options: BenchOptions,
    *,
    workdir: Path,
    local: LocalFactory | None = None,
) -> BenchReport:
    """Run the selected sections; the query-side sections read the configured index.

    ``factory`` must be picklable (a class or a module-level function): the process askers
    call it to get their own embedder. ``local`` gives the local model in a dtype (default:
    ``COOP_EMBEDDING_MODEL``), for the dtype and service sections; without it these sections
    are skipped with a note. Everything written goes under ``workdir``.
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
    _model_sections(report, settings, options, local or _local_factory(settings), workdir)
    if "startup" in options.sections:
        report.startup = run_startup_bench(cases[0].question)
    return report


def _model_sections(
    report: BenchReport,
    settings: Settings,
    options: BenchOptions,
    local: LocalFactory,
    workdir: Path,
) -> None:
    """The dtype and service sections: they need the local model, else they leave a note."""
    if "dtype" in options.sections:
        try:
            passages = _indexed_passages(settings, options.dtype_passages)
            report.dtype = run_dtype_bench(passages, local)
        except ConfigError as err:
            report.notes.append(f"Formats de calcul non mesurés : {err.message}")
    if "service" in options.sections:
        try:
            model = local(settings.embedding_dtype)
            report.service = run_service_bench(
                settings,
                model,
                _plain(model),
                workdir / "service",
                documents=options.service_documents,
            )
        except ConfigError as err:
            report.notes.append(f"Service d'embedding non mesuré : {err.message}")


def _local_factory(settings: Settings) -> LocalFactory:
    from assistant.factory import build_local_embedder

    def local(dtype: str) -> Embedder:
        return build_local_embedder(settings.model_copy(update={"embedding_dtype": dtype}))

    return local


def _plain(model: Embedder) -> Vectors:
    """What a service running ``model`` computes: the texts as received, no prompt added."""
    plain: Vectors | None = getattr(model, "embed_plain", None)
    return plain if plain is not None else lambda texts: model.embed_documents(texts)


def _indexed_passages(settings: Settings, limit: int) -> list[str]:
    """The embedded texts of the configured index's first ``limit`` passages."""
    from itertools import islice

    from assistant.factory import build_store

    store = build_store(settings)
    store.open_for_reading(model_id=None)
    return [chunk.indexed_text for chunk in islice(store.iter_chunks(), limit)]
