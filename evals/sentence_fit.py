"""Fit the sentence-choice weights on the dev questions, and report them cross-validated.

Each candidate sentence of an answerable question is labelled 1 when it states one of the
question's key facts. A logistic regression over the signals of ``SentenceWeights`` (coverage,
title coverage, passage rank, named text, first sentence, expected kind of answer, superseded
text) learns how much each one tells. Its coefficients, rescaled so that the two coverage
weights sum to 1 as the hand-set ones do, replace the weights. For K folds, the weights are
fitted on the other folds' questions and the fold's own questions are answered with them: the
cross-validated metrics never saw their own questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.answer.answering import Assistant
from assistant.answer.extractive import FEATURES, SentenceWeights
from assistant.schema import Message
from evals.cases import EvalCase
from evals.cv import fold_of
from evals.metrics import ItemResult, matched_groups, summarize
from evals.runner import run_eval

__all__ = ["FitReport", "SentenceData", "collect", "cross_validate_weights", "fit_weights"]

_COVERAGE = ("coverage", "title_coverage")


@dataclass(slots=True)
class SentenceData:
    """Signals and labels of the candidate sentences, with the question each one belongs to."""

    features: np.ndarray
    labels: np.ndarray
    question_ids: list[str]


@dataclass(slots=True)
class FitReport:
    """Hand-set and fitted figures on the same questions, and the weights fitted on all."""

    hand: dict[str, float]
    cross_validated: dict[str, float]
    train: dict[str, float]
    weights: SentenceWeights
    fold_weights: list[SentenceWeights]


def collect(assistant: Assistant, cases: Sequence[EvalCase]) -> SentenceData:
    """Candidate sentences of every answerable question with key facts, labelled."""
    rows: list[tuple[float, ...]] = []
    labels: list[int] = []
    ids: list[str] = []
    for case in cases:
        if not case.answerable or not case.must_include:
            continue
        history = [Message("user", turn) for turn in case.history]
        for sentence, signals in assistant.sentence_candidates(case.question, history):
            rows.append(signals)
            labels.append(int(any(matched_groups(case.must_include, sentence.text))))
            ids.append(case.id)
    return SentenceData(np.asarray(rows, dtype=float), np.asarray(labels), ids)


def fit_weights(data: SentenceData, keep: Sequence[bool] | None = None) -> SentenceWeights:
    """Logistic regression on the kept sentences; coefficients rescaled onto the hand scale.

    Falls back to the hand-set weights when the labels are all alike or the coverage
    coefficients do not sum to a positive number (nothing to rescale on).
    """
    mask = np.ones(len(data.labels), bool) if keep is None else np.asarray(keep, bool)
    x, y = data.features[mask], data.labels[mask]
    if len(set(y.tolist())) < 2:
        return SentenceWeights()
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    model.fit(x, y)
    coefficients = dict(zip(FEATURES, model.coef_[0].tolist(), strict=True))
    scale = sum(coefficients[name] for name in _COVERAGE)
    if scale <= 0:
        return SentenceWeights()
    return SentenceWeights(**{name: value / scale for name, value in coefficients.items()})


def _answer(
    assistant: Assistant, cases: Sequence[EvalCase], weights: SentenceWeights, k: int
) -> list[ItemResult]:
    saved = assistant.sentence_weights
    assistant.sentence_weights = weights
    try:
        return run_eval(assistant, cases, k=k).items
    finally:
        assistant.sentence_weights = saved


def cross_validate_weights(
    assistant: Assistant, cases: Sequence[EvalCase], folds: int = 5, *, k: int = 5
) -> FitReport:
    """Hand-set weights, fitted weights per fold (cross-validated), and fitted on all (train)."""
    data = collect(assistant, cases)
    fold = fold_of([case.id for case in cases], folds)
    held_out: list[ItemResult] = []
    fold_weights: list[SentenceWeights] = []
    for f in range(folds):
        weights = fit_weights(data, [fold[i] != f for i in data.question_ids])
        fold_weights.append(weights)
        held_out += _answer(assistant, [c for c in cases if fold[c.id] == f], weights, k)
    fitted = fit_weights(data)
    return FitReport(
        hand=summarize(_answer(assistant, cases, SentenceWeights(), k), k),
        cross_validated=summarize(held_out, k),
        train=summarize(_answer(assistant, cases, fitted, k), k),
        weights=fitted,
        fold_weights=fold_weights,
    )


def describe(weights: SentenceWeights) -> str:
    """The weights on one line, in ``FEATURES`` order."""
    return ", ".join(f"{f.name} {getattr(weights, f.name):+.3f}" for f in fields(weights))
