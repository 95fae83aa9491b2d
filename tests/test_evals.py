"""The evaluation itself: question files, metrics on known cases, gate, baseline, `coop eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.errors import ConfigError
from evals.cases import EvalCase, load_cases
from evals.cv import cross_validate, fold_of
from evals.metrics import ItemResult, matched_groups, score_item, summarize
from evals.runner import diff_with_baseline, gate, run_eval
from evals.stats import percentile
from tests.helpers import AMI, ARS_PAGE, CODE, HISTORICAL

runner = CliRunner()


def case(**fields: object) -> EvalCase:
    values: dict[str, object] = {"id": "q", "question": "Question ?"} | fields
    return EvalCase.model_validate(values)


def item(
    *,
    answerable: bool = True,
    rank: int | None = 1,
    groups: list[bool] | None = None,
    citations: list[str] | None = None,
    expected: list[str] | None = None,
    refused: bool = False,
    latency: float = 0.1,
) -> ItemResult:
    return ItemResult(
        id="q",
        question="Question ?",
        answerable=answerable,
        retrieved=[],
        expected=["a"] if expected is None else expected,
        answer="",
        citations=citations or [],
        refused=refused,
        groups_matched=groups or [],
        latency_s=latency,
        rank=rank,
    )


# --- key facts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "answer", "expected"),
    [
        # Case, accents and typographic apostrophes do not matter.
        ([["Haute Autorité de santé"]], "avis de la HAUTE AUTORITE DE SANTE", [True]),
        ([["d'intérêt"]], "appel à manifestation d’intérêt", [True]),
        ([["sécurité"]], "Securite des soins", [True]),
        # One alternative per group suffices; every group is judged on its own.
        (
            [["directeur", "chef d'établissement"], ["CME"]],
            "Le chef d'établissement décide.",
            [True, False],
        ),
        # Spaces are normalised; an empty alternative matches nothing.
        ([["douze  mois"], [""]], "pendant douze\nmois", [True, False]),
        ([], "Sans groupe.", []),
    ],
)
def test_matched_groups(groups: list[list[str]], answer: str, expected: list[bool]) -> None:
    assert matched_groups(groups, answer) == expected


def test_a_refused_answer_matches_no_key_fact_and_keeps_its_rank() -> None:
    scored = score_item(
        case(expected_sources=[{"doc": "b"}], must_include=[["avis"]]),
        ["a", "b"],
        "L'avis est requis.",
        [],
        True,
        0.2,
    )
    assert scored.groups_matched == [False]
    assert scored.rank == 2


def test_unanswerable_case_with_empty_sources_has_no_rank() -> None:
    scored = score_item(case(answerable=False), ["a"], "", [], True, 0.1)
    assert scored.rank is None and scored.expected == []


# --- summary ------------------------------------------------------------------------------------


def test_summary_of_hand_made_items() -> None:
    items = [
        # answerable, found first, 2 of 2 facts, both citations expected
        item(rank=1, groups=[True, True], citations=["a", "a"]),
        # answerable, found third, 1 of 2 facts, one citation of two expected
        item(rank=3, groups=[True, False], citations=["a", "z"]),
        # answerable but refused: counts as a false refusal, its facts as missed, no citation
        item(rank=None, groups=[False], refused=True),
        # unanswerable and refused; one unanswerable and answered (its citations do not count)
        item(answerable=False, rank=None, expected=[], refused=True),
        item(answerable=False, rank=None, expected=[], citations=["z"], latency=0.5),
    ]

    summary = summarize(items, k=5)

    assert summary["n"] == 5
    assert summary["hit_at_1"] == pytest.approx(1 / 3)
    assert summary["hit_at_5"] == pytest.approx(2 / 3)
    assert summary["mrr"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert summary["key_fact_coverage"] == pytest.approx(3 / 5)
    assert summary["citation_precision"] == pytest.approx(3 / 4)
    assert summary["refusal_accuracy"] == pytest.approx(1 / 2)
    assert summary["false_refusals"] == pytest.approx(1 / 3)
    assert summary["latency_p95_s"] >= summary["latency_p50_s"] == pytest.approx(0.1)


def test_summary_of_nothing_is_zero() -> None:
    summary = summarize([], k=5)
    assert summary["hit_at_1"] == summary["key_fact_coverage"] == summary["refusal_accuracy"] == 0


def test_the_one_percentile_interpolates_between_sorted_values() -> None:
    values = [0.5, 0.1, 0.3, 0.2, 0.4]
    assert percentile(values, 50) == 0.3
    assert percentile(values, 95) == pytest.approx(0.4 + 0.8 * 0.1)
    assert percentile([0.7], 95) == 0.7
    assert percentile([], 95) == 0.0
    with pytest.raises(ValueError, match="1..99"):
        percentile(values, 100)


# --- question files -------------------------------------------------------------------------------


def test_question_file_with_every_field(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(
        "- id: q001\n"
        '  question: "Et qui valide ?"\n'
        '  history: ["Qui rédige un protocole local ?"]\n'
        "  answerable: true\n"
        "  expected_sources: [{doc: a}, {doc: b}]\n"
        '  must_include: [["directeur", "chef"], ["CME"]]\n'
        "- id: q002\n"
        '  question: "Combien coûte une adhésion ?"\n'
        "  answerable: false\n"
        "  expected_sources: []\n"
        "  must_include: []\n",
        encoding="utf-8",
    )
    first, second = load_cases(path)
    assert first.history == ["Qui rédige un protocole local ?"]
    assert first.expected_docs == {"a", "b"}
    assert first.must_include == [["directeur", "chef"], ["CME"]]
    assert not second.answerable and second.expected_docs == set()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: q001\nquestion: seul\n", "une liste de questions est attendue"),
        ("- id: q001\n  question: ok\n- question: sans id\n", "question"),
        ("- id: [\n", "YAML invalide"),
    ],
)
def test_invalid_question_files_are_refused_in_french(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_cases(path)
    assert message in caught.value.message and str(path) in caught.value.message


@pytest.mark.parametrize(
    "name",
    [
        "questions.yaml",
        "questions-heldout.yaml",
        "questions-heldout-2.yaml",
        "questions-heldout-3.yaml",
        "questions-english.yaml",
    ],
)
def test_committed_question_files_meet_the_issue(name: str) -> None:
    cases = load_cases(Path("evals") / name)
    assert len({c.id for c in cases}) == len(cases)
    answerable = [c for c in cases if c.answerable]
    assert all(c.expected_sources and c.must_include for c in answerable)
    assert all(not c.expected_sources for c in cases if not c.answerable)
    if name == "questions.yaml":
        assert len(cases) >= 80
        assert len(cases) - len(answerable) >= 10
        assert sum(1 for c in cases if c.history) >= 8


# --- gate and baseline ----------------------------------------------------------------------------


def test_gate_names_each_metric_past_its_threshold() -> None:
    summary = {"hit_at_1": 0.7, "false_refusals": 0.1, "mrr": 0.9}
    failures = gate(summary, {"hit_at_1": 0.8, "false_refusals": 0.05, "mrr": 0.9, "inconnue": 1})
    assert failures == [
        "hit_at_1 = 0.700 < seuil 0.800",
        "false_refusals = 0.100 > seuil 0.050",
        "inconnue : métrique inconnue",
    ]
    assert gate(summary, {"hit_at_1": 0.7, "false_refusals": 0.1}) == []


def test_diff_with_the_last_baseline(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert diff_with_baseline({"mrr": 0.9}, baseline) == {}
    baseline.write_text(json.dumps({"summary": {"mrr": 0.8, "n": 3}}), encoding="utf-8")
    [(before, now, delta)] = diff_with_baseline({"mrr": 0.9}, baseline).values()
    assert (before, now, delta) == (0.8, 0.9, pytest.approx(0.1))


# --- the real answerer --------------------------------------------------------------------------


def test_a_follow_up_is_asked_with_its_history(shared_assistant: Assistant) -> None:
    follow_up = case(
        id="suivi",
        question="Et ensuite ?",
        history=["Par qui les protocoles nationaux sont-ils autorisés ?"],
        expected_sources=[{"doc": CODE.doc_id}],
        must_include=[["Haute Autorité de santé"]],
    )
    alone = follow_up.model_copy(update={"history": []})

    report = run_eval(shared_assistant, [follow_up, alone], k=5)

    with_history, without = report.items
    assert with_history.rank == 1 and with_history.groups_matched == [True]
    assert without.rank != 1 or without.refused
    data = json.loads(report.to_json())
    assert set(data) == {"summary", "items"}
    assert {"retrieved", "answer", "citations", "refused", "groups_matched"} <= set(
        data["items"][0]
    )


def test_coop_eval_writes_the_json_report_and_gates(
    indexed_env: Settings, fake_embedder: None, tmp_path: Path
) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "- id: q1\n"
        '  question: "Qui autorise les protocoles nationaux ?"\n'
        f"  expected_sources: [{{doc: {CODE.doc_id}}}]\n"
        '  must_include: [["arrêté des ministres"]]\n'
        "- id: q2\n"
        '  question: "Avant quand les équipes candidates envoient-elles leur dossier ?"\n'
        f"  expected_sources: [{{doc: {AMI.doc_id}}}]\n"
        '  must_include: [["dossier"]]\n',
        encoding="utf-8",
    )
    out = tmp_path / "report.json"
    thresholds = tmp_path / "seuils.yaml"
    thresholds.write_text("hit_at_5: 0.5\n", encoding="utf-8")
    args = ["eval", "--questions", str(questions), "--json", str(out), "--k", "3"]
    args += ["--baseline", str(tmp_path / "absent.json"), "--thresholds", str(thresholds)]
    args += ["--runs-dir", str(tmp_path / "runs")]

    passed = runner.invoke(cli.app, [*args, "--gate"])

    assert passed.exit_code == 0, passed.output
    report = json.loads(out.read_text(encoding="utf-8"))
    [archived] = (tmp_path / "runs").glob("*-q-*.json")
    assert json.loads(archived.read_text(encoding="utf-8")) == report
    assert report["meta"]["questions"] == str(questions) and report["meta"]["k"] == 3
    assert report["meta"]["corpus"].keys() == {
        CODE.doc_id,
        AMI.doc_id,
        HISTORICAL.doc_id,
        ARS_PAGE.doc_id,
    }
    assert report["meta"]["settings"]["index_dir"] == str(indexed_env.index_dir)
    assert report["meta"]["timings"]["total_s"] > 0
    assert report["summary"]["n"] == 2
    assert report["summary"]["hit_at_5"] == 1.0
    assert [i["id"] for i in report["items"]] == ["q1", "q2"]
    assert all(len(i["retrieved"]) <= 3 for i in report["items"])

    thresholds.write_text("hit_at_5: 1.01\n", encoding="utf-8")
    failed = runner.invoke(cli.app, [*args, "--gate"])
    assert failed.exit_code == 1
    assert "hit_at_5" in failed.output


def test_coop_eval_cv_reports_cross_validated_beside_train(
    indexed_env: Settings, fake_embedder: None, tmp_path: Path
) -> None:
    questions = _question_file(
        tmp_path / "q.yaml",
        [
            ("Qui autorise les protocoles nationaux ?", CODE.doc_id, "arrêté"),
            ("Quand envoyer le dossier de candidature ?", AMI.doc_id, "dossier"),
            ("Que dit l'article L. 4011-3 ?", CODE.doc_id, "protocoles"),
            ("Quel est le rôle de l'agence régionale de santé ?", CODE.doc_id, "agence"),
        ],
    )
    result = runner.invoke(cli.app, ["eval", "--questions", str(questions), "--cv", "2"])
    assert result.exit_code == 0, result.output
    assert "Validation croisée (2 parties, 4 questions)" in result.output
    assert "Entraînement" in result.output
    assert "Choix par partie" in result.output
    assert "Vérifications de répondabilité" in result.output
    assert "answer_type_check non, entity_check non" in result.output
    assert "Poids du choix des phrases" in result.output


def test_cross_validation_never_scores_a_question_with_the_point_it_chose() -> None:
    def item(question_id: str, good: bool) -> ItemResult:
        return ItemResult(question_id, "q", True, ["d"], ["d"], "", [], False, [good], 0.0, rank=1)

    # Point (1.0,) is better on every question but q0: whichever folds train on q0 alone
    # would pick (0.0,); the held-out metrics come from the chosen point's own results.
    ids = [f"q{i}" for i in range(6)]
    results = {
        (0.0,): [item(i, i == "q0") for i in ids],
        (1.0,): [item(i, i != "q0") for i in ids],
    }
    report = cross_validate(results, folds=3)
    assert report.best == (1.0,)
    assert report.train["key_fact_coverage"] == pytest.approx(5 / 6)
    assert len(report.chosen_per_fold) == 3
    assert report.cross_validated["n"] == 6
    folds = fold_of(ids, 3)
    assert sorted(folds.values()) == [0, 0, 1, 1, 2, 2]


def test_coop_eval_gate_fails_on_a_drop_beyond_noise_against_the_baseline_run(
    indexed_env: Settings, fake_embedder: None, tmp_path: Path
) -> None:
    absent = "une formule que les textes ne contiennent pas"
    questions = _question_file(
        tmp_path / "q.yaml",
        [
            ("Qui autorise les protocoles nationaux ?", CODE.doc_id, absent),
            ("Avant quand les équipes envoient-elles leur dossier ?", AMI.doc_id, absent),
        ],
    )
    thresholds = tmp_path / "seuils.yaml"
    thresholds.write_text("key_fact_coverage: 0.0\nhit_at_5: 0.5\n", encoding="utf-8")
    args = ["eval", "--questions", str(questions), "--k", "3", "--thresholds", str(thresholds)]
    args += ["--runs-dir", str(tmp_path / "runs"), "--json", str(tmp_path / "run.json")]
    baseline = tmp_path / "baseline.json"
    first = runner.invoke(cli.app, [*args, "--baseline", str(baseline), "--update-baseline"])
    assert first.exit_code == 0, first.output
    # The baseline run found the fact in both answers: now both miss it, a drop beyond noise.
    data = json.loads(baseline.read_text(encoding="utf-8"))
    for row in data["items"]:
        row["groups_matched"] = [True]
    baseline.write_text(json.dumps(data), encoding="utf-8")

    gated = runner.invoke(cli.app, [*args, "--baseline", str(baseline), "--gate"])

    assert gated.exit_code == 1, gated.output
    assert "Régression : key_fact_coverage : 1.000 → 0.000" in gated.output
    assert gated.output.count("Régression :") == 1  # hit_at_5 is unchanged and above its floor


def test_a_baseline_on_other_questions_is_not_paired_with_this_set(
    indexed_env: Settings, fake_embedder: None, tmp_path: Path
) -> None:
    """A held-out set evaluated beside the dev baseline shows its own figures, not zeros."""

    def questions(prefix: str) -> Path:
        path = tmp_path / f"{prefix}.yaml"
        path.write_text(
            f"- id: {prefix}1\n"
            '  question: "Qui autorise les protocoles nationaux ?"\n'
            f"  expected_sources: [{{doc: {CODE.doc_id}}}]\n"
            '  must_include: [["arrêté"]]\n',
            encoding="utf-8",
        )
        return path

    baseline = tmp_path / "baseline.json"
    common = ["--k", "3", "--runs-dir", str(tmp_path / "runs"), "--baseline", str(baseline)]
    dev = runner.invoke(cli.app, ["eval", "--questions", str(questions("dev")), *common,
                                  "--update-baseline"])  # fmt: skip
    assert dev.exit_code == 0, dev.output
    held_out = runner.invoke(cli.app, ["eval", "--questions", str(questions("ho")), *common])
    assert held_out.exit_code == 0, held_out.output
    assert "apparié" not in held_out.output
    assert "hit_at_1" in held_out.output and "1.000" in held_out.output


def _question_file(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A question file: one answerable question per (question, expected document, key fact)."""
    path.write_text(
        "".join(
            f"- id: q{i}\n"
            f'  question: "{question}"\n'
            f"  expected_sources: [{{doc: {doc}}}]\n"
            f'  must_include: [["{fact}"]]\n'
            for i, (question, doc, fact) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    return path
