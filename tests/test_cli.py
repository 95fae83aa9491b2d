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
from tests.helpers import (
    AMI,
    CODE,
    HISTORICAL,
)

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
