from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from assistant.config import Settings
from assistant.errors import IndexWriteError
from assistant.factory import build_assistant
from assistant.files import sha256_of
from assistant.index import lexical
from assistant.index.lexical import Bm25Index, current_lexical, lexical_dir, load_or_build_lexical
from assistant.index.store import ChromaStore
from assistant.retrieve.hybrid import HybridRetriever
from ingest import indexing
from ingest.indexing import Ingestor, IngestReport
from tests.fakes import HashingEmbedder
from tests.helpers import (
    AMI,
    ARS_PAGE,
    CODE,
    DOCS,
    HISTORICAL,
    V2_SOURCES,
    FakeDoc,
    assert_each_document_whole,
    doc_path,
    indexed_hash,
    kill_at_marker,
    make_settings,
    make_v1_snapshot,
    open_store,
    prepare_v2,
    start_child,
    visible_by_doc,
    write_crash_child,
    write_sources,
)

# Chunks per document with chunk_size=400, counted by hand from tests/helpers.py: the code has
# a title paragraph, L. 4011-1 in two pieces (two paragraphs > 400 chars), L. 4011-2, L. 4011-3.
EXPECTED_CHUNKS = {CODE.doc_id: 5, HISTORICAL.doc_id: 1, ARS_PAGE.doc_id: 3, AMI.doc_id: 3}


