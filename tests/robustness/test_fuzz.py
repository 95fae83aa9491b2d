"""Fuzzing (Hypothesis): loaders, chunker, the real `coop ask` entry, its options, file names.

Every property is about failing well: random input either works or ends in a ``CoopError``
(a French message, exit code 1 at the CLI), never in another exception or a traceback, and a
catalogue entry never reaches a file outside the documents folder. Sizes are kept small so that
the whole file runs in the fast suite.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import cli
from assistant import factory
from assistant.config import Settings
from assistant.errors import CoopError, CorpusError
from assistant.schema import Chunk, date_number
from ingest.fetch.sources import Source
from ingest.fetch.sync import find_document_file, sync_corpus
from ingest.indexing import Ingestor
from ingest.read import streaming
from ingest.read.loading import PAGE_SEPARATOR, LoadedDocument, load_document, make_document
from ingest.read.streaming import StreamedChunks
from ingest.split.chunking import chunk_document
from tests.fakes import HashingEmbedder
from tests.helpers import coop_env, make_settings, make_source, open_store, write_corpus
from tests.test_loading import build_pdf

# FUZZ_SCALE=20 multiplies every example count, for a longer run by hand.
SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))


def fuzz(examples: int) -> settings:
    """``examples`` runs (times ``FUZZ_SCALE``), no deadline, no example database.

    Without a database the runs leave no .hypothesis/ folder in the tree. The module-scoped
    fixtures (index, folders) are read-only or checked around each example, hence the health
    check for function-scoped fixtures (the autouse environment one) is off.
    """
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


FAST = fuzz(60)
CLI = fuzz(60)

# --- strategies ---------------------------------------------------------------------------------

# Characters that break naive text handling: controls, BOM, bidi overrides, combining marks,
# line and paragraph separators, emojis (with joiners and variation selectors), CJK, RTL.
NASTY_CHARS = [
    "\x00",
    "\x01",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\x0b",
    "\x0c",
    "\x1c",
    "\ufeff",
    "\ufffd",
    "\u200b",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2028",
    "\u2029",
    "\u0301",
    "\u0327",
    "\u20dd",
    "e\u0301",
    "🙂",
    "👩‍⚕️",
    "🇫🇷",
    "\ufe0f",
    "漢字",
    "مرحبا بالعالم",
    "שלום",
    "Ω",
    "ﬁ",
    "²",
    "١٢٣",
    "\U0010ffff",
    "\ue000",
]
FRENCH_WORDS = [
    "protocole",
    "coopération",
    "déclaration",
    "plateforme",
    "national",
    "agence régionale de santé",
    "Article L. 4011-3",
    "formation",
    "délégué",
    "Qui",
    "Comment",
    "?",
]
HEADING_LINES = [
    "Article L. 4011-2",
    "Art. 2. - Le directeur général",
    "Article 1er",
    "ARTICLE PREMIER",
    "Annexe 2",
    "Annexe",
    "## Dépôt de la déclaration",
    "# Titre",
    "**Article R. 4011-1**",
    "[COMPLET]",
    "[TRONQUÉ]",
    "[Version de la source : en vigueur depuis le 2019-07-27]",
    "[Version de la source : en vigueur depuis le 1er août 2021",
    "Chapitre II",
    "Section 1",
    "- point de liste",
    "1. Première étape",
    "",
    " ",
    "---",
]

nasty_text = st.lists(
    st.one_of(st.characters(), st.sampled_from(NASTY_CHARS), st.sampled_from(FRENCH_WORDS)),
    max_size=60,
).map("".join)

# A line of a legal text, a heading, an editorial note, or noise.
text_lines = st.one_of(
    st.sampled_from(HEADING_LINES),
    nasty_text,
    st.lists(st.sampled_from(FRENCH_WORDS), min_size=1, max_size=40).map(" ".join),
    st.text(max_size=80),
)
legal_texts = st.lists(text_lines, max_size=40).map("\n".join)

# A random piece repeated up to 10 000 characters.
huge_texts = st.tuples(
    st.text(min_size=1, max_size=12) | st.sampled_from(NASTY_CHARS),
    st.integers(1_000, 10_000),
).map(lambda pair: (pair[0] * (pair[1] // len(pair[0]) + 1))[: pair[1]])

# Lone surrogates: what a non-UTF-8 byte in argv becomes (``surrogateescape``).
surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)

# --- loaders ------------------------------------------------------------------------------------

LOADED_SUFFIXES = [".txt", ".md", ".html", ".htm", ".pdf", ".TXT", ".Pdf"]


def count(label: str) -> None:
    """Count an outcome in the Hypothesis statistics (--hypothesis-show-statistics)."""
    if currently_in_test_context():
        event(label)


def check_load(data: bytes, suffix: str) -> LoadedDocument | None:
    """Load ``data`` saved with ``suffix``: a document, or None after a well-formed CoopError."""
    with tempfile.TemporaryDirectory(prefix="coop-fuzz-") as folder:
        path = Path(folder) / f"document{suffix}"
        path.write_bytes(data)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    document = load_document(path)
                finally:
                    # Nothing in English on the user's terminal (a library's advice, say).
                    assert not caught, [str(warning.message)[:200] for warning in caught]
        except CoopError as err:
            assert isinstance(err, CorpusError)
            # Every loader message names the file first, then says why (in French).
            assert err.message.startswith(str(path)), err.message
            assert len(err.message) > len(str(path)) + 5
            assert "Traceback" not in err.message
            count(f"{suffix}: refused")
            return None
        count(f"{suffix}: loaded")
        check_document(document)
        return document


def check_document(document: LoadedDocument) -> None:
    """The documented invariants of a loaded document."""
    assert document.pages
    body = document.body
    assert body.strip()
    for page in document.pages:
        assert PAGE_SEPARATOR not in page.text
        page.text.encode("utf-8")  # valid Unicode: no lone surrogate
        assert body[page.offset : page.offset + len(page.text)] == page.text
    assert len(document.sha256) == 64


def encoded(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding`` (what cannot be encoded dropped)."""
    return text.encode(encoding, errors="ignore" if encoding != "utf-8" else "surrogatepass")


