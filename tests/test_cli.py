from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from assistant.config import Settings
from assistant.errors import IndexMissingError
from tests.helpers import AMI, ARS_PAGE, CODE, HISTORICAL

REPO_ROOT = Path(__file__).resolve().parents[1]
SECRET = "sk-secret-123"
runner = CliRunner()


def test_help_lists_the_commands_in_french() -> None:
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    assert "Assistant sur les protocoles de coopération" in result.output
    for command in ("ingest", "ask", "eval", "doctor", "corpus", "model"):
        assert command in result.output
    assert "Pose une question" in result.output
    assert "Indexe les documents" in result.output


@pytest.mark.parametrize("name", list(cli.COMMANDS))
def test_help_summary_read_from_the_source_is_the_command_help(name: str) -> None:
    """``coop --help`` reads each summary without importing the command: the same text."""
    assert cli.command_help(name) == cli.load_command(name).help


def test_ask_help_describes_the_options_in_french() -> None:
    result = runner.invoke(cli.app, ["ask", "--help"])
    assert result.exit_code == 0
    assert "--en-vigueur" in result.output
    assert "Textes en vigueur uniquement" in result.output


def test_ask_without_index_raises_index_missing(env: Settings) -> None:
    result = runner.invoke(cli.app, ["ask", "Que dit l'article L. 4011-3 ?"])
    assert result.exit_code != 0
    assert isinstance(result.exception, IndexMissingError)