class RecordingEmbedder(HashingEmbedder):
    """Hashing embedder that keeps every text it was asked to embed."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return super().embed_documents(texts)


def statuses(report: IngestReport) -> dict[str, str]:
    return {o.doc_id: o.status for o in report.outcomes}


def rewrite(settings: Settings, doc: FakeDoc) -> None:
    (settings.corpus_dir / f"{doc.doc_id}.txt").write_text(doc.file_text(), encoding="utf-8")


def test_full_ingest_counts(indexed: IngestReport, store: ChromaStore) -> None:
    assert statuses(indexed) == dict.fromkeys(EXPECTED_CHUNKS, "new")
    assert {o.doc_id: o.chunks for o in indexed.outcomes} == EXPECTED_CHUNKS
    assert indexed.total_chunks == 12
    assert indexed.embedded_chunks == 12
    assert indexed.reused_vectors == 0
    assert indexed.failures == []
    assert {d: r.chunks for d, r in store.documents().items()} == EXPECTED_CHUNKS
    assert store.count() == 12


def test_catalog_records_the_source_metadata(indexed: IngestReport, store: ChromaStore) -> None:
    record = store.documents()[HISTORICAL.doc_id]
    assert (record.title, record.kind, record.date, record.status, record.official_url) == (
        HISTORICAL.title,
        "historique",
        "2009-07-21",
        "historique",
        HISTORICAL.url,
    )
    assert record.source_file == f"{HISTORICAL.doc_id}.txt"


def test_second_run_changes_nothing(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    embedder = RecordingEmbedder()
    version = store.version()
    report = Ingestor(settings, embedder, store).run()
    assert statuses(report) == dict.fromkeys(EXPECTED_CHUNKS, "unchanged")
    assert report.embedded_chunks == 0
    assert report.reused_vectors == 0
    assert report.total_chunks == 12
    assert embedder.embedded == []
    assert store.version() == version


def test_modified_file_only_reembeds_its_changed_chunks(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    old_hash = store.documents()[ARS_PAGE.doc_id].doc_hash
    changed = replace(
        ARS_PAGE, body=ARS_PAGE.body.replace("par la structure.", "par la structure de soins.")
    )
    rewrite(settings, changed)
    embedder = RecordingEmbedder()

    report = Ingestor(settings, embedder, store).run()

    assert statuses(report) == {
        CODE.doc_id: "unchanged",
        HISTORICAL.doc_id: "unchanged",
        ARS_PAGE.doc_id: "changed",
        AMI.doc_id: "unchanged",
    }
    # Only the "Formation des délégués" chunk changed; the page's two other chunks are reused.
    assert report.embedded_chunks == 1
    assert report.reused_vectors == 2
    # The passage, then only the answer units (sentences) it did not hold before.
    passage, *units = embedder.embedded
    assert "structure de soins" in passage
    assert report.embedded_units == len(units) > 0
    assert all("structure de soins" in unit for unit in units)
    new_hash = store.documents()[ARS_PAGE.doc_id].doc_hash
    assert new_hash != old_hash
    assert set(visible_by_doc(store)[ARS_PAGE.doc_id]) == {new_hash}
    assert store.count() == 12  # the old version's chunks are gone


def test_removed_source_is_removed_from_the_index(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    write_sources(settings.corpus_file, [CODE, ARS_PAGE, AMI])
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert statuses(report)[HISTORICAL.doc_id] == "removed"
    assert HISTORICAL.doc_id not in store.documents()
    assert HISTORICAL.doc_id not in visible_by_doc(store)
    assert store.count() == 11
    assert report.total_chunks == 11
    # The lexical index follows: the historical wording can no longer be found.
    assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)
    assert [c.doc_id for c in assistant.retriever.lexical.by_article("L4011-3")] == [CODE.doc_id]


def test_unsynced_document_is_reported_absent(settings: Settings, store: ChromaStore) -> None:
    (settings.corpus_dir / f"{AMI.doc_id}.txt").unlink()
    report = Ingestor(settings, HashingEmbedder(), store).run()
    absent = next(o for o in report.outcomes if o.doc_id == AMI.doc_id)
    assert absent.status == "absent"
    assert "coop corpus sync" in absent.reason
    assert AMI.doc_id not in store.documents()
    assert report.failures == []


@pytest.mark.parametrize(
    ("content", "reason_words"),
    [
        (b"", "fichier vide"),
        (b"\x00\x01\x02\xff\xfe\x00binaire" * 50, "contenu binaire"),
        (b"Titre: Vide\nType: code\n---\n   \n", "aucun texte"),
    ],
    ids=["zero-byte", "binary", "header-only"],
)
def test_broken_file_fails_alone_and_keeps_the_previous_version(
    settings: Settings,
    store: ChromaStore,
    indexed: IngestReport,
    content: bytes,
    reason_words: str,
) -> None:
    previous = store.documents()[AMI.doc_id]
    (settings.corpus_dir / f"{AMI.doc_id}.txt").write_bytes(content)
    (settings.corpus_dir / f"{CODE.doc_id}.txt").write_text(
        CODE.file_text() + "\nArticle L. 4011-4\n\nUn article ajouté.\n", encoding="utf-8"
    )

    report = Ingestor(settings, HashingEmbedder(), store).run()

    [failure] = report.failures
    assert failure.doc_id == AMI.doc_id
    assert f"{AMI.doc_id}.txt" in failure.reason
    assert reason_words in failure.reason
    assert statuses(report)[CODE.doc_id] == "changed"  # the others go on
    assert store.documents()[AMI.doc_id] == previous
    assert set(visible_by_doc(store)[AMI.doc_id]) == {previous.doc_hash}
    assert len(visible_by_doc(store)[AMI.doc_id]) == EXPECTED_CHUNKS[AMI.doc_id]
    # ... and the previous version is still served.
    assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)
    hits = assistant.retriever.search("appel à manifestation d'intérêt soins palliatifs", k=3)
    assert hits[0].chunk.doc_id == AMI.doc_id


def test_unsafe_file_name_fails_alone(settings: Settings, store: ChromaStore) -> None:
    entries = [d.source_entry() for d in DOCS]
    entries[-1]["filename"] = "../hors-du-dossier.txt"
    settings.corpus_file.write_text(
        yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8"
    )
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert [f.doc_id for f in report.failures] == [AMI.doc_id]
    assert "non sûr" in report.failures[0].reason
    assert set(store.documents()) == {CODE.doc_id, HISTORICAL.doc_id, ARS_PAGE.doc_id}


def test_broken_new_document_is_not_indexed(settings: Settings, store: ChromaStore) -> None:
    (settings.corpus_dir / f"{AMI.doc_id}.txt").write_bytes(b"")
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert [f.doc_id for f in report.failures] == [AMI.doc_id]
    assert AMI.doc_id not in store.documents()
    assert report.total_chunks == 12 - EXPECTED_CHUNKS[AMI.doc_id]


def test_rebuild_starts_from_scratch(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    report = Ingestor(settings, HashingEmbedder(), store).run(rebuild=True)
    assert statuses(report) == dict.fromkeys(EXPECTED_CHUNKS, "new")
    assert report.embedded_chunks == 12
    assert store.count() == 12


class OtherModelEmbedder(HashingEmbedder):
    """The same vectors under another model id: an index built with it needs a rebuild."""

    model_id = "hashing-64-bis"


class FailingAfter(HashingEmbedder):
    """Fails on its ``calls``-th embedding call, as a crash or a full disk would."""

    def __init__(self, calls: int) -> None:
        self.left = calls

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.left -= 1
        if self.left <= 0:
            raise IndexWriteError("disque plein (simulé)")
        return super().embed_documents(texts)


def test_rebuild_keeps_the_served_version_of_a_document_that_now_fails(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    served = store.documents()[AMI.doc_id]
    (settings.corpus_dir / f"{AMI.doc_id}.txt").write_bytes(b"")
    doc_path(settings, ARS_PAGE).unlink()

    report = Ingestor(settings, HashingEmbedder(), store).run(rebuild=True)

    assert statuses(report)[AMI.doc_id] == "failed"
    assert "version indexée précédemment est conservée" in report.failures[0].reason
    assert statuses(report)[ARS_PAGE.doc_id] == "absent"
    assert store.documents()[AMI.doc_id] == served
    assert {c.doc_id for c in store.iter_chunks()} == set(EXPECTED_CHUNKS)
    assert store.count() == report.total_chunks == 12
    # Carried over with their stored vectors (same model): only the two readable documents
    # were embedded again.
    readable = EXPECTED_CHUNKS[CODE.doc_id] + EXPECTED_CHUNKS[HISTORICAL.doc_id]
    assert report.embedded_chunks == readable


def test_rebuild_with_another_model_re_embeds_what_it_carries_over(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    doc_path(settings, ARS_PAGE).unlink()

    report = Ingestor(settings, OtherModelEmbedder(), store).run(rebuild=True)

    assert report.embedded_chunks == 12 and report.reused_vectors == 0
    assert store.model_id == OtherModelEmbedder.model_id
    assert set(store.documents()) == set(EXPECTED_CHUNKS)
    reopened = open_store(settings.index_dir)
    reopened.open_for_reading(model_id=OtherModelEmbedder.model_id)
    assert reopened.count() == 12


def test_failed_rebuild_leaves_the_previous_index_served_and_ingest_repairs(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    before = store.documents()
    rewrite(settings, replace(AMI, body=AMI.body + "\nUne phrase ajoutée à la fin.\n"))

    with pytest.raises(IndexWriteError):
        Ingestor(settings, FailingAfter(calls=1), store).run(rebuild=True)

    reader = open_store(settings.index_dir)
    reader.open_for_reading(model_id=HashingEmbedder.model_id)
    assert reader.documents() == before
    assert reader.count() == 12
    report = Ingestor(settings, HashingEmbedder(), reader).run()
    assert statuses(report)[AMI.doc_id] == "changed"
    assert reader.delete_stale_generations() == []


def test_only_limits_the_run_and_removes_nothing(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    rewrite(settings, replace(AMI, body=AMI.body + "\nUne phrase ajoutée à la fin.\n"))
    rewrite(settings, replace(CODE, body=CODE.body + "\nUne phrase ajoutée à la fin.\n"))
    report = Ingestor(settings, HashingEmbedder(), store).run(only=[AMI.doc_id])
    assert statuses(report) == {AMI.doc_id: "changed"}
    assert set(store.documents()) == set(EXPECTED_CHUNKS)
    assert store.documents()[CODE.doc_id].doc_hash == indexed_hash(settings, CODE, original=True)


def test_chunking_settings_are_part_of_the_version(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    bigger = make_settings(settings.corpus_file.parent, chunk_size=800)
    report = Ingestor(bigger, HashingEmbedder(), store).run()
    assert set(statuses(report).values()) == {"changed"}


def test_progress_is_reported_per_document(settings: Settings, store: ChromaStore) -> None:
    seen: list[tuple[str, int, int]] = []
    Ingestor(settings, HashingEmbedder(), store, on_progress=lambda *args: seen.append(args)).run()
    assert seen == [
        (CODE.doc_id, 0, 4),
        (HISTORICAL.doc_id, 1, 4),
        (ARS_PAGE.doc_id, 2, 4),
        (AMI.doc_id, 3, 4),
        ("", 4, 4),
    ]


def test_lexical_index_is_persisted_and_reused(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    persisted = Bm25Index.load(lexical_dir(settings))
    assert persisted is not None
    assert len(persisted.chunks) == 12
    assert load_or_build_lexical(settings, store).version == persisted.version


def test_stale_lexical_index_is_rebuilt(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    Bm25Index.build([next(store.iter_chunks())], "périmé").save(lexical_dir(settings))
    rebuilt = load_or_build_lexical(settings, store)
    assert len(rebuilt.chunks) == 12
    reloaded = Bm25Index.load(lexical_dir(settings))
    assert reloaded is not None
    assert reloaded.version == rebuilt.version != "périmé"


def test_new_tokenizer_version_rebuilds_the_lexical_index(
    settings: Settings,
    store: ChromaStore,
    indexed: IngestReport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = load_or_build_lexical(settings, store).version
    monkeypatch.setattr(lexical, "TOKENIZER_VERSION", "tokenizer-suivant")
    after = load_or_build_lexical(settings, store)
    assert after.version != before
    assert len(after.chunks) == 12


# --- crash safety ----------------------------------------------------------------------------
# The child process and its checks live in tests/helpers.py (shared with tests/robustness/).


@pytest.fixture
def v1_snapshot(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An index of the v1 corpus, closed, ready to be copied; and its doc hashes."""
    root = tmp_path / "v1"
    return root, make_v1_snapshot(root)