@FAST
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(LOADED_SUFFIXES))
@example(data=b"\xff\xfe\x00", suffix=".txt")  # UTF-16 BOM then an odd byte
@example(data=b"\xfe\xff\xd8\x00", suffix=".md")  # UTF-16 BOM then a lone high surrogate
@example(data=b"%PDF-1.4\n%%EOF", suffix=".pdf")
@example(data=b"\x00" * 10, suffix=".html")
@example(data=b"<" * 2000, suffix=".html")
def test_random_bytes_load_or_fail_with_a_french_corpus_error(data: bytes, suffix: str) -> None:
    check_load(data, suffix)


@FAST
@given(
    text=st.one_of(nasty_text, legal_texts, huge_texts),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]),
    suffix=st.sampled_from([".txt", ".md", ".html"]),
)
def test_random_text_in_any_encoding_loads_or_fails_well(
    text: str, encoding: str, suffix: str
) -> None:
    check_load(encoded(text, encoding), suffix)


@FAST
@given(
    title=st.text(st.characters(blacklist_characters="\r\n"), max_size=200),
    body=st.one_of(nasty_text, legal_texts),
    crlf=st.booleans(),
    suffix=st.sampled_from([".txt", ".md"]),
)
@example(title="Arrêté", body="\u0301suite", crlf=False, suffix=".txt")
@example(title=" x ", body="---\nArticle 1", crlf=True, suffix=".md")
def test_mirror_header_then_random_text(title: str, body: str, crlf: bool, suffix: str) -> None:
    newline = "\r\n" if crlf else "\n"
    text = f"Titre: {title}{newline}Type: arrete{newline}---{newline}{body}"
    document = check_load(text.encode("utf-8", errors="surrogatepass"), suffix)
    if document is None:
        return
    # A valid header block is always recognised and left out of the body.
    assert document.header["titre"] == unicodedata.normalize("NFC", title).strip()
    assert document.header["type"] == "arrete"
    assert not document.body.startswith("Titre:")


