"""ingest.split.diff and the sync state: two versions of a document, `coop corpus diff`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import cli
from assistant.index.sync_state import STATE_FILE, document_updates, read_sync_state
from ingest.fetch.sources import Source
from ingest.fetch.sync import PREVIOUS_DIR, sync_corpus
from ingest.split.diff import diff_corpus, diff_texts, split_articles, unified_diff

HEADER = "Titre: Code, articles D. 4011-1 à D. 4011-3\nType: code\nDate: 2025-09-10\n---\n"
V1 = (
    "Code de la santé publique\n"
    "\n"
    "Article D. 4011-1\n"
    "Le protocole précise les actes dérogatoires. Il est rédigé par l'équipe.\n"
    "\n"
    "Article D. 4011-2\n"
    "La déclaration est faite dans un délai de deux mois. Elle est adressée à l'agence.\n"
    "\n"
    "Article D. 4011-3\n"
    "Le comité national rend son avis.\n"
)
V2 = (
    "Code de la santé publique\n"
    "\n"
    "Article D. 4011-1\n"
    "Le protocole précise les actes dérogatoires.   Il est rédigé par l'équipe.\n"
    "\n"
    "Article D. 4011-2\n"
    "La déclaration est faite dans un délai d'un mois. Elle est adressée à l'agence.\n"
    "\n"
    "Article D. 4011-4\n"
    "Le directeur général suit la mise en œuvre.\n"
)
FIRST = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECOND = datetime(2026, 2, 10, 14, 30, tzinfo=UTC)


def source(doc_id: str) -> Source:
    return Source.model_validate({"doc_id": doc_id, "title": doc_id, "kind": "code"})


def test_split_articles_keeps_the_text_before_the_first_heading() -> None:
    parts = split_articles(V1)
    assert list(parts) == ["texte", "D4011-1", "D4011-2", "D4011-3"]
    assert parts["D4011-3"] == ("Article D. 4011-3", "Le comité national rend son avis.")
    assert parts["texte"][1] == "Code de la santé publique"
    assert list(split_articles("Une page sans article.\nDeuxième ligne.")) == ["texte"]


def test_diff_texts_reports_changed_added_and_removed_articles() -> None:
    changes = {(c.article, c.change): c for c in diff_texts(V1, V2)}
    # D. 4011-1 only gained spaces: not a change.
    assert set(changes) == {("D4011-2", "changed"), ("D4011-4", "added"), ("D4011-3", "removed")}
    assert changes[("D4011-2", "changed")].diff == [
        "-La déclaration est faite dans un délai de deux mois.",
        "+La déclaration est faite dans un délai d'un mois.",
    ]
    assert changes[("D4011-4", "added")].diff == ["+Le directeur général suit la mise en œuvre."]
    assert changes[("D4011-3", "removed")].section == "Article D. 4011-3"


def test_unified_diff_is_truncated() -> None:
    old = " ".join(f"Phrase numéro {i}." for i in range(20))
    lines = unified_diff(old, "", max_lines=3)
    assert lines == [
        "-Phrase numéro 0.",
        "-Phrase numéro 1.",
        "-Phrase numéro 2.",
        "… (17 ligne(s) de plus)",
    ]


@pytest.fixture
def synced_twice(tmp_path: Path) -> Path:
    """v1 of a code and a page synced, then v2 of the code, the page dropped, a new page added."""
    mirror, dest = tmp_path / "mirror", tmp_path / "documents"
    mirror.mkdir()
    (mirror / "code.txt").write_text(HEADER + V1, encoding="utf-8")
    (mirror / "ancienne-page.txt").write_text("Une page.", encoding="utf-8")
    sync_corpus([source("code"), source("ancienne-page")], dest, mirror=mirror, now=FIRST)
    (mirror / "code.txt").write_text(HEADER + V2, encoding="utf-8")
    (mirror / "nouvelle-page.txt").write_text("Une autre page.", encoding="utf-8")
    sync_corpus([source("code"), source("nouvelle-page")], dest, mirror=mirror, now=SECOND)
    return dest


def test_sync_records_its_state(synced_twice: Path) -> None:
    state = read_sync_state(synced_twice)
    assert state["synced_at"] == "2026-02-10T14:30:00+00:00"
    assert state["previous_synced_at"] == "2026-01-05T09:00:00+00:00"
    assert state["previous_documents"] == ["ancienne-page", "code"]
    assert state["documents"] == {
        "code": {
            "file": "code.txt",
            "status": "changed",
            "updated_at": "2026-02-10T14:30:00+00:00",
        },
        "nouvelle-page": {
            "file": "nouvelle-page.txt",
            "status": "new",
            "updated_at": "2026-02-10T14:30:00+00:00",
        },
    }
    assert (synced_twice / STATE_FILE).is_file()


def test_unchanged_document_keeps_its_update_date(tmp_path: Path) -> None:
    mirror, dest = tmp_path / "mirror", tmp_path / "documents"
    mirror.mkdir()
    (mirror / "code.txt").write_text(HEADER + V1, encoding="utf-8")
    sync_corpus([source("code")], dest, mirror=mirror, now=FIRST)
    sync_corpus([source("code")], dest, mirror=mirror, now=SECOND)
    assert document_updates(dest) == {"code": "2026-01-05T09:00:00+00:00"}
    assert diff_corpus(dest).empty


def test_diff_corpus_after_two_syncs(synced_twice: Path) -> None:
    diff = diff_corpus(synced_twice)
    assert (diff.synced_at, diff.previous_synced_at) == (
        "2026-02-10T14:30:00+00:00",
        "2026-01-05T09:00:00+00:00",
    )
    assert [(d.doc_id, d.change) for d in diff.documents] == [
        ("code", "changed"),
        ("nouvelle-page", "added"),
        ("ancienne-page", "removed"),
    ]
    code = diff.documents[0]
    assert [(a.article, a.change) for a in code.articles] == [
        ("D4011-2", "changed"),
        ("D4011-4", "added"),
        ("D4011-3", "removed"),
    ]
    assert (synced_twice / PREVIOUS_DIR / "code.txt").read_text(encoding="utf-8") == HEADER + V1


def test_diff_without_state_compares_previous_versions(synced_twice: Path) -> None:
    (synced_twice / STATE_FILE).unlink()
    diff = diff_corpus(synced_twice)
    assert diff.synced_at == ""
    assert [(d.doc_id, d.change, len(d.articles)) for d in diff.documents] == [
        ("code", "changed", 3)
    ]


def test_header_only_change_is_noted(tmp_path: Path) -> None:
    mirror, dest = tmp_path / "mirror", tmp_path / "documents"
    mirror.mkdir()
    (mirror / "code.txt").write_text(HEADER + V1, encoding="utf-8")
    sync_corpus([source("code")], dest, mirror=mirror, now=FIRST)
    (mirror / "code.txt").write_text(HEADER.replace("2025", "2026") + V1, encoding="utf-8")
    sync_corpus([source("code")], dest, mirror=mirror, now=SECOND)
    [document] = diff_corpus(dest).documents
    assert document.articles == []
    assert document.note == "seule la mise en forme ou l'en-tête a changé."


def test_cli_corpus_diff(
    synced_twice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COOP_CORPUS_DIR", str(synced_twice))
    monkeypatch.setattr(cli, "console", Console(width=200))
    result = CliRunner().invoke(cli.app, ["corpus", "diff"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "Dernière synchronisation : 2026-02-10T14:30:00+00:00 "
        "(précédente : 2026-01-05T09:00:00+00:00)"
    )
    assert "code : modifié" in lines
    assert "  Article D. 4011-2 : modifié" in lines
    assert "    -La déclaration est faite dans un délai de deux mois." in lines
    assert "    +La déclaration est faite dans un délai d'un mois." in lines
    assert "nouvelle-page : ajouté" in lines
    assert "ancienne-page : retiré" in lines
    as_json = CliRunner().invoke(cli.app, ["corpus", "diff", "--json"])
    data = json.loads(as_json.output)
    assert [d["change"] for d in data["documents"]] == ["changed", "added", "removed"]
    assert data["documents"][0]["articles"][0]["diff"][0].startswith("-La déclaration")
