"""Ingestion faults: each bad file fails alone, in French, and the indexed version is kept.

Every test starts from an index holding the previous version of the document, breaks the
document's file, re-runs the real ingestion (real Chroma, hashing embedder) and checks that the
failure names the file and the reason, that the other documents were still indexed, and that the
previous version is still served: nothing lost.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from assistant.config import Settings
from assistant.factory import build_assistant
from assistant.files import sha256_of as real_sha256_of
from assistant.index.store import ChromaStore, DocumentRecord
from ingest import indexing
from ingest.indexing import Ingestor, IngestReport
from ingest.read.loading import load_document as real_load
from tests.fakes import HashingEmbedder
from tests.helpers import AMI, CODE, DOCS, doc_path, visible_by_doc
from tests.robustness import pdfs

AMI_PDF_TEXT = (
    "Appel à manifestation d'intérêt : soins palliatifs\n"
    "Le ministère lance un appel à manifestation d'intérêt pour élaborer un protocole national\n"
    "de prise en charge à domicile des patients par des infirmiers experts."
)
# English strerror texts must never reach the user.
ENGLISH = ("No such file", "Permission denied", "Errno", "Traceback")


def outcome_of(report: IngestReport, doc_id: str) -> tuple[str, str]:
    outcome = next(o for o in report.outcomes if o.doc_id == doc_id)
    return outcome.status, outcome.reason


def touch_code(settings: Settings) -> None:
    """Change another document, to check that the run goes on past the bad one."""
    doc_path(settings, CODE).write_text(
        CODE.file_text() + "\nArticle L. 4011-4\n\nUn article ajouté.\n", encoding="utf-8"
    )


def assert_failed_alone_and_kept(
    settings: Settings,
    store: ChromaStore,
    report: IngestReport,
    previous: DocumentRecord,
    file_name: str,
    words: str,
) -> None:
    [failure] = report.failures
    assert failure.doc_id == AMI.doc_id
    assert file_name in failure.reason
    assert words in failure.reason
    assert "version indexée précédemment est conservée" in failure.reason
    assert not any(english in failure.reason for english in ENGLISH)
    assert outcome_of(report, CODE.doc_id)[0] == "changed"
    # Nothing lost: the same catalog entry, all its chunks, and the assistant still finds it.
    assert store.documents()[AMI.doc_id] == previous
    assert visible_by_doc(store)[AMI.doc_id] == [previous.doc_hash] * previous.chunks
    assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)
    hits = assistant.retriever.search("manifestation d'intérêt soins palliatifs", k=3)
    assert hits[0].chunk.doc_id == AMI.doc_id


# --- PDF -------------------------------------------------------------------------------------


@pytest.fixture
def pdf_indexed(settings: Settings, store: ChromaStore) -> DocumentRecord:
    """The AMI published as a real PDF, indexed; returns its catalog entry."""
    entries = [d.source_entry() for d in DOCS]
    entries[-1]["filename"] = f"{AMI.doc_id}.pdf"
    settings.corpus_file.write_text(
        yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8"
    )
    doc_path(settings, AMI).unlink()
    (settings.corpus_dir / f"{AMI.doc_id}.pdf").write_bytes(pdfs.text_pdf(AMI_PDF_TEXT))
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert report.failures == []
    record = store.documents()[AMI.doc_id]
    assert record.source_file == f"{AMI.doc_id}.pdf"
    return record


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: pdfs.corrupt_pdf(AMI_PDF_TEXT), "PDF corrompu"),
        (lambda: pdfs.truncated_pdf(AMI_PDF_TEXT), "PDF tronqué"),
        (lambda: pdfs.encrypted_pdf(AMI_PDF_TEXT), "PDF chiffré, protégé par un mot de passe"),
        (pdfs.blank_pages_pdf, "aucune couche texte : OCR nécessaire"),
        (pdfs.image_only_pdf, "aucune couche texte : OCR nécessaire"),
        (lambda: b"", "fichier vide (0 octet)"),
        (lambda: b"<html>page d'erreur du proxy</html>", "ce n'est pas un PDF"),
    ],
    ids=["corrupt", "truncated", "encrypted", "blank-pages", "image-only", "zero-byte", "html"],
)
def test_broken_pdf_is_skipped_and_the_indexed_version_kept(
    settings: Settings,
    store: ChromaStore,
    pdf_indexed: DocumentRecord,
    make: Callable[[], bytes],
    words: str,
) -> None:
    (settings.corpus_dir / f"{AMI.doc_id}.pdf").write_bytes(make())
    touch_code(settings)
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert_failed_alone_and_kept(settings, store, report, pdf_indexed, f"{AMI.doc_id}.pdf", words)


def misplaced_objects_pdf(text: str = AMI_PDF_TEXT) -> bytes:
    """A readable PDF whose cross-reference offsets are all wrong: pypdf warns, then repairs."""
    data = pdfs.text_pdf(text)
    return re.sub(rb"(\d{10}) 00000 n", lambda m: b"%010d 00000 n" % (int(m[1]) + 3), data)


def test_pdf_that_pypdf_repairs_is_indexed_and_its_warnings_counted(
    settings: Settings, store: ChromaStore, pdf_indexed: DocumentRecord
) -> None:
    (settings.corpus_dir / f"{AMI.doc_id}.pdf").write_bytes(misplaced_objects_pdf())
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert report.failures == []
    assert outcome_of(report, AMI.doc_id)[0] == "changed"
    # One count per file, the other (text) files have none.
    assert list(report.pdf_warnings) == [f"{AMI.doc_id}.pdf"]
    assert report.pdf_warnings[f"{AMI.doc_id}.pdf"] > 1


def test_clean_pdf_has_no_warning_count(
    settings: Settings, store: ChromaStore, pdf_indexed: DocumentRecord
) -> None:
    (settings.corpus_dir / f"{AMI.doc_id}.pdf").write_bytes(pdfs.text_pdf(AMI_PDF_TEXT + "\nFin."))
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert outcome_of(report, AMI.doc_id)[0] == "changed"
    assert report.pdf_warnings == {}


# --- text files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "fichier vide (0 octet)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "contenu binaire"),
        (bytes(range(1, 9)) * 200 + "délégation".encode(), "contenu binaire"),
        (bytes(range(0x80, 0x100)) * 40, "encodage du texte non reconnu"),
    ],
    ids=["zero-byte", "png-named-txt", "control-codes", "undecodable"],
)
def test_broken_text_file_is_skipped_and_the_indexed_version_kept(
    settings: Settings,
    store: ChromaStore,
    indexed: IngestReport,
    content: bytes,
    words: str,
) -> None:
    previous = store.documents()[AMI.doc_id]
    doc_path(settings, AMI).write_bytes(content)
    touch_code(settings)
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert_failed_alone_and_kept(settings, store, report, previous, f"{AMI.doc_id}.txt", words)


def test_oversized_file_is_refused_without_being_read(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    previous = store.documents()[AMI.doc_id]
    with doc_path(settings, AMI).open("r+b") as handle:
        handle.truncate(101_000_000)  # sparse: nothing is really written
    touch_code(settings)
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert_failed_alone_and_kept(
        settings, store, report, previous, f"{AMI.doc_id}.txt", "fichier trop volumineux (101.0 Mo"
    )


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_legacy_encoding_is_detected_and_indexed(
    settings: Settings, store: ChromaStore, indexed: IngestReport, encoding: str
) -> None:
    # Latin-1 has no "œ", "’" nor "—": the Latin-1 variant stays within its repertoire.
    extra = (
        "Délégués formés à l’été, « mise en œuvre »." if encoding == "cp1252" else "Été, à côté."
    )
    text = AMI.file_text() + f"\n## Précisions\n\nDernière mise à jour : {extra}\n"
    if encoding == "latin-1":
        text = text.replace("—", "-").replace("œ", "oe")
    doc_path(settings, AMI).write_bytes(text.encode(encoding))
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert report.failures == []
    assert outcome_of(report, AMI.doc_id)[0] == "changed"
    texts = "\n".join(c.text for c in store.iter_chunks() if c.doc_id == AMI.doc_id)
    assert f"Dernière mise à jour : {extra}" in texts
    assert "manifestation d'intérêt" in texts
    assert "Ã" not in texts and "\ufffd" not in texts  # no mojibake


# --- files that move under our feet ----------------------------------------------------------


def test_file_vanishing_between_listing_and_hashing(
    settings: Settings,
    store: ChromaStore,
    indexed: IngestReport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    previous = store.documents()[AMI.doc_id]
    doc_path(settings, AMI).write_text(AMI.file_text() + "\nAjout.\n", encoding="utf-8")
    touch_code(settings)

    def vanishing(path: Path) -> str:
        if path.name == f"{AMI.doc_id}.txt":
            path.unlink()  # deleted right after it was listed
        return real_sha256_of(path)

    monkeypatch.setattr(indexing, "sha256_of", vanishing)
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert_failed_alone_and_kept(
        settings, store, report, previous, f"{AMI.doc_id}.txt", "fichier introuvable"
    )


def test_file_vanishing_between_hashing_and_reading(
    settings: Settings,
    store: ChromaStore,
    indexed: IngestReport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    previous = store.documents()[AMI.doc_id]
    doc_path(settings, AMI).write_text(AMI.file_text() + "\nAjout.\n", encoding="utf-8")
    touch_code(settings)

    def vanishing(path: Path) -> object:
        if path.name == f"{AMI.doc_id}.txt":
            path.unlink()
        return real_load(path)

    monkeypatch.setattr(indexing, "load_document", vanishing)
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert_failed_alone_and_kept(
        settings, store, report, previous, f"{AMI.doc_id}.txt", "fichier introuvable"
    )


def test_file_missing_at_listing_keeps_the_indexed_version(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    previous = store.documents()[AMI.doc_id]
    doc_path(settings, AMI).unlink()
    report = Ingestor(settings, HashingEmbedder(), store).run()
    status, reason = outcome_of(report, AMI.doc_id)
    assert status == "absent"
    assert "version indexée le" in reason and "conservée" in reason
    assert store.documents()[AMI.doc_id] == previous
    assert report.total_chunks == indexed.total_chunks


def test_file_rewritten_between_hashing_and_reading_records_what_was_indexed(
    settings: Settings,
    store: ChromaStore,
    indexed: IngestReport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc_path(settings, AMI).write_text(AMI.file_text() + "\nVersion A.\n", encoding="utf-8")

    def rewritten(path: Path) -> object:
        if path.name == f"{AMI.doc_id}.txt":
            path.write_text(AMI.file_text() + "\nVersion B.\n", encoding="utf-8")
        return real_load(path)

    monkeypatch.setattr(indexing, "load_document", rewritten)
    Ingestor(settings, HashingEmbedder(), store).run()
    monkeypatch.undo()
    # The catalog names version B, which is what was chunked: the next run has nothing to do.
    again = Ingestor(settings, HashingEmbedder(), store).run()
    assert outcome_of(again, AMI.doc_id)[0] == "unchanged"
    texts = [c.text for c in store.iter_chunks() if c.doc_id == AMI.doc_id]
    assert any("Version B." in t for t in texts)
    assert not any("Version A." in t for t in texts)


# --- duplicates ------------------------------------------------------------------------------

COPY_ID = "ami-copie-sous-un-autre-nom"


def add_copy_of_ami(settings: Settings) -> None:
    entries = [d.source_entry() for d in DOCS]
    entries.append(AMI.source_entry() | {"doc_id": COPY_ID, "title": "Copie de l'AMI"})
    settings.corpus_file.write_text(
        yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8"
    )
    (settings.corpus_dir / f"{COPY_ID}.txt").write_bytes(doc_path(settings, AMI).read_bytes())


def test_duplicate_under_two_names_is_indexed_once_and_both_listed(
    settings: Settings, store: ChromaStore
) -> None:
    add_copy_of_ami(settings)
    report = Ingestor(settings, HashingEmbedder(), store).run()

    assert report.failures == []
    status, reason = outcome_of(report, COPY_ID)
    assert status == "duplicate"
    assert f"{COPY_ID}.txt" in reason and f"{AMI.doc_id}.txt" in reason
    assert f"indexé une seule fois, sous « {AMI.doc_id} »" in reason
    ami_status, ami_reason = outcome_of(report, AMI.doc_id)
    assert ami_status == "new"
    assert f"aussi publié sous « {COPY_ID} »" in ami_reason
    assert [o.doc_id for o in report.outcomes] == [d.doc_id for d in DOCS] + [COPY_ID]
    # Indexed once: the same 12 chunks as without the copy, none under the copy's id.
    assert report.total_chunks == store.count() == 12
    assert COPY_ID not in visible_by_doc(store)
    # The next run keeps the same choice and embeds nothing.
    again = Ingestor(settings, HashingEmbedder(), store).run()
    assert outcome_of(again, COPY_ID)[0] == "duplicate"
    assert outcome_of(again, AMI.doc_id)[0] == "unchanged"
    assert again.embedded_chunks == 0


def test_document_becoming_a_copy_leaves_the_index_once(
    settings: Settings, store: ChromaStore
) -> None:
    add_copy_of_ami(settings)
    (settings.corpus_dir / f"{COPY_ID}.txt").write_text(
        "Titre: Autre texte\n---\nUn texte différent sur la formation des délégués.\n",
        encoding="utf-8",
    )
    Ingestor(settings, HashingEmbedder(), store).run()
    assert COPY_ID in store.documents()

    (settings.corpus_dir / f"{COPY_ID}.txt").write_bytes(doc_path(settings, AMI).read_bytes())
    report = Ingestor(settings, HashingEmbedder(), store).run()

    status, reason = outcome_of(report, COPY_ID)
    assert status == "duplicate"
    assert "l'ancienne copie indexée sous ce nom est retirée" in reason
    assert outcome_of(report, AMI.doc_id)[0] == "unchanged"  # the indexed copy is kept
    assert COPY_ID not in store.documents()
    assert store.count() == 12


def test_copy_of_an_unreadable_file_fails_too(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    doc_path(settings, AMI).write_bytes(b"")
    add_copy_of_ami(settings)
    report = Ingestor(settings, HashingEmbedder(), store).run()
    failed = {f.doc_id: f.reason for f in report.failures}
    assert set(failed) == {AMI.doc_id, COPY_ID}
    assert f"{COPY_ID}.txt : contenu identique à « {AMI.doc_id} »" in failed[COPY_ID]
    assert "fichier vide" in failed[COPY_ID]
    assert store.documents()[AMI.doc_id].chunks == 3  # previous version kept


def test_no_english_os_error_text(tmp_path: Path) -> None:
    """describe_os_error gives French for the errors a read can meet."""
    from ingest.read.loading import describe_os_error

    for code, words in [
        (2, "introuvable"),
        (13, "permission refusée"),
        (28, "disque plein"),
        (5, "entrée-sortie"),
    ]:
        assert words in describe_os_error(OSError(code, os.strerror(code)))
