from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.answer.answering import Assistant
from assistant.config import RetrieverMode
from assistant.factory import build_assistant
from assistant.index.store import ChromaStore
from assistant.retrieve.hybrid import (
    HybridRetriever,
    SearchFilters,
    _collapse_duplicates,
    asks_about_the_past,
    asks_about_the_present,
    diversify,
    is_near_duplicate,
    lexical_query,
    official_first,
    rrf,
    source_prior,
)
from assistant.schema import Chunk, Hit
from assistant.text.normalize import tokenize_fr
from ingest.indexing import Ingestor
from tests.fakes import HashingEmbedder
from tests.helpers import (
    AMI,
    ARS_PAGE,
    CODE,
    HISTORICAL,
    FakeDoc,
    make_chunk,
    make_settings,
    open_store,
    write_corpus,
)

# --- rrf -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rankings", "k", "expected"),
    [
        ([], 60, []),
        ([["a", "b", "c"]], 60, [("a", 1 / 61), ("b", 1 / 62), ("c", 1 / 63)]),
        # b is second in one list and first in the other: 1/62 + 1/61 beats a's 1/61.
        ([["a", "b"], ["b", "c"]], 60, [("b", 1 / 62 + 1 / 61), ("a", 1 / 61), ("c", 1 / 62)]),
        # Ties keep first-seen order.
        ([["a"], ["b"]], 60, [("a", 1 / 61), ("b", 1 / 61)]),
        ([["x", "y"], []], 0, [("x", 1.0), ("y", 0.5)]),
        # Being in both lists at rank 3 (2/63) beats rank 1 in one list only (1/61).
        (
            [["a", "b", "c"], ["d", "e", "c"]],
            60,
            [("c", 2 / 63), ("a", 1 / 61), ("d", 1 / 61), ("b", 1 / 62), ("e", 1 / 62)],
        ),
    ],
)
def test_rrf(rankings: list[list[str]], k: int, expected: list[tuple[str, float]]) -> None:
    fused = rrf(rankings, k=k)
    assert [item for item, _ in fused] == [item for item, _ in expected]
    assert [score for _, score in fused] == pytest.approx([score for _, score in expected])


# --- SearchFilters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(), None),
        (SearchFilters(kinds=("code", "ami")), {"kind": {"$in": ["code", "ami"]}}),
        (SearchFilters(doc_ids=("d1",)), {"doc_id": {"$in": ["d1"]}}),
        (SearchFilters(in_force_only=True), {"in_force": True}),
        (SearchFilters(since="2020-03-01"), {"date_num": {"$gte": 20200301}}),
        (SearchFilters(since="2021"), {"date_num": {"$gte": 20210000}}),
        (
            SearchFilters(kinds=("code",), in_force_only=True, since="2019-07-26"),
            {
                "$and": [
                    {"kind": {"$in": ["code"]}},
                    {"in_force": True},
                    {"date_num": {"$gte": 20190726}},
                ]
            },
        ),
    ],
)
def test_filters_where(filters: SearchFilters, expected: dict[str, Any] | None) -> None:
    assert filters.where() == expected


@pytest.mark.parametrize(
    ("filters", "chunk_fields", "accepted"),
    [
        (SearchFilters(), {}, True),
        (SearchFilters(kinds=("ami",)), {"kind": "code"}, False),
        (SearchFilters(kinds=("ami", "code")), {"kind": "code"}, True),
        (SearchFilters(doc_ids=("autre",)), {}, False),
        (SearchFilters(in_force_only=True), {"status": "historique"}, False),
        (SearchFilters(in_force_only=True), {"status": "clos (2023)"}, False),
        (SearchFilters(in_force_only=True), {"status": "en vigueur (à vérifier)"}, True),
        (SearchFilters(in_force_only=True), {"status": ""}, True),
        (SearchFilters(since="2023-05-22"), {"date": "2023-05-21"}, False),
        (SearchFilters(since="2023-05-21"), {"date": "2023-05-21"}, True),
        (SearchFilters(since="2023"), {"date": "2023-01-01"}, True),
        # An undated text counts as older than any date.
        (SearchFilters(since="2000-01-01"), {"date": ""}, False),
    ],
)
def test_filters_accepts(
    filters: SearchFilters, chunk_fields: dict[str, Any], accepted: bool
) -> None:
    chunk = make_chunk("doc", 0, "Un passage.", **chunk_fields)
    assert filters.accepts(chunk) is accepted


