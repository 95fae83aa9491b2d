import hashlib
import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from assistant.errors import CorpusError
from ingest.read.loading import (
    PAGE_SEPARATOR,
    LoadedDocument,
    load_document,
    make_document,
    parse_header,
)

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"
CSP_LEGISLATIVE = CORPUS / "csp-l4011-1-a-l4011-5-partie-legislative.txt"

PAGE_1 = "Article 1\nLes professionnels de santé coopèrent."
PAGE_2 = "Article 2\nDeuxième page (suite)."

HEADER_TEXT = (
    "Titre: Arrêté de test\n"
    "Type: arrete\n"
    "Date: 2010-07-21\n"
    "Source: \n"
    "Complétude: partiel\n"
    "Statut: historique\n"
    "Notes: première ligne\n"
    "  suite de la note\n"
    "---\n"
    "Article 1\n"
    "\n"
    "Le texte de l'article.\n"
)


# --- builders for real files ---------------------------------------------------------------------


def build_pdf(pages: list[str | None]) -> bytes:
    """A minimal valid PDF; each page shows its lines of text, or only a drawing when None."""
    objects: list[bytes] = [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    ]
    content_ids: list[int] = []
    for text in pages:
        if text is None:
            # A filled square and no text operator: what a scanned page looks like to pypdf.
            stream = b"q 100 0 0 100 72 600 cm 0 0 1 rg 0 0 1 1 re f Q"
        else:
            parts = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
            for line in text.split("\n"):
                escaped = (
                    line.encode("cp1252")
                    .replace(b"\\", b"\\\\")
                    .replace(b"(", b"\\(")
                    .replace(b")", b"\\)")
                )
                parts.append(b"(" + escaped + b") Tj T*")
            parts.append(b"ET")
            stream = b"\n".join(parts)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_ids.append(len(objects))
    pages_id = len(objects) + len(pages) + 1
    page_ids: list[int] = []
    for content_id in content_ids:
        objects.append(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 1 0 R >> >> /Contents %d 0 R >>" % (pages_id, content_id)
        )
        page_ids.append(len(objects))
    kids = b" ".join(b"%d 0 R" % page_id for page_id in page_ids)
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids)))
    assert len(objects) == pages_id
    objects.append(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, len(objects), xref)
    )
    return out.getvalue()


def encrypt_pdf(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="proprietaire", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- text files ----------------------------------------------------------------------------------


def test_header_is_parsed_and_left_out_of_the_body(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "arrete.txt", HEADER_TEXT.encode("utf-8")))

    assert doc.header == {
        "titre": "Arrêté de test",
        "type": "arrete",
        "date": "2010-07-21",
        "source": "",
        "complétude": "partiel",
        "statut": "historique",
        "notes": "première ligne suite de la note",
    }
    assert doc.body == "Article 1\n\nLe texte de l'article.\n"
    assert [(page.number, page.offset) for page in doc.pages] == [(0, 0)]


def test_sha256_is_the_hash_of_the_file_bytes(tmp_path: Path) -> None:
    data = HEADER_TEXT.encode("utf-8")
    doc = load_document(write(tmp_path, "arrete.txt", data))
    assert doc.sha256 == hashlib.sha256(data).hexdigest()


def test_text_without_header_is_kept_whole(tmp_path: Path) -> None:
    text = "Objet : protocoles de coopération\nLe texte continue ici.\n---\nFin.\n"
    doc = load_document(write(tmp_path, "note.md", text.encode("utf-8")))
    assert doc.header == {}
    assert doc.body == text


def test_markdown_front_matter_is_a_header(tmp_path: Path) -> None:
    text = "---\ntitle: Page\nDate: 2024-01-01\n---\n# Titre\n\nTexte.\n"
    doc = load_document(write(tmp_path, "page.md", text.encode("utf-8")))
    assert doc.header == {"title": "Page", "date": "2024-01-01"}
    assert doc.body == "# Titre\n\nTexte.\n"


