"""Start-up benchmark: ``coop --help`` and a cold ``coop ask`` against loading the model alone.

Each measure is a fresh process, as a user starts it. The floor of a cold ``coop ask`` is what
no command can avoid: a Python process that imports the embedding stack, loads the model and
embeds one question. The ratio says how much the command adds to that (imports of the CLI,
opening the index, retrieval, answer).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from evals.bench.harness import ratio

__all__ = ["StartupBench", "run_startup_bench"]

_MODEL_ONLY = """
import sys
from assistant.config import load_settings
from assistant.factory import build_embedder
build_embedder(load_settings()).embed_query(sys.argv[1])
"""


@dataclass(frozen=True, slots=True)
class StartupBench:
    """Best wall time of each fresh process, in seconds, and the cold-ask ratio."""

    help_s: float
    model_and_question_s: float
    cold_ask_s: float
    cold_ask_vs_model: float
    """Cold ``coop ask`` / (model load + one question embedding); target ≤ 1.3."""
    runs: int


def _wall_time(command: Sequence[str]) -> float:
    """Wall time of one execution, which must succeed (this process's environment)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - started


def run_startup_bench(question: str, *, runs: int = 2) -> StartupBench:
    """Time ``coop --help``, the model floor and a cold ``coop ask QUESTION``, ``runs`` each.

    The three kinds of process take turns run by run, so a load that drifts weighs on all; the
    best time of each is kept.
    """
    coop = [sys.executable, "-c", "from cli import main; main()"]
    floor = [sys.executable, "-c", _MODEL_ONLY, question]
    commands = {"help": [*coop, "--help"], "floor": floor, "ask": [*coop, "ask", question]}
    best = dict.fromkeys(commands, float("inf"))
    for _ in range(max(1, runs)):
        for name, command in commands.items():
            best[name] = min(best[name], _wall_time(command))
    return StartupBench(
        help_s=best["help"],
        model_and_question_s=best["floor"],
        cold_ask_s=best["ask"],
        cold_ask_vs_model=ratio(best["ask"], best["floor"]),
        runs=max(1, runs),
    )