# Markers, counted per kind: v2 has 3 documents (code, ARS page, AMI) then removes the
# historical one, then purges orphans.
CRASH_POINTS = [
    "ready:1",  # nothing written yet
    "committed:1",  # first document committed, the next ones embedded, not yet written
    "added:2",  # second document's new chunks written, catalog not switched yet
    "committed:3",  # every source done, the historical document not yet removed
    "purge:1",  # removal done, orphans not purged yet
]


def test_sigkill_at_any_step_leaves_whole_versions_and_a_rerun_repairs(
    tmp_path: Path, v1_snapshot: tuple[Path, dict[str, str]]
) -> None:
    snapshot, v1_hashes = v1_snapshot
    script = tmp_path / "child_ingest.py"
    write_crash_child(script)
    roots = {point: tmp_path / point.replace(":", "-") for point in CRASH_POINTS}
    children = {}
    for point, root in roots.items():
        prepare_v2(snapshot, root)
        children[point] = start_child(script, root, point, delay=0.0)
    for point, child in children.items():
        kill_at_marker(child, point)

    for point, root in roots.items():
        settings = make_settings(root)
        v2_hashes = {d.doc_id: indexed_hash(settings, d) for d in V2_SOURCES}
        store = open_store(settings.index_dir)
        store.open_for_reading(model_id="hashing-64")
        assert_each_document_whole(store, v1_hashes, v2_hashes, point)
        orphans = store.count() - sum(r.chunks for r in store.documents().values())
        if point == "added:2":
            assert orphans > 0, "the crash should have left uncommitted chunks"
        # A reader opened right after the crash only sees whole versions too.
        assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)
        assert len(assistant.retriever.lexical.chunks) == sum(
            r.chunks for r in store.documents().values()
        )

        report = Ingestor(settings, HashingEmbedder(), store).run()

        # Half-written chunks are either adopted (same version re-added under the same ids),
        # deleted when their document is committed again, or purged: none is left behind.
        assert report.orphans_purged <= orphans, point
        assert report.failures == []
        assert {d: r.doc_hash for d, r in store.documents().items()} == v2_hashes, point
        assert (
            store.count()
            == report.total_chunks
            == sum(len(v) for v in visible_by_doc(store).values())
        )
        assert_each_document_whole(store, v2_hashes, v2_hashes, f"{point} repaired")