header_keys = st.one_of(
    st.sampled_from(["Titre", "Type", "Date", "Source", "Complétude", "Statut", "Notes", "Clé’s"]),
    st.text(max_size=50),
)
header_lines = st.one_of(
    st.tuples(header_keys, st.text(max_size=60)).map(lambda kv: f"{kv[0]}: {kv[1]}"),
    st.text(max_size=60).map(lambda value: f"  {value}"),  # continuation line
    st.sampled_from(["---", "", " ", "---  ", "Titre:", ":", "Titre : a : b"]),
    st.text(max_size=60),
)


@FAST
@given(
    lines=st.lists(header_lines, max_size=30),
    front_matter=st.booleans(),
    body=legal_texts,
    suffix=st.sampled_from([".txt", ".md", ".html"]),
)
def test_random_header_blocks_load_or_fail_well(
    lines: list[str], front_matter: bool, body: str, suffix: str
) -> None:
    head = ["---", *lines] if front_matter else lines
    text = "\n".join([*head, "---", body])
    document = check_load(text.encode("utf-8", errors="surrogatepass"), suffix)
    if document is not None:
        assert all(key == key.lower() for key in document.header)


@st.composite
def mangled_pdfs(draw: st.DrawFn) -> bytes:
    """A valid PDF with random bytes overwritten, cut out or inserted (header and %%EOF kept)."""
    pages = draw(st.lists(st.one_of(st.none(), st.sampled_from(HEADING_LINES[:8])), max_size=3))
    data = bytearray(build_pdf(pages or ["Article 1"]))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(10, len(data) - 10))
        action = draw(st.sampled_from(["overwrite", "delete", "insert"]))
        chunk = draw(st.binary(min_size=1, max_size=40))
        if action == "overwrite":
            data[position : position + len(chunk)] = chunk
        elif action == "delete":
            del data[position : position + len(chunk)]
        else:
            data[position:position] = chunk
    if b"%%EOF" not in data[-4096:]:
        data += b"\n%%EOF\n"
    return bytes(data)


@fuzz(60)
@given(data=mangled_pdfs())
def test_mangled_pdfs_load_or_fail_with_a_corpus_error(data: bytes) -> None:
    check_load(data, ".pdf")


def pdf_with_to_unicode(mapping: dict[int, int], shown: bytes) -> bytes:
    """A one-page PDF showing the codes ``shown``, its font's ToUnicode map being ``mapping``.

    A PDF decides which Unicode text its glyph codes stand for; a broken map can point a code at
    a lone UTF-16 surrogate (pypdf keeps it, decoding with "surrogatepass").
    """
    pairs = b"\n".join(b"<%02X> <%04X>" % (code, target) for code, target in mapping.items())
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Fuzz def "
        b"/CMapType 2 def 1 begincodespacerange <00> <FF> endcodespacerange\n"
        + b"%d beginbfchar\n%s\nendbfchar\n" % (len(mapping), pairs)
        + b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    escaped = shown.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"BT /F1 12 Tf 72 720 Td (" + escaped + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def test_pdf_mapping_glyphs_to_lone_surrogates_loads_as_valid_text() -> None:
    """Found by fuzzing: such a PDF made the chunker raise UnicodeEncodeError, which stopped the
    whole `coop ingest` (an unexpected error, not a failed document)."""
    mapping = {0x41: 0x41, 0x42: 0xD800, 0x43: 0xDC00, 0x44: 0xD83D, 0x45: 0xDE00}
    with tempfile.TemporaryDirectory(prefix="coop-fuzz-") as folder:
        path = Path(folder) / "cmap.pdf"
        path.write_bytes(pdf_with_to_unicode(mapping, b"AB AC DE A"))
        document = load_document(path)
    # Lone surrogates become U+FFFD; a pair split over two codes is joined into its character.
    assert document.body == "A\ufffd A\ufffd \U0001f600 A"
    chunks = chunk_document(document, make_source(), chunk_size=100, chunk_overlap=10)
    assert [chunk.text for chunk in chunks] == [document.body]


