"""``coop corpus impact``: answers whose cited passage changed, found after a real re-ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from assistant.answer.answering import Assistant
from assistant.config import Settings
from assistant.index.store import ChromaStore
from assistant.present.feedback import FeedbackStore
from evals.cases import EvalCase
from evals.impact import impacted_eval_questions, indexed_passages, reask
from evals.runner import run_eval
from evals.runs import RunMeta, SavedRun, save_run
from ingest.fetch.sources import load_sources
from ingest.fetch.sync import sync_corpus
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import AMI, CODE, DOCS, doc_path, open_store, write_corpus, write_sources

runner = CliRunner()

OLD_SENTENCE = "Les équipes candidates envoient leur dossier avant le 2 mai 2023."
NEW_SENTENCE = "Les équipes candidates envoient leur dossier avant le 15 juin 2023."

CASES = [
    EvalCase.model_validate(
        {
            "id": "ami-date",
            "question": "Avant quand les équipes candidates envoient-elles leur dossier ?",
            "expected_sources": [{"doc": AMI.doc_id}],
            "must_include": [["2 mai 2023"]],
        }
    ),
    EvalCase.model_validate(
        {
            "id": "code-autorisation",
            "question": "Qui autorise les protocoles nationaux ?",
            "expected_sources": [{"doc": CODE.doc_id}],
        }
    ),
]


def saved_run(assistant: Assistant, questions: str = "q.yaml") -> SavedRun:
    report = run_eval(assistant, CASES, k=4)
    meta = RunMeta(created_at="2026-12-01T10:00:00+00:00", questions=questions, k=4)
    return SavedRun(meta, report.summary, report.items)


def reword_ami(settings: Settings, store: ChromaStore) -> None:
    path = doc_path(settings, AMI)
    path.write_text(
        path.read_text(encoding="utf-8").replace(OLD_SENTENCE, NEW_SENTENCE), encoding="utf-8"
    )
    Ingestor(settings, HashingEmbedder(), store).run()


def test_the_saved_run_keeps_the_passages_behind_each_citation(
    assistant_fakes: Assistant,
) -> None:
    ami, code = saved_run(assistant_fakes).items
    assert ami.citations and ami.citations[0] == AMI.doc_id
    assert [p.doc_id for p in ami.passages] == ami.citations
    assert all(len(p.content_hash) == 64 for p in ami.passages + code.passages)


def test_only_the_answer_citing_the_reworded_passage_is_impacted_and_asked_again(
    settings: Settings, store: ChromaStore, assistant_fakes: Assistant
) -> None:
    run = saved_run(assistant_fakes)
    assert impacted_eval_questions([run], indexed_passages(store)) == []

    reword_ami(settings, store)
    impacted = impacted_eval_questions([run], indexed_passages(store))

    assert [q.id for q in impacted] == ["ami-date"]
    assert impacted[0].reasons == [
        f"[1] {AMI.doc_id}, Dates de candidature : passage modifié ou disparu"
    ]
    assert "2 mai 2023" in impacted[0].old_answer
    [again] = reask(assistant_fakes, impacted, k=4)
    assert again.changed
    assert "15 juin 2023" in again.answer and "2 mai" not in again.answer
    assert again.citations[0] == AMI.doc_id


def test_a_document_removed_from_the_catalogue_impacts_its_answers(
    settings: Settings, store: ChromaStore, assistant_fakes: Assistant
) -> None:
    run = saved_run(assistant_fakes)
    write_sources(settings.corpus_file, [doc for doc in DOCS if doc is not AMI])
    Ingestor(settings, HashingEmbedder(), store).run()

    [impacted] = impacted_eval_questions([run], indexed_passages(store))

    assert impacted.id == "ami-date"
    assert impacted.reasons[0].endswith("document retiré de l'index")


def test_the_latest_run_of_a_question_file_is_the_one_that_counts(
    settings: Settings, store: ChromaStore, assistant_fakes: Assistant
) -> None:
    old = saved_run(assistant_fakes)
    reword_ami(settings, store)
    newer = saved_run(assistant_fakes)
    newer.meta.created_at = "2026-12-02T10:00:00+00:00"

    # The newer run already answered from the new text: nothing is left to re-read.
    assert impacted_eval_questions([newer, old], indexed_passages(store)) == []


@pytest.fixture
def synced_env(indexed_env: Settings, tmp_path: Path, fake_embedder: None) -> Settings:
    """``indexed_env`` whose documents came from a mirror through a recorded sync."""
    mirror = tmp_path / "mirror"
    write_corpus(indexed_env.corpus_file, mirror)
    sync_corpus(load_sources(indexed_env.corpus_file), indexed_env.corpus_dir, mirror=mirror)
    return indexed_env


def test_coop_corpus_impact_lists_eval_and_feedback_questions_side_by_side(
    synced_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = synced_env
    feedback_db = tmp_path / "avis.sqlite3"
    monkeypatch.setenv("COOP_FEEDBACK_DB", str(feedback_db))
    store = open_store(settings.index_dir)
    from assistant.factory import build_assistant

    assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)
    run = saved_run(assistant)
    runs_dir = tmp_path / "runs"
    save_run(run, runs_dir / "run.json")
    FeedbackStore(feedback_db).record(assistant.ask(CASES[0].question, [], k=4), 1)
    FeedbackStore(feedback_db).record(assistant.ask(CASES[1].question, [], k=4), -1)
    # The reform: the mirror gets the new text, then sync and ingest as a maintainer would.
    mirror = tmp_path / "mirror"
    (mirror / f"{AMI.doc_id}.txt").write_text(
        AMI.file_text().replace(OLD_SENTENCE, NEW_SENTENCE), encoding="utf-8"
    )
    sync_corpus(
        load_sources(settings.corpus_file), settings.corpus_dir, mirror=mirror, allow_changed=True
    )
    Ingestor(settings, HashingEmbedder(), store).run()
    out = tmp_path / "impact.json"
    args = ["corpus", "impact", "--runs-dir", str(runs_dir), "--baseline", str(tmp_path / "x")]

    result = runner.invoke(cli.app, [*args, "--k", "4", "--json", str(out)])

    assert result.exit_code == 0, result.output
    assert "2 question(s)" in result.output
    assert "q.yaml · ami-date" in result.output
    assert "avis du chat · avis-1" in result.output
    assert "Ancienne réponse" in result.output and "15 juin 2023" in result.output
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [row["id"] for row in rows] == ["ami-date", "avis-1"]
    assert all("15 juin 2023" in row["new_answer"] for row in rows)
    assert all("2 mai 2023" in row["old_answer"] for row in rows)