# --- is_near_duplicate -----------------------------------------------------------------------

TWELVE_WORDS = "les protocoles de coopération sont rédigés par les professionnels de santé eux"


@pytest.mark.parametrize(
    ("text_a", "text_b", "expected"),
    [
        (TWELVE_WORDS, TWELVE_WORDS, True),
        # Accents and case are folded: same words, same shingles.
        (TWELVE_WORDS, TWELVE_WORDS.upper().replace("É", "E"), True),
        # Last word changed: 9 of 10 trigrams shared, Jaccard 9 / 11 ≈ 0.82 ≥ 0.8.
        (TWELVE_WORDS, TWELVE_WORDS.replace(" eux", " seuls"), True),
        # Middle word changed: 7 shared trigrams, Jaccard 7 / 13 ≈ 0.54.
        (TWELVE_WORDS, TWELVE_WORDS.replace("rédigés", "validés"), False),
        (TWELVE_WORDS, "La déclaration se fait en ligne sur la plateforme dédiée.", False),
    ],
)
def test_is_near_duplicate(text_a: str, text_b: str, expected: bool) -> None:
    a = make_chunk("a", 0, text_a)
    b = make_chunk("b", 0, text_b)
    assert is_near_duplicate(a, b) is expected
    assert is_near_duplicate(b, a) is expected


def test_same_content_hash_is_a_duplicate_whatever_the_text() -> None:
    a = make_chunk("a", 0, "Premier texte.")
    b = make_chunk("b", 0, "Tout autre chose.", content_hash=a.content_hash)
    assert is_near_duplicate(a, b)


# --- HybridRetriever on the ingested synthetic corpus ----------------------------------------


@pytest.fixture
def retriever(shared_assistant: Assistant) -> HybridRetriever:
    return shared_assistant.retriever


@pytest.fixture
def store(retriever: HybridRetriever) -> ChromaStore:
    return retriever.store


def _with_mode(
    retriever: HybridRetriever, mode: RetrieverMode, secondary_discount: float | None = None
) -> HybridRetriever:
    return HybridRetriever(
        retriever.store,
        retriever.embedder,
        retriever.lexical,
        mode=mode,
        fetch_k=10,
        secondary_discount=(
            retriever.secondary_discount if secondary_discount is None else secondary_discount
        ),
    )


MODES: list[RetrieverMode] = ["hybrid", "dense", "bm25"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "question",
    [
        "Que dit l'article L. 4011-3 ?",
        "L4011-3",
        "art. L 4011-3",
        "Quelles formations pour les délégués selon l'article l. 4011-3 ?",
        "soins palliatifs infirmiers experts L. 4011-3",
    ],
)
def test_named_article_comes_first_whatever_the_wording(
    retriever: HybridRetriever, mode: RetrieverMode, question: str
) -> None:
    hits = _with_mode(retriever, mode).search(question, k=4)
    assert [h.chunk.article for h in hits[:2]] == ["L4011-3", "L4011-3"]
    assert all(h.exact_reference for h in hits[:2])
    # The wording in force before the historical one.
    assert [h.chunk.doc_id for h in hits[:2]] == [CODE.doc_id, HISTORICAL.doc_id]


def test_text_number_brings_the_text_first(retriever: HybridRetriever) -> None:
    hits = retriever.search("Que prévoyait la loi n° 2009-879 ?", k=3)
    assert hits[0].chunk.doc_id == HISTORICAL.doc_id
    assert hits[0].exact_reference


def _all_kinds_question() -> str:
    return "protocole de coopération des professionnels de santé"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("filters", "allowed_docs"),
    [
        (SearchFilters(kinds=("ami",)), {AMI.doc_id}),
        (SearchFilters(kinds=("code", "historique")), {CODE.doc_id, HISTORICAL.doc_id}),
        (SearchFilters(doc_ids=(ARS_PAGE.doc_id,)), {ARS_PAGE.doc_id}),
        # The AMI is closed and the 2009 wording historical: neither is in force.
        (SearchFilters(in_force_only=True), {CODE.doc_id, ARS_PAGE.doc_id}),
        (SearchFilters(since="2023-04-01"), {CODE.doc_id, ARS_PAGE.doc_id}),
        (SearchFilters(since="2023-01-01"), {CODE.doc_id, ARS_PAGE.doc_id, AMI.doc_id}),
    ],
)
def test_filters_restrict_every_mode(
    retriever: HybridRetriever,
    mode: RetrieverMode,
    filters: SearchFilters,
    allowed_docs: set[str],
) -> None:
    hits = _with_mode(retriever, mode).search(_all_kinds_question(), k=12, filters=filters)
    assert hits
    assert {h.chunk.doc_id for h in hits} <= allowed_docs


