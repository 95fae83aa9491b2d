from __future__ import annotations

import math
from pathlib import Path

import pytest

from assistant.index.lexical import Bm25Index
from assistant.text.normalize import (
    find_references,
    fold_accents,
    strip_citation_markers,
    tokenize_fr,
)
from tests.helpers import make_chunk

# --- tokenize_fr -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # References stay one token whatever the spacing and punctuation.
        ("L. 4011-3", ["l4011-3"]),
        ("l'article l.4011-3", ["l4011-3", "articl"]),
        ("Que dit l'article L. 4011-3 ?", ["l4011-3", "dit", "articl"]),
        ("R4011-1 et D. 4011-4-2", ["r4011-1", "d4011-4-2"]),
        ("art. D 4011-4-2", ["d4011-4-2", "art"]),
        ("L. 4011-4-1", ["l4011-4-1"]),
        # Decree and law numbers stay whole; "n°" and "du" are dropped.
        ("décret n° 2020-148 du 27 février 2020", ["2020-148", "decret", "27", "fevri", "2020"]),
        ("Loi n° 2019-774", ["2019-774", "loi"]),
        # Stopwords removed, words stemmed, accents folded.
        ("les protocoles de la coopération", ["protocol", "cooper"]),
        ("Établissement de santé", ["etabl", "sant"]),
        ("le cœur", ["coeur"]),
        ("", []),
        ("de la et le", []),
    ],
)
def test_tokenize_fr(text: str, expected: list[str]) -> None:
    assert tokenize_fr(text) == expected


@pytest.mark.parametrize(
    ("accented", "plain"),
    [
        ("délégués", "delegues"),
        ("Déclaration", "declaration"),
        ("ministère", "ministere"),
        ("ÉTABLISSEMENT", "etablissement"),
        # Stemming the accented form gives another stem unless accents are folded first.
        ("infirmière", "infirmiere"),
        ("sécurité", "securite"),
    ],
)
def test_tokenize_fr_same_tokens_with_or_without_accents(accented: str, plain: str) -> None:
    assert tokenize_fr(accented) == tokenize_fr(plain)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Établissement", "etablissement"),
        ("cœur", "coeur"),
        ("DÉLÉGUÉ", "delegue"),
        ("déjà-vu", "deja-vu"),
    ],
)
def test_fold_accents(text: str, expected: str) -> None:
    assert fold_accents(text) == expected


# --- find_references -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Article L. 4011-3", ["L4011-3"]),
        ("articles L. 4011-1 et L4011-1, r. 4011-2", ["L4011-1", "R4011-2"]),
        ("art. D 4011-4-2 puis D. 4011-4", ["D4011-4-2", "D4011-4"]),
        ("l'article 51 de la loi", []),
        ("le décret n° 2020-148", []),
        ("", []),
    ],
)
def test_find_references(text: str, expected: list[str]) -> None:
    assert find_references(text) == expected


# --- strip_citation_markers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("selon l'article [2].", "selon l'article."),
        ("voir [1, 3] , puis", "voir, puis"),
        # French spacing before « : » and « ; » is the text's own: a quote keeps it.
        (
            "quel que soit leur mode d'exercice : les professions médicales : médecins ;",
            "quel que soit leur mode d'exercice : les professions médicales : médecins ;",
        ),
        ("les pièces [4] : la liste ;", "les pièces : la liste ;"),
        ("deux  espaces", "deux espaces"),
    ],
)
def test_strip_citation_markers_keeps_the_quote_as_written(text: str, expected: str) -> None:
    assert strip_citation_markers(text) == expected


# --- Bm25Index -------------------------------------------------------------------------------

ARTICLE = make_chunk(
    "csp",
    0,
    "Article L. 4011-3\nLes protocoles nationaux sont autorisés par arrêté ministériel.",
    article="L4011-3",
)
FORMATION = make_chunk("ars", 0, "Les infirmiers délégués suivent une formation adaptée.")
PLATEFORME = make_chunk("ars", 1, "La déclaration du protocole se fait en ligne sur la plateforme.")
CHUNKS = [ARTICLE, FORMATION, PLATEFORME]


@pytest.fixture
def index() -> Bm25Index:
    return Bm25Index.build(CHUNKS, version="v1")


