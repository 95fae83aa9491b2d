"""Articles of a named law, decree or order are found like named code articles."""

from __future__ import annotations

import pytest

from assistant.index.lexical import Bm25Index
from assistant.retrieve.text_articles import TextArticle, find_text_articles, passages_of
from assistant.schema import Chunk
from tests.helpers import make_chunk

LAW_2021 = "Loi n° 2021-502 du 26 avril 2021 visant à améliorer le système de santé"
LAW_2019 = "Loi n° 2019-774 du 24 juillet 2019 relative à l'organisation du système de santé"


@pytest.mark.parametrize(
    ("question", "found"),
    [
        (
            "Que demande l'article 1er de la loi du 26 avril 2021 ?",
            [TextArticle("1", "loi", "26 avril 2021")],
        ),
        (
            "Que dit l'article 8 de la loi n° 2023-379 ?",
            [TextArticle("8", "loi", "2023-379")],
        ),
        ("Que prévoit l'article 66 de la loi de 2019 ?", [TextArticle("66", "loi", "2019")]),
        ("Que dit l'article 3 du décret ?", []),  # which decree? nothing to resolve
        ("Que dit l'article L. 4011-3 ?", []),  # a code article: the code references do that
    ],
)
def test_find_text_articles(question: str, found: list[TextArticle]) -> None:
    assert find_text_articles(question) == found


def _chunks() -> list[Chunk]:
    return [
        make_chunk("loi-2021-502", 0, "Rapport sur la pratique avancée.", article="1",
                   kind="loi", title=LAW_2021),
        make_chunk("loi-2021-502", 1, "Protocoles locaux en ESMS.", article="3",
                   kind="loi", title=LAW_2021),
        make_chunk("loi-2019-774", 0, "Protocoles autorisés avant la loi.", article="66",
                   kind="loi", title=LAW_2019),
        make_chunk("presse-2021", 0, "L'article 1er de la loi du 26 avril 2021 prévoit…",
                   kind="presse", title="La loi du 26 avril 2021 (presse)"),
    ]  # fmt: skip


def test_passages_of_the_named_article_only() -> None:
    chunks = _chunks()
    [reference] = find_text_articles("Que demande l'article 1er de la loi du 26 avril 2021 ?")
    assert [c.doc_id + "/" + c.article for c in passages_of(reference, chunks)] == [
        "loi-2021-502/1"
    ]
    [by_number] = find_text_articles("Et l'article 66 de la loi n° 2019-774 ?")
    assert [c.doc_id for c in passages_of(by_number, chunks)] == ["loi-2019-774"]
    [absent] = find_text_articles("Que dit l'article 8 de la loi n° 2023-379 ?")
    assert passages_of(absent, chunks) == []


def test_the_retriever_puts_the_named_article_of_a_law_first(shared_assistant: object) -> None:
    """Through the real retriever: the lexical index holds the chunks, the article comes first."""
    from assistant.answer.answering import Assistant

    assert isinstance(shared_assistant, Assistant)
    retriever = shared_assistant.retriever
    held = retriever.lexical
    retriever.lexical = Bm25Index.build([*held.chunks, *_chunks()], held.version)
    try:
        hits = retriever.search("Que demande l'article 1er de la loi du 26 avril 2021 ?", 3)
    finally:
        retriever.lexical = held
    assert hits[0].exact_reference
    assert (hits[0].chunk.doc_id, hits[0].chunk.article) == ("loi-2021-502", "1")