@pytest.mark.parametrize("mode", MODES)
def test_filters_apply_to_exact_references(retriever: HybridRetriever, mode: RetrieverMode) -> None:
    hits = _with_mode(retriever, mode).search(
        "Que dit l'article L. 4011-3 ?", k=4, filters=SearchFilters(in_force_only=True)
    )
    exact = [h.chunk.doc_id for h in hits if h.exact_reference]
    assert exact == [CODE.doc_id]
    assert HISTORICAL.doc_id not in {h.chunk.doc_id for h in hits}


def test_duplicate_paragraph_is_shown_once(retriever: HybridRetriever, store: ChromaStore) -> None:
    shared = [c for c in store.iter_chunks() if "démarches simplifiées" in c.text]
    assert {c.doc_id for c in shared} == {ARS_PAGE.doc_id, AMI.doc_id}  # stored twice
    hits = retriever.search("déclaration en ligne sur la plateforme démarches simplifiées", k=12)
    assert sum("démarches simplifiées" in h.chunk.text for h in hits) == 1
    assert len({h.chunk.id for h in hits}) == len(hits)


def _texts_sharing_a_word(store: ChromaStore, question: str) -> set[str]:
    words = set(tokenize_fr(question))
    return {c.text for c in store.iter_chunks() if words & set(tokenize_fr(c.indexed_text))}


def test_modes_rank_differently(retriever: HybridRetriever, store: ChromaStore) -> None:
    question = "formation des délégués attestation"
    # The modes themselves, before the official-first prior reorders sources (and so which
    # copy of a duplicated paragraph comes first).
    bm25, dense, hybrid = (
        _with_mode(retriever, mode, secondary_discount=0.0).search(question, k=12)
        for mode in ("bm25", "dense", "hybrid")
    )

    # BM25 only returns passages sharing a word with the question; dense ranks every passage.
    # (The shared paragraph is stored twice but shown once, hence the comparison on texts.)
    lexical_texts = _texts_sharing_a_word(store, question)
    assert {h.chunk.text for h in bm25} == lexical_texts
    assert len(lexical_texts) < len(dense)
    assert all(h.lexical_score is not None for h in bm25)
    assert all(h.lexical_score is None for h in dense)
    # Hybrid fuses both lists: it holds the lexical matches and the dense-only passages.
    assert {h.chunk.id for h in bm25} < {h.chunk.id for h in hybrid}
    assert [h.chunk.id for h in bm25] != [h.chunk.id for h in dense]
    # The passage with all three words wins in every mode.
    for hits in (bm25, dense, hybrid):
        assert hits[0].chunk.section == "Formation des délégués"


def test_scores_are_fused_and_decreasing(retriever: HybridRetriever) -> None:
    hits = retriever.search("formation des délégués attestation", k=6)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # The top passage is first in both lists: 1/61 + 1/61, weighted by its source's prior.
    prior = source_prior(hits[0].chunk, retriever.secondary_discount)
    assert hits[0].score == pytest.approx(2 / 61 * prior)


def test_lexical_only_hits_get_their_cosine_similarity(
    retriever: HybridRetriever, embedder: HashingEmbedder
) -> None:
    question = "formation des délégués attestation"
    hits = _with_mode(retriever, "bm25").search(question, k=4)
    query = np.asarray(embedder.embed_query(question))
    for hit in hits:
        passage = np.asarray(embedder.embed_documents([hit.chunk.indexed_text])[0])
        assert hit.dense_score == pytest.approx(float(query @ passage), abs=1e-5)


def test_k_limits_the_number_of_hits(retriever: HybridRetriever) -> None:
    assert len(retriever.search(_all_kinds_question(), k=2)) == 2