@st.composite
def to_unicode_pdfs(draw: st.DrawFn) -> bytes:
    """A PDF whose random ToUnicode map sends codes to any UTF-16 unit, surrogates often."""
    mapping = draw(
        st.dictionaries(
            st.integers(0x21, 0x7E),
            st.one_of(st.integers(0, 0xFFFF), st.integers(0xD800, 0xDFFF)),
            min_size=1,
            max_size=20,
        )
    )
    codes = st.one_of(st.sampled_from(sorted(mapping)), st.integers(0, 255))
    shown = draw(st.lists(codes, min_size=1, max_size=60))
    return pdf_with_to_unicode(mapping, bytes(shown))


@fuzz(40)
@given(data=to_unicode_pdfs())
def test_pdf_with_random_to_unicode_maps_loads_as_valid_text(data: bytes) -> None:
    document = check_load(data, ".pdf")
    if document is not None:
        chunk_document(document, make_source(), chunk_size=200, chunk_overlap=20)


html_fragments = st.one_of(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<h2>",
            "</h2>",
            "<br>",
            "<li>",
            "<table><tr><td>",
            "<script>",
            "</script>",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "<!DOCTYPE html>",
            "<?xml version='1.0'?>",
            "<meta charset='utf-16'>",
            "&amp;",
            "&#0;",
            "&#xD800;",
            "&#x110000;",
            "&nbsp;",
            "<div " + "a=" * 20,
            "<" * 30,
            "<p>Article L. 4011-3</p>",
        ]
    ),
    nasty_text,
)


@pytest.mark.parametrize(
    "page",
    [
        b"https://www.legifrance.gouv.fr/",
        b"protocole-national.html",
        b"<?xml version='1.0' encoding='utf-8'?><texte><p>Article 1 : texte.</p></texte>",
    ],
    ids=["url", "file-name", "xml"],
)
def test_html_that_bs4_would_give_advice_about_loads_without_a_warning(page: bytes) -> None:
    """Found by fuzzing: Beautiful Soup printed a dozen lines of English advice for these."""
    document = check_load(page, ".html")
    assert document is not None


