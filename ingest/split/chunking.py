"""The only chunker: a loaded document becomes ``Chunk`` objects ready to embed.

Legal texts are cut at article boundaries: every article (or annex) heading line opens a new
chunk that carries the article's normalised reference, and long articles are split on paragraphs
with the reference kept on every piece. Bracketed editorial lines at the top of an article
(``[COMPLET]``, ``[TRONQUÉ]``, ``[Version de la source : …]``) are not law: they are left out of
the text and turned into metadata (``complete``, ``article_date``). Other documents are cut on
headings and paragraphs, short paragraphs being merged up to ``chunk_size``.

Every chunk text is a slice of ``doc.body`` (the first piece of an article being its heading line
followed by its first paragraphs, the editorial lines in between removed), and ids are derived
from the content only, so re-chunking the same input yields the same ids.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.schema import Chunk
from assistant.text.dates import FRENCH_MONTHS
from ingest.fetch.sources import Source
from ingest.read.loading import LoadedDocument

__all__ = [
    "CHUNKER_VERSION",
    "ArticleHeading",
    "check_chunk_settings",
    "chunk_document",
    "chunk_id",
    "parse_article_heading",
    "prose_heading",
]

logger = logging.getLogger(__name__)

CHUNKER_VERSION = "1"

# Paragraphs first, then lines, then list items and sentences; a plain space last. There is no
# "" separator: a word longer than a chunk stays whole rather than being cut in two. A page break
# comes after lines: it falls where the printer ran out of paper, often mid-sentence, and an
# article that runs over it must read on as one sequence (its pieces carry the page range).
_SEPARATORS = ["\n\n", "\n", "\f", "; ", ". ", ", ", " "]

_KEYWORD = r"(?:[Aa]rticle|ARTICLE|[Aa]rt\.|ART\.|[Aa]rt|ART)"
_DASH = "-\u2010\u2011\u2012\u2013"
_ARTICLE_NUMBER = re.compile(
    rf"^(?P<head>{_KEYWORD}\s*"
    r"(?:(?P<code>LO|L|R|D|A)\s*\.?\s*(?:\*\s*)?)?"
    rf"(?P<num>\d+(?:[{_DASH}]\d+)*)"
    r"(?:\s*(?P<er>er|ER)\b)?"
    r"(?:\s+(?P<suffix>bis|ter|quater|quinquies|sexies|septies|octies|nonies|decies)\b)?)"
    r"(?P<rest>.*)$"
)
_ARTICLE_WORD = re.compile(
    r"^(?P<head>(?:[Aa]rticle|ARTICLE)\s+(?P<word>premier|PREMIER|Premier|unique|UNIQUE|Unique))"
    r"(?P<rest>.*)$"
)
_ANNEX = re.compile(
    r"^(?P<head>(?:[Aa]nnexe|ANNEXE)(?:\s+(?P<num>[IVXLC]+|\d+|unique|UNIQUE)(?:\s*(?:er|ER))?)?)"
    r"(?P<rest>.*)$"
)
# After the reference: nothing (a title line), or a dash and a title or the article's first words
# ("Art. 2. - Le directeur …"), or a period and a capital. Anything else ("Article 66 de la loi …",
# "Article 131 : autorisation …") is a sentence that merely starts with the word.
_WHOLE_LINE_REST = re.compile(r"^\s*[.:]?\s*$")
_INLINE_REST = re.compile(rf"^\s*\.?\s*[{_DASH}\u2014]\s*\S|^\.\s+[A-ZÀ-Ý«\"]")
_MARKUP = re.compile(r"^(?:#{1,6}\s+)?(?:\*\*|__)?\s*(?P<inner>.*?)\s*(?:\*\*|__)?\s*#*$")

# Divisions of a code or decree: they close the current article.
_STRUCTURE = re.compile(
    r"^(?:Partie|PARTIE|Livre|LIVRE|Titre|TITRE|Chapitre|CHAPITRE|Section|SECTION|"
    r"Sous-section|SOUS-SECTION|Paragraphe|PARAGRAPHE)\s+"
    r"(?:[IVXLC]+|\d+|premier|PREMIER|unique|UNIQUE|préliminaire|PRÉLIMINAIRE)(?:er)?\b"
)

_NOTE_MAX_LINES = 10
_ISO_SINCE = re.compile(r"en vigueur depuis le\s+(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_FRENCH_SINCE = re.compile(
    r"en vigueur depuis le\s+(\d{1,2})(?:er)?\s+([a-zéû]+)\s+(\d{4})", re.IGNORECASE
)
_MONTHS = {name: number for number, name in enumerate(FRENCH_MONTHS, start=1)}

# Heading detection for prose (pages, presentations, calls for proposals).
_MD_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*$")
_LIST_MARKERS = ("-", "•", "*", "–", "—", "‐", "▪", "◦", "‣", "·", "+", ">")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_NUMBERED = re.compile(r"^\d{1,2}(?:[.)-]\s*|\s+)(?=\D)")
_SENTENCE_BREAK = re.compile(r"[.?!]\s+\S")
_LABEL_VALUE = re.compile(r"\s:\s*[a-zà-ÿ0-9]")
_MAX_HEADING_CHARS = 120
_MAX_NUMBERED_HEADING_CHARS = 60
_MAX_HEADING_WORDS = 16
# A line ending on one of these is a wrapped sentence (PDF extraction), not a title.
_FUNCTION_WORDS = (
    "de des du d la le les l et ou à a au aux en un une par pour sur dans que qui avec entre sans "
    "son sa ses leur leurs ce cette ces est sont se ne pas plus dont vers chez lors afin soit "
    "notamment"
)
_TRAILING_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
_MAX_SECTION_CHARS = 200


@dataclass(frozen=True, slots=True)
class ArticleHeading:
    """An article or annex heading found at the start of a line.

    Attributes:
        section: the heading as written, without Markdown markup (``"Article L. 4011-2"``).
        article: the normalised reference (``"L4011-2"``, ``"3"``, ``"annexe-2"``).
        inline: True when the article's text follows on the same line (``"Art. 2. - Le …"``).
    """

    section: str
    article: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class _Line:
    start: int
    end: int  # excludes the line break
    text: str


@dataclass(frozen=True, slots=True)
class _Piece:
    """A future chunk: its text, its span in the body and its article metadata."""

    text: str
    start: int
    end: int
    section: str
    article: str
    complete: bool
    article_date: str = ""


@dataclass(frozen=True, slots=True)
class _Unit:
    """A paragraph or a heading line of prose."""

    start: int
    end: int
    heading: str | None


@dataclass(frozen=True, slots=True)
class _Settings:
    chunk_size: int
    chunk_overlap: int
    default_complete: bool


def parse_article_heading(line: str) -> ArticleHeading | None:
    """Recognise an article or annex heading line and normalise its reference.

    ``"Article L. 4011-2"`` → ``L4011-2``, ``"Art. D. 4011-4-1"`` → ``D4011-4-1``,
    ``"Article 1er"`` → ``1``, ``"Annexe 2"`` → ``annexe-2``. A sentence that starts with the
    word (``"Article 66 de la loi …"``) is not a heading.
    """
    inner = _strip_markup(line)
    for pattern in (_ARTICLE_NUMBER, _ARTICLE_WORD, _ANNEX):
        match = pattern.match(inner)
        if match is None:
            continue
        rest = match.group("rest")
        if _WHOLE_LINE_REST.match(rest):
            section = _clean_section(inner.rstrip(" .:"))
            return ArticleHeading(section=section, article=_reference(match), inline=False)
        if _INLINE_REST.match(rest):
            section = _clean_section(match.group("head"))
            return ArticleHeading(section=section, article=_reference(match), inline=True)
        return None
    return None


def chunk_document(
    doc: LoadedDocument, source: Source, *, chunk_size: int, chunk_overlap: int
) -> list[Chunk]:
    """Split a loaded document into chunks carrying the source's metadata.

    Args:
        doc: the loaded document; chunk offsets index into ``doc.body``.
        source: where the doc id, title, kind, date, URL, status and completeness come from
            (the document header fills in what the source leaves empty).
        chunk_size: maximum chunk length in characters (an article heading counts).
        chunk_overlap: characters shared by consecutive pieces of a split paragraph or article.

    Returns:
        Non-empty chunks in document order, ``chunk_index`` 0..n-1.

    Raises:
        ValueError: ``chunk_size`` is not positive or ``chunk_overlap`` is not in
            ``[0, chunk_size)``.
    """
    check_chunk_settings(chunk_size, chunk_overlap)
    body = doc.body
    settings = _Settings(chunk_size, chunk_overlap, source.complete)
    lines = _split_lines(body)
    line_starts = [line.start for line in lines]
    pieces: list[_Piece] = []
    for kind, start, end in _segments(lines, len(body)):
        first = bisect.bisect_left(line_starts, start)
        segment = lines[first : bisect.bisect_left(line_starts, end, lo=first)]
        if kind == "article":
            pieces.extend(_article_pieces(body, segment, end, settings))
        else:
            pieces.extend(_prose_pieces(body, segment, settings, kind == "structure"))
    chunks = _to_chunks(doc, source, pieces)
    logger.debug("chunked %s into %d chunks", source.doc_id, len(chunks))
    return chunks


def check_chunk_settings(chunk_size: int, chunk_overlap: int) -> None:
    """Refuse chunk settings that ``chunk_document`` cannot honour.

    Raises:
        ValueError: ``chunk_size`` is not positive or ``chunk_overlap`` is not in
            ``[0, chunk_size)``.
    """
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    if not 0 <= chunk_overlap < chunk_size:
        raise ValueError(f"chunk_overlap must be in [0, {chunk_size}), got {chunk_overlap}")


def chunk_id(doc_id: str, index: int, content_hash: str) -> str:
    """The id of the ``index``-th chunk of a document, whose text hashes to ``content_hash``."""
    key = f"{doc_id}\x1f{index}\x1f{content_hash}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:40]


def _strip_markup(line: str) -> str:
    """The line without surrounding whitespace, Markdown ``#`` marks or bold markers."""
    stripped = line.strip()
    markup = _MARKUP.match(stripped)
    return markup.group("inner") if markup else stripped