@pytest.mark.parametrize(
    ("query", "expected_ids"),
    [
        ("formation des infirmiers", [FORMATION.id]),
        ("Que dit l'article L. 4011-3 ?", [ARTICLE.id]),
        ("plateforme en ligne", [PLATEFORME.id]),
        # "protocole" is in two chunks: both come back, nothing else does.
        ("protocole", [ARTICLE.id, PLATEFORME.id]),
        ("calendrier vaccinal", []),
        ("le la les", []),
    ],
)
def test_search_returns_only_matching_chunks(
    index: Bm25Index, query: str, expected_ids: list[str]
) -> None:
    found = [chunk.id for chunk, _ in index.search(query, k=10)]
    assert sorted(found) == sorted(expected_ids)
    assert all(score > 0 for _, score in index.search(query, k=10))


def test_search_ranks_the_chunk_with_more_query_words_first(index: Bm25Index) -> None:
    results = index.search("déclaration du protocole sur la plateforme", k=3)
    assert results[0][0].id == PLATEFORME.id
    assert results[0][1] > results[1][1]


def test_search_honours_k(index: Bm25Index) -> None:
    assert len(index.search("protocole", k=1)) == 1


def test_by_article_is_case_insensitive(index: Bm25Index) -> None:
    assert index.by_article("L4011-3") == [ARTICLE]
    assert index.by_article("l4011-3") == [ARTICLE]
    assert index.by_article("L4011-2") == []


def test_idf_orders_rare_above_common_and_unseen_highest() -> None:
    chunks = [
        make_chunk("d", 0, "protocole infirmier"),
        make_chunk("d", 1, "protocole médecin"),
        make_chunk("d", 2, "protocole pharmacien"),
    ]
    index = Bm25Index.build(chunks, "v")
    # n = 3: idf = ln(1 + (n - df + 0.5) / (df + 0.5))
    assert index.idf("protocol") == pytest.approx(math.log(1 + 0.5 / 3.5))  # df = 3
    assert index.idf("medecin") == pytest.approx(math.log(1 + 2.5 / 1.5))  # df = 1
    assert index.idf("inconnu") == pytest.approx(math.log(1 + 3.5 / 0.5))  # df = 0
    assert index.idf("inconnu") > index.idf("medecin") > index.idf("protocol")


def test_save_load_round_trip(index: Bm25Index, tmp_path: Path) -> None:
    directory = tmp_path / "lexical"
    index.save(directory)
    loaded = Bm25Index.load(directory)
    assert loaded is not None
    assert loaded.version == "v1"
    assert loaded.chunks == CHUNKS
    assert loaded.by_article("L4011-3") == [ARTICLE]
    for query in ("protocole", "formation des infirmiers", "L. 4011-3"):
        before = [(c.id, round(s, 6)) for c, s in index.search(query, 3)]
        after = [(c.id, round(s, 6)) for c, s in loaded.search(query, 3)]
        assert after == before
    assert loaded.idf("protocol") == pytest.approx(index.idf("protocol"))


def test_save_replaces_the_previous_index_without_leftovers(tmp_path: Path) -> None:
    directory = tmp_path / "lexical"
    Bm25Index.build(CHUNKS, "v1").save(directory)
    Bm25Index.build([FORMATION], "v2").save(directory)
    loaded = Bm25Index.load(directory)
    assert loaded is not None
    assert loaded.version == "v2"
    assert loaded.chunks == [FORMATION]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lexical"]


def test_empty_index_round_trip(tmp_path: Path) -> None:
    empty = Bm25Index.build([], "v0")
    assert empty.search("protocole", 5) == []
    empty.save(tmp_path / "lexical")
    loaded = Bm25Index.load(tmp_path / "lexical")
    assert loaded is not None
    assert loaded.chunks == []
    assert loaded.search("protocole", 5) == []


def test_load_missing_directory_is_none(tmp_path: Path) -> None:
    assert Bm25Index.load(tmp_path / "absent") is None


def test_load_corrupt_index_is_none(index: Bm25Index, tmp_path: Path) -> None:
    directory = tmp_path / "lexical"
    index.save(directory)
    (directory / "chunks.jsonl").write_text('{"id": "tronqué"\n', encoding="utf-8")
    assert Bm25Index.load(directory) is None