def test_half_written_version_of_a_failing_document_is_purged(
    tmp_path: Path, v1_snapshot: tuple[Path, dict[str, str]]
) -> None:
    snapshot, v1_hashes = v1_snapshot
    script = tmp_path / "child_ingest.py"
    write_crash_child(script)
    root = tmp_path / "run"
    settings = prepare_v2(snapshot, root)
    # The second source (the ARS page) has its v2 chunks written but not committed.
    kill_at_marker(start_child(script, root, "added:2", delay=0.0), "added:2")
    doc_path(settings, ARS_PAGE).write_bytes(b"")  # and its file breaks before the re-run

    store = open_store(settings.index_dir)
    store.open_for_reading(model_id="hashing-64")
    report = Ingestor(settings, HashingEmbedder(), store).run()

    assert [f.doc_id for f in report.failures] == [ARS_PAGE.doc_id]
    assert report.orphans_purged == EXPECTED_CHUNKS[ARS_PAGE.doc_id]
    assert store.documents()[ARS_PAGE.doc_id].doc_hash == v1_hashes[ARS_PAGE.doc_id]
    assert store.count() == sum(r.chunks for r in store.documents().values())


@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [0.25, 0.6])
def test_sigkill_after_a_delay_leaves_whole_versions(
    tmp_path: Path, v1_snapshot: tuple[Path, dict[str, str]], delay_s: float
) -> None:
    """Same property at a moment chosen by the clock (the embedder sleeps 0.2 s per call)."""
    snapshot, v1_hashes = v1_snapshot
    script = tmp_path / "child_ingest.py"
    write_crash_child(script)
    root = tmp_path / "run"
    settings = prepare_v2(snapshot, root)
    child = start_child(script, root, "never", delay=0.2)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready:1"
    try:
        child.wait(timeout=delay_s)
    except subprocess.TimeoutExpired:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)

    v2_hashes = {d.doc_id: indexed_hash(settings, d) for d in V2_SOURCES}
    store = open_store(settings.index_dir)
    store.open_for_reading(model_id="hashing-64")
    assert_each_document_whole(store, v1_hashes, v2_hashes, f"after {delay_s} s")
    Ingestor(settings, HashingEmbedder(), store).run()
    assert {d: r.doc_hash for d, r in store.documents().items()} == v2_hashes
    assert store.count() == sum(r.chunks for r in store.documents().values())


