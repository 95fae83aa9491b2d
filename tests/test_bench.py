from assistant.answering import Assistant
from evals.bench import _timing, bench_queries
from evals.cases import EvalCase


def test_timing_percentiles_are_hand_computable() -> None:
    timing = _timing([0.5, 0.1, 0.3, 0.2, 0.4])
    assert timing.p50 == 0.3
    assert timing.p95 == 0.5


def test_bench_measures_each_step_for_every_question(shared_assistant: Assistant) -> None:
    cases = [
        EvalCase(id="b1", question="Qui autorise un protocole local ?"),
        EvalCase(id="b2", question="Que dit l'article L. 4011-3 ?"),
    ]
    timings = bench_queries(shared_assistant, cases, k=3)
    assert set(timings) == {"query_embedding", "retrieval", "answer_extractive"}
    for timing in timings.values():
        assert 0 < timing.p50 <= timing.p95
