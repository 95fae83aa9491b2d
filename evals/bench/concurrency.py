"""Concurrency benchmark: several askers on one index, as threads or as separate processes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from typing import TYPE_CHECKING

from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.schema import Embedder
from evals.bench.harness import BenchOptions, EmbedderFactory, Timing, ratio, timing
from evals.cases import EvalCase

if TYPE_CHECKING:
    from multiprocessing.queues import Queue


@dataclass(frozen=True, slots=True)
class ConcurrencyPoint:
    """``askers`` asking at once, as threads of one process or as separate processes."""

    mode: str
    askers: int
    questions: int
    throughput_qps: float
    latency: Timing


def _ask_all(assistant: Assistant, questions: Sequence[str], k: int) -> list[float]:
    latencies = []
    for question in questions:
        started = time.perf_counter()
        assistant.ask(question, k=k)
        latencies.append(time.perf_counter() - started)
    return latencies


def _share(questions: Sequence[str], asker: int, count: int) -> list[str]:
    return [questions[(asker * count + i) % len(questions)] for i in range(count)]


def _bench_threads(
    assistant: Assistant, questions: Sequence[str], askers: int, per_asker: int, k: int
) -> ConcurrencyPoint:
    start = threading.Barrier(askers)

    def asker(number: int) -> list[float]:
        start.wait()
        return _ask_all(assistant, _share(questions, number, per_asker), k)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=askers) as pool:
        results = list(pool.map(asker, range(askers)))
    wall = time.perf_counter() - started
    latencies = [x for r in results for x in r]
    return ConcurrencyPoint(
        "threads", askers, len(latencies), ratio(len(latencies), wall), timing(latencies)
    )


def process_asker(
    settings: Settings,
    factory: EmbedderFactory,
    questions: Sequence[str],
    barrier: Barrier,
    results: Queue[tuple[float, float, list[float]]],
) -> None:
    """One asker process: open the index, load its model, wait for the others, ask."""
    from assistant.factory import build_assistant

    assistant = build_assistant(settings, embedder=factory(), backend="extractive")
    assistant.ask(questions[0], k=settings.k)
    barrier.wait()
    started = time.monotonic()
    latencies = _ask_all(assistant, questions, settings.k)
    results.put((started, time.monotonic(), latencies))


def _bench_processes(
    settings: Settings,
    factory: EmbedderFactory,
    questions: Sequence[str],
    askers: int,
    per_asker: int,
) -> ConcurrencyPoint:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(askers)
    results: Queue[tuple[float, float, list[float]]] = context.Queue()
    processes = [
        context.Process(
            target=process_asker,
            args=(settings, factory, _share(questions, n, per_asker), barrier, results),
        )
        for n in range(askers)
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    wall = max(end for _, end, _ in collected) - min(start for start, _, _ in collected)
    latencies = [x for _, _, r in collected for x in r]
    return ConcurrencyPoint(
        "processes", askers, len(latencies), ratio(len(latencies), wall), timing(latencies)
    )


def run_concurrency_bench(
    settings: Settings,
    embedder: Embedder,
    factory: EmbedderFactory,
    cases: Sequence[EvalCase],
    options: BenchOptions,
) -> list[ConcurrencyPoint]:
    """Threads share one Assistant (one model); processes each load their own, as workers do."""
    from assistant.factory import build_assistant

    questions = [case.question for case in cases]
    assistant = build_assistant(settings, embedder=embedder, backend="extractive")
    assistant.ask(questions[0], k=settings.k)
    points = [
        _bench_threads(assistant, questions, n, options.questions_per_worker, settings.k)
        for n in options.workers
    ]
    points += [
        _bench_processes(settings, factory, questions, n, options.questions_per_worker)
        for n in options.workers
    ]
    return points
