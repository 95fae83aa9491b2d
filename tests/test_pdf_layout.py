"""PDF as published: running headers and footers, hyphenation, articles across page breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.read.loading import load_document
from ingest.read.pdf_layout import clean_pdf_pages, dehyphenate, running_lines
from tests.extraction_quality import measure
from tests.realistic_docs import (
    JORF_ARTICLES,
    JORF_DATE_LINE,
    JORF_HEADER,
    JORF_TITLE,
    add_and_index,
    cites,
    make_jorf_pdf,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("des profession-\nnels de santé", "des professionnels de santé"),
        ("d'in-\ntérêt", "d'intérêt"),
        ("une sous-\nsection", "une sous-section"),
        ("l'article L. 4011-\n2 du code", "l'article L. 4011-2 du code"),
        ("la fin.\nArticle 3", "la fin.\nArticle 3"),
        ("ministres-\nChargés", "ministres-\nChargés"),
    ],
)
def test_dehyphenate(text: str, expected: str) -> None:
    assert dehyphenate(text) == expected


def test_running_lines_are_found_by_repetition_numbers_aside() -> None:
    pages = [
        f"JOURNAL OFFICIEL\nTexte 12 sur 150\nArticle {n}\nTexte propre à la page {n}.\n- {n} -"
        for n in (1, 2, 3)
    ]
    found = running_lines(pages)
    # Header, « Texte 12 sur 150 » and the page number; never the article headings.
    assert found == [{0, 1, 4}] * 3


def test_two_page_text_keeps_its_article_headings() -> None:
    pages = [(1, "Article 1\nPremière page."), (2, "Article 2\nDeuxième page.")]
    assert clean_pdf_pages(pages) == pages


def test_a_word_cut_at_the_bottom_of_a_page_is_joined() -> None:
    pages = [(1, "En-tête\nla coopé-\n1"), (2, "En-tête\nration continue ici.\n2")]
    assert clean_pdf_pages(pages) == [(1, "la coopération"), (2, "continue ici.")]


@pytest.fixture(scope="module")
def jorf_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_jorf_pdf(tmp_path_factory.mktemp("jorf") / "jorf.pdf")


def test_jorf_pdf_loses_headers_footers_and_page_numbers(jorf_pdf: Path) -> None:
    document = load_document(jorf_pdf)
    lines = [line.strip() for page in document.pages for line in page.text.split("\n")]
    assert JORF_HEADER not in lines
    assert JORF_DATE_LINE not in lines
    assert "16 septembre 2021" not in lines
    assert not [line for line in lines if line.replace("/", "").isdigit()]
    assert "professionnels de santé, ceux-ci" in document.body
    assert "profession-" not in document.body


def test_jorf_pdf_title_and_date_come_from_the_file(jorf_pdf: Path) -> None:
    header = load_document(jorf_pdf).header
    assert header == {"titre": JORF_TITLE, "date": "2021-09-15"}


def test_jorf_pdf_articles_pages_and_answer(tmp_path: Path, jorf_pdf: Path) -> None:
    added = add_and_index(tmp_path, jorf_pdf, kind="decret")
    chunks = added.chunks
    text = "\n".join(chunk.text for chunk in chunks)
    for noise in (JORF_HEADER, JORF_DATE_LINE, "16 septembre 2021", "1/3", "2/3", "3/3"):
        assert noise not in text
    pages = {}
    for chunk in chunks:
        if chunk.article:
            first, last = pages.get(chunk.article, (chunk.page, chunk.page))
            pages[chunk.article] = (min(first, chunk.page), max(last, chunk.page_end or chunk.page))
    assert pages == JORF_ARTICLES
    crossing = [chunk for chunk in chunks if chunk.article == "L4011-2"]
    # One chunk sequence: consecutive pieces under one reference, the first running from page 1
    # over the break onto page 2, no header or footer in between.
    indexes = [chunk.chunk_index for chunk in crossing]
    assert indexes == list(range(indexes[0], indexes[0] + len(indexes)))
    assert (crossing[0].page, crossing[0].page_end) == (1, 2)
    joined = " ".join(chunk.text for chunk in crossing)
    assert "après un appel à manifestation d'intérêt" in joined
    assert "déploiement.\fLes protocoles nationaux sont autorisés" in joined
    assert "facturation habituelles" in joined
    assert all(chunk.origin == "local" for chunk in chunks)
    answer = added.assistant.ask("Les protocoles nationaux sont autorisés par arrêté de qui ?")
    assert cites(answer, added.source.doc_id)
    cited = next(c for c in answer.citations if c.doc_id == added.source.doc_id)
    assert (cited.origin, cited.section) == ("local", "Article L. 4011-2")
    assert cited.page in (1, 2)


def test_measured_extraction_quality_matches_docs(tmp_path: Path) -> None:
    """The figures of docs/documents.md: before, every header stays; after, none does."""
    rows = {row.path: row for row in measure(tmp_path)}
    before, after = rows["PDF, pypdf plain (avant)"], rows["PDF, pypdf plain + nettoyage (après)"]
    assert (before.noise_left, before.clean_articles, before.cut_words) == (1.0, 0.5, 5)
    assert (after.noise_left, after.headings_found, after.clean_articles, after.cut_words) == (
        0.0,
        1.0,
        1.0,
        0,
    )
    html_before, html_after = (
        rows["HTML, règles BeautifulSoup (avant)"],
        rows["HTML, trafilatura (après)"],
    )
    assert html_before.noise_left == pytest.approx(0.3)
    assert (html_after.noise_left, html_after.headings_found) == (0.0, 1.0)
