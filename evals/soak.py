"""Soak run: K concurrent users ask questions for a fixed time, with feedback on every answer.

Bounded and self-stopping: each user stops at the deadline. The run reports errors, the
feedback rows expected and actually stored, latency and the resident memory over time, so that
"no error, bounded memory, nothing lost" is measured rather than assumed.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.answer.answering import Assistant
from assistant.present.feedback import FeedbackStore
from assistant.schema import Message
from evals.memory import rss_mib
from evals.stats import percentile

_SAMPLE_EVERY_S = 0.1
_WARM_UP_SHARE = 0.25


@dataclass(slots=True)
class SoakReport:
    """What one soak run measured."""

    users: int
    seconds: float
    asked: int = 0
    errors: list[str] = field(default_factory=list)
    feedback_expected: int = 0
    feedback_stored: int = 0
    latency_p50_s: float = 0.0
    latency_p95_s: float = 0.0
    answers_per_s: float = 0.0
    rss_after_warm_up_mib: float = 0.0
    rss_end_mib: float = 0.0
    rss_peak_mib: float = 0.0

    @property
    def rss_growth_mib(self) -> float:
        """Resident memory gained after the warm-up: what a leak would show."""
        return self.rss_end_mib - self.rss_after_warm_up_mib

    @property
    def nothing_lost(self) -> bool:
        """Every answer got its feedback row."""
        return self.feedback_stored == self.feedback_expected

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON, with the derived figures."""
        data = asdict(self)
        data["rss_growth_mib"] = round(self.rss_growth_mib, 1)
        data["nothing_lost"] = self.nothing_lost
        return data


def run_soak(
    assistant: Assistant,
    questions: Sequence[str],
    feedback: FeedbackStore,
    *,
    users: int = 4,
    seconds: float = 60.0,
    seed: int = 0,
) -> SoakReport:
    """Let ``users`` threads ask (with follow-ups) and rate answers until ``seconds`` are over."""
    if not questions:
        raise ValueError("no question to ask")
    report = SoakReport(users=users, seconds=seconds)
    lock = threading.Lock()
    latencies: list[float] = []
    stop = threading.Event()
    started = time.perf_counter()
    deadline = started + seconds
    samples: list[tuple[float, float]] = []
    rows_before = len(feedback.records())

    def sample_memory() -> None:
        while not stop.wait(_SAMPLE_EVERY_S):
            samples.append((time.perf_counter() - started, rss_mib()))

    def user(number: int) -> None:
        rng = random.Random(seed + number)
        history: list[Message] = []
        while time.perf_counter() < deadline:
            question = rng.choice(questions)
            try:
                answer = assistant.ask(question, history[-2:])
                with lock:
                    report.asked += 1
                    report.feedback_expected += 1
                    latencies.append(answer.timings.get("total_s", 0.0))
                feedback.record(
                    answer,
                    rng.choice((1, -1)),
                    comment=f"soak {number}",
                    conversation_id=str(number),
                )
            except Exception as err:  # noqa: BLE001 - the soak counts every failure, of any kind
                with lock:
                    report.errors.append(f"utilisateur {number} : {type(err).__name__}: {err}")
            history = [Message("user", question)]

    monitor = threading.Thread(target=sample_memory, daemon=True)
    monitor.start()
    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    monitor.join()
    elapsed = time.perf_counter() - started

    report.feedback_stored = len(feedback.records()) - rows_before
    report.answers_per_s = report.asked / elapsed if elapsed else 0.0
    if latencies:
        report.latency_p50_s = percentile(latencies, 50)
        report.latency_p95_s = percentile(latencies, 95)
    end = rss_mib()
    warm = [rss for at, rss in samples if at >= _WARM_UP_SHARE * seconds]
    report.rss_after_warm_up_mib = warm[0] if warm else end
    report.rss_end_mib = end
    report.rss_peak_mib = max([rss for _, rss in samples] + [end])
    return report
