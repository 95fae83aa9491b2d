"""Run the real answerer over a question set, score it, compare with thresholds and baseline."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.answer.answering import Assistant
from assistant.errors import ConfigError
from assistant.schema import Answer, Message
from evals.cases import EvalCase
from evals.metrics import CitedPassage, ItemResult, score_item, summarize

# Metrics where lower is better; every other metric must stay at or above its threshold.
LOWER_IS_BETTER = {"false_refusals", "latency_p50_s", "latency_p95_s"}


@dataclass(slots=True)
class EvalReport:
    """Summary metrics and per-question results."""

    summary: dict[str, float]
    items: list[ItemResult]

    def to_json(self) -> str:
        """``{"summary": {...}, "items": [...]}`` as UTF-8 JSON."""
        data = {"summary": self.summary, "items": [asdict(i) for i in self.items]}
        return json.dumps(data, ensure_ascii=False, indent=2)


def run_eval(
    assistant: Assistant,
    cases: Sequence[EvalCase],
    *,
    k: int = 5,
    on_item: Callable[[ItemResult], None] | None = None,
) -> EvalReport:
    """Ask every question through ``Assistant.ask`` (the app's code path) and score the answers."""
    items = []
    for case in cases:
        history = [Message("user", turn) for turn in case.history]
        started = time.perf_counter()
        answer = assistant.ask(case.question, history, k=k)
        latency = time.perf_counter() - started
        item = score_item(
            case,
            [hit.chunk.doc_id for hit in answer.passages[:k]],
            answer.text,
            [c.doc_id for c in answer.citations],
            answer.refused,
            latency,
            cited_passages(answer),
        )
        items.append(item)
        if on_item:
            on_item(item)
    return EvalReport(summarize(items, k), items)


def cited_passages(answer: Answer) -> list[CitedPassage]:
    """The retrieved passage behind each citation (citations whose passage is unknown skipped)."""
    found = []
    for citation in answer.citations:
        hit = citation.passage_in(answer.passages)
        if hit is not None:
            chunk = hit.chunk
            place = (chunk.doc_id, chunk.section, chunk.page)
            found.append(CitedPassage(citation.n, *place, chunk.id, chunk.content_hash))
    return found


def load_thresholds(path: Path) -> dict[str, float]:
    """Minimum (or maximum, for lower-is-better metrics) accepted value of each metric."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as err:
        raise ConfigError(f"Fichier de seuils introuvable : {path}") from err
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} : un dictionnaire métrique → seuil est attendu.")
    return {str(key): float(value) for key, value in raw.items()}


def gate(summary: dict[str, float], thresholds: dict[str, float]) -> list[str]:
    """French descriptions of every metric past its threshold (empty list: gate passed)."""
    failures = []
    for metric, limit in thresholds.items():
        value = summary.get(metric)
        if value is None:
            failures.append(f"{metric} : métrique inconnue")
        elif metric in LOWER_IS_BETTER and value > limit:
            failures.append(f"{metric} = {value:.3f} > seuil {limit:.3f}")
        elif metric not in LOWER_IS_BETTER and value < limit:
            failures.append(f"{metric} = {value:.3f} < seuil {limit:.3f}")
    return failures


def diff_with_baseline(summary: dict[str, float], baseline_path: Path) -> dict[str, Any]:
    """Per-metric (baseline, now, delta) against the last committed baseline, if any."""
    if not baseline_path.is_file():
        return {}
    baseline = json.loads(baseline_path.read_text(encoding="utf-8")).get("summary", {})
    return {
        metric: (baseline[metric], value, value - baseline[metric])
        for metric, value in summary.items()
        if metric in baseline
    }
