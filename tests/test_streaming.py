import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.schema import Chunk
from ingest.fetch.sources import Source, load_sources
from ingest.read import streaming
from ingest.read.loading import load_document
from ingest.read.streaming import STREAM_THRESHOLD_BYTES, StreamedChunks, should_stream
from ingest.split.chunking import chunk_document, prose_heading
from tests import helpers
from tests.helpers import REPO_ROOT

SIZE = 800
OVERLAP = 100
REPO_CORPUS = REPO_ROOT / "corpus"
# The shared mirror beside the project (present in CI); corpus/documents is only synced by `make`.
MIRROR = REPO_ROOT.parent / "shared" / "corpus"

HEADER = (
    "Titre: Code de test (partie réglementaire)\n"
    "Type: code\n"
    "Date: 2021-04-28\n"
    "Source: https://www.legifrance.gouv.fr/codes/test\n"
    "Complétude: complet\n"
    "Statut: en vigueur\n"
    "---\n"
)
PARAGRAPH = (
    "Les professionnels de santé travaillant en équipe peuvent s'engager, à leur initiative, "
    "dans une démarche de coopération ayant pour objet d'opérer entre eux des transferts "
    "d'activités ou d'actes de soins ou de réorganiser leurs modes d'intervention auprès du "
    "patient. "
)


def legal_body(articles: int) -> str:
    """A code: a prose preamble, division titles, and articles of varied shapes and lengths."""
    parts = [
        "# Présentation\n\nCe texte réunit les dispositions réglementaires. Évolutions récentes.\n",
        "\n## Champ d'application\n\n" + PARAGRAPH * 2 + "\n",
    ]
    for number in range(1, articles + 1):
        if number % 10 == 1:
            parts.append(f"\nChapitre {number // 10 + 1} : Protocoles de coopération\n")
        if number % 7 == 3:
            # An inline heading: the article's text follows on the heading line.
            parts.append(f"\nArt. {number}. - Le directeur général de l'agence régionale. ")
            parts.append(PARAGRAPH + "\n")
            continue
        parts.append(f"\nArticle R. 4011-{number}\n\n")
        if number % 5 == 0:
            parts.append(
                "[TRONQUÉ : texte partiel]\n[Version en vigueur depuis le 1er mars 2023]\n"
            )
        elif number % 3 == 0:
            parts.append("[COMPLET]\n[Version en vigueur depuis le 2020-02-05]\n")
        paragraphs = 1 + number % 6  # up to ~2,000 characters, several chunks
        for index in range(paragraphs):
            parts.append(f"{index + 1}° « Coopération » n° {number}-{index} : {PARAGRAPH}\n\n")
    return "".join(parts)


def make_source(**overrides: object) -> Source:
    """A source leaving title and status to the file's header."""
    return helpers.make_source(**({"doc_id": "code-test", "title": "", "status": ""} | overrides))


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def whole(path: Path, source: Source) -> list[Chunk]:
    """The non-streamed chunks, ``doc_hash`` blanked as streaming leaves it."""
    document = load_document(path)
    chunks = chunk_document(document, source, chunk_size=SIZE, chunk_overlap=OVERLAP)
    return [replace(chunk, doc_hash="") for chunk in chunks]


