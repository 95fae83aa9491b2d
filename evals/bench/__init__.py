"""Performance bench: every figure is a ratio to a floor measured in the same run.

Sections: ingestion (vs embedding the same chunks alone), queries (vs embedding the query alone
and vs a plain LangChain + Chroma similarity search), scale (synthetic corpora with random
vectors, embedding cost excluded) and concurrency (threads and processes on one index).
One module per benchmark (``ingest``, ``query``, ``scale``, ``concurrency``), plus the
synthetic corpus, the shared harness, the report and the suite that runs them.
"""

from evals.bench.concurrency import ConcurrencyPoint, run_concurrency_bench
from evals.bench.harness import SECTIONS, BenchOptions, EmbedderFactory, Timing, timing
from evals.bench.ingest import IngestBench, run_ingest_bench
from evals.bench.query import QueryBench, bench_queries, langchain_search, run_query_bench
from evals.bench.report import BenchReport
from evals.bench.scale import ScalePoint, run_scale_bench
from evals.bench.suite import run_bench
from evals.bench.synthetic import synthetic_chunks

__all__ = [
    "SECTIONS",
    "BenchOptions",
    "BenchReport",
    "ConcurrencyPoint",
    "EmbedderFactory",
    "IngestBench",
    "QueryBench",
    "ScalePoint",
    "Timing",
    "bench_queries",
    "langchain_search",
    "run_bench",
    "run_concurrency_bench",
    "run_ingest_bench",
    "run_query_bench",
    "run_scale_bench",
    "synthetic_chunks",
    "timing",
]
