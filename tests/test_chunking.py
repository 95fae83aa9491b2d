import hashlib
import re
from pathlib import Path

import pytest

from assistant.schema import Chunk
from ingest.fetch.sources import Source
from ingest.read.loading import LoadedDocument, load_document, make_document
from ingest.split.chunking import (
    CHUNKER_VERSION,
    ArticleHeading,
    chunk_document,
    parse_article_heading,
)
from tests.helpers import make_source

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"
CSP_FILES = [
    "csp-l4011-1-a-l4011-5-partie-legislative.txt",
    "csp-r4011-1-d4011-2-a-d4011-7-partie-reglementaire.txt",
]
SIZE = 1200
OVERLAP = 150

# Independent of the chunker's regexes on purpose: the exact heading lines of the CSP files.
HEADING_LINE = re.compile(r"^Article [LRD]\. ?\d+(?:-\d+)*$", re.MULTILINE)
EDITORIAL_LINE = re.compile(r"^\[[^\n]*\]$", re.MULTILINE)


def source_from_header(path: Path, doc: LoadedDocument) -> Source:
    header = doc.header
    return Source.model_validate(
        {
            "doc_id": path.stem,
            "title": header["titre"],
            "kind": header["type"],
            "date": header["date"] or None,
            "official_url": header["source"] or None,
            "status": header["statut"],
            "complete": header["complétude"] == "complet",
        }
    )


def load_corpus_file(name: str) -> tuple[LoadedDocument, Source]:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"shared corpus file {name} not available")
    doc = load_document(path)
    return doc, source_from_header(path, doc)


def chunk_corpus_file(name: str, size: int = SIZE, overlap: int = OVERLAP) -> list[Chunk]:
    doc, source = load_corpus_file(name)
    return chunk_document(doc, source, chunk_size=size, chunk_overlap=overlap)


def text_document(text: str, header: dict[str, str] | None = None) -> LoadedDocument:
    return make_document(Path("doc.txt"), header or {}, [(0, text)], "ab" * 32)


def squash(text: str) -> str:
    return " ".join(text.split())


def without_editorial_lines(text: str) -> str:
    return EDITORIAL_LINE.sub("", text)


def expected_reference(heading: str) -> str:
    """'Article L. 4011-4-1' -> 'L4011-4-1', written without the chunker's code."""
    return heading.removeprefix("Article ").replace(".", "").replace(" ", "")


# --- heading normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "section", "article"),
    [
        ("Article L. 4011-2", "Article L. 4011-2", "L4011-2"),
        ("Article L4011-2", "Article L4011-2", "L4011-2"),
        ("Article L 4011-2", "Article L 4011-2", "L4011-2"),
        ("Art. D. 4011-4-1", "Art. D. 4011-4-1", "D4011-4-1"),
        ("Article R. 4011-1", "Article R. 4011-1", "R4011-1"),
        ("Article D4011-4-2", "Article D4011-4-2", "D4011-4-2"),
        ("Article LO 111-3", "Article LO 111-3", "LO111-3"),
        ("Article L. 4011\u20112", "Article L. 4011\u20112", "L4011-2"),
        ("Article 3", "Article 3", "3"),
        ("Art. 2", "Art. 2", "2"),
        ("ARTICLE 5", "ARTICLE 5", "5"),
        ("Article 1er", "Article 1er", "1"),
        ("Article premier", "Article premier", "1"),
        ("Article 2 bis", "Article 2 bis", "2bis"),
        ("Article 66", "Article 66", "66"),
        ("Annexe 2", "Annexe 2", "annexe-2"),
        ("ANNEXE II", "ANNEXE II", "annexe-ii"),
        ("Annexe", "Annexe", "annexe"),
        ("  Article L. 4011-1  ", "Article L. 4011-1", "L4011-1"),
        ("## Article L. 4011-4-8", "Article L. 4011-4-8", "L4011-4-8"),
        ("**Article 6**", "Article 6", "6"),
        ("Article 4 :", "Article 4", "4"),
    ],
)
def test_heading_normalisation(line: str, section: str, article: str) -> None:
    assert parse_article_heading(line) == ArticleHeading(section=section, article=article)


def test_inline_heading_keeps_only_the_reference_as_section() -> None:
    heading = parse_article_heading("Art. 2. - Le directeur général de l'agence est chargé…")
    assert heading == ArticleHeading(section="Art. 2", article="2", inline=True)


@pytest.mark.parametrize(
    "line",
    [
        "Article 66 de la loi n°2019-774 du 24/07/2019",
        "Article 131 : autorisation « par dérogation » d'expérimentations",
        "Article",
        "Articles D4011-2 à D4011-4 du CSP",
        "En application de l'article L. 4011-2 du code",
        "article L. 4011-2 du code de la santé publique",
        "Annexe au présent arrêté",
        "Artistes 3",
    ],
)
def test_sentences_are_not_headings(line: str) -> None:
    assert parse_article_heading(line) is None


