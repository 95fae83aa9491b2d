from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from assistant.errors import IndexMismatchError, IndexMissingError
from assistant.index.store import EF_SEARCH, ChromaStore, DocumentRecord, embed_key
from assistant.schema import Chunk, date_number, is_in_force
from tests.helpers import make_chunk, open_store

MODEL = "hashing-64"
CHROMA_SETTINGS = ChromaSettings(anonymized_telemetry=False)
DIM = 8
V1 = "1" * 64
V2 = "2" * 64


def basis(i: int, dim: int = DIM) -> list[float]:
    """Unit vector e_i: cosine similarities between them are 1 (same) or 0 (different)."""
    return [1.0 if j == i else 0.0 for j in range(dim)]


def record(doc_id: str, doc_hash: str, chunks: int, **fields: str) -> DocumentRecord:
    values = {
        "title": f"Titre de {doc_id}",
        "kind": "code",
        "date": "2023-05-21",
        "status": "en vigueur",
        "official_url": "https://www.legifrance.gouv.fr/",
        "ingested_at": "2025-01-01T00:00:00+00:00",
    } | fields
    return DocumentRecord(doc_id=doc_id, doc_hash=doc_hash, chunks=chunks, **values)


def doc_chunks(doc_id: str, doc_hash: str, texts: list[str]) -> list[Chunk]:
    return [make_chunk(doc_id, i, text, doc_hash=doc_hash) for i, text in enumerate(texts)]


def write_version(
    store: ChromaStore, doc_id: str, doc_hash: str, texts: list[str], first_axis: int
) -> list[Chunk]:
    """Add a document version (chunk i on axis first_axis + i) and commit it."""
    chunks = doc_chunks(doc_id, doc_hash, texts)
    store.add_chunks(chunks, [basis(first_axis + i) for i in range(len(chunks))])
    store.commit_document(record(doc_id, doc_hash, len(chunks)))
    return chunks


