"""Answer-unit vectors: computed once at ingestion, reused by sentence choice at no model call."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant import build_assistant
from assistant.answer.extractive import extract, weighted_query
from assistant.config import Settings
from assistant.index.store import ChromaStore
from assistant.index.units import (
    UnitVectors,
    UnitVectorsFile,
    answer_units,
    refresh_unit_vectors,
    units_path,
)
from assistant.schema import Hit, SpanEmbedder
from ingest.indexing import Ingestor, IngestReport
from tests.fakes import HashingEmbedder
from tests.helpers import make_chunk


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting the texts it embeds."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded += texts
        return super().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        raise AssertionError("answering must reuse the retrieval vector")


FIRST = make_chunk(
    "csp",
    0,
    "Le protocole est autorisé par arrêté. Le comité national rend un avis sur le protocole.",
)
SECOND = make_chunk(
    "csp",
    1,
    "Le comité national rend un avis sur le protocole. Les délégants déclarent leur adhésion.",
)


def test_units_are_embedded_once_and_dropped_when_gone(tmp_path: Path) -> None:
    path = units_path(tmp_path)
    embedder = CountingEmbedder()
    held = refresh_unit_vectors(path, [FIRST, SECOND], embedder)
    # The sentence both passages hold (their overlap) is embedded once.
    assert len(embedder.embedded) == 3 == len(held)
    embedder.embedded.clear()
    again = refresh_unit_vectors(path, [FIRST, SECOND], embedder)
    assert embedder.embedded == [] and len(again) == 3
    only_second = refresh_unit_vectors(path, [SECOND], embedder)
    assert embedder.embedded == []
    assert set(only_second.keys) == set(answer_units([SECOND]))
    assert UnitVectors.load(path) is not None
    assert len(UnitVectors.load(path) or []) == 2


def test_another_model_re_embeds_everything(tmp_path: Path) -> None:
    path = units_path(tmp_path)
    refresh_unit_vectors(path, [FIRST], HashingEmbedder())

    class Other(CountingEmbedder):
        model_id = "other-model"

    other = Other()
    held = refresh_unit_vectors(path, [FIRST], other)
    assert held.model_id == "other-model" and len(other.embedded) == 2


def test_vectors_are_kept_whole_and_normalised(tmp_path: Path) -> None:
    wide = np.random.default_rng(3).normal(size=(2, 768))
    held = UnitVectors("m", ["a", "b"], np.zeros((2, 768)))
    from assistant.index.units import _normalised

    rows = _normalised(wide)
    assert rows.shape == (2, 768)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert len(held) == 2


def test_similarities_match_the_cosine_and_unknown_units_are_none(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    held = refresh_unit_vectors(units_path(tmp_path), [FIRST], embedder)
    question = embedder.embed_query("Qui rend un avis sur le protocole ?")
    texts = ["Le comité national rend un avis sur le protocole.", "Une phrase jamais indexée."]
    known, unknown = held.similarities(question, texts)
    expected = float(np.dot(question, embedder.embed_documents([texts[0]])[0]))
    assert known == pytest.approx(expected, abs=2e-3)
    assert unknown is None


def test_a_damaged_file_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = units_path(tmp_path)
    path.write_bytes(b"not a numpy archive")
    with caplog.at_level(logging.WARNING):
        assert UnitVectors.load(path) is None
    assert "unit vectors unreadable" in caplog.text
    # The next ingestion rewrites it whole.
    assert len(refresh_unit_vectors(path, [FIRST], HashingEmbedder())) == 2


def test_the_file_is_reloaded_after_another_ingestion(tmp_path: Path) -> None:
    path = units_path(tmp_path)
    watched = UnitVectorsFile(path)
    assert watched.current() is None
    refresh_unit_vectors(path, [FIRST], HashingEmbedder())
    first = watched.current()
    assert first is not None and len(first) == 2
    assert watched.current() is first  # unchanged file: not read again
    refresh_unit_vectors(path, [FIRST, SECOND], HashingEmbedder())
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    second = watched.current()
    assert second is not None and len(second) == 3


def test_relevance_decides_between_sentences_coverage_cannot_tell_apart() -> None:
    chunk = make_chunk(
        "csp", 0, "Le dossier est envoyé à l'agence. Le dossier est transmis au comité."
    )
    hits = [Hit(chunk=chunk, score=1.0)]
    query = weighted_query("dossier")
    lexical_only = extract(query, hits, lambda _t: 1.0, max_sentences=1)
    assert lexical_only.sentences[0].position == 0

    def prefers_committee(texts: Sequence[str]) -> list[float | None]:
        return [0.9 if "comité" in text else 0.1 for text in texts]

    semantic = extract(
        query, hits, lambda _t: 1.0, max_sentences=1, relevance=prefers_committee,
        semantic_weight=1.0,
    )  # fmt: skip
    assert semantic.sentences[0].position == 1


def test_ingestion_embeds_the_units_even_while_the_semantic_weight_is_zero(
    settings: Settings, store: ChromaStore
) -> None:
    """English questions choose sentences by meaning: their vectors are not computed then."""
    assert settings.semantic_weight == 0.0  # the default for French questions
    report = Ingestor(settings, CountingEmbedder(), store).run()
    assert report.embedded_units > 0
    assert units_path(settings.index_dir).exists()

    class NoDocuments(HashingEmbedder):
        def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
            raise AssertionError(f"{len(texts)} texts embedded at question time")

    assistant = build_assistant(settings, embedder=NoDocuments(), store=store)
    assert assistant.ask("Who authorises a local protocol in a hospital?").text


def test_only_the_units_not_stored_are_embedded_at_question_time(tmp_path: Path) -> None:
    """A unit composed at question time (a list completed from the next passage) has no vector."""
    embedder = CountingEmbedder()
    held = refresh_unit_vectors(units_path(tmp_path), [FIRST], embedder)
    embedder.embedded.clear()
    question = HashingEmbedder().embed_query("Qui rend un avis sur le protocole ?")
    stored, composed = "Le comité national rend un avis sur le protocole.", "Une phrase composée."
    scores = held.similarities_or_embed(question, [stored, composed], embedder)
    assert embedder.embedded == [composed]
    assert scores[0] == held.similarities(question, [stored])[0]
    expected = float(np.dot(question, HashingEmbedder().embed_documents([composed])[0]))
    assert scores[1] == pytest.approx(expected, abs=1e-5)


def test_ingestion_stores_unit_vectors_and_answers_use_them(
    settings: Settings, store: ChromaStore
) -> None:
    settings = settings.model_copy(update={"semantic_weight": 0.5})
    embedder = CountingEmbedder()
    report = Ingestor(settings, embedder, store).run()
    assert report.embedded_units > 0
    held = UnitVectors.load(units_path(settings.index_dir))
    assert held is not None and len(held) == report.embedded_units
    embedder.embedded.clear()
    again: IngestReport = Ingestor(settings, embedder, store).run()
    assert again.embedded_units == 0 and embedder.embedded == []

    class QueryOnce(HashingEmbedder):
        calls = 0

        def embed_query(self, text: str) -> list[float]:
            QueryOnce.calls += 1
            return super().embed_query(text)

    assistant = build_assistant(settings, embedder=QueryOnce(), store=store)
    answer = assistant.ask("Qui autorise un protocole local ?")
    assert QueryOnce.calls == 1  # retrieval's vector, reused for the sentences
    assert assistant._relevance(QueryOnce().embed_query("protocole")) is not None
    assert answer.text


def test_a_unit_cut_by_its_source_is_stored_as_it_is_quoted() -> None:
    chunk = make_chunk(
        "presse",
        0,
        "Le coordinateur réunit l'équipe chaque trimestre pour relire les dossiers. "
        "Elle se tient dans les locaux de la mai[…]",
    )
    quoted = (
        "Le coordinateur réunit l'équipe chaque trimestre pour relire les dossiers. "
        "Elle se tient dans les locaux […]"
    )
    assert list(answer_units([chunk]).values()) == [quoted]


class SpanEmbedding(HashingEmbedder):
    """The hashing embedder with part vectors: each span's text hashed, calls recorded."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.spans: list[list[str]] = []

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return super().embed_query(text)

    def embed_query_spans(
        self, text: str, spans: Sequence[tuple[int, int]]
    ) -> tuple[list[float], list[list[float]]]:
        self.spans.append([text[start:end] for start, end in spans])
        hashed = HashingEmbedder()
        return hashed.embed_query(text), [hashed.embed_query(text[s:e]) for s, e in spans]