# --- the real CSP texts --------------------------------------------------------------------------


@pytest.mark.parametrize("name", CSP_FILES)
def test_every_article_heading_starts_its_own_chunk(name: str) -> None:
    doc, source = load_corpus_file(name)
    headings = HEADING_LINE.findall(doc.body)
    chunks = chunk_document(doc, source, chunk_size=SIZE, chunk_overlap=OVERLAP)

    starting = [chunk for chunk in chunks if HEADING_LINE.match(chunk.text.split("\n", 1)[0])]
    assert len(headings) >= 8
    assert [chunk.text.split("\n", 1)[0] for chunk in starting] == headings
    assert [chunk.section for chunk in starting] == headings
    assert [chunk.article for chunk in starting] == [expected_reference(h) for h in headings]
    # No chunk holds two articles.
    for chunk in chunks:
        assert len(HEADING_LINE.findall(chunk.text)) <= 1


def test_legislative_references_by_hand() -> None:
    chunks = chunk_corpus_file(CSP_FILES[0])
    first_pieces = [c.article for c in chunks if c.text.startswith("Article ")]
    assert first_pieces == [
        "L4011-1",
        "L4011-2",
        "L4011-3",
        "L4011-4",
        "L4011-4-1",
        "L4011-4-2",
        "L4011-4-3",
        "L4011-4-4",
        "L4011-4-5",
        "L4011-4-6",
        "L4011-4-7",
        "L4011-4-8",
        "L4011-5",
    ]


@pytest.mark.parametrize("name", CSP_FILES)
def test_editorial_lines_become_metadata(name: str) -> None:
    chunks = chunk_corpus_file(name)

    for chunk in chunks:
        assert "[COMPLET" not in chunk.text
        assert "[Version de la source" not in chunk.text
        assert "[Attention" not in chunk.text
        assert "[Rédaction en vigueur" not in chunk.text
        if chunk.article:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", chunk.article_date), chunk.section
            assert chunk.complete
        else:
            assert chunk.article_date == ""


def test_article_dates_match_the_source_lines() -> None:
    legislative = {c.article: c.article_date for c in chunk_corpus_file(CSP_FILES[0])}
    regulatory = {c.article: c.article_date for c in chunk_corpus_file(CSP_FILES[1])}

    assert legislative["L4011-1"] == "2019-07-27"
    assert legislative["L4011-3"] == "2023-05-21"
    assert legislative["L4011-4-8"] == "2021-04-28"
    assert regulatory["R4011-1"] == "2019-12-30"
    assert regulatory["D4011-4"] == "2025-09-10"
    assert regulatory["D4011-4-1"] == "2021-06-26"


def test_truncated_article_is_marked_incomplete() -> None:
    chunks = chunk_corpus_file("csp-d4011-4-redactions-anterieures-2020-2025.txt")
    by_article: dict[str, set[bool]] = {}
    for chunk in chunks:
        by_article.setdefault(chunk.article, set()).add(chunk.complete)

    # The source is "partiel"; D4011-4 is marked [COMPLET …], D4011-4-2 [… TRONQUÉ …].
    assert by_article == {"": {False}, "D4011-4": {True}, "D4011-4-2": {False}}
    assert all("TRONQUÉ" not in chunk.text for chunk in chunks)


@pytest.mark.parametrize("name", CSP_FILES)
def test_header_is_in_no_chunk(name: str) -> None:
    doc, source = load_corpus_file(name)
    chunks = chunk_document(doc, source, chunk_size=SIZE, chunk_overlap=OVERLAP)

    assert doc.header["titre"] and doc.header["type"] == "code" and doc.header["date"]
    for chunk in chunks:
        assert "Titre:" not in chunk.text
        assert "Provenance:" not in chunk.text
        assert doc.header["notes"] not in chunk.text
        assert chunk.title == doc.header["titre"]
        assert chunk.date == doc.header["date"]
        assert chunk.official_url == doc.header["source"]


@pytest.mark.parametrize("name", CSP_FILES)
def test_ids_are_deterministic(name: str) -> None:
    first = chunk_corpus_file(name)
    second = chunk_corpus_file(name)

    assert [c.id for c in first] == [c.id for c in second]
    assert first == second
    assert len({c.id for c in first}) == len(first)
    chunk = first[3]
    key = f"{chunk.doc_id}\x1f{chunk.chunk_index}\x1f{chunk.content_hash}"
    assert chunk.id == hashlib.sha1(key.encode()).hexdigest()
    assert chunk.content_hash == hashlib.sha256(chunk.text.encode()).hexdigest()


