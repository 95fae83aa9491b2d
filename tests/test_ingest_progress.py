"""What a long ingestion tells while it runs: passages to compute first, then each batch.

The Ingestor reads and splits the changed documents, announces how many passages it must embed
(and the speed last measured, kept beside the index), then reports each embedding call; ``coop
ingest`` turns that into a line before embedding and a progress bar with the time remaining.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from assistant.config import Settings
from assistant.index.store import ChromaStore
from ingest import indexing
from ingest.indexing import (
    SPEED_FILE,
    Ingestor,
    IngestReport,
    PassageProgress,
    load_embedding_speed,
    save_embedding_speed,
)
from tests.fakes import HashingEmbedder
from tests.helpers import AMI, CODE, DOCS, open_store, write_corpus

# A text long enough for many passages (one paragraph each at chunk_size=400).
LONG = replace(
    CODE,
    doc_id="long-test",
    body="".join(
        f"Article {n}\n\nLe protocole de coopération numéro {n} précise les actes "
        f"dérogatoires confiés au délégué, la formation requise et le suivi des patients.\n\n"
        for n in range(1, 61)
    ),
)


class WatchingEmbedder(HashingEmbedder):
    """Hashing embedder noting, at each call, how many progress reports had been received."""

    def __init__(self, seen: list[PassageProgress]) -> None:
        self.seen = seen
        self.reports_at_call: list[int] = []
        self.texts: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.reports_at_call.append(len(self.seen))
        self.texts.extend(texts)
        return super().embed_documents(texts)


def run(
    settings: Settings, store: ChromaStore
) -> tuple[IngestReport, list[PassageProgress], WatchingEmbedder]:
    seen: list[PassageProgress] = []
    embedder = WatchingEmbedder(seen)
    report = Ingestor(settings, embedder, store, on_passages=seen.append).run()
    return report, seen, embedder


def assert_counts_up_to_the_total(seen: list[PassageProgress], total: int) -> None:
    assert seen[0] == PassageProgress(0, total)  # announced, nothing done, no speed known yet
    assert {p.total for p in seen} == {total}
    done = [p.done for p in seen]
    assert done == sorted(set(done)) and done[-1] == total


def test_the_passages_to_compute_are_announced_before_any_embedding(
    settings: Settings, store: ChromaStore
) -> None:
    report, seen, embedder = run(settings, store)

    assert embedder.reports_at_call[0] == 1  # the announcement came first
    # The passages come first; their answer units (sentences) are embedded after them.
    passages = embedder.texts[: len(embedder.texts) - report.embedded_units]
    assert seen[0].total == report.embedded_chunks == len(set(passages)) > 0
    assert report.embedded_units > 0
    assert_counts_up_to_the_total(seen, report.embedded_chunks)
    assert all(p.measured_now and p.passages_per_s for p in seen[1:])
    assert {p.document for p in seen[1:]} <= {d.doc_id for d in DOCS}


def test_nothing_to_compute_is_announced_as_zero(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    _, seen, embedder = run(settings, store)
    assert [(p.done, p.total) for p in seen] == [(0, 0)]
    assert embedder.texts == []


def test_vectors_already_in_the_cache_are_not_counted(
    settings: Settings, store: ChromaStore, indexed: IngestReport
) -> None:
    path = settings.corpus_dir / f"{AMI.doc_id}.txt"
    path.write_text(AMI.file_text() + "\nUn paragraphe ajouté à la fin.\n", encoding="utf-8")

    report, seen, embedder = run(settings, store)

    assert report.embedded_chunks == 1
    assert embedder.texts[1:] == ["Un paragraphe ajouté à la fin."]  # its only new sentence
    assert_counts_up_to_the_total(seen, 1)


def test_a_single_streamed_file_reports_each_batch(
    settings: Settings, store: ChromaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One large text read in a stream: counted first, then progress at every batch."""
    write_corpus(settings.corpus_file, settings.corpus_dir, (LONG,))
    monkeypatch.setattr("ingest.read.streaming.STREAM_THRESHOLD_BYTES", 10)
    monkeypatch.setattr(indexing, "WRITE_BATCH", 8)

    report, seen, embedder = run(settings, store)

    assert report.failures == [] and report.total_chunks >= 60
    assert embedder.reports_at_call[0] == 1
    assert_counts_up_to_the_total(seen, report.total_chunks)
    assert len(seen) == 1 + -(-report.total_chunks // 8)  # the announcement, then each batch
    assert {p.document for p in seen[1:]} == {LONG.doc_id}


def test_documents_over_the_memory_budget_are_read_again_with_the_same_result(
    settings: Settings, store: ChromaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held, held_seen, _ = run(settings, store)
    expected = sorted((c.doc_id, c.chunk_index, c.text) for c in store.iter_chunks())
    monkeypatch.setattr(indexing, "PLAN_HOLD", 1)
    other = settings.model_copy(update={"index_dir": tmp_path / "reread"})

    reread_store = open_store(other.index_dir)
    reread, seen, _ = run(other, reread_store)

    assert reread.embedded_chunks == held.embedded_chunks
    assert [(p.done, p.total) for p in seen] == [(p.done, p.total) for p in held_seen]
    assert sorted((c.doc_id, c.chunk_index, c.text) for c in reread_store.iter_chunks()) == expected


def test_the_measured_speed_is_kept_for_the_next_estimate(
    settings: Settings, store: ChromaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexing, "WRITE_BATCH", 4)  # several embedding calls: a speed
    run(settings, store)
    kept = load_embedding_speed(settings, HashingEmbedder().model_id)
    assert kept is not None and kept > 0
    assert load_embedding_speed(settings, "another-model") is None

    (settings.corpus_dir / f"{AMI.doc_id}.txt").write_text(
        AMI.file_text() + "\nUn paragraphe ajouté.\n", encoding="utf-8"
    )
    _, seen, _ = run(settings, store)

    assert seen[0] == PassageProgress(0, 1, "", kept, measured_now=False)
    assert seen[0].seconds_left == pytest.approx(1 / kept)


def test_a_damaged_speed_file_only_loses_the_estimate(settings: Settings) -> None:
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    path = settings.index_dir / SPEED_FILE
    path.write_text("{pas du json", encoding="utf-8")
    assert load_embedding_speed(settings, "m") is None
    save_embedding_speed(settings, "m", 7.5)
    assert load_embedding_speed(settings, "m") == 7.5
    save_embedding_speed(settings, "n", 2.0)
    assert set(json.loads(path.read_text(encoding="utf-8"))) == {"m", "n"}


# --- coop ingest ------------------------------------------------------------------------------


def test_coop_ingest_says_how_many_passages_and_how_long_before_embedding(
    env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Printing(HashingEmbedder):
        def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
            cli.console.print("<calcul>", markup=False)
            return super().embed_documents(texts)

    monkeypatch.setattr("assistant.factory.build_embedder", lambda settings: Printing())
    save_embedding_speed(env, HashingEmbedder().model_id, 0.1)  # 12 passages: 2 min

    result = CliRunner().invoke(cli.app, ["ingest"])

    assert result.exit_code == 0, result.output
    line = "12 passages à calculer, environ 2 min (débit mesuré lors d'une indexation précédente"
    assert line in result.output
    assert result.output.index(line) < result.output.index("<calcul>")


def test_coop_ingest_without_a_kept_speed_estimates_after_the_first_batch(
    env: Settings, fake_embedder: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexing, "WRITE_BATCH", 4)
    result = CliRunner().invoke(cli.app, ["ingest"])
    assert result.exit_code == 0, result.output
    assert "12 passages à calculer ; durée estimée après le premier lot." in result.output
    assert "Débit du premier lot :" in result.output

    again = CliRunner().invoke(cli.app, ["ingest"])
    assert "à calculer" not in again.output  # nothing to compute, nothing announced