def _reference(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if match.re is _ANNEX:
        number = groups.get("num")
        return f"annexe-{number.lower()}" if number else "annexe"
    if match.re is _ARTICLE_WORD:
        word = groups["word"].lower()
        return "1" if word == "premier" else word
    number = "-".join(re.split(f"[{_DASH}]", groups["num"]))
    suffix = (groups.get("suffix") or "").lower()
    return f"{groups.get('code') or ''}{number}{suffix}"


def _clean_section(text: str) -> str:
    return " ".join(text.split())[:_MAX_SECTION_CHARS]


def _split_lines(body: str) -> list[_Line]:
    """Lines with their offsets; a page separator also ends a line."""
    lines: list[_Line] = []
    offset = 0
    for raw in body.splitlines(keepends=True):
        text = raw.rstrip("\n\r\f\v\x1c\x1d\x1e\x85\u2028\u2029")
        lines.append(_Line(offset, offset + len(text), text))
        offset += len(raw)
    return lines


def _segments(lines: list[_Line], body_len: int) -> list[tuple[str, int, int]]:
    """Cut the body at article headings (and, in legal texts, at division titles).

    Returns:
        ``(kind, start, end)`` triples covering the body, kind being ``"article"``,
        ``"structure"`` (a division title and what follows it) or ``"prose"``.
    """
    cuts: list[tuple[str, int]] = []
    for line in lines:
        if parse_article_heading(line.text) is not None:
            cuts.append(("article", line.start))
    if cuts:
        # Division titles only mean something in a text that has articles.
        for line in lines:
            stripped = line.text.strip()
            if (
                _STRUCTURE.match(stripped)
                and len(stripped) <= _MAX_SECTION_CHARS
                and not stripped.endswith(".")
            ):
                cuts.append(("structure", line.start))
        cuts.sort(key=lambda cut: cut[1])
    segments: list[tuple[str, int, int]] = []
    if not cuts or cuts[0][1] > 0:
        segments.append(("prose", 0, cuts[0][1] if cuts else body_len))
    for index, (kind, start) in enumerate(cuts):
        end = cuts[index + 1][1] if index + 1 < len(cuts) else body_len
        segments.append((kind, start, end))
    return segments


def _article_pieces(body: str, lines: list[_Line], end: int, settings: _Settings) -> list[_Piece]:
    heading_line = lines[0]
    heading = parse_article_heading(heading_line.text)
    if heading is None:  # pragma: no cover - _segments only cuts at headings
        raise ValueError("article segment without a heading")
    if heading.inline:
        # The text follows the heading on the same line: no room for editorial lines.
        spans = _split_span(body, heading_line.start, end, settings)
        return [
            _Piece(body[s:e], s, e, heading.section, heading.article, settings.default_complete)
            for s, e in spans
        ]
    notes, content_start = _leading_notes(lines[1:], end)
    complete = _completeness(notes, settings.default_complete)
    article_date = _article_date(notes)
    prefix = _strip_markup(heading_line.text)
    content_end = _rstrip_offset(body, content_start, end)
    content = body[content_start:content_end]

    def piece(text: str, start: int, stop: int) -> _Piece:
        return _Piece(text, start, stop, heading.section, heading.article, complete, article_date)

    if not content.strip():
        return [piece(prefix, heading_line.start, heading_line.end)]
    if len(prefix) + 1 + len(content) <= settings.chunk_size:
        return [piece(f"{prefix}\n{content}", heading_line.start, content_end)]
    room = _Settings(
        max(settings.chunk_size - len(prefix) - 1, 1),
        settings.chunk_overlap,
        settings.default_complete,
    )
    spans = _split_span(body, content_start, content_end, room)
    first_start, first_end = spans[0]
    pieces = [piece(f"{prefix}\n{body[first_start:first_end]}", heading_line.start, first_end)]
    pieces.extend(piece(body[s:e], s, e) for s, e in spans[1:])
    return pieces


def _leading_notes(lines: list[_Line], end: int) -> tuple[list[str], int]:
    """Collect the bracketed editorial lines right after a heading.

    Returns:
        The notes' texts and the offset where the article's own text starts.
    """
    notes: list[str] = []
    index = 0
    while index < len(lines):
        text = lines[index].text.strip()
        if not text:
            index += 1
            continue
        if not text.startswith("["):
            return notes, lines[index].start
        # A note may wrap over a few lines; without its closing bracket it is not a note.
        last = next(
            (
                j
                for j in range(index, min(index + _NOTE_MAX_LINES, len(lines)))
                if lines[j].text.rstrip().endswith("]")
            ),
            None,
        )
        if last is None:
            return notes, lines[index].start
        notes.append(" ".join(line.text.strip() for line in lines[index : last + 1]))
        index = last + 1
    return notes, end


def _completeness(notes: list[str], default: bool) -> bool:
    """``[TRONQUÉ …]`` → False, ``[COMPLET …]`` → True, no marker → the source's flag."""
    folded = [_fold(note) for note in notes]
    if any(re.search(r"\b(?:TRONQUEE?S?|INCOMPLET)\b", note) for note in folded):
        return False
    if any(re.search(r"\bCOMPLET\b", note) for note in folded):
        return True
    return default


def _article_date(notes: list[str]) -> str:
    """The date the article's wording took effect, as ``YYYY-MM-DD`` ("" when not given)."""
    for note in notes:
        match = _ISO_SINCE.search(note)
        if match:
            return match.group(1)
    for note in notes:
        match = _FRENCH_SINCE.search(note)
        if match and match.group(2).lower() in _MONTHS:
            day, month, year = int(match.group(1)), _MONTHS[match.group(2).lower()], match.group(3)
            return f"{year}-{month:02d}-{day:02d}"
    return ""


def _fold(text: str) -> str:
    """Uppercase without accents, for marker matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _prose_pieces(
    body: str, lines: list[_Line], settings: _Settings, starts_with_title: bool
) -> list[_Piece]:
    units = _prose_units(lines, starts_with_title)
    headings = [(unit.start, unit.heading) for unit in units if unit.heading is not None]
    heading_starts = [offset for offset, _ in headings]
    pieces: list[_Piece] = []
    for span_start, span_end in _pack_units(units, settings.chunk_size):
        for s, e in _split_span(body, span_start, span_end, settings):
            index = bisect.bisect_right(heading_starts, s) - 1
            section = headings[index][1] if index >= 0 else ""
            pieces.append(_Piece(body[s:e], s, e, section or "", "", settings.default_complete))
    return pieces


def _prose_units(lines: list[_Line], starts_with_title: bool) -> list[_Unit]:
    """Paragraphs (runs of non-blank lines) and heading lines, in order."""
    units: list[_Unit] = []
    para_start: int | None = None
    para_end = 0
    for position, line in enumerate(lines):
        if not line.text.strip():
            if para_start is not None:
                units.append(_Unit(para_start, para_end, None))
                para_start = None
            continue
        title = line.text.strip() if starts_with_title and position == 0 else None
        heading = _clean_section(title) if title else prose_heading(line.text)
        if heading is not None:
            if para_start is not None:
                units.append(_Unit(para_start, para_end, None))
                para_start = None
            units.append(_Unit(line.start, line.end, heading))
            continue
        if para_start is None:
            para_start = line.start
        para_end = line.end
    if para_start is not None:
        units.append(_Unit(para_start, para_end, None))
    return units


def prose_heading(line: str) -> str | None:
    """The title if the line looks like a heading (Markdown ``#``, or short and unpunctuated)."""
    stripped = line.strip()
    markdown = _MD_HEADING.match(stripped)
    if markdown:
        return _clean_section(markdown.group("text"))
    # PDF symbol-font bullets (private use area) often mark slide titles: drop them.
    text = _PRIVATE_USE.sub("", stripped).strip()
    if not _looks_like_title(text):
        return None
    return _clean_section(text)


def _looks_like_title(text: str) -> bool:
    """Short, capitalised, unpunctuated, one phrase: a title rather than a wrapped sentence."""
    if not 3 <= len(text) <= _MAX_HEADING_CHARS or text.startswith(_LIST_MARKERS):
        return False
    numbered = _NUMBERED.match(text)
    if numbered:
        if len(text) > _MAX_NUMBERED_HEADING_CHARS:
            return False
        text = text[numbered.end() :]
    elif text[0].isdigit():
        # "4011-3 et à leur …": the end of a reference wrapped onto a new line.
        return False
    if not text or not (text[0].isupper() or text[0] in '«"“'):
        return False
    if text[-1] in ".,;:…" or "://" in text or text.lower().startswith("www."):
        return False
    return _is_single_phrase(text)


def _is_single_phrase(text: str) -> bool:
    words = text.split()
    if len(words) > _MAX_HEADING_WORDS or sum(c.isalpha() for c in text) < 3:
        return False
    # Two sentences ("Une interrogation ? Voir la FAQ …") or a label and its value
    # ("Candidature : toute équipe …", "Date : 09/03/2023") are body text.
    if _SENTENCE_BREAK.search(text) or _LABEL_VALUE.search(text):
        return False
    last_word = re.split(r"['’]", words[-1].lower())[-1].strip('«»"“”()')
    return last_word not in _TRAILING_FUNCTION_WORDS


def _pack_units(units: list[_Unit], chunk_size: int) -> list[tuple[int, int]]:
    """Group consecutive units into spans of at most ``chunk_size`` characters.

    A heading starts a new span once the current one holds some text (at least a quarter of a
    chunk), so that short sections merge while real sections stay apart. A span holding only
    headings is never closed: headings stay with the text they introduce.
    """
    min_fill = chunk_size // 4
    spans: list[tuple[int, int]] = []
    current: list[int] | None = None  # [start, end, has_text]
    for unit in units:
        is_text = unit.heading is None
        if current is None:
            current = [unit.start, unit.end, int(is_text)]
            continue
        too_long = unit.end - current[0] > chunk_size
        full_enough = current[1] - current[0] >= min_fill
        close = bool(current[2]) and (too_long or (not is_text and full_enough))
        if close:
            spans.append((current[0], current[1]))
            current = [unit.start, unit.end, int(is_text)]
        else:
            current[1] = unit.end
            current[2] = current[2] or int(is_text)
    if current is not None:
        spans.append((current[0], current[1]))
    return spans


def _split_span(body: str, start: int, end: int, settings: _Settings) -> list[tuple[int, int]]:
    """Split ``body[start:end]`` into pieces of at most ``chunk_size`` on paragraph boundaries.

    Returns:
        Absolute ``(start, end)`` offsets of pieces without surrounding whitespace.
    """
    start, end = _strip_span(body, start, end)
    if start >= end:
        return []
    if end - start <= settings.chunk_size:
        return [(start, end)]
    text = body[start:end]
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_size,
        chunk_overlap=min(settings.chunk_overlap, settings.chunk_size // 2),
        separators=_SEPARATORS,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )
    spans: list[tuple[int, int]] = []
    cursor = 0
    for document in splitter.create_documents([text]):
        piece = str(document.page_content)
        index = int(document.metadata.get("start_index", -1))
        if index < 0 or text[index : index + len(piece)] != piece:
            index = text.find(piece, cursor)
        if index < 0:
            raise RuntimeError("text splitter returned a piece that is not in its input")
        # Oversized pieces (one long word) come back unstripped.
        piece_start, piece_end = _strip_span(body, start + index, start + index + len(piece))
        if piece_start < piece_end:
            spans.append((piece_start, piece_end))
        cursor = index
    return spans


def _strip_span(body: str, start: int, end: int) -> tuple[int, int]:
    while start < end and body[start].isspace():
        start += 1
    return start, _rstrip_offset(body, start, end)


def _rstrip_offset(body: str, start: int, end: int) -> int:
    while end > start and body[end - 1].isspace():
        end -= 1
    return end


def _to_chunks(doc: LoadedDocument, source: Source, pieces: list[_Piece]) -> list[Chunk]:
    header = doc.header
    title = source.title or header.get("titre", "")
    date = source.date or header.get("date", "") or ""
    url = source.official_url or header.get("source", "") or ""
    status = source.status or header.get("statut", "")
    page_offsets = [page.offset for page in doc.pages]
    chunks: list[Chunk] = []
    for piece in pieces:
        if not piece.text.strip():
            continue
        index = len(chunks)
        content_hash = hashlib.sha256(piece.text.encode("utf-8")).hexdigest()
        page_index = max(bisect.bisect_right(page_offsets, piece.start) - 1, 0)
        last_index = max(bisect.bisect_right(page_offsets, max(piece.end - 1, 0)) - 1, 0)
        page = doc.pages[page_index].number if doc.pages else 0
        page_end = doc.pages[last_index].number if doc.pages else 0
        chunks.append(
            Chunk(
                id=chunk_id(source.doc_id, index, content_hash),
                text=piece.text,
                doc_id=source.doc_id,
                title=title,
                kind=source.kind,
                date=date,
                official_url=url,
                section=piece.section,
                article=piece.article,
                page=page,
                start=piece.start,
                end=piece.end,
                chunk_index=index,
                content_hash=content_hash,
                doc_hash=doc.sha256,
                status=status,
                complete=piece.complete,
                article_date=piece.article_date,
                page_end=page_end if page_end > page else 0,
                origin=source.origin,
            )
        )
    return chunks