def test_a_compound_question_and_its_parts_are_embedded_in_one_pass(
    settings: Settings, store: ChromaStore
) -> None:
    Ingestor(settings, HashingEmbedder(), store).run()
    embedder = SpanEmbedding()
    assistant = build_assistant(settings, embedder=embedder, store=store)
    assert isinstance(embedder, SpanEmbedder)

    question = "Qui autorise un protocole local, et qui le déclare à l'agence ?"
    turn = assistant._prepare(question, (), None, None)
    assert embedder.queries == []  # retrieval reused the vector of the one pass
    assert embedder.spans == [["Qui autorise un protocole local", "qui le déclare à l'agence ?"]]
    assert [part.relevance is not None for part in turn.parts] == [True, True]
    assert turn.vector == HashingEmbedder().embed_query(question)
    assert assistant.ask(question).text

    # One question: no parts, the query embedded as usual.
    embedder.spans.clear()
    assistant.ask("Qui autorise un protocole local ?")
    assert embedder.spans == [] and embedder.queries == ["Qui autorise un protocole local ?"]


def test_without_part_vectors_a_compound_question_is_answered_by_words(
    settings: Settings, store: ChromaStore
) -> None:
    """An embedder that cannot embed parts (a service) changes nothing but the part vectors."""
    Ingestor(settings, HashingEmbedder(), store).run()
    assistant = build_assistant(settings, embedder=HashingEmbedder(), store=store)
    turn = assistant._prepare(
        "Qui autorise un protocole local, et qui le déclare ?", (), None, None
    )
    assert len(turn.parts) == 2 and all(part.relevance is None for part in turn.parts)