def test_long_article_is_split_and_every_piece_keeps_it() -> None:
    doc, source = load_corpus_file(CSP_FILES[0])
    chunks = chunk_document(doc, source, chunk_size=400, chunk_overlap=60)
    pieces = [c for c in chunks if c.article == "L4011-3"]

    assert len(pieces) >= 8
    assert all(c.section == "Article L. 4011-3" for c in pieces)
    assert all(c.article_date == "2023-05-21" for c in pieces)
    assert all(len(c.text) <= 400 for c in pieces)
    assert pieces[0].text.startswith("Article L. 4011-3\nI.-Un comité national")
    assert not any(c.text.startswith("Article") for c in pieces[1:])
    # Nothing of the article is lost between the pieces.
    article = doc.body[pieces[0].start : pieces[-1].end]
    covered = " ".join(c.text for c in pieces)
    for paragraph in without_editorial_lines(article).split("\n\n"):
        for sentence in paragraph.split(" ; "):
            assert squash(sentence)[:60] in squash(covered)


@pytest.mark.parametrize("size", [300, SIZE])
@pytest.mark.parametrize("name", CSP_FILES)
def test_offsets_map_into_the_body(name: str, size: int) -> None:
    doc, source = load_corpus_file(name)
    body = doc.body
    chunks = chunk_document(doc, source, chunk_size=size, chunk_overlap=min(OVERLAP, size // 3))

    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.text.strip()
        assert chunk.doc_hash == doc.sha256
        assert chunk.page == 0
        span = body[chunk.start : chunk.end]
        if chunk.article:
            assert squash(without_editorial_lines(span)) == squash(chunk.text)
        else:  # prose, including the preamble and its editorial note, is sliced verbatim
            assert span == chunk.text
        # Never cut inside a word.
        assert chunk.start == 0 or not (body[chunk.start - 1].isalnum() and span[0].isalnum())
        assert chunk.end == len(body) or not (span[-1].isalnum() and body[chunk.end].isalnum())


@pytest.mark.parametrize(
    ("name", "count"),
    [(CSP_FILES[0], 21), (CSP_FILES[1], 18)],
)
def test_chunk_counts_at_default_settings(name: str, count: int) -> None:
    # Pins the output of CHUNKER_VERSION; bump the version when this has to change.
    assert CHUNKER_VERSION == "1"
    assert len(chunk_corpus_file(name)) == count


# --- synthetic documents -------------------------------------------------------------------------

TITLE = "Arrêté du 1er janvier 2020 de test"
LEGAL_TEXT = f"""{TITLE}

Article 1er
[COMPLET]
[Version de la source : en vigueur depuis le 2020-01-02]

Le premier article.

Article 2
[TRONQUÉ — la suite manque]

Le deuxième article, coupé.

Article 3
[Rédaction en vigueur depuis le 1er mars 2021, issue d'un décret
dont le numéro n'est pas connu]

Le troisième article.

Section 2 : Dispositions finales

Texte de la section.
"""


def test_notes_give_completeness_and_date() -> None:
    doc = text_document(LEGAL_TEXT)
    chunks = chunk_document(doc, make_source(complete=False), chunk_size=SIZE, chunk_overlap=0)

    summary = [(c.article, c.section, c.complete, c.article_date, c.text) for c in chunks]
    assert summary == [
        ("", TITLE, False, "", TITLE),
        ("1", "Article 1er", True, "2020-01-02", "Article 1er\nLe premier article."),
        ("2", "Article 2", False, "", "Article 2\nLe deuxième article, coupé."),
        ("3", "Article 3", False, "2021-03-01", "Article 3\nLe troisième article."),
        (
            "",
            "Section 2 : Dispositions finales",
            False,
            "",
            "Section 2 : Dispositions finales\n\nTexte de la section.",
        ),
    ]


def test_complete_source_without_marker_stays_complete() -> None:
    doc = text_document("Article 4\n\nTexte sans note.\n")
    chunks = chunk_document(doc, make_source(complete=True), chunk_size=SIZE, chunk_overlap=0)
    assert [(c.article, c.complete, c.text) for c in chunks] == [
        ("4", True, "Article 4\nTexte sans note.")
    ]


def test_heading_without_text_is_one_chunk() -> None:
    doc = text_document("Article 5\n[COMPLET]\n\nArticle 6\n\nTexte.\n")
    chunks = chunk_document(doc, make_source(), chunk_size=SIZE, chunk_overlap=0)
    assert [(c.article, c.text) for c in chunks] == [("5", "Article 5"), ("6", "Article 6\nTexte.")]


def test_source_metadata_and_header_fallbacks() -> None:
    doc = text_document(
        "Texte.\n", header={"titre": "Titre de l'en-tête", "source": "https://exemple.fr/page"}
    )
    source = make_source(title="", date=None, official_url=None, status="", kind="page")
    chunk = chunk_document(doc, source, chunk_size=SIZE, chunk_overlap=0)[0]

    assert (chunk.doc_id, chunk.title, chunk.kind) == ("test-doc", "Titre de l'en-tête", "page")
    assert (chunk.date, chunk.official_url, chunk.status) == ("", "https://exemple.fr/page", "")
    assert (chunk.page, chunk.start, chunk.end, chunk.doc_hash) == (0, 0, 6, "ab" * 32)


def test_short_prose_paragraphs_are_merged_under_their_heading() -> None:
    paragraphs = [
        f"Paragraphe numéro {n} sur la coopération entre professionnels." for n in range(5)
    ]
    text = "Introduction sans titre.\n\n# Le protocole local\n\n" + "\n\n".join(paragraphs) + "\n"
    chunks = chunk_document(
        text_document(text), make_source(kind="page"), chunk_size=SIZE, chunk_overlap=0
    )

    assert len(chunks) == 1
    assert chunks[0].section == ""  # the chunk starts before the first heading
    assert chunks[0].text == text.strip()


def test_prose_sections_follow_the_nearest_heading() -> None:
    long_paragraph = "Les équipes déclarent le protocole en ligne. " * 12
    text = (
        f"Qu'est-ce qu'un protocole ?\n{long_paragraph}\n\n"
        f"Quelles démarches pour la mise en oeuvre ?\n\n{long_paragraph}\n\n{long_paragraph}\n"
    )
    chunks = chunk_document(
        text_document(text), make_source(kind="page-ars"), chunk_size=700, chunk_overlap=50
    )

    assert [c.section for c in chunks] == [
        "Qu'est-ce qu'un protocole ?",
        "Quelles démarches pour la mise en oeuvre ?",
        "Quelles démarches pour la mise en oeuvre ?",
    ]
    assert chunks[1].text.startswith("Quelles démarches")
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 700
        assert chunk.article == ""


def test_wrapped_pdf_lines_are_not_headings() -> None:
    text = (
        "Un protocole de coopération entre professionnels de santé organise le travail commun des\n"
        "médecins délégants et des professionnels paramédicaux délégués.\n"
    )
    chunks = chunk_document(
        text_document(text), make_source(kind="presentation"), chunk_size=SIZE, chunk_overlap=0
    )
    assert [c.section for c in chunks] == [""]


def test_pages_follow_the_chunk_start() -> None:
    doc = make_document(
        Path("decret.pdf"),
        {},
        [(1, "Décret n° 1 du 2 mars 2020\n\nArticle 1\n\nPremier."), (2, "Article 2\n\nSecond.")],
        "cd" * 32,
    )
    chunks = chunk_document(doc, make_source(kind="decret"), chunk_size=SIZE, chunk_overlap=0)

    assert [(c.article, c.page) for c in chunks] == [("", 1), ("1", 1), ("2", 2)]
    assert chunks[2].start == doc.pages[1].offset


def test_a_word_longer_than_a_chunk_is_not_cut() -> None:
    url = "https://www.legifrance.gouv.fr/" + "x" * 150
    text = f"Voir le texte officiel à l'adresse {url} pour la version consolidée du décret."
    chunks = chunk_document(
        text_document(text), make_source(kind="page"), chunk_size=60, chunk_overlap=0
    )

    assert any(c.text == url for c in chunks)
    assert " ".join(c.text for c in chunks).split() == text.split()


def test_whitespace_only_document_gives_no_chunk() -> None:
    chunks = chunk_document(
        text_document(" \n\n \n"), make_source(), chunk_size=SIZE, chunk_overlap=0
    )
    assert chunks == []


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (-5, 0), (100, 100), (100, -1)])
def test_invalid_sizes_are_programmer_errors(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_document(
            text_document("Texte."), make_source(), chunk_size=size, chunk_overlap=overlap
        )


def test_markdown_article_headings_lose_their_markup() -> None:
    text = "## Article L. 4011-2\n\nLes protocoles sont rédigés.\n\n**Article 3**\nUn comité.\n"
    chunks = chunk_document(
        text_document(text), make_source(kind="page"), chunk_size=SIZE, chunk_overlap=0
    )
    assert [(c.article, c.section, c.text) for c in chunks] == [
        ("L4011-2", "Article L. 4011-2", "Article L. 4011-2\nLes protocoles sont rédigés."),
        ("3", "Article 3", "Article 3\nUn comité."),
    ]