def test_utf8_bom_and_crlf_are_normalised(tmp_path: Path) -> None:
    data = "\ufeffTitre: Test\r\n---\r\nDélégation d'actes\r\nsuite\r\n".encode()
    doc = load_document(write(tmp_path, "bom.txt", data))
    assert doc.header == {"titre": "Test"}
    assert doc.body == "Délégation d'actes\nsuite\n"


def test_cp1252_text_keeps_its_accents(tmp_path: Path) -> None:
    text = "Coopération entre professionnels de santé : délégation d’actes, « été », œuvre.\n"
    doc = load_document(write(tmp_path, "ancien.txt", text.encode("cp1252")))
    assert doc.body == text


def test_real_corpus_header_is_parsed_and_not_in_the_body() -> None:
    if not CSP_LEGISLATIVE.exists():
        pytest.skip("shared corpus not available")
    doc = load_document(CSP_LEGISLATIVE)

    assert doc.header["titre"].startswith("Code de la santé publique, articles L. 4011-1")
    assert doc.header["type"] == "code"
    assert doc.header["date"] == "2023-05-21"
    assert doc.header["complétude"] == "complet"
    assert "Provenance:" not in doc.body
    assert doc.header["provenance"] not in doc.body
    assert doc.body.startswith("Code de la santé publique — Quatrième partie")
    assert "Article L. 4011-3\n[COMPLET]" in doc.body