def test_retrieved_chunks_keep_their_metadata(retriever: HybridRetriever) -> None:
    hit = retriever.search("Que dit l'article L. 4011-3 ?", k=1)[0]
    chunk: Chunk = hit.chunk
    assert (chunk.title, chunk.kind, chunk.date, chunk.official_url) == (
        CODE.title,
        "code",
        "2023-05-21",
        CODE.url,
    )
    assert chunk.section == "Article L. 4011-3"
    assert chunk.article_date == "2023-05-21"
    assert chunk.text.startswith("Article L. 4011-3\nLes protocoles nationaux")


def _hits(*docs: str, exact: int = -1) -> list[Hit]:
    return [
        Hit(make_chunk(doc, i, f"passage {i} de {doc}"), 1.0 / (i + 1), exact_reference=i == exact)
        for i, doc in enumerate(docs)
    ]


@pytest.mark.parametrize(
    ("docs", "per_document", "exact", "expected"),
    [
        (("a", "a", "a", "b", "c"), 0, -1, ["a", "a", "a"]),  # no limit: plain top k
        (("a", "a", "a", "b", "c"), 1, -1, ["a", "b", "c"]),
        (("a", "a", "a", "b", "c"), 2, -1, ["a", "a", "b"]),
        (("a", "a", "a"), 1, -1, ["a", "a", "a"]),  # held-back passages fill the places left
        (("a", "a", "b", "c"), 1, 1, ["a", "a", "b"]),  # a named article is never held back
    ],
)
def test_diversify(
    docs: tuple[str, ...], per_document: int, exact: int, expected: list[str]
) -> None:
    chosen = diversify(_hits(*docs, exact=exact), 3, per_document)
    assert [h.chunk.doc_id for h in chosen] == expected


def test_text_in_force_comes_before_its_superseded_version(retriever: HybridRetriever) -> None:
    # Worded like the 2009 version only: without the rule, the historical text comes alone.
    query = "L'agence vérifie un besoin de santé constaté au niveau régional"
    ids = [(h.chunk.doc_id, h.chunk.article) for h in retriever.search(query, 5)]
    historical = ids.index((HISTORICAL.doc_id, "L4011-3"))
    assert (CODE.doc_id, "L4011-3") in ids[:historical]


def test_superseded_version_left_alone_when_the_question_is_about_the_past(
    retriever: HybridRetriever,
) -> None:
    query = "Avant 2019, l'agence vérifiait un besoin de santé constaté au niveau régional ?"
    ids = [(h.chunk.doc_id, h.chunk.article) for h in retriever.search(query, 5)]
    assert ids[0] == (HISTORICAL.doc_id, "L4011-3")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Avant la loi de 2019, comment était autorisé un protocole ?", True),
        ("Sous l'ancien article L. 4011-3, que fallait-il faire ?", True),
        ("Selon l'arrêté du 31 décembre 2009, quelles pièces ?", True),
        ("Comment déclarer un protocole national aujourd'hui ?", False),
        ("Qui valide un protocole local ?", False),
    ],
)
def test_asks_about_the_past(question: str, expected: bool) -> None:
    assert asks_about_the_past(question) is expected


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("Que prévoit l'article L. 4011-3 ?", CODE.doc_id),
        ("Que prévoyait l'ancien article L. 4011-3 ?", HISTORICAL.doc_id),
    ],
)
def test_named_article_version_follows_the_tense_of_the_question(
    retriever: HybridRetriever, query: str, first: str
) -> None:
    hits = retriever.search(query, 3)
    assert hits[0].exact_reference
    assert (hits[0].chunk.doc_id, hits[0].chunk.article) == (first, "L4011-3")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Et aujourd'hui, c'est à qui ?", True),
        ("Comment déclarer un protocole depuis la réforme de 2025 ?", True),
        ("Quelle est la règle actuelle ?", True),
        ("Avant 2019, qui autorisait un protocole ?", False),
        ("Qui valide un protocole local ?", False),
    ],
)
def test_asks_about_the_present(question: str, expected: bool) -> None:
    assert asks_about_the_present(question) is expected


