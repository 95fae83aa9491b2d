"""Word files (``.docx``) as text the chunker understands, read with python-docx.

Headings become Markdown ``#`` lines (so « Article 2 - … » and « Annexe 1 » open articles),
list items keep their number or bullet, and each table row becomes one line that repeats the
column headers (« Acte : Bilan visuel — Délai : 48 heures »), so that a row stays one unit.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.document import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from assistant.errors import CorpusError
from ingest.read.tables import table_rows

__all__ = ["WordText", "word_text"]

_HEADING_STYLES = ("heading", "titre")
_TITLE_STYLES = frozenset({"title", "titre du document"})
_BULLET_STYLES = ("bullet", "puce")
_MAX_LEVEL = 6


@dataclass(frozen=True, slots=True)
class WordText:
    """The text of a Word file and the title its properties give (may be empty)."""

    text: str
    title: str


def word_text(data: bytes, path: Path) -> WordText:
    """Headings, paragraphs, lists and tables of a ``.docx``, in document order.

    Raises:
        CorpusError: the file is not a Word document (old ``.doc``, corrupt archive).
    """
    try:
        document = docx.Document(io.BytesIO(data))
    # lxml's XMLSyntaxError is a SyntaxError: a damaged part of the archive.
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as err:
        raise CorpusError(
            f"{path} : ce n'est pas un document Word .docx lisible (archive corrompue, ou ancien "
            f"format .doc à réenregistrer en .docx) ({err})."
        ) from err
    lists = _ListNumbers(document)
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            blocks.extend(table_rows(list(_cells(block))))
            continue
        line = _paragraph_line(block, lists)
        if line is not None:
            blocks.append(line)
    return WordText(_join(blocks), (document.core_properties.title or "").strip())


def _paragraph_line(paragraph: Paragraph, lists: _ListNumbers) -> str | None:
    text = " ".join(paragraph.text.split())
    if not text:
        return None
    style = (paragraph.style.name if paragraph.style is not None else "").lower()
    if style in _TITLE_STYLES:
        return f"# {text}"
    if style.startswith(_HEADING_STYLES):
        digits = "".join(c for c in style if c.isdigit())
        level = min(int(digits), _MAX_LEVEL) if digits else 1
        return f"{'#' * level} {text}"
    marker = lists.marker(paragraph, style)
    return f"{marker} {text}" if marker else text


def _join(blocks: list[str]) -> str:
    """Blank lines between blocks, none between the items of one list."""
    out: list[str] = []
    for block in blocks:
        # A list stays with the sentence that introduces it (« … trois étapes : »).
        follows = _is_item(out[-1]) or out[-1].endswith(":") if out else False
        if out and not (follows and _is_item(block)):
            out.append("")
        out.append(block)
    return "\n".join(out) + "\n"


def _is_item(line: str) -> bool:
    head = line.split(" ", 1)[0]
    return head == "-" or (head.endswith(".") and head[:-1].isdigit())


def _cells(table: Table) -> Iterator[list[str]]:
    for row in table.rows:
        seen: list[str] = []
        for cell in row.cells:
            # Merged cells come back once per grid column: keep one copy.
            text = cell.text
            if not seen or text != seen[-1]:
                seen.append(text)
        yield seen


class _ListNumbers:
    """The marker of each list item: « - » for bullets, a running number otherwise."""

    def __init__(self, document: Document) -> None:
        self._formats = _numbering_formats(document)
        self._counters: dict[tuple[str, int], int] = {}

    def marker(self, paragraph: Paragraph, style: str) -> str:
        num_id, level = _numbering(paragraph)
        if num_id is None:
            if style.startswith("list"):
                num_id = style
            else:
                return ""
        if any(word in style for word in _BULLET_STYLES):
            return "-"
        if self._formats.get((num_id, level), "decimal") == "bullet":
            return "-"
        for key in [k for k in self._counters if k[0] == num_id and k[1] > level]:
            del self._counters[key]  # a deeper list restarts under each new item
        count = self._counters.get((num_id, level), 0) + 1
        self._counters[(num_id, level)] = count
        return f"{count}."


def _numbering(paragraph: Paragraph) -> tuple[str | None, int]:
    """The list id and level of a paragraph, from its own properties or its style's."""
    for holder in (paragraph._p, paragraph.style.element if paragraph.style is not None else None):
        if holder is None:
            continue
        found = holder.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if found is None:
            continue
        num_id = found.find(qn("w:numId"))
        level = found.find(qn("w:ilvl"))
        if num_id is not None and num_id.get(qn("w:val")) not in (None, "0"):
            level_value = level.get(qn("w:val")) if level is not None else "0"
            return num_id.get(qn("w:val")), int(level_value or 0)
    return None, 0


def _numbering_formats(document: Document) -> dict[tuple[str, int], str]:
    """(list id, level) → number format (``decimal``, ``bullet``…) from ``numbering.xml``."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return {}
    abstract: dict[str, dict[int, str]] = {}
    for definition in numbering.findall(qn("w:abstractNum")):
        levels: dict[int, str] = {}
        for level in definition.findall(qn("w:lvl")):
            fmt = level.find(qn("w:numFmt"))
            levels[int(level.get(qn("w:ilvl")) or 0)] = (
                fmt.get(qn("w:val")) or "decimal" if fmt is not None else "decimal"
            )
        abstract[definition.get(qn("w:abstractNumId")) or ""] = levels
    formats: dict[tuple[str, int], str] = {}
    for num in numbering.findall(qn("w:num")):
        ref = num.find(qn("w:abstractNumId"))
        levels = abstract.get(ref.get(qn("w:val")) or "" if ref is not None else "", {})
        for level_number, fmt in levels.items():
            formats[(num.get(qn("w:numId")) or "", level_number)] = fmt
    return formats