# --- HTML ----------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><title>Titre onglet</title><style>p { color: red; }</style>
<script>alert(1)</script></head>
<body>
<nav><a href="/">Accueil du site</a> <a href="/menu">Menu principal</a></nav>
<header>Bandeau du portail</header>
<main>
<h1>Protocoles de coopération</h1>
<p>Les protocoles permettent une <b>délégation</b> d'actes.</p>
<h2>Pour qui ?</h2>
<div>Tous les professionnels<br>de santé.</div>
<ul><li>médecins</li><li>infirmiers</li></ul>
<form><label>Rechercher sur le site</label></form>
<noscript>Activez JavaScript</noscript>
</main>
<aside>Encadré publicitaire</aside>
<footer>Mentions légales</footer>
<script>document.write("tracker")</script>
</body></html>
"""


def test_html_keeps_visible_text_in_blocks(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "page.html", HTML.encode("utf-8")))

    assert doc.body == (
        "# Protocoles de coopération\n"
        "\n"
        "Les protocoles permettent une délégation d'actes.\n"
        "\n"
        "## Pour qui ?\n"
        "\n"
        "Tous les professionnels\n"
        "\n"
        "de santé.\n"
        "\n"
        "- médecins\n"
        "- infirmiers\n"
    )
    for hidden in (
        "alert(1)",
        "tracker",
        "color: red",
        "Accueil du site",
        "Bandeau",
        "Rechercher",
        "JavaScript",
        "publicitaire",
        "Mentions légales",
        "Titre onglet",
    ):
        assert hidden not in doc.body


def test_html_in_cp1252_declared_by_meta(tmp_path: Path) -> None:
    html = '<html><head><meta charset="windows-1252"></head><body><p>Santé publique</p></body>'
    doc = load_document(write(tmp_path, "ancienne.htm", html.encode("cp1252")))
    assert doc.body == "Santé publique\n"


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_pages_keep_their_numbers_and_offsets(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "decret.pdf", build_pdf([PAGE_1, PAGE_2])))

    assert [page.number for page in doc.pages] == [1, 2]
    assert [page.text for page in doc.pages] == [PAGE_1, PAGE_2]
    assert doc.body == PAGE_1 + PAGE_SEPARATOR + PAGE_2
    for page in doc.pages:
        assert doc.body[page.offset : page.offset + len(page.text)] == page.text
    assert doc.header == {}


def test_pdf_encrypted_with_an_empty_user_password_opens(tmp_path: Path) -> None:
    data = encrypt_pdf(build_pdf([PAGE_1, PAGE_2]), user_password="")
    doc = load_document(write(tmp_path, "ouvert.pdf", data))
    assert [page.text for page in doc.pages] == [PAGE_1, PAGE_2]


def test_pdf_with_one_scanned_page_keeps_the_other(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "mixte.pdf", build_pdf([PAGE_1, None])))
    assert [(page.number, page.text) for page in doc.pages] == [(1, PAGE_1), (2, "")]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("vide.txt", b"", "fichier vide (0 octet)"),
        ("vide.pdf", b"", "fichier vide (0 octet)"),
        ("vide.html", b"", "fichier vide (0 octet)"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "contenu binaire"),
        ("controle.txt", bytes(range(1, 9)) * 50 + b"texte", "contenu binaire"),
        ("brouillé.txt", bytes(range(0x80, 0x100)) * 20, "encodage du texte non reconnu"),
        ("blanc.txt", b"  \n\t\n  ", "aucun texte"),
        ("entete.txt", b"Titre: Seul\nType: page\n---\n\n", "aucun texte"),
        ("vide.html", b"<html><body><script>x()</script></body></html>", "aucun texte"),
        ("rapport.odt", b"PK\x03\x04", "format « .odt » non pris en charge"),
        ("rapport.docx", b"PK\x03\x04", "ce n'est pas un document Word .docx lisible"),
        ("faux.pdf", b"<html>pas un pdf</html>", "ce n'est pas un PDF"),
    ],
)
def test_unreadable_files_raise_corpus_error(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(CorpusError) as caught:
        load_document(path)
    assert str(path) in caught.value.message
    assert reason in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="fichier introuvable"):
        load_document(tmp_path / "absent.txt")


def test_pdf_encrypted_with_a_user_password(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.pdf", encrypt_pdf(build_pdf([PAGE_1]), user_password="s3cret"))
    with pytest.raises(CorpusError, match="PDF chiffré, protégé par un mot de passe"):
        load_document(path)


def test_pdf_truncated_in_half(tmp_path: Path) -> None:
    data = build_pdf([PAGE_1, PAGE_2])
    path = write(tmp_path, "coupe.pdf", data[: len(data) // 2])
    with pytest.raises(CorpusError, match="tronqué") as caught:
        load_document(path)
    assert str(path) in caught.value.message


def test_pdf_with_a_broken_body(tmp_path: Path) -> None:
    data = build_pdf([PAGE_1])
    broken = data[:20] + b"\x00garbage" * 40 + data[-60:]
    path = write(tmp_path, "casse.pdf", broken)
    with pytest.raises(CorpusError, match="corrompu"):
        load_document(path)


def test_pdf_without_text_layer_needs_ocr(tmp_path: Path) -> None:
    path = write(tmp_path, "scan.pdf", build_pdf([None, None]))
    with pytest.raises(CorpusError, match="aucune couche texte : OCR nécessaire") as caught:
        load_document(path)
    assert str(path) in caught.value.message


# --- helpers -------------------------------------------------------------------------------------


def test_make_document_offsets_hold_in_the_body() -> None:
    doc = make_document(Path("x.pdf"), {}, [(1, "un"), (2, "deux\fsuite"), (3, "trois")], "0")

    assert isinstance(doc, LoadedDocument)
    assert doc.body == "un\fdeux\nsuite\ftrois"
    assert [page.offset for page in doc.pages] == [0, 3, 14]
    for page in doc.pages:
        assert doc.body[page.offset : page.offset + len(page.text)] == page.text


@pytest.mark.parametrize(
    ("text", "header", "body"),
    [
        ("Titre: A\n---\nCorps", {"titre": "A"}, "Corps"),
        ("Titre: A\nPas une clé sans deux-points\n---\nCorps", {}, None),
        ("Titre: A\nCorps sans séparateur", {}, None),
        ("---\n---\nCorps", {}, None),
        ("Corps seul", {}, None),
    ],
)
def test_parse_header(text: str, header: dict[str, str], body: str | None) -> None:
    assert parse_header(text) == (header, text if body is None else body)
