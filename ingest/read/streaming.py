"""Stream a large ``.txt``/``.md`` file into chunks, in memory that does not grow with its size.

The file is read twice in binary blocks. The first pass picks the encoding and checks the text
as ``load_document`` does (NUL bytes, share of control codes, UTF-8 else CP1252). The second
pass hashes the bytes, decodes and normalises them, parses the header block and cuts the body
into windows of about ``window_chars`` characters, each ending at a line break, preferably just
before an article heading so that no article straddles two windows. Every window is chunked by
``chunk_document``; offsets, ``chunk_index`` and ids are then made those of the whole body.

For a legal text whose windows all end before an article heading, the chunks are those of
``chunk_document(load_document(path))`` (``doc_hash`` aside). Elsewhere (prose, or an article
longer than a window) a window boundary also ends a chunk, so chunks near it may be cut
differently; the chunks at the start of a window keep the section, article and completeness in
force at the end of the previous one, since the heading they fall under lies there.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from assistant.errors import CorpusError
from assistant.schema import Chunk
from ingest.fetch.sources import Source
from ingest.read.loading import (
    HEADER_MAX_CHARS,
    TEXT_SUFFIXES,
    binary_text_error,
    check_printable,
    check_size,
    count_non_printable,
    empty_file_error,
    legacy_encoding,
    make_document,
    no_text_error,
    parse_header,
    read_error,
)
from ingest.split.chunking import (
    check_chunk_settings,
    chunk_document,
    chunk_id,
    parse_article_heading,
    prose_heading,
)

__all__ = ["STREAM_THRESHOLD_BYTES", "StreamedChunks", "should_stream"]

logger = logging.getLogger(__name__)

# Text files larger than this are streamed; smaller ones are loaded whole.
STREAM_THRESHOLD_BYTES = 8_000_000

_BLOCK_BYTES = 1 << 18
# Bytes from the start of a file that is not UTF-8 to check that it is text at all.
_SNIFF_BYTES = 1 << 20
# A line longer than this is cut (before a space if it can) rather than held whole.
_MAX_PIECE_CHARS = 1 << 20

_UTF8 = "utf-8-sig"
_UTF16 = "utf-16"
_LEGACY = "cp1252"
# CP1252 leaves five bytes undefined; they decode as in Latin-1 (C1 controls). The decoder turns
# them into lone surrogates (``surrogateescape``), mapped back here.
_CP1252_UNDEFINED = {0xDC00 + byte: byte for byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}

# Lines that may be article or annex headings: what ``parse_article_heading`` strips (spaces,
# ``#``, ``**``, ``__``) and then a word starting like "Art…" or "Annexe" in any case.
_HEADING_CANDIDATE = re.compile(r"^[^\S\n]*(?:[#*_][^\S\n]*)*(?:art|annexe)", re.I | re.M)
# How far past a window's limit a heading candidate starting at the limit may need to be read.
_CANDIDATE_LOOKAHEAD = 100

_Decoder = Callable[[bytes, bool], str]


def should_stream(path: Path) -> bool:
    """True for a ``.txt``/``.md`` file over ``STREAM_THRESHOLD_BYTES`` (False if unreadable)."""
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return False
    try:
        return path.stat().st_size > STREAM_THRESHOLD_BYTES
    except OSError:
        return False


class StreamedChunks:
    """The chunks of a large text file, produced window by window; iterable once.

    Chunks come in document order with ``chunk_index`` 0..n-1 and the ids ``chunk_document``
    would give; their ``start``/``end`` index into the whole normalised body (the text after the
    header block). ``doc_hash`` is left empty: the file's hash is only known at the end.

    Iteration raises ``CorpusError`` (French message naming the file) for a missing, empty, too
    large, binary or unreadable file, or one without text, and ``ValueError`` for bad settings.
    """

    def __init__(
        self,
        path: Path,
        source: Source,
        *,
        chunk_size: int,
        chunk_overlap: int,
        window_chars: int = 2_000_000,
    ) -> None:
        check_chunk_settings(chunk_size, chunk_overlap)
        if window_chars <= 0:
            raise ValueError(f"window_chars must be positive, got {window_chars}")
        self._path = path
        self._source = source
        self._chunk_size = chunk_size
        self._chunk_overlap = chunk_overlap
        self._window_chars = window_chars
        self._started = False
        self._sha256: str | None = None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the file's bytes.

        Raises:
            RuntimeError: the chunks have not all been read yet.
        """
        if self._sha256 is None:
            raise RuntimeError("sha256 is known only once every chunk has been read")
        return self._sha256

    def __iter__(self) -> Iterator[Chunk]:
        """Chunks in document order.

        Raises:
            RuntimeError: the chunks were already iterated.
        """
        if self._started:
            raise RuntimeError("StreamedChunks can be iterated only once")
        self._started = True
        return self._chunks()

    def _chunks(self) -> Iterator[Chunk]:
        path = self._path
        encoding = _check_file(path)
        hasher = hashlib.sha256()
        offset = 0
        count = 0
        carry: Chunk | None = None  # metadata in force where the previous window ended
        try:
            header, body = _split_header(_text_pieces(path, encoding, hasher.update))
            for window in _windows(body, self._window_chars):
                document = make_document(path, header, [(0, window)], "")
                chunks = chunk_document(
                    document,
                    self._source,
                    chunk_size=self._chunk_size,
                    chunk_overlap=self._chunk_overlap,
                )
                leading = carry is not None
                for position, chunk in enumerate(chunks):
                    # Before the window's first heading: still under an earlier window's heading.
                    leading = leading and not chunk.article and not chunk.section
                    local = _inherit(chunk, carry) if leading and carry else chunk
                    if position + 1 == len(chunks):
                        carry = _closing(window, local)
                    yield _placed(local, offset, count)
                    count += 1
                offset += len(window)
        except UnicodeDecodeError as err:
            raise CorpusError(
                f"{path} : fichier modifié pendant sa lecture (encodage changé) ; "
                "relancez l'indexation."
            ) from err
        if not count:
            raise no_text_error(path)
        self._sha256 = hasher.hexdigest()
        logger.debug("streamed %s: %d characters, %d chunks", path, offset, count)