@pytest.mark.parametrize(
    ("kind", "weight"),
    [
        ("code", 1.0),
        ("arrete", 1.0),
        ("ami", 1.0),
        ("page-ars", 0.9),
        ("communique", 0.85),
        ("historique", 1.0),
        ("presse", 0.8),
    ],
)
def test_source_prior_lowers_secondary_sources_only(kind: str, weight: float) -> None:
    assert source_prior(make_chunk("d", 0, "x", kind=kind), 0.2) == pytest.approx(weight)


def test_official_text_overtakes_a_press_page_that_ranked_just_above_it() -> None:
    press = make_chunk("presse", 0, "Le décret prévoit la déclaration.", kind="presse")
    code = make_chunk("code", 0, "Le directeur déclare le protocole.", kind="code")
    fused = [(press.id, 0.0330), (code.id, 0.0325)]
    chunks = {press.id: press, code.id: code}
    assert [cid for cid, _ in official_first(fused, chunks, 0.1)] == [code.id, press.id]
    # Without a discount, or far behind, the ranking is left as it was.
    assert official_first(fused, chunks, 0.0) == fused
    far = [(press.id, 0.0330), (code.id, 0.0200)]
    assert [cid for cid, _ in official_first(far, chunks, 0.1)] == [press.id, code.id]


def test_of_two_near_duplicates_the_higher_source_stays_at_the_better_rank() -> None:
    """An ARS page that repeats an official call word for word never takes its place."""
    text = (
        "La déclaration de mise en œuvre d'un protocole national se fait en ligne sur la "
        "plateforme démarches simplifiées, par l'équipe qui le met en œuvre."
    )
    page = Hit(make_chunk("page", 0, text, kind="page-ars", status="information"), score=0.03)
    other = Hit(make_chunk("autre", 0, "Un autre passage sur la formation."), score=0.02)
    call = Hit(make_chunk("ami", 0, text + " ", kind="ami", status="clos"), score=0.01)
    kept = _collapse_duplicates([page, other, call], 5)
    assert [h.chunk.doc_id for h in kept] == ["ami", "autre"]
    assert kept[0].score == page.score  # the better rank is kept
    # A question about the past keeps the version it found first.
    assert [
        h.chunk.doc_id for h in _collapse_duplicates([page, other, call], 5, higher_first=False)
    ] == ["page", "autre"]


def _indexed(tmp_path: Path, *docs: FakeDoc, retriever: RetrieverMode | None = None) -> Assistant:
    """An assistant over ``docs``, ingested into a real Chroma in ``tmp_path``."""
    settings = make_settings(tmp_path)
    write_corpus(settings.corpus_file, settings.corpus_dir, docs)
    store = open_store(settings.index_dir, settings.collection)
    Ingestor(settings, HashingEmbedder(), store).run()
    return build_assistant(settings, embedder=HashingEmbedder(), store=store, retriever=retriever)


_LIST_ITEMS = [
    f"{n}° L'indicateur numéro {n} de suivi du protocole, calculé chaque année par l'équipe ;"
    for n in range(1, 9)
]


def _list_decree(after: str = "") -> FakeDoc:
    """An arrêté whose list of indicators runs over several passages, then ``after``."""
    body = (
        "Arrêté de test sur le suivi\n\nArticle 1\n[COMPLET]\n\n"
        "Le responsable transmet chaque année à l'agence régionale de santé les indicateurs.\n\n"
        "Ces indicateurs de suivi portent sur :\n\n" + "\n\n".join(_LIST_ITEMS) + "\n" + after
    )
    return replace(CODE, doc_id="arrete-test-suivi", title="Arrêté de test sur le suivi", body=body)


def test_a_passage_that_opens_on_a_list_item_gets_the_list_introduction(tmp_path: Path) -> None:
    """A list cut between passages: the later passage is quoted with what its items list."""
    assistant = _indexed(tmp_path, _list_decree())
    chunks = assistant.retriever.lexical.chunks
    later = [c for c in chunks if c.chunk_index > 0 and c.text.lstrip().startswith(("7°", "8°"))]
    assert later, "the list should run over several passages"

    hits = assistant.retriever.search("indicateur numéro 8 de suivi du protocole", k=4)
    [hit] = [h for h in hits if h.chunk.id == later[-1].id]

    assert hit.chunk.text.startswith("Ces indicateurs de suivi portent sur :\n")
    assert later[-1].text in hit.chunk.text
    # A passage that holds the introduction itself is left as it is.
    assert all(h.chunk.text == chunks[0].text for h in hits if h.chunk.chunk_index == 0)