@pytest.mark.parametrize(
    ("point", "served"),
    [
        ("committed:2", "v1"),  # new generation half written
        ("activate:1", "v1"),  # new generation complete, not yet served
        ("delete-generation:1", "v2"),  # served, the replaced one not yet deleted
        ("purge:1", "v2"),  # old generation deleted, BM25 not yet refreshed
    ],
)
def test_rebuild_killed_at_each_step_serves_the_old_or_the_new_index(
    tmp_path: Path, point: str, served: str
) -> None:
    snapshot = tmp_path / "v1"
    v1_hashes = make_v1_snapshot(snapshot)
    script = write_crash_child(tmp_path / "child_ingest.py")
    settings = prepare_v2(snapshot, tmp_path / "run")
    v2_hashes = {d.doc_id: indexed_hash(settings, d) for d in V2_SOURCES}
    kill_at_marker(start_child(script, tmp_path / "run", point, 0.0, rebuild=True), point)

    store = open_store(settings.index_dir)
    store.open_for_reading(model_id="hashing-64")
    expected = v1_hashes if served == "v1" else v2_hashes
    assert {d: r.doc_hash for d, r in store.documents().items()} == expected, point
    assert_each_document_whole(store, expected, expected, point)
    assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)
    assert {c.doc_id for c in assistant.retriever.lexical.chunks} == set(expected)

    report = Ingestor(settings, HashingEmbedder(), store).run()

    assert {d: r.doc_hash for d, r in store.documents().items()} == v2_hashes, point
    assert store.count() == report.total_chunks
    assert store.delete_stale_generations() == [], point


