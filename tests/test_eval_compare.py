"""Saved runs, bootstrap intervals, the per-question diff and ``coop eval --compare``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from assistant.config import Settings
from assistant.errors import ConfigError, CoopError
from evals.compare import (
    compare_items,
    compare_runs,
    provenance_changes,
    question_scores,
    regressions,
    word_diff,
)
from evals.metrics import CitedPassage, ItemResult, summarize
from evals.runs import RunMeta, SavedRun, list_runs, load_run, save_run
from evals.stats import paired_difference, ratio_interval

runner = CliRunner()


def item(
    item_id: str = "q",
    *,
    answerable: bool = True,
    rank: int | None = 1,
    facts: list[bool] | None = None,
    citations: list[str] | None = None,
    refused: bool = False,
    answer: str = "Le directeur général de l'ARS autorise le protocole.",
    passages: list[CitedPassage] | None = None,
) -> ItemResult:
    return ItemResult(
        id=item_id,
        question=f"Question {item_id} ?",
        answerable=answerable,
        retrieved=["a"],
        expected=["a"] if answerable else [],
        answer=answer,
        citations=["a"] if citations is None else citations,
        refused=refused,
        groups_matched=[True] if facts is None else facts,
        latency_s=0.1,
        rank=rank if answerable else None,
        passages=passages or [],
    )


def run(items: list[ItemResult], created_at: str = "2026-12-01T10:00:00+00:00") -> SavedRun:
    meta = RunMeta(created_at=created_at, questions="q.yaml", k=5, git_commit="abc1234def")
    return SavedRun(meta, summarize(items, 5), items)


# --- per-question diff grouping -------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "group", "better", "worse"),
    [
        # A fact lost is worse, even though the answer keeps its first-ranked source.
        (item(facts=[True, True]), item(facts=[True, False]), "worse", [], ["key_facts"]),
        # The expected source moves from rank 3 to 1: better.
        (item(rank=3), item(rank=1), "improved", ["reciprocal_rank"], []),
        # An answerable question now refused: the refusal and its facts go down.
        (item(), item(refused=True, facts=[False], citations=[]), "worse", [], None),
        # An unanswerable question now refused: better.
        (item(answerable=False), item(answerable=False, refused=True), "improved", None, []),
        # Reworded, same scores: changed.
        (item(), item(answer="L'ARS autorise le protocole."), "changed", [], []),
        # A gain and a loss at once count as worse: a maintainer must look at it.
        (
            item(rank=3, facts=[True]),
            item(rank=1, facts=[False]),
            "worse",
            ["reciprocal_rank"],
            ["key_facts"],
        ),
        (item(), item(), "same", [], []),
    ],
)
def test_each_question_is_grouped_by_its_scores(
    before: ItemResult,
    after: ItemResult,
    group: str,
    better: list[str] | None,
    worse: list[str] | None,
) -> None:
    diff = compare_items(before, after)
    assert diff.group == group
    if better is not None:
        assert diff.better == better
    if worse is not None:
        assert diff.worse == worse


def test_a_refused_answerable_question_loses_refusal_and_facts() -> None:
    refused = item(refused=True, facts=[False], citations=[], answer="Je ne trouve pas.")
    diff = compare_items(item(), refused)
    assert set(diff.worse) == {"refusal", "key_facts"}
    assert {"refusal", "key_facts", "citations", "answer"} <= set(diff.changes)


def test_a_cited_passage_that_changed_is_a_change_without_score_change() -> None:
    old = [CitedPassage(1, "a", "Art. 1", 1, "c1", "hash-1")]
    new = [CitedPassage(1, "a", "Art. 1", 1, "c1", "hash-2")]
    diff = compare_items(item(passages=old), item(passages=new))
    assert (diff.group, diff.changes) == ("changed", ["citations"])


def test_question_scores_only_apply_where_they_mean_something() -> None:
    assert question_scores(item(answerable=False, refused=True)) == {"refusal": 1.0}
    assert question_scores(item(rank=4, facts=[True, False], citations=["a", "z"])) == {
        "refusal": 1.0,
        "key_facts": 1.0,
        "reciprocal_rank": 0.25,
        "citation_precision": 0.5,
    }


def test_word_diff_keeps_removed_and_added_words_in_order() -> None:
    ops = word_diff(
        "Le dossier est envoyé à l'ARS avant le 1er mars.",
        "Le dossier complet est envoyé à l'ARS avant le 15 mars.",
    )
    assert ops == [
        ("=", "Le dossier"),
        ("+", "complet"),
        ("=", "est envoyé à l'ARS avant le"),
        ("-", "1er"),
        ("+", "15"),
        ("=", "mars."),
    ]


def test_compare_runs_sorts_questions_and_lists_those_in_one_run_only() -> None:
    before = run([item("q1"), item("q2"), item("old")])
    after = run([item("q1", rank=2), item("q2", answer="Autre réponse."), item("new")])

    comparison = compare_runs(before, after)

    assert [q.id for q in comparison.group("worse")] == ["q1"]
    assert [q.id for q in comparison.group("changed")] == ["q2"]
    assert (comparison.only_before, comparison.only_after) == (["old"], ["new"])


# --- bootstrap intervals ---------------------------------------------------------------------


def test_interval_of_a_share_contains_it_and_is_deterministic() -> None:
    numerators, denominators = [1.0] * 80 + [0.0] * 20, [1.0] * 100
    interval = ratio_interval(numerators, denominators)
    assert interval.value == pytest.approx(0.8)
    # Binomial standard error sqrt(.8 x .2 / 100) = 0.04: the 95 % interval is about ±0.08.
    assert 0.70 <= interval.low <= 0.74 and 0.86 <= interval.high <= 0.90
    assert ratio_interval(numerators, denominators) == interval


def test_paired_bootstrap_sees_a_real_drop() -> None:
    # 30 of 100 questions lose their hit: no resample can make that up.
    before = ([1.0] * 100, [1.0] * 100)
    after = ([1.0] * 70 + [0.0] * 30, [1.0] * 100)
    difference = paired_difference(before, after)
    assert difference.value == pytest.approx(-0.30)
    assert difference.high < 0


def test_paired_bootstrap_calls_one_lost_question_noise() -> None:
    # One question of 100 lost and nothing else: the interval reaches 0.
    before = ([1.0] * 90 + [0.0] * 10, [1.0] * 100)
    after = ([0.0] + [1.0] * 89 + [0.0] * 10, [1.0] * 100)
    difference = paired_difference(before, after)
    assert difference.value == pytest.approx(-0.01)
    assert difference.low < 0 and difference.high == 0


def test_paired_bootstrap_is_narrower_than_two_independent_intervals() -> None:
    # Same 50 % in both runs, 4 questions swapped: unpaired intervals would overlap widely.
    before = ([1.0] * 50 + [0.0] * 50, [1.0] * 100)
    after = ([0.0] * 2 + [1.0] * 48 + [1.0] * 2 + [0.0] * 48, [1.0] * 100)
    difference = paired_difference(before, after)
    assert difference.value == 0
    assert difference.high - difference.low < 0.1
    assert not difference.excludes_zero()


def test_paired_bootstrap_of_identical_runs_is_zero_and_needs_equal_lengths() -> None:
    values = ([1.0, 0.0, 1.0], [1.0, 1.0, 1.0])
    difference = paired_difference(values, values)
    assert (difference.value, difference.low, difference.high) == (0, 0, 0)
    with pytest.raises(ValueError, match="one value per question"):
        paired_difference(values, ([1.0], [1.0]))


def test_a_metric_drop_beyond_noise_and_one_within_it() -> None:
    base = [item(f"q{i}") for i in range(100)]
    worse = [item(f"q{i}", rank=3) if i < 30 else item(f"q{i}") for i in range(100)]
    one_lost = [item("q0", rank=3), *base[1:]]

    drops = compare_runs(run(base), run(worse)).drops(["hit_at_1", "hit_at_5"])
    assert [m.metric for m in drops] == ["hit_at_1"]
    assert compare_runs(run(base), run(one_lost)).drops(["hit_at_1"]) == []


# --- saved runs -------------------------------------------------------------------------------


def test_a_saved_run_reads_back_equal(tmp_path: Path) -> None:
    passages = [CitedPassage(1, "a", "Art. D. 4011-4", 2, "c1", "h1")]
    saved = run([item("q1", passages=passages), item("q2", answerable=False, refused=True)])
    saved.meta.corpus = {"a": "hash-a"}
    saved.meta.settings = {"k": 5, "llm_api_key": None}

    path = save_run(saved, tmp_path / "sub" / "run.json")

    assert load_run(path) == saved
    assert json.loads(path.read_text(encoding="utf-8"))["items"][0]["passages"][0]["n"] == 1


def test_a_summary_only_baseline_reads_as_a_run_without_questions(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"summary": {"mrr": 0.8}, "note": "ancienne"}), encoding="utf-8")
    baseline = load_run(path)
    assert (baseline.summary, baseline.items) == ({"mrr": 0.8}, [])


@pytest.mark.parametrize(
    ("text", "message"),
    [("{", "illisible"), ('{"summary": {"mrr": "beaucoup"}}', "summary.mrr")],
)
def test_a_bad_run_file_is_a_french_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "run.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_run(path)
    with pytest.raises(ConfigError, match="introuvable"):
        load_run(tmp_path / "absent.json")


def test_list_runs_orders_by_date_and_filters_by_question_file(tmp_path: Path) -> None:
    save_run(run([item()], "2026-12-05T00:00:00+00:00"), tmp_path / "b.json")
    save_run(run([item()], "2026-12-01T00:00:00+00:00"), tmp_path / "a-later-name.json")
    other = run([item()], "2026-12-03T00:00:00+00:00")
    other.meta.questions = "autre.yaml"
    save_run(other, tmp_path / "c.json")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")

    dates = [r.meta.created_at[:10] for r in list_runs(tmp_path, "q.yaml")]

    assert dates == ["2026-12-01", "2026-12-05"]
    assert len(list_runs(tmp_path)) == 3


# --- coop eval --compare --------------------------------------------------------------------------


def test_coop_eval_compare_lists_changes_and_fails_on_a_real_drop(tmp_path: Path) -> None:
    base = [item(f"q{i}") for i in range(60)]
    worse = [item(f"q{i}", rank=2, answer="Autre texte.") for i in range(20)] + base[20:]
    save_run(run(base), tmp_path / "a.json")
    save_run(run(worse), tmp_path / "b.json")
    args = ["eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]

    failed = runner.invoke(cli.app, [*args, "--fail-on", "hit_at_1"])
    passed = runner.invoke(cli.app, [*args, "--fail-on", "hit_at_5"])

    assert failed.exit_code == 1, failed.output
    assert "moins bien : 20, mieux : 0" in failed.output
    assert "[moins bien] q0 — Question q0 ?" in failed.output
    assert "Régression : hit_at_1 : 1.000 → 0.667" in failed.output
    assert passed.exit_code == 0, passed.output
    assert "Régression" not in passed.output


def test_coop_eval_compare_defaults_to_the_baseline_and_the_last_saved_run(
    tmp_path: Path,
) -> None:
    runs_dir = tmp_path / "runs"
    save_run(run([item("q1")]), tmp_path / "baseline.json")
    save_run(run([item("q1", rank=2)], "2026-12-02T00:00:00+00:00"), runs_dir / "1.json")
    save_run(run([item("q1", answer="Neuf.")], "2026-12-03T00:00:00+00:00"), runs_dir / "2.json")
    common = ["--baseline", str(tmp_path / "baseline.json"), "--questions", "q.yaml"]

    result = runner.invoke(cli.app, ["eval", "--compare", *common, "--runs-dir", str(runs_dir)])

    assert result.exit_code == 0, result.output
    assert "[changé, mêmes scores] q1" in result.output
    empty = runner.invoke(
        cli.app, ["eval", "--compare", *common, "--runs-dir", str(tmp_path / "vide")]
    )
    assert isinstance(empty.exception, CoopError)
    assert "Aucune exécution de q.yaml" in empty.exception.message


def test_regressions_are_french_lines_for_the_chosen_metrics_only() -> None:
    base = [item(f"q{i}") for i in range(100)]
    worse = [item(f"q{i}", rank=3, facts=[False]) if i < 30 else item(f"q{i}") for i in range(100)]
    comparison = compare_runs(run(base), run(worse))

    [line] = regressions(comparison, ["hit_at_1", "false_refusals"])

    assert line.startswith("hit_at_1 : 1.000 → 0.700, écart -0.300 (IC 95 % apparié [-0.")
    assert line.endswith("au-delà du bruit)")
    assert len(regressions(comparison, ["hit_at_1", "key_fact_coverage"])) == 2


def test_provenance_changes_name_code_corpus_and_settings_not_paths() -> None:
    before = RunMeta(
        git_commit="aaaaaaaa11",
        corpus={"code": "h1", "decret": "h2", "ancien": "h3"},
        settings={"min_score": 0.47, "k": 5, "index_dir": "/a", "llm_api_key": None},
    )
    after = RunMeta(
        git_commit="bbbbbbbb22",
        git_dirty=True,
        corpus={"code": "h1", "decret": "h2-bis", "nouveau": "h4"},
        settings={"min_score": 0.5, "k": 5, "index_dir": "/b", "llm_api_key": "**********"},
    )

    assert provenance_changes(before, after) == [
        "code : aaaaaaaa → bbbbbbbb",
        "code : l'exécution récente avait des modifications non commitées",
        "corpus, documents ajoutés : nouveau",
        "corpus, documents retirés : ancien",
        "corpus, documents modifiés : decret",
        "réglage min_score : 0.47 → 0.5",
    ]
    assert provenance_changes(before, before) == []


def test_the_committed_baseline_keeps_no_corpus_text_and_still_compares(tmp_path: Path) -> None:
    """The baseline is committed: answers and sections quote the texts, only hashes stay."""
    from evals.compare import compare_items
    from evals.runs import without_texts

    quoted = "Les protocoles nationaux sont autorisés par arrêté des ministres."
    passages = [CitedPassage(1, "a", "Qu'est-ce qu'un protocole de coopération ?", 2, "c1", "h1")]
    full = run([item("q1", answer=quoted, passages=passages)])
    path = save_run(without_texts(full), tmp_path / "baseline.json")

    text = path.read_text(encoding="utf-8")
    assert quoted not in text and "Qu'est-ce" not in text
    baseline = load_run(path)
    assert baseline.items[0].passages[0].content_hash == "h1"
    # The same answer is the same; another one is a change.
    assert compare_items(baseline.items[0], full.items[0]).group == "same"
    reworded = item("q1", answer="L'ARS autorise le protocole.", passages=passages)
    assert "answer" in compare_items(baseline.items[0], reworded).changes


def test_coop_eval_update_baseline_writes_no_corpus_text(
    indexed_env: Settings, fake_embedder: None, tmp_path: Path
) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text(
        '- id: q1\n  question: "Qui autorise les protocoles nationaux ?"\n'
        '  must_include: [["arrêté"]]\n',
        encoding="utf-8",
    )
    baseline, saved = tmp_path / "baseline.json", tmp_path / "run.json"
    result = runner.invoke(
        cli.app,
        ["eval", "--questions", str(questions), "--runs-dir", str(tmp_path / "runs"),
         "--baseline", str(baseline), "--update-baseline", "--json", str(saved)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = load_run(saved).items[0].answer
    assert answer and load_run(baseline).items[0].answer == ""
    assert json.dumps(answer.splitlines()[0], ensure_ascii=False)[1:-1] not in baseline.read_text(
        encoding="utf-8"
    )
    assert load_run(baseline).items[0].answer_fingerprint == load_run(saved).items[0].answer_sha256
