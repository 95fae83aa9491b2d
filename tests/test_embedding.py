from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.factory import build_assistant
from assistant.index.embedding import SentenceTransformerEmbedder
from assistant.index.remote import ServiceEmbedder
from assistant.schema import Embedder
from ingest.indexing import Ingestor
from tests.conftest import REAL_MODEL_DIR
from tests.fakes import HashingEmbedder
from tests.helpers import open_store
from tests.test_embedding_service import FakeService

TEXTS = [
    "Les protocoles de coopération sont rédigés par les professionnels de santé.",
    "La déclaration se fait en ligne sur la plateforme démarches simplifiées.",
    "Établissement, délégué, infirmière : accents et majuscules « français » œ.",
]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


class EmbedderContract:
    """What the ingestion and the retriever rely on, for any Embedder."""

    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError

    def test_satisfies_the_protocol(self, embedder: Embedder) -> None:
        assert isinstance(embedder, Embedder)
        assert embedder.model_id

    def test_one_vector_per_text_of_fixed_dimension(self, embedder: Embedder) -> None:
        vectors = embedder.embed_documents(TEXTS)
        assert len(vectors) == len(TEXTS)
        assert len({len(v) for v in vectors}) == 1
        assert len(embedder.embed_query("Qui rédige les protocoles ?")) == len(vectors[0])

    def test_vectors_are_unit_norm(self, embedder: Embedder) -> None:
        # bfloat16 models round the normalised output: 1e-2 is their precision.
        for vector in [*embedder.embed_documents(TEXTS), embedder.embed_query(TEXTS[2])]:
            assert math.sqrt(sum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-2)

    def test_deterministic(self, embedder: Embedder) -> None:
        first, second = embedder.embed_documents(TEXTS), embedder.embed_documents(TEXTS)
        assert np.allclose(np.asarray(first), np.asarray(second), atol=1e-3)

    def test_empty_batch(self, embedder: Embedder) -> None:
        assert embedder.embed_documents([]) == []

    def test_question_is_closest_to_the_passage_sharing_its_words(self, embedder: Embedder) -> None:
        query = embedder.embed_query("Où faire la déclaration en ligne, sur quelle plateforme ?")
        documents = embedder.embed_documents(TEXTS)
        scores = [cosine(query, d) for d in documents]
        assert scores.index(max(scores)) == 1


class TestHashingEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return HashingEmbedder()

    def test_accents_and_case_are_folded(self) -> None:
        embedder = HashingEmbedder()
        assert embedder.embed_query("Délégué INFIRMIÈRE") == embedder.embed_query(
            "delegue infirmiere"
        )

    def test_text_without_words_still_has_a_unit_vector(self) -> None:
        assert sum(x * x for x in HashingEmbedder().embed_query("?!")) == pytest.approx(1.0)


class TestServiceEmbedder(EmbedderContract):
    """The service client, against a loopback server computing the hashing vectors."""

    @pytest.fixture
    def embedder(self) -> Iterator[Embedder]:
        with FakeService() as service:
            yield ServiceEmbedder(service.url, model="tests/hashing-64")

    def test_model_id_is_the_service_model_name(self, embedder: ServiceEmbedder) -> None:
        assert embedder.model_id == "hashing-64"


@pytest.mark.slow
class TestSentenceTransformerEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, real_embedder: SentenceTransformerEmbedder) -> Embedder:
        return real_embedder

    def test_model_id_is_the_directory_name(self, embedder: SentenceTransformerEmbedder) -> None:
        assert embedder.model_id == "embeddinggemma-300m"

    def test_the_parts_of_a_question_get_vectors_from_the_same_pass(
        self, embedder: SentenceTransformerEmbedder
    ) -> None:
        """Late chunking: each part's vector leans to what that part asks."""
        question = (
            "Qui signe la convention régionale, et à quelle fréquence le bureau se réunit-il ?"
        )
        cut = question.index(", et")
        spans = [(0, cut), (cut + 2, len(question))]
        whole, parts = embedder.embed_query_spans(question, spans)
        assert np.allclose(whole, embedder.embed_query(question), atol=1e-6)
        assert len(parts) == 2
        assert all(math.isclose(float(np.linalg.norm(p)), 1.0, abs_tol=1e-4) for p in parts)
        signing, meeting = embedder.embed_documents(
            [
                "La convention régionale est signée par le directeur de l'agence.",
                "Le bureau tient séance deux fois par an.",
            ]
        )
        assert cosine(parts[0], signing) > cosine(parts[0], meeting)
        assert cosine(parts[1], meeting) > cosine(parts[1], signing)
        # The second part's vector is closer to its answer than the whole question's is.
        assert cosine(parts[1], meeting) > cosine(whole, meeting)
        assert embedder.embed_query_spans(question, []) == (whole, [])


def test_missing_local_model_is_a_config_error(tmp_path: object) -> None:
    embedder = SentenceTransformerEmbedder(f"{tmp_path}/modele-absent")
    assert embedder.model_id == "modele-absent"  # known without loading anything
    with pytest.raises(ConfigError, match="coop model fetch"):
        embedder.embed_query("Bonjour")


@pytest.mark.slow
def test_an_index_built_in_one_dtype_is_served_in_the_other(
    settings: Settings, tmp_path: Path
) -> None:
    if not (REAL_MODEL_DIR / "modules.json").is_file():
        pytest.skip(f"default embedding model absent from {REAL_MODEL_DIR}")
    by_dtype = {
        dtype: SentenceTransformerEmbedder(str(REAL_MODEL_DIR), dtype=dtype)
        for dtype in ("float32", "bfloat16")
    }
    # The dtype is not part of the model id: either one opens the other's index.
    assert by_dtype["float32"].model_id == by_dtype["bfloat16"].model_id
    questions = ["Qui autorise un protocole local ?", "Où déclarer un protocole national ?"]
    for built, served in (("bfloat16", "float32"), ("float32", "bfloat16")):
        store = open_store(tmp_path / built, settings.collection)
        Ingestor(settings, by_dtype[built], store).run()
        build_assistant(settings, embedder=by_dtype[served], store=store)  # no mismatch

        chunks = list(store.iter_chunks())
        stored = store.vectors_of(chunks)
        again = by_dtype[served].embed_documents([c.indexed_text for c in chunks])
        assert min(cosine(stored[c.id], v) for c, v in zip(chunks, again, strict=True)) >= 0.997
        for question in questions:
            pair = [by_dtype[d].embed_query(question) for d in (built, served)]
            assert cosine(*pair) >= 0.997