def test_files_over_the_stream_threshold_are_indexed_as_when_loaded_whole(
    settings: Settings, store: ChromaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = Ingestor(settings, HashingEmbedder(), store).run()
    expected = sorted((c.doc_id, c.chunk_index, c.text) for c in store.iter_chunks())
    other = make_settings(tmp_path / "streamed")
    other = other.model_copy(
        update={"corpus_file": settings.corpus_file, "corpus_dir": settings.corpus_dir}
    )
    monkeypatch.setattr("ingest.read.streaming.STREAM_THRESHOLD_BYTES", 10)
    streamed_store = open_store(other.index_dir)

    report = Ingestor(other, HashingEmbedder(), streamed_store).run()

    assert report.failures == [] and report.total_chunks == whole.total_chunks
    got = sorted((c.doc_id, c.chunk_index, c.text) for c in streamed_store.iter_chunks())
    assert got == expected
    assert streamed_store.documents().keys() == store.documents().keys()


def test_streamed_file_that_fails_keeps_its_served_version(
    settings: Settings, store: ChromaStore, indexed: IngestReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = store.documents()[AMI.doc_id]
    monkeypatch.setattr("ingest.read.streaming.STREAM_THRESHOLD_BYTES", 10)
    path = doc_path(settings, AMI)
    path.write_bytes(path.read_bytes() + b"\nOctet nul : \x00 fin.\n")

    report = Ingestor(settings, HashingEmbedder(), store).run()

    [failure] = report.failures
    assert failure.doc_id == AMI.doc_id and str(path) in failure.reason
    assert "version indexée précédemment est conservée" in failure.reason
    assert store.documents()[AMI.doc_id] == served
    assert store.count() == report.total_chunks == 12


def test_streamed_file_rewritten_while_read_is_not_committed(
    settings: Settings, store: ChromaStore, indexed: IngestReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = store.documents()[AMI.doc_id]
    rewrite(settings, replace(AMI, body=AMI.body + "\nUne phrase ajoutée à la fin.\n"))
    monkeypatch.setattr("ingest.read.streaming.STREAM_THRESHOLD_BYTES", 10)
    # The bytes hashed before the read are not those read: the file changed in between.
    real_sha256_of = sha256_of
    monkeypatch.setattr(
        indexing,
        "sha256_of",
        lambda path: "0" * 64 if path == doc_path(settings, AMI) else real_sha256_of(path),
    )

    report = Ingestor(settings, HashingEmbedder(), store).run()

    assert [f.doc_id for f in report.failures] == [AMI.doc_id]
    assert "modifié pendant sa lecture" in report.failures[0].reason
    assert store.documents()[AMI.doc_id] == served
    # The chunks written while streaming were never committed, and were purged.
    assert report.orphans_purged > 0
    assert store.count() == report.total_chunks == 12


@pytest.mark.parametrize("rebuild", [False, True])
def test_a_long_lived_reader_follows_an_ingestion_made_elsewhere(
    settings: Settings, indexed: IngestReport, rebuild: bool
) -> None:
    reader = open_store(settings.index_dir)
    reader.open_for_reading(model_id=HashingEmbedder.model_id)

    def retriever(check_every_s: float) -> HybridRetriever:
        return HybridRetriever(
            reader,
            HashingEmbedder(),
            load_or_build_lexical(settings, reader),
            mode="bm25",
            reload_lexical=lambda held: current_lexical(settings, reader, held),
            check_every_s=check_every_s,
        )

    following, throttled = retriever(0.0), retriever(3600.0)
    assert not any("zorglubienne" in h.chunk.text for h in following.search("zorglubienne", 3))
    rewrite(settings, replace(AMI, body=AMI.body + "\nLa procédure zorglubienne s'applique.\n"))

    Ingestor(settings, HashingEmbedder(), open_store(settings.index_dir)).run(rebuild=rebuild)

    [hit] = following.search("procédure zorglubienne", 1)
    assert hit.chunk.doc_id == AMI.doc_id and "zorglubienne" in hit.chunk.text
    # Checked at most every check_every_s: this one still answers from what it loaded.
    assert not any("zorglubienne" in h.chunk.text for h in throttled.search("zorglubienne", 3))


# --- what the report says is served --------------------------------------------------------


def test_report_counts_the_served_documents(indexed: IngestReport) -> None:
    assert indexed.documents == len(DOCS)
    assert indexed.complete


@pytest.mark.parametrize("rebuild", [False, True], ids=["incremental", "rebuild"])
def test_missing_file_of_a_served_document_makes_the_run_incomplete(
    settings: Settings, store: ChromaStore, indexed: IngestReport, rebuild: bool
) -> None:
    doc_path(settings, AMI).unlink()
    report = Ingestor(settings, HashingEmbedder(), store).run(rebuild=rebuild)
    [missing] = report.missing
    assert (missing.doc_id, missing.status, missing.kept) == (AMI.doc_id, "absent", True)
    assert report.failures == []
    assert not report.complete
    # Its older version is still served, and counted.
    assert report.documents == len(DOCS)
    assert AMI.doc_id in store.documents()


def test_never_synced_document_leaves_the_run_complete(
    settings: Settings, store: ChromaStore
) -> None:
    doc_path(settings, AMI).unlink()
    report = Ingestor(settings, HashingEmbedder(), store).run()
    assert report.missing == []
    assert report.complete
    assert report.documents == len(DOCS) - 1


def test_failed_document_with_a_served_version_is_counted_and_marked_kept(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    doc_path(settings, AMI).write_bytes(b"")
    report = Ingestor(settings, HashingEmbedder(), store).run()
    [failure] = report.failures
    assert failure.kept
    assert report.documents == len(DOCS)
    assert not report.complete