def test_main_turns_errors_into_a_french_message(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["coop", "ask", "Que dit l'article L. 4011-3 ?"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Erreur : L'index est introuvable ou vide : lancez d'abord `coop ingest`")
    assert "Traceback" not in err


def test_main_reports_an_empty_question(
    indexed_env: Settings,
    fake_embedder: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "argv", ["coop", "ask", "   "])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    assert "Erreur : La question est vide" in capsys.readouterr().err


def test_coop_script_exits_1_with_the_french_message(env: Settings) -> None:
    coop = Path(sys.executable).parent / "coop"
    if not coop.is_file():
        pytest.skip(f"console script not installed next to {sys.executable}")
    result = subprocess.run(
        [str(coop), "ask", "Que dit l'article L. 4011-3 ?"],
        capture_output=True,
        text=True,
        env=dict(os.environ),  # the COOP_* variables set by the fixture
        cwd=env.corpus_file.parent,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Erreur : L'index est introuvable ou vide" in result.stderr
    assert "Traceback" not in result.stderr


def test_doctor_on_an_empty_folder(env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_LLM_API_KEY", SECRET)
    result = runner.invoke(cli.app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "aucun index : lancez `coop ingest`" in result.output
    assert "ABSENT" in result.output
    assert "configurée (masquée)" in result.output
    assert SECRET not in result.output


def test_doctor_on_an_index(indexed_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_LLM_API_KEY", SECRET)
    result = runner.invoke(cli.app, ["doctor"])
    assert result.exit_code == 0, result.output
    lines = {line.strip("│ ").split("│")[0].strip(): line for line in result.output.splitlines()}
    assert "4" in lines["Documents indexés"]
    assert "12" in lines["Passages"]
    assert "hashing-64" in lines["Modèle de l'index"]
    assert SECRET not in result.output


def test_ingest_command_reports_each_document(env: Settings, fake_embedder: None) -> None:
    first = runner.invoke(cli.app, ["ingest"])
    assert first.exit_code == 0, first.output
    assert first.output.count("nouveau") == 4
    second = runner.invoke(cli.app, ["ingest"])
    assert second.exit_code == 0
    assert second.output.count("inchangé") == 4


def test_ingest_command_fails_when_a_document_fails(env: Settings, fake_embedder: None) -> None:
    (env.corpus_dir / f"{AMI.doc_id}.txt").write_bytes(b"")
    result = runner.invoke(cli.app, ["ingest"])
    assert result.exit_code == 1
    assert "ÉCHEC" in result.output
    assert f"{AMI.doc_id}.txt : fichier vide" in result.output
    partial = runner.invoke(cli.app, ["ingest", "--allow-partial"])
    assert partial.exit_code == 0


def test_ask_prints_the_answer_and_its_sources(indexed_env: Settings, fake_embedder: None) -> None:
    result = runner.invoke(cli.app, ["ask", "Que dit l'article L. 4011-3 ?"])
    assert result.exit_code == 0, result.output
    assert "Sources :" in result.output
    assert "[1] Code — Code de la santé publique" in result.output
    assert CODE.url in result.output


def test_ask_json_with_filters(indexed_env: Settings, fake_embedder: None) -> None:
    result = runner.invoke(
        cli.app, ["ask", "Que dit l'article L. 4011-3 ?", "--json", "--en-vigueur", "--k", "3"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["refused"] is False
    assert len(data["passages"]) == 3
    assert data["passages"][0]["doc_id"] == CODE.doc_id
    assert data["passages"][0]["exact_reference"] is True
    assert HISTORICAL.doc_id not in {p["doc_id"] for p in data["passages"]}


def test_ask_kind_filter(indexed_env: Settings, fake_embedder: None) -> None:
    result = runner.invoke(
        cli.app, ["ask", "protocole national de soins palliatifs", "--json", "--kind", "ami"]
    )
    assert result.exit_code == 0, result.output
    assert {p["doc_id"] for p in json.loads(result.output)["passages"]} == {AMI.doc_id}


# --- errors a user can make: French message, exit 1, no traceback -----------------------------


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``coop ARGS`` through ``cli.main`` (as the console script runs it)."""
    code = 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["coop", *args])
        try:
            cli.main()
        except SystemExit as exited:
            code = int(exited.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_french_error(code: int, err: str, message: str) -> None:
    assert code == 1, err
    assert err.startswith("Erreur : "), err
    assert message in err
    assert "Traceback" not in err and "ValidationError" not in err


@pytest.mark.parametrize(
    "command",
    [
        ["doctor"],
        ["ask", "Qui valide un protocole local ?"],
        ["ingest"],
        ["corpus", "sync"],
        ["corpus", "diff"],
        ["feedback", "export"],
        ["eval"],
        ["bench"],
        ["model", "fetch"],
        ["model", "fetch-llm"],
    ],
    ids=" ".join,
)
def test_every_command_reports_a_bad_setting_in_french(
    env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    monkeypatch.setenv("COOP_K", "abc")
    code, _, err = run_main(command, capsys)
    assert_french_error(code, err, "Erreur : Réglage invalide : COOP_K = 'abc' : nombre entier")


def test_bad_dtype_lists_the_allowed_values(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COOP_EMBEDDING_DTYPE", "float64")
    code, _, err = run_main(["doctor"], capsys)
    assert_french_error(
        code,
        err,
        "COOP_EMBEDDING_DTYPE = 'float64' : valeur non autorisée ; "
        "valeurs possibles : auto, float32, bfloat16",
    )


def test_coop_script_reports_a_bad_setting_without_traceback(env: Settings) -> None:
    coop = Path(sys.executable).parent / "coop"
    if not coop.is_file():
        pytest.skip(f"console script not installed next to {sys.executable}")
    result = subprocess.run(
        [str(coop), "doctor"],
        capture_output=True,
        text=True,
        env=dict(os.environ) | {"COOP_K": "abc"},
        cwd=env.corpus_file.parent,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "Erreur : Réglage invalide : COOP_K = 'abc' : nombre entier attendu.\n"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--k", "0"], "Nombre de passages (k) = 0 : choisissez un nombre entier entre 1 et 50"),
        (["--k", "-1"], "Nombre de passages (k) = -1 : choisissez"),
        (["--k", "100000"], "Nombre de passages (k) = 100000 : choisissez"),
        (["--since", "01/02/2024"], "Date « 01/02/2024 » : format attendu AAAA-MM-JJ"),
        (["--since", "hier"], "Date « hier » : format attendu AAAA-MM-JJ"),
        (["--since", "2099-99-99"], "Date « 2099-99-99 » : ce jour n'existe pas"),
        (
            ["--doc", "inexistant"],
            "Document inconnu : « inexistant ». Documents indexés : "
            + ", ".join(sorted(d.doc_id for d in (AMI, ARS_PAGE, CODE, HISTORICAL))),
        ),
        (
            ["--kind", "circulaire"],
            "Type inconnu : « circulaire ». Types indexés : ami, code, historique, page-ars.",
        ),
        (["--kind", "ami", "--kind", "loi"], "Type inconnu : « loi »"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_ask_refuses_a_bad_option_in_french(
    indexed_env: Settings,
    fake_embedder: None,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    code, out, err = run_main(["ask", "Que dit l'article L. 4011-3 ?", *options], capsys)
    assert_french_error(code, err, message)
    assert out == ""


def test_ask_since_filters_by_date(indexed_env: Settings, fake_embedder: None) -> None:
    result = runner.invoke(
        cli.app, ["ask", "Que dit l'article L. 4011-3 ?", "--json", "--since", "2023-04-01"]
    )
    assert result.exit_code == 0, result.output
    passages = json.loads(result.output)["passages"]
    assert passages
    assert {p["doc_id"] for p in passages} <= {CODE.doc_id, ARS_PAGE.doc_id}


def test_ask_doc_filter_on_a_known_document(indexed_env: Settings, fake_embedder: None) -> None:
    result = runner.invoke(
        cli.app, ["ask", "Que dit l'article L. 4011-3 ?", "--json", "--doc", CODE.doc_id]
    )
    assert result.exit_code == 0, result.output
    assert {p["doc_id"] for p in json.loads(result.output)["passages"]} == {CODE.doc_id}


def test_eval_refuses_k_zero(
    indexed_env: Settings, fake_embedder: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(["eval", "--k", "0"], capsys)
    assert_french_error(code, err, "Nombre de passages (k) = 0")


# --- coop ingest when a catalogued file is missing ---------------------------------------------


def summary_row(output: str) -> list[str]:
    """The cells of the « Documents indexés » summary table's data row."""
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if "Documents indexés" in line)
    row = next(line for line in lines[header + 1 :] if any(c.isdigit() for c in line))
    return [cell.strip() for cell in row.strip("│┃ ").split("│")]


def test_ingest_fails_when_a_served_document_lost_its_file(
    indexed_env: Settings, fake_embedder: None
) -> None:
    (indexed_env.corpus_dir / f"{AMI.doc_id}.txt").unlink()
    result = runner.invoke(cli.app, ["ingest"])
    assert result.exit_code == 1, result.output
    assert f"Fichier absent {AMI.doc_id} : fichier absent du dossier des documents" in (
        result.output
    )
    assert "est conservée" in result.output
    # The kept version is served: it counts.
    assert summary_row(result.output)[:2] == ["4", "12"]
    partial = runner.invoke(cli.app, ["ingest", "--allow-partial"])
    assert partial.exit_code == 0, partial.output
    assert summary_row(partial.output)[0] == "4"


def test_ingest_counts_served_documents_after_a_failure(
    indexed_env: Settings, fake_embedder: None
) -> None:
    (indexed_env.corpus_dir / f"{AMI.doc_id}.txt").write_bytes(b"")
    result = runner.invoke(cli.app, ["ingest"])
    assert result.exit_code == 1
    assert summary_row(result.output)[0] == "4"


def test_ingest_of_a_never_synced_document_is_not_a_failure(
    env: Settings, fake_embedder: None
) -> None:
    (env.corpus_dir / f"{AMI.doc_id}.txt").unlink()
    result = runner.invoke(cli.app, ["ingest"])
    assert result.exit_code == 0, result.output
    assert (
        f"jamais synchronisée(s), donc non indexée(s) (lancez `coop corpus sync`) : {AMI.doc_id}"
        in result.output
    )
    assert summary_row(result.output)[0] == "3"


def test_ask_history_follow_up_does_not_repeat_the_earlier_answer(
    indexed_env: Settings, fake_embedder: None
) -> None:
    """`--history` questions are answered again: the follow-up leaves their answer out."""
    first = runner.invoke(cli.app, ["ask", "Qui autorise les protocoles nationaux ?", "--json"])
    assert first.exit_code == 0, first.output
    lead = json.loads(first.output)["text"].splitlines()[0].rsplit(" [", 1)[0]
    follow_up = runner.invoke(
        cli.app,
        [
            "ask", "Et après avis de qui ?", "--json",
            "--history", "Qui autorise les protocoles nationaux ?",
        ],
    )  # fmt: skip
    assert follow_up.exit_code == 0, follow_up.output
    data = json.loads(follow_up.output)
    assert lead not in data["text"]
    # The follow-up was rewritten from the earlier question.
    assert "protocoles nationaux" in data["standalone_question"]
