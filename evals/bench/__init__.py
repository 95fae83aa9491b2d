"""Performance bench: every figure is a ratio to a floor measured in the same run.

Sections: ingestion (vs embedding the same chunks alone), queries (vs embedding the query alone
and vs a plain LangChain + Chroma similarity search), scale (synthetic corpora with random
vectors, embedding cost excluded), concurrency (threads and processes on one index), dtype
(float32 vs bfloat16 on the same passages) and service (ingestion through a loopback embedding
service vs the local model). One module per benchmark (``ingest``, ``query``, ``scale``,
``concurrency``, ``dtype``, ``service``), plus the synthetic corpus, the shared harness, the
report and the suite that runs them.
"""

from evals.bench.concurrency import ConcurrencyPoint, run_concurrency_bench
from evals.bench.dtype import DtypeBench, LocalFactory, run_dtype_bench
from evals.bench.harness import SECTIONS, BenchOptions, EmbedderFactory, Timing, timing
from evals.bench.ingest import IngestBench, run_ingest_bench
from evals.bench.query import QueryBench, bench_queries, langchain_search, run_query_bench
from evals.bench.report import BenchReport
from evals.bench.scale import ScalePoint, run_scale_bench
from evals.bench.service import LoopbackEmbeddingService, ServiceBench, run_service_bench
from evals.bench.suite import run_bench
from evals.bench.synthetic import synthetic_chunks

__all__ = [
    "SECTIONS",
    "BenchOptions",
    "BenchReport",
    "ConcurrencyPoint",
    "DtypeBench",
    "EmbedderFactory",
    "IngestBench",
    "LocalFactory",
    "LoopbackEmbeddingService",
    "QueryBench",
    "ScalePoint",
    "ServiceBench",
    "Timing",
    "bench_queries",
    "langchain_search",
    "run_bench",
    "run_concurrency_bench",
    "run_dtype_bench",
    "run_ingest_bench",
    "run_query_bench",
    "run_scale_bench",
    "run_service_bench",
    "synthetic_chunks",
    "timing",
]
