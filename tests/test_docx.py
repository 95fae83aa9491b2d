"""Word files: headings, numbered lists and tables, indexed and cited."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from assistant.errors import CorpusError
from ingest.read.loading import load_document
from ingest.read.tables import table_rows
from tests.realistic_docs import (
    PROTOCOL_STEPS,
    PROTOCOL_TITLE,
    add_and_index,
    cites,
    make_protocol_docx,
)


def test_protocol_docx_keeps_headings_lists_and_table_rows(tmp_path: Path) -> None:
    document = load_document(make_protocol_docx(tmp_path / "protocole.docx"))
    body = document.body
    assert document.header == {"titre": PROTOCOL_TITLE, "date": "2024-03-03"}
    assert "## Article 2 - Déroulement de la prise en charge" in body
    numbered = "\n".join(f"{n}. {step}" for n, step in enumerate(PROTOCOL_STEPS, start=1))
    assert f"La prise en charge suit trois étapes :\n{numbered}" in body
    assert (
        "\n\nActe : Relecture du dossier — Professionnel : Ophtalmologiste — Délai : 7 jours\n\n"
        in body
    )


def test_bullets_and_numbers_from_the_numbering_part(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("premier point", style="List Bullet")
    document.add_paragraph("second point", style="List Bullet")
    document.add_paragraph("Texte entre les listes.")
    document.add_paragraph("étape un", style="List Number")
    document.add_paragraph("étape deux", style="List Number")
    path = tmp_path / "listes.docx"
    document.save(str(path))
    assert load_document(path).body == (
        "- premier point\n- second point\n\nTexte entre les listes.\n\n1. étape un\n2. étape deux\n"
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["Acte", "Délai"], ["Bilan", "48 h"]], ["Acte : Bilan — Délai : 48 h"]),
        ([["seule", "ligne"]], ["seule — ligne"]),
        ([["", ""], ["a", "b"]], ["a — b"]),
        ([["Acte", "Délai"], ["Bilan", ""]], ["Acte : Bilan"]),
    ],
)
def test_table_rows_keep_their_header(rows: list[list[str]], expected: list[str]) -> None:
    assert table_rows(rows) == expected


def test_a_doc_file_renamed_docx_is_refused_in_french(tmp_path: Path) -> None:
    path = tmp_path / "ancien.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    with pytest.raises(CorpusError, match="ancien.docx : ce n'est pas un document Word"):
        load_document(path)


def test_a_zip_that_is_not_word_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "pas un document")
    with pytest.raises(CorpusError, match="ce n'est pas un document Word"):
        load_document(path)


def test_protocol_docx_chunks_articles_rows_and_answer(tmp_path: Path) -> None:
    added = add_and_index(tmp_path, make_protocol_docx(tmp_path / "protocole.docx"))
    assert added.source.title == PROTOCOL_TITLE
    assert added.source.date == "2024-03-03"
    articles = {chunk.article for chunk in added.chunks}
    assert {"1", "2", "3", "annexe-1"} <= articles
    rows = [chunk for chunk in added.chunks if chunk.article == "3"]
    for row in ("Acte : Bilan visuel — Professionnel : Orthoptiste — Délai : 48 heures",):
        assert any(row in chunk.text for chunk in rows)
    answer = added.assistant.ask("Quel délai pour la relecture du dossier par l'ophtalmologiste ?")
    assert cites(answer, added.source.doc_id)
    assert "7 jours" in answer.text
