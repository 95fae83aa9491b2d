from __future__ import annotations

import csv
import io
import sqlite3
import threading
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import cli
from assistant.errors import ConfigError
from assistant.present.feedback import CSV_COLUMNS, FeedbackStore, spreadsheet_safe, write_csv
from assistant.schema import Answer, Citation

runner = CliRunner()

CITATION = Citation(
    n=1,
    doc_id="csp-l4011",
    title="Code de la santé publique",
    section="Article L. 4011-3",
    page=2,
    url="https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000047568143",
    quote="Les protocoles nationaux sont autorisés par arrêté.",
    kind="code",
    date="2023-05-21",
)


def answer(question: str = "Qui autorise les protocoles nationaux ?") -> Answer:
    return Answer(
        question=question,
        text="Les protocoles nationaux sont autorisés par arrêté [1].",
        citations=[CITATION],
        refused=False,
        passages=[],
    )


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "avis" / "feedback.sqlite3")


def test_record_is_read_back_with_question_answer_and_sources(store: FeedbackStore) -> None:
    row_id = store.record(answer(), 1, comment="Clair.", conversation_id="abc")

    [record] = store.records()
    assert record.id == row_id
    assert (record.question, record.rating, record.comment) == (
        "Qui autorise les protocoles nationaux ?",
        1,
        "Clair.",
    )
    assert record.answer == "Les protocoles nationaux sont autorisés par arrêté [1]."
    assert record.conversation_id == "abc"
    assert record.citations == [
        "[1] Code — Code de la santé publique — Article L. 4011-3, p. 2 (2023-05-21) "
        f"<{CITATION.url}>"
    ]
    assert record.created_at.endswith("+00:00")


def test_update_changes_rating_and_comment(store: FeedbackStore) -> None:
    row_id = store.record(answer(), -1)
    store.update(row_id, rating=1)
    store.update(row_id, comment="Finalement correct.")

    [record] = store.records()
    assert (record.rating, record.comment) == (1, "Finalement correct.")


def test_database_is_in_wal_mode(store: FeedbackStore) -> None:
    store.record(answer(), 1)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def concurrent_writes(store: FeedbackStore, threads: int, per_thread: int) -> list[BaseException]:
    """Record ``threads`` × ``per_thread`` answers at once; the errors met."""
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(per_thread):
                store.record(answer(f"question {worker}-{i}"), 1 if i % 2 else -1)
        except BaseException as err:  # noqa: BLE001 - surfaced by the callers' assertions
            errors.append(err)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


def test_concurrent_writers_lose_nothing(store: FeedbackStore) -> None:
    threads, per_thread = 8, 25

    assert concurrent_writes(store, threads, per_thread) == []

    questions = [r.question for r in store.records()]
    assert len(questions) == threads * per_thread
    assert set(questions) == {
        f"question {w}-{i}" for w in range(threads) for i in range(per_thread)
    }


def test_first_writers_of_a_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    # Switching a new file to WAL ignores the busy timeout: before the retry, about one fresh
    # database in thirteen failed a writer with "database is locked".
    for n in range(60):
        store = FeedbackStore(tmp_path / f"avis-{n}.sqlite3")
        assert concurrent_writes(store, threads=4, per_thread=2) == [], n
        assert len(store.records()) == 8


def test_invalid_rating_is_a_programming_error(store: FeedbackStore) -> None:
    with pytest.raises(ValueError, match="rating"):
        store.record(answer(), 0)  # type: ignore[arg-type]


def test_unusable_path_is_a_french_config_error(tmp_path: Path) -> None:
    (tmp_path / "fichier").write_text("pas un dossier", encoding="utf-8")
    with pytest.raises(ConfigError, match="Impossible d'utiliser la base des avis"):
        FeedbackStore(tmp_path / "fichier" / "feedback.sqlite3").record(answer(), 1)


def test_no_database_means_no_records(store: FeedbackStore) -> None:
    assert store.records() == []
    assert not store.path.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+33 1 23", "'+33 1 23"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Qui valide ?", "Qui valide ?"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(text: str, expected: str) -> None:
    assert spreadsheet_safe(text) == expected


def test_csv_has_french_headers_and_neutralised_formulas(store: FeedbackStore) -> None:
    store.record(answer("=1+1 ?"), -1, comment="Réponse incomplète ; voir l'article 2.")
    out = io.StringIO()

    assert write_csv(store.records(), out) == 1

    rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    assert rows[0] == list(CSV_COLUMNS)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["question"] == "'=1+1 ?"
    assert row["avis"] == "👎"
    assert row["commentaire"] == "Réponse incomplète ; voir l'article 2."
    assert row["refus"] == "non"
    assert CITATION.url in row["sources"]


@pytest.fixture
def feedback_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FeedbackStore:
    path = tmp_path / "feedback.sqlite3"
    monkeypatch.setenv("COOP_FEEDBACK_DB", str(path))
    monkeypatch.setattr(cli, "console", Console(width=250))
    store = FeedbackStore(path)
    store.record(answer(), 1, comment="Très utile")
    store.record(answer("Rôle du CNCI ?"), -1)
    return store


def test_cli_export_csv_to_stdout(feedback_env: FeedbackStore) -> None:
    result = runner.invoke(cli.app, ["feedback", "export", "--csv"])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout), delimiter=";"))
    assert [(r["question"], r["avis"], r["commentaire"]) for r in rows] == [
        ("Qui autorise les protocoles nationaux ?", "👍", "Très utile"),
        ("Rôle du CNCI ?", "👎", ""),
    ]


def test_cli_export_csv_to_file_with_bom(feedback_env: FeedbackStore, tmp_path: Path) -> None:
    target = tmp_path / "avis.csv"
    result = runner.invoke(
        cli.app, ["feedback", "export", "--csv", "--output", str(target), "--separator", ","]
    )

    assert result.exit_code == 0, result.output
    assert "2 avis exportés" in result.output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # spreadsheets then read the accents right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1]["question"] == "Rôle du CNCI ?"


def test_cli_export_table_summarises(feedback_env: FeedbackStore) -> None:
    result = runner.invoke(cli.app, ["feedback", "export"])

    assert result.exit_code == 0, result.output
    assert "Rôle du CNCI ?" in result.output
    assert "2 avis : 1 👍, 1 👎" in result.output


def test_cli_export_with_no_feedback_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_FEEDBACK_DB", str(tmp_path / "absent.sqlite3"))
    result = runner.invoke(cli.app, ["feedback", "export", "--csv"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [";".join(CSV_COLUMNS)]
