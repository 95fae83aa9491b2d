"""Read one source file (text, Markdown, HTML, PDF or Word) into pages of plain text.

Every failure is a ``CorpusError`` whose French message names the file and the reason: a decree
that cannot be read must show up in the ingestion report, never as an empty document.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import re
import unicodedata
import warnings
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import (
    CData,
    Comment,
    Declaration,
    Doctype,
    NavigableString,
    PageElement,
    ProcessingInstruction,
    Tag,
)
from charset_normalizer import from_bytes
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PyPdfError

from assistant.errors import CorpusError
from ingest.read.metadata import infer_header, iso_date
from ingest.read.pdf_layout import clean_pdf_pages
from ingest.read.web import web_text
from ingest.read.word import word_text

__all__ = [
    "HEADER_MAX_CHARS",
    "PAGE_SEPARATOR",
    "SUPPORTED_SUFFIXES",
    "TEXT_SUFFIXES",
    "FileFormat",
    "LoadedDocument",
    "Page",
    "binary_text_error",
    "check_printable",
    "check_size",
    "count_non_printable",
    "describe_os_error",
    "empty_file_error",
    "legacy_encoding",
    "load_document",
    "make_document",
    "no_text_error",
    "parse_header",
    "read_error",
    "soup_text",
]

logger = logging.getLogger(__name__)

# Pages are joined with a form feed: it never occurs inside extracted page text (the loader
# turns stray ones into newlines), so page boundaries stay recoverable from the body.
PAGE_SEPARATOR = "\f"

# Formats with their own size cap.
FileFormat = Literal["text", "pdf", "html", "docx"]

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
WORD_SUFFIXES = frozenset({".docx"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | WORD_SUFFIXES

# Legacy encodings tried when a file is not UTF-8. Left unrestricted, charset-normalizer
# guesses mac_latin2 or cp1250 for short French CP1252 texts and garbles the accents.
_LEGACY_ENCODINGS = ["cp1252", "latin_1"]

# UTF-16 surrogates: pypdf decodes broken ToUnicode maps with "surrogatepass", and a lone one
# is not text (encoding it, to hash, embed or store the chunk, fails).
_SURROGATE = re.compile("[\ud800-\udfff]")

# C0 controls except tab/newline/form feed/carriage return, DEL, C1 controls, and U+FFFD.
_NON_PRINTABLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
_MAX_NON_PRINTABLE_RATIO = 0.05

# ``Titre: …`` style header lines (short key, then a colon).
_HEADER_LINE = re.compile(r"^(?P<key>[^\W\d_][\w'’ -]{0,40}?)\s*:\s?(?P<value>.*)$")
_HEADER_END = "---"
_MAX_HEADER_LINES = 100
# A longer line is body text: header scanning stops there instead of copying it.
_MAX_HEADER_LINE_CHARS = 10_000
# ``parse_header`` never looks further than this many characters into a text.
HEADER_MAX_CHARS = (_MAX_HEADER_LINES + 2) * (_MAX_HEADER_LINE_CHARS + 1)

# Largest file read, by format: the whole text is held in memory (a few times its size while
# decoding and chunking), and BeautifulSoup needs far more per byte than plain text does.
_MAX_BYTES: dict[FileFormat, int] = {
    "text": 100_000_000,
    "pdf": 100_000_000,
    "html": 20_000_000,
    "docx": 50_000_000,
}

# French reasons for the OS errors a file read can meet (strerror is English or localised).
_OS_REASONS = {
    errno.ENOENT: "fichier introuvable (supprimé ou déplacé pendant l'indexation ?)",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.ELOOP: "lien symbolique en boucle",
}

# Where a complete PDF ends; a file cut short loses it.
_PDF_EOF_MARKER = b"%%EOF"
_PDF_EOF_WINDOW = 4096

# pypdf raises many exception types on malformed files; these are the ones that mean "corrupt".
_PDF_PARSE_ERRORS = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    AssertionError,
    RecursionError,
    OSError,
    zlib.error,
)

_HTML_DROPPED = frozenset(
    {
        "head",
        "script",
        "style",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "noscript",
        "template",
        "iframe",
        "svg",
        "canvas",
        "button",
    }
)
_HTML_BLOCKS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "body",
        "caption",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "hr",
        "html",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_HTML_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_HTML_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction, CData)
# Beautiful Soup's advice about its own API for a page that is short ("looks like a URL or a file
# name") or starts like XML ("use lxml"): a dozen English lines on the terminal during `coop
# ingest`, about a document that reads fine. Never shown.
_BS4_ADVICE = (MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of extracted text.

    Attributes:
        number: 1-based PDF page number; 0 for formats without pages.
        text: the page's text (never contains ``PAGE_SEPARATOR`` nor a UTF-16 surrogate).
        offset: character offset of the page in ``LoadedDocument.body``.
    """

    number: int
    text: str
    offset: int


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """A source file turned into text: its header block, its pages and the hash of its bytes."""

    path: Path
    header: dict[str, str]
    pages: list[Page]
    sha256: str

    @property
    def body(self) -> str:
        """The pages' texts joined with ``PAGE_SEPARATOR``; each ``Page.offset`` indexes into it."""
        return PAGE_SEPARATOR.join(page.text for page in self.pages)