def _inherit(chunk: Chunk, carry: Chunk) -> Chunk:
    """``chunk`` with the section, article and completeness in force before its window."""
    return replace(
        chunk,
        section=carry.section,
        article=carry.article,
        complete=carry.complete,
        article_date=carry.article_date,
    )


def _closing(window: str, last: Chunk) -> Chunk:
    """``last`` (a chunk of ``window``) with the section in force at the end of the window.

    An article runs to the window's end; prose may have further headings after the start of its
    last chunk, the last of which is in force.
    """
    if last.article:
        return last
    section = last.section
    line_start = window.rfind("\n", 0, last.start) + 1
    for line in window[line_start:].splitlines():
        heading = prose_heading(line)
        if heading is not None:
            section = heading
    return replace(last, section=section)


def _placed(chunk: Chunk, offset: int, index: int) -> Chunk:
    """A window's chunk moved to its place in the whole body: offsets, index and id."""
    return replace(
        chunk,
        id=chunk_id(chunk.doc_id, index, chunk.content_hash),
        start=chunk.start + offset,
        end=chunk.end + offset,
        chunk_index=index,
    )


def _check_file(path: Path) -> str:
    """First pass: check the file as ``load_document`` would and pick its encoding.

    Returns:
        The codec to decode it with.

    Raises:
        CorpusError: the file is missing, unreadable, too large, empty, binary, undecodable
            UTF-16, or mostly control codes.
    """
    try:
        check_size(path, path.stat().st_size, "text")
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError as err:
        raise read_error(path, err) from err
    encoding = _UTF16 if head.startswith((b"\xff\xfe", b"\xfe\xff")) else _UTF8
    try:
        _check_printable(path, encoding)
    except UnicodeDecodeError as err:
        if encoding == _UTF16:
            raise CorpusError(f"{path} : texte UTF-16 illisible ({err.reason}).") from err
        # Bytes that fit no legacy encoding are not text (the head of the file stands for it).
        # Text is decoded as CP1252 whatever the guess: the encoding of French legacy files.
        legacy_encoding(head, path)
        del head
        logger.info("%s is not UTF-8, decoded as %s", path, _LEGACY)
        encoding = _LEGACY
        _check_printable(path, encoding)
    return encoding


def _check_printable(path: Path, encoding: str) -> None:
    bad = total = 0
    for piece in _text_pieces(path, encoding):
        bad += count_non_printable(piece)
        total += len(piece)
    check_printable(path, bad, total)


def _text_pieces(
    path: Path, encoding: str, on_block: Callable[[bytes], None] | None = None
) -> Iterator[str]:
    """The file's text, decoded and normalised (see ``_Normaliser``), in pieces.

    Args:
        path: the file.
        encoding: the codec to decode it with.
        on_block: called with each block of bytes read (to hash them).

    Raises:
        CorpusError: the file cannot be read, is empty, or holds NUL bytes (unless UTF-16).
        UnicodeDecodeError: the bytes are not in ``encoding``.
    """
    decode = _decoder(encoding)
    normaliser = _Normaliser()
    size = 0
    try:
        with path.open("rb") as file:
            while block := file.read(_BLOCK_BYTES):
                size += len(block)
                check_size(path, size, "text")  # it may have grown since it was measured
                if encoding != _UTF16 and b"\x00" in block:
                    raise binary_text_error(path)
                if on_block is not None:
                    on_block(block)
                if piece := normaliser.feed(decode(block, False)):
                    yield piece
    except OSError as err:
        raise read_error(path, err) from err
    if not size:
        raise empty_file_error(path)
    if piece := normaliser.feed(decode(b"", True), final=True):
        yield piece