class StoreContract:
    """What every index backend must guarantee; a subclass says how to open one on a folder."""

    open_at: Callable[[Path], ChromaStore]

    def reopen(self, location: Path) -> ChromaStore:
        """A new store object on the same folder, as a fresh process would see it."""
        raise NotImplementedError

    @pytest.fixture
    def location(self, tmp_path: Path) -> Path:
        return tmp_path / "index"

    @pytest.fixture
    def store(self, location: Path) -> ChromaStore:
        store = self.reopen(location)
        store.create_or_check(model_id=MODEL, dimension=DIM, chunker_version="1")
        return store

    # -- opening ------------------------------------------------------------------------------

    def test_open_for_reading_an_empty_folder_raises_index_missing(self, location: Path) -> None:
        empty = self.reopen(location)
        assert not empty.exists()
        with pytest.raises(IndexMissingError, match="coop ingest"):
            empty.open_for_reading(model_id=MODEL)

    def test_use_before_opening_is_a_programming_error(self, location: Path) -> None:
        with pytest.raises(RuntimeError):
            self.reopen(location).documents()

    def test_other_model_raises_mismatch(self, store: ChromaStore, location: Path) -> None:
        write_version(store, "d", V1, ["Un passage."], 0)
        reader = self.reopen(location)
        with pytest.raises(IndexMismatchError) as caught:
            reader.open_for_reading(model_id="autre-modele")
        assert MODEL in caught.value.message
        assert "autre-modele" in caught.value.message
        assert "coop ingest --rebuild" in caught.value.message

    def test_other_model_refused_for_writing_too(self, store: ChromaStore, location: Path) -> None:
        with pytest.raises(IndexMismatchError):
            self.reopen(location).create_or_check(
                model_id="autre-modele", dimension=DIM, chunker_version="1"
            )

    def test_other_dimension_raises_mismatch(self, store: ChromaStore, location: Path) -> None:
        with pytest.raises(IndexMismatchError, match="Dimension"):
            self.reopen(location).open_for_reading(model_id=MODEL, dimension=DIM * 2)

    def test_other_chunker_raises_mismatch(self, store: ChromaStore, location: Path) -> None:
        with pytest.raises(IndexMismatchError, match="découpage"):
            self.reopen(location).create_or_check(
                model_id=MODEL, dimension=DIM, chunker_version="2"
            )

    def test_model_id_is_recorded(self, store: ChromaStore) -> None:
        assert store.model_id == MODEL

    # -- persistence --------------------------------------------------------------------------

    def test_persistence_by_reopening(self, store: ChromaStore, location: Path) -> None:
        chunks = write_version(store, "d", V1, ["Premier passage.", "Second passage."], 0)
        version = store.version()
        del store
        reader = self.reopen(location)
        reader.open_for_reading(model_id=MODEL, dimension=DIM)
        assert reader.documents() == {"d": record("d", V1, 2)}
        assert sorted(reader.iter_chunks(), key=lambda c: c.chunk_index) == chunks
        assert reader.version() == version
        found = reader.query(basis(1), n=1)
        assert [(c.id, round(s, 5)) for c, s in found] == [(chunks[1].id, 1.0)]

    def test_metadata_round_trips_exactly(self, store: ChromaStore) -> None:
        chunk = make_chunk(
            "d",
            0,
            "Article L. 4011-3\nLes protocoles nationaux …",
            doc_hash=V1,
            article="L4011-3",
            page=3,
            start=120,
            end=170,
            status="historique",
            complete=False,
            article_date="2009-07-23",
            title="Code de la santé publique — « extrait »",
        )
        store.add_chunks([chunk], [basis(0)])
        store.commit_document(record("d", V1, 1))
        assert list(store.iter_chunks()) == [chunk]
        assert store.query(basis(0), 1)[0][0] == chunk

    # -- versions -----------------------------------------------------------------------------

    def test_uncommitted_version_is_invisible(self, store: ChromaStore) -> None:
        old = write_version(store, "d", V1, ["Ancienne rédaction."], 0)
        new = doc_chunks("d", V2, ["Nouvelle rédaction, premier alinéa.", "Second alinéa."])
        store.add_chunks(new, [basis(1), basis(2)])

        assert list(store.iter_chunks()) == old
        assert [c.id for c, _ in store.query(basis(1), n=5)] == [old[0].id]
        assert store.count() == 3  # written, but not visible

    def test_commit_switches_versions_and_deletes_the_old_chunks(self, store: ChromaStore) -> None:
        write_version(store, "d", V1, ["Ancienne rédaction."], 0)
        new = doc_chunks("d", V2, ["Nouvelle rédaction, premier alinéa.", "Second alinéa."])
        store.add_chunks(new, [basis(1), basis(2)])
        store.commit_document(record("d", V2, 2))

        assert sorted(store.iter_chunks(), key=lambda c: c.chunk_index) == new
        assert store.documents()["d"].doc_hash == V2
        assert store.count() == 2
        assert {c.doc_hash for c, _ in store.query(basis(0), n=5)} == {V2}

    def test_a_never_committed_document_is_invisible(self, store: ChromaStore) -> None:
        visible = write_version(store, "visible", V1, ["Texte publié."], 0)
        store.add_chunks(doc_chunks("brouillon", V2, ["Texte en cours."]), [basis(5)])
        assert [c.id for c, _ in store.query(basis(5), n=5)] == [visible[0].id]
        assert {c.doc_id for c in store.iter_chunks()} == {"visible"}

    @pytest.mark.parametrize("n", [1, 2])
    def test_uncommitted_chunks_nearest_the_query_never_crowd_out_visible_ones(
        self, store: ChromaStore, n: int
    ) -> None:
        visible = write_version(store, "visible", V1, ["Texte publié."], 0)
        drafts = doc_chunks("brouillon", V2, ["Premier jet.", "Deuxième jet.", "Troisième jet."])
        near = [0.9 * np.asarray(basis(5)) + 0.1 * np.asarray(basis(i)) for i in (1, 2, 3)]
        store.add_chunks(drafts, [list(v / np.linalg.norm(v)) for v in near])
        # The visible chunk is the farthest of all from the query, and still the only one shown.
        assert [c.id for c, _ in store.query(basis(5), n=n)] == [visible[0].id]

    def test_query_on_an_empty_catalog_returns_nothing(self, store: ChromaStore) -> None:
        store.add_chunks(doc_chunks("brouillon", V1, ["Texte en cours."]), [basis(0)])
        assert store.query(basis(0), n=3) == []

    def test_version_changes_with_the_catalog(self, store: ChromaStore) -> None:
        write_version(store, "d", V1, ["Texte."], 0)
        before = store.version()
        assert store.version() == before
        write_version(store, "d", V2, ["Texte modifié."], 1)
        assert store.version() != before

    def test_purge_orphans(self, store: ChromaStore) -> None:
        kept = write_version(store, "d", V1, ["Texte publié."], 0)
        store.add_chunks(
            doc_chunks("d", V2, ["Version interrompue.", "Suite."]), [basis(1), basis(2)]
        )
        store.add_chunks(doc_chunks("jamais", V1, ["Document jamais validé."]), [basis(3)])
        assert store.purge_orphans() == 3
        assert store.count() == 1
        assert list(store.iter_chunks()) == kept
        assert store.purge_orphans() == 0

    def test_remove_document(self, store: ChromaStore) -> None:
        write_version(store, "d", V1, ["Texte retiré."], 0)
        kept = write_version(store, "e", V1, ["Texte gardé."], 1)
        store.remove_document("d")
        assert set(store.documents()) == {"e"}
        assert list(store.iter_chunks()) == kept
        assert store.count() == 1

    # -- generations (rebuild) ------------------------------------------------------------

    def staged_with(self, store: ChromaStore, doc_id: str, axis: int) -> ChromaStore:
        staged = store.new_generation()
        staged.create_or_check(model_id=MODEL, dimension=DIM, chunker_version="1")
        write_version(staged, doc_id, V2, [f"Texte reconstruit de {doc_id}."], axis)
        return staged

    def test_new_generation_is_served_only_once_activated(
        self, store: ChromaStore, location: Path
    ) -> None:
        write_version(store, "ancien", V1, ["Texte servi."], 0)
        staged = self.staged_with(store, "nouveau", 1)
        reader = self.reopen(location)
        reader.open_for_reading(model_id=MODEL)
        assert set(reader.documents()) == {"ancien"}
        assert [c.doc_id for c, _ in reader.query(basis(1), 5)] == ["ancien"]

        store.activate(staged)

        fresh = self.reopen(location)
        fresh.open_for_reading(model_id=MODEL)
        assert set(fresh.documents()) == {"nouveau"}
        assert [c.doc_id for c, _ in fresh.query(basis(1), 5)] == ["nouveau"]
        assert set(store.documents()) == {"nouveau"}
        # The replaced generation is gone: nothing stale left to delete.
        assert fresh.delete_stale_generations() == []

    def test_reader_follows_a_rebuild_made_by_another_process(
        self, store: ChromaStore, location: Path
    ) -> None:
        write_version(store, "ancien", V1, ["Texte servi."], 0)
        reader = self.reopen(location)
        reader.open_for_reading(model_id=MODEL)
        assert set(reader.documents()) == {"ancien"}

        store.activate(self.staged_with(store, "nouveau", 1))

        assert [c.doc_id for c, _ in reader.query(basis(1), 5)] == ["nouveau"]
        assert set(reader.documents()) == {"nouveau"}

    def test_unfinished_generation_is_deleted_by_the_next_writer(
        self, store: ChromaStore, location: Path
    ) -> None:
        kept = write_version(store, "ancien", V1, ["Texte servi."], 0)
        staged = self.staged_with(store, "nouveau", 1)  # a rebuild killed before activate

        writer = self.reopen(location)
        assert writer.delete_stale_generations() == [staged.generation]
        writer.open_for_reading(model_id=MODEL)
        assert list(writer.iter_chunks()) == kept
        assert writer.delete_stale_generations() == []

    # -- vectors ------------------------------------------------------------------------------

    def test_cached_vectors_by_embedded_text(self, store: ChromaStore) -> None:
        chunks = write_version(store, "d", V1, ["Premier.", "Second."], 0)
        pending = doc_chunks("d", V2, ["Troisième, non validé."])
        store.add_chunks(pending, [basis(4)])
        keys = [embed_key(chunks[0]), embed_key(pending[0]), "absent"]
        cached = store.cached_vectors(keys)
        assert cached == {embed_key(chunks[0]): basis(0), embed_key(pending[0]): basis(4)}

    def test_vectors_of_visible_chunks(self, store: ChromaStore) -> None:
        chunks = write_version(store, "d", V1, ["Premier.", "Second."], 2)
        assert store.vectors_of(chunks) == {chunks[0].id: basis(2), chunks[1].id: basis(3)}
        assert store.vectors_of([]) == {}

    def test_similarity_is_one_minus_cosine_distance(self, store: ChromaStore) -> None:
        diagonal = [1 / math.sqrt(2), 1 / math.sqrt(2)] + [0.0] * (DIM - 2)
        chunks = write_version(store, "d", V1, ["Sur l'axe 0.", "Sur l'axe 1.", "Axe 2."], 0)
        found = store.query(diagonal, n=3)
        by_id = {c.id: s for c, s in found}
        # cos(diagonal, e0) = cos(diagonal, e1) = 1/√2; cos(diagonal, e2) = 0
        assert by_id[chunks[0].id] == pytest.approx(1 / math.sqrt(2), abs=1e-4)
        assert by_id[chunks[1].id] == pytest.approx(1 / math.sqrt(2), abs=1e-4)
        assert by_id[chunks[2].id] == pytest.approx(0.0, abs=1e-4)
        assert found[-1][0].id == chunks[2].id  # best first

    def test_identical_vector_has_similarity_one(self, store: ChromaStore) -> None:
        chunks = write_version(store, "d", V1, ["Un passage."], 0)
        vector = [0.5, -0.5, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0]
        store.add_chunks([replace(chunks[0], doc_hash=V2)], [vector])
        store.commit_document(record("d", V2, 1))
        [(_, similarity)] = store.query(vector, n=1)
        assert similarity == pytest.approx(1.0, abs=1e-5)

    def test_query_where_clause(self, store: ChromaStore) -> None:
        store.add_chunks(
            [
                make_chunk("d", 0, "En vigueur.", doc_hash=V1, date="2023-05-21"),
                make_chunk("d", 1, "Ancien.", doc_hash=V1, date="2009-07-21", status="historique"),
            ],
            [basis(0), basis(1)],
        )
        store.commit_document(record("d", V1, 2))
        in_force = store.query(basis(1), n=5, where={"in_force": True})
        assert [c.text for c, _ in in_force] == ["En vigueur."]
        recent = store.query(basis(1), n=5, where={"date_num": {"$gte": 20200101}})
        assert [c.text for c, _ in recent] == ["En vigueur."]

    def test_one_vector_per_chunk(self, store: ChromaStore) -> None:
        with pytest.raises(ValueError, match="one vector per chunk"):
            store.add_chunks(doc_chunks("d", V1, ["a", "b"]), [basis(0)])