@FAST
@given(
    fragments=st.lists(html_fragments, max_size=50),
    nesting=st.integers(0, 3000),
    suffix=st.sampled_from([".html", ".htm"]),
)
@example(fragments=["<p>texte</p>"], nesting=5000, suffix=".html")
def test_random_html_loads_or_fails_well(fragments: list[str], nesting: int, suffix: str) -> None:
    text = "<div>" * nesting + "".join(fragments) + "</div>" * (nesting // 2)
    check_load(text.encode("utf-8", errors="surrogatepass"), suffix)


# --- chunking -----------------------------------------------------------------------------------


@FAST
@given(
    pages=st.lists(st.one_of(legal_texts, nasty_text), min_size=1, max_size=3),
    chunk_size=st.integers(1, 1500),
    overlap_ratio=st.floats(0, 0.99),
    complete=st.booleans(),
)
@example(pages=["Article 1\n" + "x" * 50], chunk_size=1, overlap_ratio=0.0, complete=True)
@example(pages=["Article 1\n\u2028texte"], chunk_size=5, overlap_ratio=0.5, complete=True)
@example(pages=["\ud800"], chunk_size=1, overlap_ratio=0.0, complete=False)  # lone surrogate
def test_chunking_random_text_gives_non_empty_chunks_inside_the_body(
    pages: list[str], chunk_size: int, overlap_ratio: float, complete: bool
) -> None:
    overlap = min(int(chunk_size * overlap_ratio), chunk_size - 1)
    document = make_document(
        Path("doc.txt"), {}, [(number, text) for number, text in enumerate(pages, 1)], "ab" * 32
    )
    body = document.body
    chunks = chunk_document(
        document, make_source(complete=complete), chunk_size=chunk_size, chunk_overlap=overlap
    )
    check_chunks(chunks, body, len(pages))
    if body.strip():
        assert chunks


def check_chunks(chunks: list[Chunk], body: str, pages: int) -> None:
    """Non-empty chunks in document order whose offsets index into ``body``."""
    previous_start = 0
    for index, chunk in enumerate(chunks):
        assert chunk.chunk_index == index
        assert chunk.text.strip()
        chunk.text.encode("utf-8")
        assert 0 <= chunk.start < chunk.end <= len(body), (chunk.start, chunk.end, len(body))
        assert chunk.start >= previous_start  # document order
        previous_start = chunk.start
        assert chunk.page in range(min(pages, 1), pages + 1)
        span = body[chunk.start : chunk.end]
        if chunk.text != span:
            # Only an article's first piece differs: its heading line, then the rest of the span
            # (bracketed editorial lines left out).
            assert chunk.article, (chunk.text, span)
            heading, _, rest = chunk.text.partition("\n")
            assert heading in span
            assert span.endswith(rest)
    assert len({chunk.id for chunk in chunks}) == len(chunks)


# --- streaming (large text files) ---------------------------------------------------------------


def stream(path: Path, source: Source, size: int, overlap: int, window: int) -> list[Chunk]:
    """The streamed chunks, read 7 bytes at a time (characters and CRLF straddle blocks)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(streaming, "_BLOCK_BYTES", 7)
        chunked = StreamedChunks(
            path, source, chunk_size=size, chunk_overlap=overlap, window_chars=window
        )
        return list(chunked)


def outcome(action: Callable[[], list[Chunk]]) -> list[Chunk] | CorpusError:
    try:
        return action()
    except CorpusError as err:
        return err


@FAST
@given(
    text=st.one_of(legal_texts, nasty_text, huge_texts),
    header=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    crlf=st.booleans(),
    chunk_size=st.integers(20, 1200),
)
@example(text="a\r", header=False, encoding="utf-8", crlf=False, chunk_size=100)
@example(text="\ufeff\ufeffArticle 1\nx", header=True, encoding="utf-8", crlf=True, chunk_size=50)
def test_streaming_agrees_with_the_whole_file_path(
    text: str, header: bool, encoding: str, crlf: bool, chunk_size: int
) -> None:
    if header:
        text = f"Titre: Essai\nType: code\n---\n{text}"
    if crlf:
        text = text.replace("\n", "\r\n")
    overlap = chunk_size // 8
    source = make_source(title="", status="")
    with tempfile.TemporaryDirectory(prefix="coop-fuzz-") as folder:
        path = Path(folder) / "document.txt"
        path.write_bytes(encoded(text, encoding))

        def whole() -> list[Chunk]:
            document = load_document(path)
            chunks = chunk_document(document, source, chunk_size=chunk_size, chunk_overlap=overlap)
            return [replace(chunk, doc_hash="") for chunk in chunks]

        expected = outcome(whole)
        got = outcome(lambda: stream(path, source, chunk_size, overlap, 2_000_000))
    if isinstance(expected, CorpusError) or isinstance(got, CorpusError):
        # Both refuse the file (the wording may differ), or neither does.
        assert type(expected) is type(got), (expected, got)
        return
    assert got == expected


@FAST
@given(
    text=legal_texts,
    chunk_size=st.integers(20, 600),
    window=st.integers(50, 2000),
)
def test_streaming_in_small_windows_keeps_offsets_in_the_whole_body(
    text: str, chunk_size: int, window: int
) -> None:
    source = make_source(title="", status="")
    with tempfile.TemporaryDirectory(prefix="coop-fuzz-") as folder:
        path = Path(folder) / "document.txt"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        try:
            body = load_document(path).body
        except CorpusError:
            with pytest.raises(CorpusError):
                stream(path, source, chunk_size, chunk_size // 8, window)
            return
        chunks = stream(path, source, chunk_size, chunk_size // 8, window)
    check_chunks(chunks, body, 0)
    assert chunks


# --- the `coop ask` entry -----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture(scope="module")
def index_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The synthetic corpus indexed once for the module (the CLI only reads it)."""
    root = tmp_path_factory.mktemp("fuzz-index")
    settings = make_settings(root)
    write_corpus(settings.corpus_file, settings.corpus_dir)
    Ingestor(settings, HashingEmbedder(), open_store(settings.index_dir)).run()
    return settings


def run_coop(settings: Settings, *args: str) -> Run:
    """``coop <args>`` through ``cli.main`` as a user runs it: UTF-8 streams, real exit code."""
    # Like a terminal: stdout refuses what UTF-8 cannot encode, stderr escapes it.
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    code = 0
    with pytest.MonkeyPatch.context() as patch:
        for name, value in coop_env(settings).items():
            patch.setenv(name, value)
        patch.setattr(factory, "build_embedder", lambda settings: HashingEmbedder())
        patch.setattr(sys, "argv", ["coop", *args])  # what main() reads without argv
        patch.setattr(sys, "stdout", stdout)
        patch.setattr(sys, "stderr", stderr)
        try:
            cli.main(list(args))
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else 1
    return Run(code, _read(stdout), _read(stderr))


def _read(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", errors="replace")


def assert_failed_well(run: Run, *, usage_errors: bool = False) -> None:
    """Exit 0, or 1 with « Erreur : … »; 2 only for the CLI parser's own usage errors."""
    event(f"exit {run.code}")
    assert "Traceback" not in run.output, run.output
    assert "Erreur inattendue" not in run.err, run.err
    allowed = {0, 1, 2} if usage_errors else {0, 1}
    assert run.code in allowed, run
    if run.code == 1:
        assert run.err.startswith("Erreur : "), run.err


def test_the_fuzzed_entry_answers_a_plain_question(index_settings: Settings) -> None:
    """Sanity check of the harness: the index is there and a real question is answered."""
    run = run_coop(index_settings, "ask", "Comment déclarer un protocole national ?")
    assert run.code == 0, run
    assert "Sources" in run.out


questions = st.one_of(
    nasty_text,
    huge_texts,
    st.text(max_size=300),
    st.lists(
        st.one_of(st.sampled_from(FRENCH_WORDS), st.sampled_from(NASTY_CHARS)), max_size=30
    ).map(" ".join),
    st.lists(st.one_of(st.sampled_from(FRENCH_WORDS), surrogates), max_size=20).map(" ".join),
)


@CLI
@given(question=questions)
@example(question="")
@example(question="\x00\x01")
@example(question="é" * 10_000)
@example(question="protocole \udcff national")
@example(question="\u202eprotocole national\u202c ?")
@example(question="-- --k=3 --json")
def test_random_questions_through_coop_ask(index_settings: Settings, question: str) -> None:
    # "--": a question starting with "-" is a question, not an option.
    assert_failed_well(run_coop(index_settings, "ask", "--", question))


@CLI
@given(question=questions)
@example(question="-x")
@example(question="--help")
@example(question="--verbose")
def test_random_questions_without_the_separator(index_settings: Settings, question: str) -> None:
    # Typed as is, a question starting with "-" is an option to the parser: its usage error (2).
    run = run_coop(index_settings, "ask", question)
    assert_failed_well(run, usage_errors=question.startswith("-"))


@CLI
@given(question=questions, as_json=st.booleans(), checklist=st.booleans())
def test_random_questions_in_json_and_checklist_modes(
    index_settings: Settings, question: str, as_json: bool, checklist: bool
) -> None:
    flags = [flag for flag, on in (("--json", as_json), ("--checklist", checklist)) if on]
    assert_failed_well(run_coop(index_settings, "ask", *flags, "--", question))


QUESTION = "Comment déclarer la mise en œuvre d'un protocole national ?"

k_values = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["0", "-1", "1", "999999999999999999999999", "3.5", "1e3", "", " 4", "٣"]),
    st.text(max_size=20),
)
since_values = st.one_of(
    st.dates().map(str),
    st.from_regex(r"\A-?\d{1,10}(-\d{1,4}){0,3}\Z"),
    st.sampled_from(["", "2024-02-30", "2024-13-01", "0000-00-00", "²", "١٩٩٩-٠١-٠١", "9" * 40]),
    st.text(max_size=30),
)
filter_values = st.lists(
    st.one_of(
        st.sampled_from(["code", "loi", "page-ars", "csp-l4011-test", "ami-test-soins-palliatifs"]),
        st.text(max_size=40),
        nasty_text,
    ),
    max_size=4,
)


