"""Two runs side by side: what changed per question, and which metric moved beyond its noise."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from evals.metrics import RATIO_METRICS, ItemResult, item_parts
from evals.runs import RunMeta, SavedRun
from evals.stats import Interval, paired_difference, ratio_interval

Group = Literal["worse", "improved", "changed", "same"]
GROUP_ORDER: tuple[Group, ...] = ("worse", "improved", "changed", "same")

LOWER_IS_BETTER = {"false_refusals", "latency_p50_s", "latency_p95_s"}

DiffOp = Literal["=", "-", "+"]


@dataclass(frozen=True, slots=True)
class QuestionDiff:
    """One question in two runs; ``group`` says whether its scores went up, down or stayed."""

    id: str
    question: str
    group: Group
    better: list[str]
    worse: list[str]
    changes: list[str]
    before: ItemResult
    after: ItemResult
    answer_diff: list[tuple[DiffOp, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MetricChange:
    """A metric in both runs, with the paired bootstrap interval of the difference."""

    metric: str
    before: Interval
    after: Interval
    difference: Interval

    @property
    def significant_drop(self) -> bool:
        """The whole 95 % interval of the difference lies on the bad side of 0."""
        if self.metric in LOWER_IS_BETTER:
            return self.difference.low > 0
        return self.difference.high < 0

    @property
    def significant_gain(self) -> bool:
        """The whole 95 % interval of the difference lies on the good side of 0."""
        return self.difference.excludes_zero() and not self.significant_drop


@dataclass(frozen=True, slots=True)
class RunComparison:
    """Everything ``coop eval --compare`` shows."""

    before: SavedRun
    after: SavedRun
    questions: list[QuestionDiff]
    metrics: list[MetricChange]
    only_before: list[str]
    only_after: list[str]

    def group(self, group: Group) -> list[QuestionDiff]:
        """The questions of one group, in question order."""
        return [q for q in self.questions if q.group == group]

    def drops(self, metrics: Sequence[str]) -> list[MetricChange]:
        """The chosen metrics whose drop is beyond the noise."""
        return [m for m in self.metrics if m.metric in metrics and m.significant_drop]


def question_scores(item: ItemResult) -> dict[str, float]:
    """Per-question scores, higher is better (only those that apply to the question)."""
    scores = {"refusal": float(item.refused != item.answerable)}
    if item.answerable:
        scores["key_facts"] = float(sum(item.groups_matched))
        if item.expected:
            scores["reciprocal_rank"] = 1.0 / item.rank if item.rank else 0.0
        if item.citations and not item.refused:
            cited = sum(doc in item.expected for doc in item.citations)
            scores["citation_precision"] = cited / len(item.citations)
    return scores


def word_diff(before: str, after: str) -> list[tuple[DiffOp, str]]:
    """Word-level diff of two answers: runs of kept, removed and added words."""
    old, new = before.split(), after.split()
    ops: list[tuple[DiffOp, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("=", " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            ops.append(("-", " ".join(old[i1:i2])))
        if j2 > j1:
            ops.append(("+", " ".join(new[j1:j2])))
    return ops


def _passage_keys(item: ItemResult) -> list[tuple[str, str]]:
    return [(p.doc_id, p.content_hash) for p in item.passages]


def compare_items(before: ItemResult, after: ItemResult) -> QuestionDiff:
    """The changes of one question; any score that went down puts it in "worse"."""
    old, new = question_scores(before), question_scores(after)
    better = [name for name in new if name in old and new[name] > old[name]]
    worse = [name for name in new if name in old and new[name] < old[name]]
    changes = []
    if before.answer_fingerprint != after.answer_fingerprint:
        changes.append("answer")
    if before.citations != after.citations or _passage_keys(before) != _passage_keys(after):
        changes.append("citations")
    if before.rank != after.rank:
        changes.append("rank")
    if before.refused != after.refused:
        changes.append("refusal")
    if before.groups_matched != after.groups_matched:
        changes.append("key_facts")
    group: Group = "worse" if worse else "improved" if better else "changed" if changes else "same"
    return QuestionDiff(
        id=after.id,
        question=after.question,
        group=group,
        better=better,
        worse=worse,
        changes=changes,
        before=before,
        after=after,
        # A text-free baseline keeps only fingerprints: then only the new answer is shown.
        answer_diff=word_diff(before.answer, after.answer) if "answer" in changes else [],
    )


def metric_changes(
    before: Sequence[ItemResult], after: Sequence[ItemResult], k: int
) -> list[MetricChange]:
    """Each ratio metric in both runs with its paired bootstrap difference (same questions)."""
    parts_before = [item_parts(i, k) for i in before]
    parts_after = [item_parts(i, k) for i in after]
    changes = []
    for metric in RATIO_METRICS:
        old = ([p[metric][0] for p in parts_before], [p[metric][1] for p in parts_before])
        new = ([p[metric][0] for p in parts_after], [p[metric][1] for p in parts_after])
        changes.append(
            MetricChange(
                metric, ratio_interval(*old), ratio_interval(*new), paired_difference(old, new)
            )
        )
    return changes


def metric_intervals(items: Sequence[ItemResult], k: int) -> dict[str, Interval]:
    """Each ratio metric of one run with its bootstrap 95 % interval over questions."""
    parts = [item_parts(i, k) for i in items]
    return {
        metric: ratio_interval([p[metric][0] for p in parts], [p[metric][1] for p in parts])
        for metric in RATIO_METRICS
    }


def compare_runs(before: SavedRun, after: SavedRun) -> RunComparison:
    """Question by question and metric by metric, on the questions both runs answered."""
    old = {item.id: item for item in before.items}
    new = {item.id: item for item in after.items}
    common = [item_id for item_id in new if item_id in old]
    questions = [compare_items(old[item_id], new[item_id]) for item_id in common]
    return RunComparison(
        before=before,
        after=after,
        questions=questions,
        metrics=metric_changes(
            [old[i] for i in common], [new[i] for i in common], after.meta.k or before.meta.k
        ),
        only_before=[item_id for item_id in old if item_id not in new],
        only_after=[item_id for item_id in new if item_id not in old],
    )


def regressions(comparison: RunComparison, metrics: Sequence[str]) -> list[str]:
    """French lines, one per chosen metric that dropped beyond its noise (empty: none)."""
    return [
        f"{m.metric} : {m.before.value:.3f} → {m.after.value:.3f}, écart {m.difference.value:+.3f} "
        f"(IC 95 % apparié [{m.difference.low:+.3f} ; {m.difference.high:+.3f}], au-delà du bruit)"
        for m in comparison.drops(metrics)
    ]


def provenance_changes(before: RunMeta, after: RunMeta) -> list[str]:
    """French lines saying what differs between two runs: code, corpus, settings."""
    lines = []
    if before.git_commit != after.git_commit:
        lines.append(f"code : {before.git_commit[:8] or '?'} → {after.git_commit[:8] or '?'}")
    if after.git_dirty:
        lines.append("code : l'exécution récente avait des modifications non commitées")
    if before.corpus and after.corpus:
        added = sorted(after.corpus.keys() - before.corpus.keys())
        removed = sorted(before.corpus.keys() - after.corpus.keys())
        changed = sorted(
            doc
            for doc in before.corpus.keys() & after.corpus.keys()
            if before.corpus[doc] != after.corpus[doc]
        )
        for label, docs in (("ajoutés", added), ("retirés", removed), ("modifiés", changed)):
            if docs:
                lines.append(f"corpus, documents {label} : {', '.join(docs)}")
    # Paths and secrets say where a run was made, not how it answers.
    for name in sorted(before.settings.keys() | after.settings.keys()):
        old, new = before.settings.get(name), after.settings.get(name)
        if old != new and not name.endswith(("_dir", "_file", "_db", "_path", "_key")):
            lines.append(f"réglage {name} : {old} → {new}")
    return lines