def test_a_passage_that_ends_in_a_list_gets_the_items_of_the_next_passages(tmp_path: Path) -> None:
    """A list cut between passages: the passage with its introduction is quoted with the items."""
    article_2 = "\nArticle 2\n\nLe présent arrêté sera publié au Journal officiel.\n"
    assistant = _indexed(tmp_path, _list_decree(article_2))
    items = _LIST_ITEMS
    [opening] = [c for c in assistant.retriever.lexical.chunks if "portent sur" in c.text]
    assert items[-1] not in opening.text, "the list should run over several passages"

    hits = assistant.retriever.search("Ces indicateurs de suivi portent sur quoi ?", k=4)
    [hit] = [h for h in hits if h.chunk.id == opening.id]

    assert hit.chunk.text.startswith(opening.text)
    assert all(hit.chunk.text.count(item) == 1 for item in items)
    # The next article is not part of the list.
    assert "Journal officiel" not in hit.chunk.text


def test_a_structure_is_found_by_the_article_that_defines_it(tmp_path: Path) -> None:
    """The Code names a CPTS by its article: « les dispositifs mentionnés à l'article
    L. 1434-12 ». A question about a CPTS finds that article before a page that names it."""
    code = (
        "Code de test\n\nArticle L. 4011-4-1\n[COMPLET]\n\n"
        "Des professionnels exerçant au sein des dispositifs mentionnés à l'article L. 1434-12 "
        "peuvent élaborer des protocoles locaux.\n"
    )
    page = "Page de test\n\nActualités\n\nUne CPTS a présenté ses protocoles locaux.\n"
    others = tuple(
        replace(
            CODE,
            doc_id=f"autre-{n}",
            title=f"Autre texte {n}",
            body=f"Autre texte {n}\n\nArticle {n}\n[COMPLET]\n\nLes protocoles locaux {n}.\n",
        )
        for n in range(6)
    )
    docs = (
        replace(CODE, doc_id="code-test", title="Code de test", body=code),
        replace(CODE, doc_id="page-test", title="Page de test", body=page, kind="page"),
        *others,
    )
    assistant = _indexed(tmp_path, *docs, retriever="bm25")

    hits = assistant.retriever.search("Une CPTS peut-elle avoir ses protocoles locaux ?", k=2)

    assert hits[0].chunk.doc_id == "code-test"


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        ("Avant la loi du 24 juillet 2019, qui autorisait un protocole ?", "avant, qui autorisait"),
        ("Avant 2019, que faisait l'agence ?", "avant, que faisait l'agence"),
        ("Antérieurement à septembre 2025, à qui ?", "avant, à qui"),
        ("les protocoles antérieurs à 2014 ?", "les protocoles avant ?"),
        ("avant la réforme de 2025", "avant"),
        # A text named for itself, or a date that is no bound, is searched as written.
        ("Que dit la loi du 24 juillet 2019 ?", "Que dit la loi du 24 juillet 2019 ?"),
        ("Depuis 2025, qui déclare ?", "Depuis 2025, qui déclare ?"),
    ],
)
def test_lexical_query_drops_period_bounds(question: str, searched: str) -> None:
    assert lexical_query(question).startswith(searched)


def test_a_period_bound_does_not_bring_the_bounding_law_first(tmp_path: Path) -> None:
    """« Avant la loi de 2019, … » asks about the texts of before it, not about that law."""
    law = replace(
        CODE,
        doc_id="loi-2019-test",
        title="Loi n° 2019-774 du 24 juillet 2019, article 66",
        kind="loi",
        date="2019-07-24",
        body=(
            "Article 66\n[COMPLET]\n\nLa loi du 24 juillet 2019 prévoit que les protocoles "
            "autorisés avant son entrée en vigueur restent applicables. Cette loi de 2019 "
            "s'applique aux protocoles en cours.\n"
        ),
    )
    assistant = _indexed(tmp_path, law, HISTORICAL)
    lexical = _with_mode(assistant.retriever, "bm25")

    hits = lexical.search("Avant la loi du 24 juillet 2019, qui vérifiait le besoin de santé ?", 2)

    assert hits[0].chunk.doc_id == HISTORICAL.doc_id