@CLI
@given(k=k_values)
def test_random_k_values(index_settings: Settings, k: str) -> None:
    assert_failed_well(
        run_coop(index_settings, "ask", f"--k={k}", "--", QUESTION), usage_errors=True
    )


@CLI
@given(since=since_values, in_force=st.booleans())
def test_random_since_values(index_settings: Settings, since: str, in_force: bool) -> None:
    flags = ["--en-vigueur"] if in_force else []
    run = run_coop(index_settings, "ask", f"--since={since}", *flags, "--", QUESTION)
    assert_failed_well(run, usage_errors=True)


@CLI
@given(docs=filter_values, kinds=filter_values, history=st.lists(questions, max_size=2))
def test_random_doc_kind_and_history_values(
    index_settings: Settings, docs: list[str], kinds: list[str], history: list[str]
) -> None:
    args = [f"--doc={d}" for d in docs] + [f"--kind={k}" for k in kinds]
    args += [f"--history={h}" for h in history]
    assert_failed_well(run_coop(index_settings, "ask", *args, "--", QUESTION), usage_errors=True)


# --- catalogue entries never reach outside the documents folder ---------------------------------

# In the module's temporary root, beside the documents and mirror folders: what "../secret.txt"
# would reach. Absolute names aim at files that exist on any Linux system.
OUTSIDE_NAMES = ["secret.txt", "secret.pdf", "secret.html"]
ABSOLUTE_NAMES = ["/etc/passwd", "/etc/hostname", "/proc/self/environ", "/dev/zero", "/tmp"]