def streamed(path: Path, source: Source, window_chars: int = 2_000_000) -> list[Chunk]:
    chunks = StreamedChunks(
        path, source, chunk_size=SIZE, chunk_overlap=OVERLAP, window_chars=window_chars
    )
    return list(chunks)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read files 7 bytes at a time, so that characters and CRLF pairs straddle blocks."""
    monkeypatch.setattr(streaming, "_BLOCK_BYTES", 7)


# --- equivalence with the whole-file path --------------------------------------------------------


@pytest.mark.parametrize("window_chars", [2_500, 5_000, 10_000])
def test_legal_text_in_small_windows_chunks_like_the_whole_file(
    tmp_path: Path, window_chars: int
) -> None:
    text = HEADER + legal_body(60)
    path = write(tmp_path, "code.txt", text.replace("\n", "\r\n").encode("utf-8"))
    source = make_source()
    expected = whole(path, source)
    assert len(load_document(path).body) > 5 * window_chars  # many windows

    chunks = streamed(path, source, window_chars)

    # Same texts, offsets, sections, articles, completeness, dates, indexes and ids.
    assert chunks == expected
    assert {c.article for c in chunks} >= {"R4011-1", "3", "R4011-60"}
    assert {c.article_date for c in chunks} >= {"2023-03-01", "2020-02-05"}
    assert not all(c.complete for c in chunks)
    assert any(c.section.startswith("Chapitre") for c in chunks)
    assert chunks[0].title == "Code de test (partie réglementaire)"


def test_every_repository_corpus_document_streams_like_the_whole_file() -> None:
    sources = load_sources(REPO_CORPUS / "sources.yaml")
    checked = 0
    for source in sources:
        path = MIRROR / source.file_name
        if path.suffix == ".txt" and path.exists():
            assert streamed(path, source) == whole(path, source), source.doc_id
            checked += 1
    assert checked >= 10


def test_prose_windows_keep_offsets_and_the_section_in_force(tmp_path: Path) -> None:
    sections = [f"## Étape {n} : déclarer le protocole" for n in range(1, 16)]
    body = "".join(f"{title}\n\n{PARAGRAPH * (1 + n % 4)}\n\n" for n, title in enumerate(sections))
    path = write(tmp_path, "guide.md", (HEADER + body).encode("utf-8"))
    source = make_source(kind="page")
    document_body = load_document(path).body
    # Where a window ends inside a section, the chunk before the cut is closed early, so chunk
    # texts may differ from the whole-file ones near the cut; offsets and sections may not.
    heading_starts: list[tuple[int, str]] = []
    offset = 0
    for line in document_body.splitlines(keepends=True):
        heading = prose_heading(line)
        if heading is not None:
            heading_starts.append((offset, heading))
        offset += len(line)

    def section_at(start: int) -> str:
        return [heading for offset, heading in heading_starts if offset <= start][-1]

    expected = whole(path, source)
    chunks = streamed(path, source, window_chars=1_500)

    assert [c.section for c in expected] == [section_at(c.start) for c in expected]
    for chunk in chunks:
        assert document_body[chunk.start : chunk.end] == chunk.text
        assert chunk.section == section_at(chunk.start)
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert all(i in covered for i, char in enumerate(document_body) if not char.isspace())


def test_article_longer_than_a_window_keeps_its_metadata(tmp_path: Path) -> None:
    article = (
        "Article L. 4011-2\n\n[TRONQUÉ]\n[Version en vigueur depuis le 25 juillet 2019]\n\n"
        + "".join(f"{n}° {PARAGRAPH}\n\n" for n in range(1, 40))
    )
    text = HEADER + article + "Article L. 4011-3\n\nLe texte suivant.\n"
    path = write(tmp_path, "code.txt", text.encode("utf-8"))

    chunks = streamed(path, make_source(), window_chars=2_000)

    long_article = [c for c in chunks if c.article == "L4011-2"]
    assert len(long_article) == len(chunks) - 1 > 5
    assert {(c.section, c.complete, c.article_date) for c in long_article} == {
        ("Article L. 4011-2", False, "2019-07-25")
    }
    assert chunks[-1].article == "L4011-3"
    body = load_document(path).body
    assert all(body[c.start : c.end] == c.text for c in long_article[1:])


def test_chunk_index_is_contiguous_and_ids_are_unique(tmp_path: Path) -> None:
    path = write(tmp_path, "code.txt", (HEADER + legal_body(40)).encode("utf-8"))

    chunks = streamed(path, make_source(), window_chars=2_500)

    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)
    assert {c.doc_hash for c in chunks} == {""}


# --- decoding and normalisation ------------------------------------------------------------------


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("crlf", lambda text: text.replace("\n", "\r\n").encode("utf-8")),
        ("cr", lambda text: text.replace("\n", "\r").encode("utf-8")),
        ("bom", lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")),
        ("nfd", lambda text: unicodedata.normalize("NFD", text).encode("utf-8")),
        ("cp1252", lambda text: text.replace("\n", "\r\n").encode("cp1252")),
        ("utf16", lambda text: text.replace("\n", "\r\n").encode("utf-16")),
    ],
)
def test_encodings_and_newlines_split_across_blocks_decode_like_the_whole_file(
    tmp_path: Path, name: str, encode: Callable[[str], bytes]
) -> None:
    text = HEADER + legal_body(12) + "Fin de l’arrêté « coopération » : 5 €.\n"
    data = encode(text)
    path = write(tmp_path, f"{name}.txt", data)
    source = make_source()

    chunks = streamed(path, source, window_chars=2_000)

    assert chunks == whole(path, source)
    joined = "".join(c.text for c in chunks)
    assert "\r" not in joined
    assert "\ufeff" not in joined
    assert "Fin de l’arrêté « coopération » : 5 €." in joined
    assert chunks[0].title == "Code de test (partie réglementaire)"  # header after a BOM


@pytest.mark.usefixtures("small_blocks")
def test_cp1252_after_a_utf8_looking_start_keeps_its_accents(tmp_path: Path) -> None:
    text = "Article 1\n\n" + "Texte sans accent. " * 200 + "\n\nArticle 2\n\nDélégation d’actes.\n"
    path = write(tmp_path, "ancien.txt", text.encode("cp1252"))

    chunks = streamed(path, make_source())

    assert chunks[-1].text == "Article 2\nDélégation d’actes."


def test_cp1252_undefined_bytes_decode_as_latin1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Like load_document, the head of the file must read as CP1252 or Latin-1 (it does not with
    # both "’" and 0x81 in it); a stray undefined byte past the head is decoded as in Latin-1.
    data = "Article 1\n\nL’équipe soignante coopère. ".encode("cp1252") * 40 + b"Octet \x81 !\n"
    monkeypatch.setattr(streaming, "_SNIFF_BYTES", 1_000)
    path = write(tmp_path, "ancien.txt", data)

    chunks = streamed(path, make_source())

    assert chunks[0].text.startswith("Article 1\nL’équipe soignante coopère.")
    assert chunks[-1].text.endswith("Octet \x81 !")


def test_crlf_split_exactly_at_a_block_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = "Titre: T\n---\nLigne 1"
    data = head.encode("utf-8") + b"\r\nLigne 2\r\rLigne 3\r"
    monkeypatch.setattr(streaming, "_BLOCK_BYTES", len(head.encode("utf-8")) + 1)
    path = write(tmp_path, "crlf.txt", data)

    [chunk] = streamed(path, make_source(kind="page"))

    assert chunk.text == "Ligne 1\nLigne 2\n\nLigne 3"
    assert load_document(path).body == "Ligne 1\nLigne 2\n\nLigne 3\n"


def test_utf16_text_that_is_cut_short_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "court.txt", "Article 1\nTexte.".encode("utf-16") + b"\x00")

    with pytest.raises(CorpusError, match="texte UTF-16 illisible") as caught:
        streamed(path, make_source())
    assert str(path) in caught.value.message


# --- refused files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("vide.txt", b"", "fichier vide"),
        ("binaire.txt", b"Article 1\n\nTexte." * 100 + b"\x00\x01", "octets nuls"),
        ("controle.txt", b"Article 1\n" + b"\x01\x02\x03 abc " * 50, "caractères non imprimables"),
        ("brouillé.txt", bytes(range(0x80, 0x100)) * 20, "encodage du texte non reconnu"),
        ("blanc.txt", b"  \r\n\t\n  ", "aucun texte"),
        ("entete.txt", b"Titre: Seul\nType: page\n---\n\n", "aucun texte"),
    ],
)
def test_unreadable_files_raise_the_loader_errors(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(CorpusError) as loaded:
        load_document(path)

    with pytest.raises(CorpusError) as caught:
        streamed(path, make_source())

    assert str(path) in caught.value.message
    assert reason in caught.value.message
    assert caught.value.message == loaded.value.message


@pytest.mark.usefixtures("small_blocks")
def test_nul_byte_far_into_the_file_is_refused_before_any_chunk(tmp_path: Path) -> None:
    path = write(tmp_path, "binaire.txt", (HEADER + legal_body(10)).encode("utf-8") + b"\x00")
    chunks = iter(StreamedChunks(path, make_source(), chunk_size=SIZE, chunk_overlap=OVERLAP))

    with pytest.raises(CorpusError, match="octets nuls"):
        next(chunks)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="fichier introuvable"):
        streamed(tmp_path / "absent.txt", make_source())


def test_file_over_the_text_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "énorme.txt"
    with path.open("wb") as out:
        out.truncate(100_000_001)  # sparse: no disk space used

    with pytest.raises(CorpusError, match=r"fichier trop volumineux \(100\.0 Mo, maximum 100 Mo"):
        streamed(path, make_source())


def test_file_rewritten_in_another_encoding_between_the_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "ancien.txt", "Article 1\n\nDélégation.\n".encode("cp1252"))
    monkeypatch.setattr(streaming, "_check_file", lambda _path: "utf-8-sig")

    with pytest.raises(CorpusError, match="modifié pendant sa lecture"):
        streamed(path, make_source())


# --- the object's contract -----------------------------------------------------------------------


def test_sha256_is_the_hash_of_the_bytes_once_every_chunk_is_read(tmp_path: Path) -> None:
    data = (HEADER + legal_body(20)).encode("utf-8")
    path = write(tmp_path, "code.txt", data)
    chunks = StreamedChunks(
        path, make_source(), chunk_size=SIZE, chunk_overlap=OVERLAP, window_chars=2_000
    )
    with pytest.raises(RuntimeError):
        _ = chunks.sha256
    iterator = iter(chunks)
    next(iterator)
    with pytest.raises(RuntimeError):
        _ = chunks.sha256

    assert sum(1 for _ in iterator) > 10

    assert chunks.sha256 == hashlib.sha256(data).hexdigest()


def test_chunks_can_be_iterated_only_once(tmp_path: Path) -> None:
    path = write(tmp_path, "code.txt", b"Article 1\n\nTexte.\n")
    chunks = StreamedChunks(path, make_source(), chunk_size=SIZE, chunk_overlap=OVERLAP)
    assert len(list(chunks)) == 1

    with pytest.raises(RuntimeError):
        iter(chunks)


@pytest.mark.parametrize(
    ("chunk_size", "chunk_overlap", "window_chars"), [(0, 0, 10), (100, 100, 10), (100, 10, 0)]
)
def test_bad_settings_are_refused_at_once(
    chunk_size: int, chunk_overlap: int, window_chars: int
) -> None:
    with pytest.raises(ValueError):
        StreamedChunks(
            Path("absent.txt"),
            make_source(),
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            window_chars=window_chars,
        )


def test_should_stream_only_large_text_files(tmp_path: Path) -> None:
    def sparse(name: str, size: int) -> Path:
        path = tmp_path / name
        with path.open("wb") as out:
            out.truncate(size)
        return path

    assert should_stream(sparse("gros.md", STREAM_THRESHOLD_BYTES + 1))
    assert should_stream(sparse("GROS.TXT", STREAM_THRESHOLD_BYTES + 1))
    assert not should_stream(sparse("juste.txt", STREAM_THRESHOLD_BYTES))
    assert not should_stream(sparse("gros.pdf", STREAM_THRESHOLD_BYTES + 1))
    assert not should_stream(sparse("gros.html", STREAM_THRESHOLD_BYTES + 1))
    assert not should_stream(tmp_path / "absent.txt")