class _Normaliser:
    r"""Newlines unified, leading BOMs dropped and NFC applied, as ``load_document`` does.

    Decoded text goes in block by block; what comes out ends at a line break (a long line is cut
    before an ASCII character), where normalising pieces apart equals normalising the whole.
    A ``\r`` ending a block waits for the next block, in case it starts with ``\n``.
    """

    def __init__(self) -> None:
        self._line = ""  # text after the last line break, not yet normalised
        self._held_cr = False
        self._at_start = True

    def feed(self, text: str, final: bool = False) -> str:
        """Take the next decoded text; return the normalised text now complete ("" if none)."""
        if self._held_cr:
            text = "\r" + text
        self._held_cr = not final and text.endswith("\r")
        if self._held_cr:
            text = text[:-1]
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if self._at_start:
            text = text.lstrip("\ufeff")
            self._at_start = not text and not self._held_cr
        self._line += text
        cut = len(self._line) if final else self._line.rfind("\n") + 1
        if not cut and len(self._line) > _MAX_PIECE_CHARS:
            cut = _stable_cut(self._line)
        done, self._line = self._line[:cut], self._line[cut:]
        return unicodedata.normalize("NFC", done)


def _decoder(encoding: str) -> _Decoder:
    """An incremental decoder: ``decode(block, final)``."""
    if encoding != _LEGACY:
        return codecs.getincrementaldecoder(encoding)(errors="strict").decode
    legacy = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")

    def decode(block: bytes, final: bool) -> str:
        return legacy.decode(block, final).translate(_CP1252_UNDEFINED)

    return decode


def _stable_cut(text: str) -> int:
    """Where to cut a long line so that its two parts can be NFC-normalised apart.

    Nothing composes with a following ASCII character, so any cut just before one is safe; a
    space is preferred. Without either in the second half, the cut is at the end (a line of over
    a million non-ASCII characters is not text worth keeping intact).
    """
    half = len(text) // 2
    space = text.rfind(" ", half)
    if space > 0:
        return space
    for index in range(len(text) - 1, half, -1):
        if text[index].isascii():
            return index
    return len(text)


def _split_header(pieces: Iterator[str]) -> tuple[dict[str, str], Iterator[str]]:
    """Parse the header block from the start of the text.

    Returns:
        The header fields and the body's pieces.
    """
    start: list[str] = []
    size = 0
    for piece in pieces:
        start.append(piece)
        size += len(piece)
        if size >= HEADER_MAX_CHARS:
            break
    header, body = parse_header("".join(start))
    start[:] = [body]
    del body
    return header, _chained(start, pieces)


def _chained(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    """The pieces in ``first``, then ``rest``; each is dropped once handed out."""
    first.reverse()
    while first:
        yield first.pop()
    yield from rest


def _windows(pieces: Iterable[str], size: int) -> Iterator[str]:
    """Regroup text pieces into windows of about ``size`` characters (see ``_window_end``)."""
    pending = ""
    for piece in pieces:
        pending += piece
        start = 0
        while len(pending) - start > size:
            cut = _window_end(pending, start, start + size)
            window, start = pending[start:cut], cut
            if start >= len(pending) - start:
                # Drop the text already handed out before the window is chunked; copying only
                # a rest shorter than what is dropped keeps the copying linear.
                pending, start = pending[start:], 0
            yield window
        pending = pending[start:]
    if pending:
        yield pending


def _window_end(text: str, start: int, limit: int) -> int:
    """Where the window starting at ``start`` should end, in ``(start, limit]``.

    Preferably just before the last article heading line (the window then holds whole
    articles), else after a blank line in the window's second half, else at any line break,
    else before a space.
    """
    half = start + (limit - start) // 2
    candidates = _HEADING_CANDIDATE.finditer(text, start + 1, limit + _CANDIDATE_LOOKAHEAD)
    for match in reversed([m for m in candidates if m.start() <= limit]):
        line_start = match.start()
        line_end = text.find("\n", line_start)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        if parse_article_heading(line.splitlines()[0]) is not None:
            return line_start
    blank = text.rfind("\n\n", half, limit)
    if blank >= 0:
        return blank + 2
    newline = text.rfind("\n", start, limit)
    if newline >= 0:
        return newline + 1
    space = text.rfind(" ", start + 1, limit)
    return space if space > 0 else limit