climbing_names = st.one_of(
    st.sampled_from(
        [
            "../secret.txt",
            "../secret",
            "..",
            ".",
            "",
            "./ok.txt",
            "ok.txt",
            "ok",
            "sub/../../secret.txt",
            "..\\secret.txt",
            "secret.txt\x00.pdf",
            "ok.txt\x00",
            "ok\n",
            "../" * 40 + "etc/passwd",
            "a" * 300,
            "a" * 300 + ".txt",
            "é" * 200,
            "~/secret.txt",
            "%2e%2e/secret.txt",
            "..\u2215secret.txt",
            ".previous",
            ".sync-state.json",
            *ABSOLUTE_NAMES,
        ]
    ),
    st.tuples(
        st.sampled_from(["", "../", "/", "./", "..\\", "a/", "/etc/", "//", "ok/"]),
        st.text(max_size=40),
    ).map("".join),
    st.from_regex(r"\A[a-z0-9][a-z0-9._-]{0,300}\Z"),
    st.sampled_from(["ok", "ok.txt", "ok.pdf", "OK.txt"]),
    st.text(max_size=60),
)


@st.composite
def catalogue_entries(draw: st.DrawFn) -> dict[str, object]:
    """A ``sources.yaml`` entry with a random doc id and, half the time, a random file name."""
    entry: dict[str, object] = {"doc_id": draw(climbing_names), "title": "T", "kind": "code"}
    if draw(st.booleans()):
        entry["filename"] = draw(climbing_names)
    return entry


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """``root/documents`` (the corpus folder), ``root/mirror``, and files around them.

    ``root/secret.*`` is what an entry climbing out of either folder would find;
    ``documents/ok.txt`` and ``mirror/ok.txt`` are legitimate files.
    """
    root = tmp_path_factory.mktemp("fuzz-names")
    documents = root / "documents"
    mirror = root / "mirror"
    documents.mkdir()
    mirror.mkdir()
    for name in OUTSIDE_NAMES:
        (root / name).write_text("secret\n", encoding="utf-8")
    (documents / "ok.txt").write_text("Titre: ok\n---\ntexte\n", encoding="utf-8")
    (mirror / "ok.txt").write_text("Titre: ok\n---\ntexte\n", encoding="utf-8")
    return root, documents, mirror


