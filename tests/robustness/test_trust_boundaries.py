"""Ingestion reads only files that live in the documents folder.

A symbolic link in the documents folder whose target lies outside it (``link.txt`` →
``/etc/passwd``) must not be indexed: the real ingestion (real Chroma, hashing embedder) reports
the document as failed, in French, keeps what was indexed before, and the outside text reaches
neither the store nor the answers. Links that stay inside the folder are accepted.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from assistant.config import Settings
from assistant.factory import build_assistant
from assistant.index.store import ChromaStore
from ingest.indexing import Ingestor, IngestReport
from tests.fakes import HashingEmbedder
from tests.helpers import AMI, DOCS, doc_path, make_settings, open_store, write_corpus

SECRET = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
REFUSED = "lien symbolique hors du dossier du corpus refusé"


def outcome_of(report: IngestReport, doc_id: str) -> tuple[str, str]:
    outcome = next(o for o in report.outcomes if o.doc_id == doc_id)
    return outcome.status, outcome.reason


def add_source(settings: Settings, doc_id: str) -> None:
    """Append a minimal catalogue entry (``<doc_id>.txt``) to ``sources.yaml``."""
    entries = [d.source_entry() for d in DOCS]
    entries.append({"doc_id": doc_id, "title": "t", "kind": "page"})
    settings.corpus_file.write_text(
        yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8"
    )


def secret_file(tmp_path: Path) -> Path:
    outside = tmp_path / "hors-corpus" / "passwd"
    outside.parent.mkdir()
    outside.write_text(SECRET, encoding="utf-8")
    return outside


def assert_secret_nowhere(settings: Settings, store: ChromaStore) -> None:
    texts = [chunk.text for chunk in store.iter_chunks()]
    assert texts, "the other documents must still be indexed"
    assert not any("root:x:0:0" in text or "nologin" in text for text in texts)
    assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)
    hits = assistant.retriever.search("root daemon bin nologin", k=5)
    assert not any("root:x:0:0" in hit.chunk.text for hit in hits)


def test_symlink_to_a_file_outside_the_corpus_is_not_indexed(
    tmp_path: Path, settings: Settings, store: ChromaStore
) -> None:
    outside = secret_file(tmp_path)
    add_source(settings, "link")
    (settings.corpus_dir / "link.txt").symlink_to(outside)

    report = Ingestor(settings, HashingEmbedder(), store).run()

    status, reason = outcome_of(report, "link")
    assert status == "failed"
    assert REFUSED in reason
    assert "link.txt" in reason
    assert "link" not in store.documents()
    assert {o.doc_id for o in report.outcomes if o.status == "new"} == {d.doc_id for d in DOCS}
    assert_secret_nowhere(settings, store)


def test_indexed_document_replaced_by_an_outside_symlink_keeps_its_version(
    tmp_path: Path, settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    outside = secret_file(tmp_path)
    previous = store.documents()[AMI.doc_id]
    path = doc_path(settings, AMI)
    path.unlink()
    path.symlink_to(outside)

    report = Ingestor(settings, HashingEmbedder(), store).run()

    status, reason = outcome_of(report, AMI.doc_id)
    assert status == "failed"
    assert REFUSED in reason
    assert store.documents()[AMI.doc_id] == previous
    assert_secret_nowhere(settings, store)


def test_relative_symlink_climbing_out_is_refused(
    tmp_path: Path, settings: Settings, store: ChromaStore
) -> None:
    secret_file(tmp_path)
    add_source(settings, "link")
    (settings.corpus_dir / "link.txt").symlink_to(Path("..") / "hors-corpus" / "passwd")

    report = Ingestor(settings, HashingEmbedder(), store).run()

    status, reason = outcome_of(report, "link")
    assert (status, REFUSED in reason) == ("failed", True)
    assert_secret_nowhere(settings, store)


def test_symlink_to_an_outside_folder_named_like_a_document_is_refused(
    tmp_path: Path, settings: Settings, store: ChromaStore
) -> None:
    # The declared name is a link to a folder outside: the document fails rather than looking
    # further for another file.
    secret_file(tmp_path)
    add_source(settings, "link")
    (settings.corpus_dir / "link.txt").symlink_to(tmp_path / "hors-corpus")

    report = Ingestor(settings, HashingEmbedder(), store).run()

    status, reason = outcome_of(report, "link")
    assert (status, REFUSED in reason) == ("failed", True)


def test_symlink_loop_fails_alone(settings: Settings, store: ChromaStore) -> None:
    add_source(settings, "boucle")
    (settings.corpus_dir / "boucle.txt").symlink_to("boucle.txt")

    report = Ingestor(settings, HashingEmbedder(), store).run()

    status, reason = outcome_of(report, "boucle")
    assert status == "failed"
    assert "lien symbolique" in reason
    assert {o.doc_id for o in report.outcomes if o.status == "new"} == {d.doc_id for d in DOCS}


def test_symlink_inside_the_corpus_folder_is_accepted(
    settings: Settings, store: ChromaStore
) -> None:
    # A second name for a document of the same folder stays inside: it is indexed (once, as a
    # duplicate of the original).
    add_source(settings, "alias")
    (settings.corpus_dir / "alias.txt").symlink_to(f"{AMI.doc_id}.txt")

    report = Ingestor(settings, HashingEmbedder(), store).run()

    assert outcome_of(report, "alias")[0] == "duplicate"
    assert report.failures == []


def test_corpus_folder_reached_through_a_symlink_still_works(tmp_path: Path) -> None:
    real = tmp_path / "reel"
    settings = make_settings(real)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    linked = tmp_path / "lien"
    linked.symlink_to(real, target_is_directory=True)
    via_link = make_settings(real, corpus_dir=linked / "documents")

    report = Ingestor(via_link, HashingEmbedder(), open_store(via_link.index_dir)).run()

    assert report.failures == []
    assert {o.status for o in report.outcomes} == {"new"}