def make_document(
    path: Path, header: dict[str, str], pages: Iterable[tuple[int, str]], sha256: str
) -> LoadedDocument:
    """Build a document from ``(page number, text)`` pairs, computing each page's offset.

    Form feeds become newlines and UTF-16 surrogates U+FFFD (one for one: lengths are kept).
    """
    built: list[Page] = []
    offset = 0
    for number, text in pages:
        clean = _SURROGATE.sub("\ufffd", text.replace(PAGE_SEPARATOR, "\n"))
        built.append(Page(number=number, text=clean, offset=offset))
        offset += len(clean) + len(PAGE_SEPARATOR)
    return LoadedDocument(path=path, header=header, pages=built, sha256=sha256)


def load_document(path: Path) -> LoadedDocument:
    """Read a ``.txt``/``.md``, ``.html``/``.htm``, ``.pdf`` or ``.docx`` file into a document.

    A leading header block (``Titre: …`` lines closed by a ``---`` line) is parsed into
    ``header`` and left out of the body. For PDF, Word and web pages the header holds the title
    and date the file gives (metadata, first heading), under ``titre`` and ``date``. PDF pages
    lose their running headers and footers, and words cut at line ends are joined again.

    Raises:
        CorpusError: the file is missing, empty, binary, undecodable, a corrupt, truncated or
            encrypted PDF, a PDF without a text layer, of an unsupported format, or yields no text.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise CorpusError(
            f"{path} : format « {suffix or 'sans extension'} » non pris en charge "
            f"(formats acceptés : {supported})."
        )
    kind = _format(suffix)
    data = _read_bytes(path, kind)
    digest = hashlib.sha256(data).hexdigest()
    if kind == "pdf":
        reader = _open_pdf(data, path)
        pages = clean_pdf_pages(_pdf_pages(reader, path))
        hints = _pdf_hints(reader)
        body = "\n".join(text for _, text in pages[:2])
        document = make_document(path, infer_header(body, *hints), pages, digest)
    elif kind == "docx":
        word = word_text(data, path)
        header = infer_header(word.text, word.title)
        document = make_document(path, header, [(0, _normalize_text(word.text, path))], digest)
    else:
        hinted: dict[str, str] = {}
        if kind == "text":
            text = _decode_text(data, path)
        else:
            text, hinted = _web_page(data, path)
        del data  # a large file's bytes need not stay beside its text
        header, body = parse_header(text)
        del text
        document = make_document(path, hinted | header, [(0, body)], digest)
    if not any(_has_text(page.text) for page in document.pages):
        raise no_text_error(path)
    logger.debug(
        "loaded %s: %d page(s), %d characters, %d header field(s)",
        path,
        len(document.pages),
        sum(len(page.text) for page in document.pages),
        len(document.header),
    )
    return document


def parse_header(text: str) -> tuple[dict[str, str], str]:
    """Split a leading ``Key: value`` block closed by a ``---`` line from the body.

    Keys are lowercased and keep their accents (``Complétude`` → ``complétude``). A YAML-like
    front matter (``---`` first) is accepted too. Lines indented by whitespace continue the
    previous value. Text that does not start with such a block is returned whole, with an empty
    header.

    Returns:
        The header fields and the body (everything after the closing ``---`` line).
    """
    lines = _leading_lines(text, _MAX_HEADER_LINES + 2)
    start = 1 if lines and lines[0].strip() == _HEADER_END else 0
    header: dict[str, str] = {}
    last_key = ""
    consumed = sum(len(line) + 1 for line in lines[:start])
    for line in lines[start : start + _MAX_HEADER_LINES + 1]:
        consumed += len(line) + 1
        if line.strip() == _HEADER_END:
            return (header, text[consumed:]) if header else ({}, text)
        match = _HEADER_LINE.match(line)
        if match:
            last_key = match.group("key").strip().lower()
            header[last_key] = match.group("value").strip()
        elif line[:1] in (" ", "\t") and last_key and line.strip():
            header[last_key] = f"{header[last_key]} {line.strip()}".strip()
        else:
            break
    return {}, text


def describe_os_error(err: OSError) -> str:
    """A French reason for an OS error met while reading a file."""
    if err.errno in _OS_REASONS:
        return _OS_REASONS[err.errno]
    return f"erreur système {err.errno}" if err.errno else f"erreur système ({type(err).__name__})"


def check_size(path: Path, size: int, kind: FileFormat) -> None:
    """Refuse a ``size``-byte file over the cap of its format (``kind``).

    Raises:
        CorpusError: the file is too large.
    """
    max_bytes = _MAX_BYTES[kind]
    if size > max_bytes:
        raise CorpusError(
            f"{path} : fichier trop volumineux ({size / 1e6:.1f} Mo, maximum "
            f"{max_bytes / 1e6:.0f} Mo pour ce format)."
        )


def read_error(path: Path, err: OSError) -> CorpusError:
    """The error to raise for an OS error met while opening or reading ``path``."""
    if isinstance(err, FileNotFoundError):
        return CorpusError(f"{path} : fichier introuvable.")
    if isinstance(err, IsADirectoryError):
        return CorpusError(f"{path} : c'est un dossier, pas un fichier.")
    return CorpusError(f"{path} : lecture impossible ({describe_os_error(err)}).")


def empty_file_error(path: Path) -> CorpusError:
    """The error to raise for a file of 0 bytes."""
    return CorpusError(f"{path} : fichier vide (0 octet).")


def no_text_error(path: Path) -> CorpusError:
    """The error to raise when a file yields only whitespace."""
    return CorpusError(f"{path} : aucun texte après extraction (document vide).")


def binary_text_error(path: Path) -> CorpusError:
    """The error to raise for NUL bytes in a text file (not UTF-16)."""
    return CorpusError(
        f"{path} : contenu binaire (octets nuls) dans un fichier texte ; "
        "ce n'est pas un texte lisible."
    )


def count_non_printable(text: str) -> int:
    """How many control codes (other than whitespace) and U+FFFD ``text`` holds."""
    return sum(1 for _ in _NON_PRINTABLE.finditer(text))


def check_printable(path: Path, bad: int, total: int) -> None:
    """Refuse a text of ``total`` characters of which ``bad`` are not printable, if too many.

    Raises:
        CorpusError: more than 5 % of the characters are control codes.
    """
    if total and bad / total > _MAX_NON_PRINTABLE_RATIO:
        raise CorpusError(
            f"{path} : contenu binaire ({bad} caractères non imprimables sur {total}) "
            "dans un fichier texte."
        )


def legacy_encoding(data: bytes, path: Path) -> str:
    """The legacy encoding (CP1252 or Latin-1) that non-UTF-8 ``data`` reads best in.

    Raises:
        CorpusError: neither fits: the bytes are not text.
    """
    # Only the encoding's name is kept: str(best) would hold a second copy of the text.
    best = from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    if best is None:
        raise CorpusError(
            f"{path} : encodage du texte non reconnu (ni UTF-8, ni Windows-1252, ni Latin-1)."
        )
    return best.encoding


def _leading_lines(text: str, count: int) -> list[str]:
    """Up to ``count`` first lines of ``text``, without copying the rest of a large text.

    Stops before a line longer than ``_MAX_HEADER_LINE_CHARS`` (it cannot be a header line).
    """
    lines: list[str] = []
    start = 0
    while len(lines) < count and start <= len(text):
        end = text.find("\n", start, start + _MAX_HEADER_LINE_CHARS + 1)
        if end < 0:
            if len(text) - start > _MAX_HEADER_LINE_CHARS:
                break
            end = len(text)
        lines.append(text[start:end])
        start = end + 1
    return lines


def _has_text(text: str) -> bool:
    # isspace() scans in place, where strip() would copy a large page.
    return bool(text) and not text.isspace()


def _read_bytes(path: Path, kind: FileFormat) -> bytes:
    try:
        check_size(path, path.stat().st_size, kind)
        data = path.read_bytes()
    except OSError as err:
        raise read_error(path, err) from err
    if not data:
        raise empty_file_error(path)
    return data


def _decode_text(data: bytes, path: Path) -> str:
    """Decode UTF-8 (BOM accepted), UTF-16 with a BOM, else CP1252/Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _normalize_text(data.decode("utf-16"), path)
        except UnicodeDecodeError as err:
            raise CorpusError(f"{path} : texte UTF-16 illisible ({err.reason}).") from err
    if b"\x00" in data:
        raise binary_text_error(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        encoding = legacy_encoding(data, path)
        logger.info("%s is not UTF-8, decoded as %s", path, encoding)
        text = data.decode(encoding)
    return _normalize_text(text, path)


def _normalize_text(text: str, path: Path) -> str:
    """Unify newlines and Unicode composition, and reject text that is mostly control codes."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    check_printable(path, count_non_printable(text), len(text))
    return text


def _format(suffix: str) -> FileFormat:
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in WORD_SUFFIXES:
        return "docx"
    return "text" if suffix in TEXT_SUFFIXES else "html"


def _web_page(data: bytes, path: Path) -> tuple[str, dict[str, str]]:
    """The main content of a web page (trafilatura), else its whole visible text."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CorpusError(f"{path} : contenu binaire (octets nuls) dans un fichier HTML.")
    visible = soup_text(data, path)
    page = web_text(data, visible)
    if page is None:
        return visible, infer_header(visible)
    text = _normalize_text(page.text, path)
    return text, infer_header(text, page.title, page.date)


def soup_text(data: bytes, path: Path) -> str:
    """Visible text of a whole HTML page (menus and banners included), headings as ``#`` lines.

    The fallback for pages where trafilatura finds no main content.
    """
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CorpusError(f"{path} : contenu binaire (octets nuls) dans un fichier HTML.")
    with warnings.catch_warnings():
        for advice in _BS4_ADVICE:
            warnings.simplefilter("ignore", advice)
        soup = BeautifulSoup(data, "html.parser")
    pieces: list[str] = []
    # Explicit stack instead of recursion: deeply nested pages must not hit the recursion limit.
    stack: list[PageElement | _Emit] = [soup]
    while stack:
        item = stack.pop()
        if isinstance(item, _Emit):
            pieces.append(item.text)
        elif isinstance(item, NavigableString):
            if not isinstance(item, _HTML_SKIPPED_STRINGS):
                pieces.append(str(item))
        elif isinstance(item, Tag):
            stack.extend(reversed(_expand_tag(item)))
    return _normalize_text(_tidy_html_text("".join(pieces)), path)


@dataclass(frozen=True, slots=True)
class _Emit:
    """Literal text pushed on the HTML walk stack (a newline or a heading marker)."""

    text: str


def _expand_tag(tag: Tag) -> list[PageElement | _Emit]:
    """What an HTML element contributes, in document order."""
    name = (tag.name or "").lower()
    if name in _HTML_DROPPED:
        return []
    if name == "br":
        return [_Emit("\n")]
    children: list[PageElement | _Emit] = list(tag.children)
    if name in _HTML_HEADINGS:
        # Headings get a Markdown marker so that the chunker sees them as section titles.
        marker = "#" * _HTML_HEADINGS[name]
        return [_Emit(f"\n\n{marker} "), *children, _Emit("\n\n")]
    if name == "li":
        return [_Emit("\n- "), *children]
    if name in ("td", "th"):
        return [_Emit(" "), *children, _Emit(" ")]
    if name in _HTML_BLOCKS:
        return [_Emit("\n\n"), *children, _Emit("\n\n")]
    return children


def _tidy_html_text(raw: str) -> str:
    """Collapse whitespace inside lines and keep at most one blank line between blocks."""
    lines = [" ".join(line.split()) for line in raw.replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line in ("", "-", "#") or re.fullmatch(r"#+", line):
            if out and out[-1] != "":
                out.append("")
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def _pdf_hints(reader: PdfReader) -> tuple[str, str]:
    """Title and creation date from the PDF's metadata ("" when absent or unreadable)."""
    try:
        info = reader.metadata
        title = str(info.title or "") if info is not None else ""
        created = str(info.get("/CreationDate", "")) if info is not None else ""
    except _PDF_PARSE_ERRORS:
        return "", ""
    return title, iso_date(created)


def _pdf_pages(reader: PdfReader, path: Path) -> list[tuple[int, str]]:
    """Extract the text of each PDF page, keeping page numbers (1-based)."""
    pages: list[tuple[int, str]] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except DependencyError as err:
            raise CorpusError(f"{path}, page {number} : extraction impossible ({err}).") from err
        except _PDF_PARSE_ERRORS as err:
            raise CorpusError(
                f"{path}, page {number} : PDF corrompu, texte illisible ({err})."
            ) from err
        text = _join_surrogates(text.replace("\r\n", "\n").replace("\r", "\n"))
        pages.append((number, unicodedata.normalize("NFC", text).rstrip()))
    if not pages:
        raise CorpusError(f"{path} : le PDF ne contient aucune page.")
    empty = [number for number, text in pages if not text.strip()]
    if len(empty) == len(pages):
        raise CorpusError(
            f"{path} : aucune couche texte : OCR nécessaire "
            f"({len(pages)} page(s) sans texte extractible)."
        )
    if empty:
        logger.warning(
            "%s: %d page(s) without a text layer (pages %s)",
            path,
            len(empty),
            ", ".join(map(str, empty[:20])),
        )
    return pages


def _join_surrogates(text: str) -> str:
    """Surrogate pairs joined into their character, lone surrogates replaced by U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _open_pdf(data: bytes, path: Path) -> PdfReader:
    if b"%PDF-" not in data[:1024]:
        raise CorpusError(f"{path} : ce n'est pas un PDF (en-tête %PDF absent).")
    if _PDF_EOF_MARKER not in data[-_PDF_EOF_WINDOW:]:
        raise CorpusError(f"{path} : PDF tronqué ou corrompu (marqueur de fin %%EOF absent).")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            _decrypt(reader, path)
        # Touch the page tree now so that a broken one fails here, with a clear message.
        _ = len(reader.pages)
    except CorpusError:
        raise
    except _PDF_PARSE_ERRORS as err:
        raise CorpusError(f"{path} : PDF corrompu ou tronqué, lecture impossible ({err}).") from err
    return reader


def _decrypt(reader: PdfReader, path: Path) -> None:
    """Open an encrypted PDF with the empty user password, as viewers do."""
    try:
        result = reader.decrypt("")
    except DependencyError as err:
        raise CorpusError(
            f"{path} : PDF chiffré ; déchiffrement impossible sans la bibliothèque "
            f"« cryptography » ({err})."
        ) from err
    if result == PasswordType.NOT_DECRYPTED:
        raise CorpusError(f"{path} : PDF chiffré, protégé par un mot de passe.")
