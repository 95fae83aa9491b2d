"""Fitting the sentence-choice weights: a known signal is found, the report is cross-validated."""

from __future__ import annotations

import numpy as np

from assistant.answer.answering import Assistant
from assistant.answer.extractive import FEATURES, SentenceWeights
from evals.cases import EvalCase, ExpectedSource
from evals.sentence_fit import SentenceData, collect, cross_validate_weights, fit_weights


def _made_up(labels_from: str, n: int = 400) -> SentenceData:
    rng = np.random.default_rng(7)
    features = rng.random((n, len(FEATURES)))
    signal = features[:, FEATURES.index(labels_from)] + features[:, 0]
    labels = (signal > np.median(signal)).astype(int)
    return SentenceData(features, labels, [f"q{i % 40}" for i in range(n)])


def test_the_fit_finds_the_signal_that_decides_and_keeps_the_hand_scale() -> None:
    weights = fit_weights(_made_up("rank"))
    assert abs(weights.coverage + weights.title_coverage - 1.0) < 1e-9
    assert weights.rank > 5 * abs(weights.lead)
    assert weights.rank > 5 * abs(weights.superseded)


def test_labels_all_alike_keep_the_hand_weights() -> None:
    data = _made_up("rank")
    data.labels[:] = 0
    assert fit_weights(data) == SentenceWeights()


def test_cross_validation_answers_each_fold_with_weights_fitted_elsewhere(
    assistant_fakes: Assistant,
) -> None:
    cases = [
        EvalCase(
            id=f"q{i}",
            question=question,
            answerable=True,
            expected_sources=[ExpectedSource(doc="csp-l4011-test")],
            must_include=[[fact]],
        )
        for i, (question, fact) in enumerate(
            [
                ("Qui autorise les protocoles nationaux ?", "arrêté des ministres"),
                ("Qui rédige les protocoles de coopération ?", "rédigés par les professionnels"),
                ("Le patient est-il informé ?", "patient est informé"),
                ("Où déclarer un protocole national ?", "démarches simplifiées"),
            ]
        )
    ]
    data = collect(assistant_fakes, cases)
    assert len(data.labels) > 4 and 0 < data.labels.sum() < len(data.labels)
    assert set(data.question_ids) == {case.id for case in cases}
    report = cross_validate_weights(assistant_fakes, cases, folds=2)
    assert len(report.fold_weights) == 2
    assert set(report.cross_validated) == set(report.hand) == set(report.train)
    assert 0.0 <= report.cross_validated["key_fact_coverage"] <= 1.0
    assert assistant_fakes.sentence_weights == SentenceWeights()  # left as found


def test_the_answerability_switches_turn_each_check_off_and_restore_it(
    assistant_fakes: Assistant,
) -> None:
    from evals.cv import SWITCHES, run_grid

    cases = [
        EvalCase(id="q0", question="Quel est le numéro de téléphone de l'ARS ?", answerable=False),
        EvalCase(
            id="q1", question="Qui autorise les protocoles en Bretagne en 2031 ?", answerable=False
        ),
    ]
    results = run_grid(assistant_fakes, cases, SWITCHES)
    assert set(results) == {(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)}
    refused = {point: [item.refused for item in items] for point, items in results.items()}
    # Each check alone refuses its own question; with both off, neither is refused by them.
    assert refused[(1.0, 1.0)] == [True, True]
    assert refused[(1.0, 0.0)][0] and refused[(0.0, 1.0)][1]
    assert assistant_fakes.check_answer_type and assistant_fakes.check_entities


def test_every_fitted_knob_sets_what_it_reads(assistant_fakes: Assistant) -> None:
    from evals.cv import KNOBS

    for knob in KNOBS:
        saved = knob.read(assistant_fakes)
        for value in knob.values:
            knob.apply(assistant_fakes, value)
            assert knob.read(assistant_fakes) == value, knob.name
        knob.apply(assistant_fakes, saved)
    rank = next(knob for knob in KNOBS if knob.name == "sentence_rank_weight")
    rank.apply(assistant_fakes, 0.15)
    assert assistant_fakes.sentence_weights.rank == 0.15
    assert assistant_fakes.sentence_weights.coverage == SentenceWeights().coverage
    rank.apply(assistant_fakes, SentenceWeights().rank)