def inside(path: Path, folder: Path) -> bool:
    return path.resolve().parent == folder.resolve()


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` and its content (a change outside the corpus shows)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def validated(entry: dict[str, object]) -> Source | None:
    try:
        return Source.model_validate(entry)
    except ValidationError:
        event("refused by the catalogue validation")
        return None


@fuzz(150)
@given(entry=catalogue_entries())
@example(entry={"doc_id": "ok", "title": "T", "kind": "code"})
@example(entry={"doc_id": "ok", "title": "T", "kind": "code", "filename": "../secret.txt"})
@example(entry={"doc_id": "ok", "title": "T", "kind": "code", "filename": "/etc/passwd"})
@example(entry={"doc_id": "a" * 300, "title": "T", "kind": "code"})
def test_random_catalogue_names_never_resolve_outside_the_documents_folder(
    folders: tuple[Path, Path, Path], entry: dict[str, object]
) -> None:
    _, documents, _ = folders
    source = validated(entry)
    if source is None:
        return
    # A validated id is a plain name: it becomes a file name.
    assert "/" not in source.doc_id and "\\" not in source.doc_id and ".." not in source.doc_id
    assert "\x00" not in source.doc_id and not source.doc_id.startswith(".")
    try:
        found = find_document_file(source, documents)
    except CorpusError as err:
        event("refused by find_document_file")
        assert any(
            reason in err.message for reason in ("non sûr", "sort du dossier", "inutilisable")
        ), err.message
        return
    event("found" if found else "not found")
    if found is not None:
        assert inside(found, documents), found
        assert found.read_text(encoding="utf-8").startswith("Titre: ok")


@fuzz(40)
@given(entry=catalogue_entries())
@example(entry={"doc_id": "ok", "title": "T", "kind": "code", "filename": "../secret.txt"})
@example(entry={"doc_id": "a" * 300, "title": "T", "kind": "code"})
def test_random_catalogue_names_never_sync_outside_the_documents_folder(
    folders: tuple[Path, Path, Path], entry: dict[str, object]
) -> None:
    root, documents, mirror = folders
    source = validated(entry)
    if source is None:
        return
    before = tree(root)
    with contextlib.suppress(CorpusError):
        for result in sync_corpus([source], documents, mirror=mirror, allow_changed=True):
            event(f"sync {result.status}")
            if result.path is not None:
                assert inside(result.path, documents), result
    after = tree(root)
    changed = {
        name
        for name in before.keys() | after.keys()
        if before.get(name) != after.get(name) and not name.startswith(f"documents{os.sep}")
    }
    assert not changed, changed


def test_overlong_doc_id_is_a_corpus_error(folders: tuple[Path, Path, Path]) -> None:
    _, documents, _ = folders
    source = Source.model_validate({"doc_id": "a" * 300, "title": "T", "kind": "code"})
    with pytest.raises(CorpusError):
        find_document_file(source, documents)


def test_doc_id_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ValidationError):
        Source.model_validate({"doc_id": "ok\n", "title": "T", "kind": "code"})


@fuzz(20)
@given(date=st.text(st.sampled_from("0123456789-²³¹①⑨٣"), max_size=12))
@example(date="2024-0²-01")
def test_date_number_of_any_text_is_a_number(date: str) -> None:
    assert date_number(date) >= 0