class TestChromaStore(StoreContract):
    def reopen(self, location: Path) -> ChromaStore:
        # Chroma caches one system per path in the process; clearing it makes the next client
        # read the folder from disk, as a new process would.
        SharedSystemClient.clear_system_cache()
        return open_store(location)

    def test_an_older_index_gets_the_wider_search_when_opened_for_writing(
        self, location: Path
    ) -> None:
        client = chromadb.PersistentClient(path=str(location), settings=CHROMA_SETTINGS)
        client.create_collection(
            "coop", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        assert client.get_collection("coop").configuration["hnsw"]["ef_search"] != EF_SEARCH

        ChromaStore(client, "coop").create_or_check(
            model_id=MODEL, dimension=DIM, chunker_version="1"
        )

        fresh = self.reopen(location)
        fresh.open_for_reading(model_id=MODEL)
        raw = chromadb.PersistentClient(path=str(location), settings=CHROMA_SETTINGS)
        assert raw.get_collection("coop").configuration["hnsw"]["ef_search"] == EF_SEARCH


# --- helpers of store.py ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "expected"),
    [("2023-05-21", 20230521), ("2023", 20230000), ("2023-05", 20230500), ("", 0), ("inconnue", 0)],
)
def test_date_number(date: str, expected: int) -> None:
    assert date_number(date) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("en vigueur (à vérifier)", True),
        ("information", True),
        ("", True),
        ("historique", False),
        ("Historique (remplacé en 2019)", False),
        ("clos (candidatures jusqu'au 02/05/2023)", False),
    ],
)
def test_is_in_force(status: str, expected: bool) -> None:
    assert is_in_force(status) is expected
