"""Query faults through the real CLI boundary: bad input, English, another model, a load run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from assistant import factory
from assistant.answer import prompts
from assistant.config import Settings
from assistant.factory import build_assistant
from assistant.present.feedback import FeedbackStore
from evals.soak import run_soak
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import coop_env, make_settings, open_store, write_corpus


class OtherModel(HashingEmbedder):
    """Same vectors, another model id: what a user switching models without re-ingesting gets."""

    model_id = "autre-modele"


@pytest.fixture
def indexed_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = make_settings(tmp_path)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    for name, value in coop_env(settings).items():
        monkeypatch.setenv(name, value)
    Ingestor(settings, HashingEmbedder(), open_store(settings.index_dir)).run()
    return settings


def ask_through_main(
    question: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["coop", "ask", question])
    code = 0
    try:
        cli.main()
    except SystemExit as exited:
        code = int(exited.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "La question est vide"),
        ("   \t  ", "La question est vide"),
        ("\x00\x01\x02\x7f", "La question est vide"),
        ("x" * 10_000, "trop longue (10000 caractères"),
        ("🙂" * 50, "ne contient aucun mot"),
    ],
    ids=["empty", "whitespace", "binary", "10k-chars", "emoji-only"],
)
def test_bad_questions_get_a_french_message_and_exit_1(
    indexed_env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    question: str,
    message: str,
) -> None:
    monkeypatch.setattr(factory, "build_embedder", lambda settings: HashingEmbedder())
    code, _, err = ask_through_main(question, monkeypatch, capsys)
    assert code == 1
    assert err.startswith("Erreur : ")
    assert message in err
    assert "Traceback" not in err


def test_emoji_inside_a_real_question_is_answered(
    indexed_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(factory, "build_embedder", lambda settings: HashingEmbedder())
    code, out, _ = ask_through_main(
        "🙂 Comment déclarer la mise en œuvre d'un protocole national sur la plateforme ? 👍",
        monkeypatch,
        capsys,
    )
    assert code == 0
    assert "[1]" in out
    assert "Sources" in out


def test_english_question_is_flagged_and_never_crashes(
    indexed_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(factory, "build_embedder", lambda settings: HashingEmbedder())
    code, out, err = ask_through_main(
        "How do I declare a national protocol on the platform?", monkeypatch, capsys
    )
    assert code == 0, err
    assert "Question en anglais" in out


def test_index_built_with_another_model_says_to_reingest(
    indexed_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(factory, "build_embedder", lambda settings: OtherModel())
    code, _, err = ask_through_main("Qui valide un protocole local ?", monkeypatch, capsys)
    assert code == 1
    assert "coop ingest" in err
    assert "autre-modele" in err
    assert "Traceback" not in err


def test_english_notice_is_also_on_a_refusal(indexed_env: Settings) -> None:
    assistant = build_assistant(indexed_env, embedder=HashingEmbedder())
    answer = assistant.ask("What is the weather like in Paris in the spring?")
    assert answer.refused
    assert answer.notice == prompts.ENGLISH_NOTICE


def test_soak_run_has_no_error_and_loses_no_feedback(indexed_env: Settings, tmp_path: Path) -> None:
    assistant = build_assistant(indexed_env, embedder=HashingEmbedder())
    feedback = FeedbackStore(tmp_path / "avis.sqlite3")
    questions = [
        "Comment déclarer la mise en œuvre d'un protocole national sur la plateforme ?",
        "Que dit l'article L. 4011-3 ?",
        "Et qui doit le valider ?",
        "Quel est le calendrier vaccinal du nourrisson ?",
    ]
    report = run_soak(assistant, questions, feedback, users=4, seconds=3.0)
    assert report.errors == []
    assert report.asked > 8
    assert report.nothing_lost
    assert report.feedback_stored == report.asked
    # Generous: a leak over thousands of answers would show; allocator noise stays well under.
    assert report.rss_growth_mib < 150
    data = report.to_dict()
    assert data["nothing_lost"] is True
    assert set(data) >= {"users", "asked", "errors", "latency_p95_s", "rss_growth_mib"}


def test_soak_refuses_an_empty_question_list(indexed_env: Settings, tmp_path: Path) -> None:
    assistant = build_assistant(indexed_env, embedder=HashingEmbedder())
    with pytest.raises(ValueError, match="no question"):
        run_soak(assistant, [], FeedbackStore(tmp_path / "avis.sqlite3"), seconds=0.1)


def test_coop_bench_soak_reports_no_error_and_no_lost_feedback(
    indexed_env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(factory, "build_embedder", lambda settings: HashingEmbedder())
    questions = tmp_path / "questions.yaml"
    questions.write_text(
        '- id: s1\n  question: "Comment déclarer un protocole national ?"\n'
        '- id: s2\n  question: "Que dit l\'article L. 4011-3 ?"\n',
        encoding="utf-8",
    )
    out = tmp_path / "soak.json"
    result = CliRunner().invoke(
        cli.app,
        ["bench", "--soak", "2", "--users", "3", "--questions", str(questions), "--json", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "Essai d'endurance" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["users"] == 3 and data["errors"] == [] and data["nothing_lost"] is True
    assert data["asked"] == data["feedback_stored"] > 0
