"""``coop bench --sections startup``: fresh processes timed, and the cold-ask ratio reported."""

from __future__ import annotations

import sys

import pytest

from evals.bench.report import BenchReport
from evals.bench.startup import StartupBench, _wall_time


def test_wall_time_times_a_real_process_and_fails_loudly() -> None:
    seconds = _wall_time([sys.executable, "-c", "import time; time.sleep(0.2)"])
    assert 0.2 <= seconds < 10
    with pytest.raises(Exception, match="exit status 3"):
        _wall_time([sys.executable, "-c", "raise SystemExit(3)"])


def test_the_startup_table_gives_the_targets_and_the_ratio() -> None:
    report = BenchReport(cpu_count=2)
    report.startup = StartupBench(0.22, 8.0, 9.6, 1.2, 2)
    title, header, rows = report.tables()[-1]
    assert title.startswith("Démarrage")
    assert ["rapport ask à froid / modèle seul (objectif ≤ 1,3)", "1.20"] in rows
    assert rows[0] == ["coop --help (objectif ≤ 0,5 s)", "0.22 s"]
    assert '"cold_ask_vs_model": 1.2' in report.to_json()
