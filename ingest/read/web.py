"""The main content of a saved web page, extracted with trafilatura.

Menus, cookie banners, breadcrumbs and footers are left out; headings come back as Markdown
``#`` lines (a Légifrance « Article L4011-2 » heading still opens its article), lists as « - »
items, and each table row as one line repeating its column headers.

Trafilatura's extractor drops some text inside the main content (a ``<div>`` line followed by
``<br>``), and on a short page falls back to the whole page, menus included. So its own
fallback is turned off, and lines that the page's visible text (``soup_text``) has between two
lines trafilatura kept are put back where they were: boilerplate sits around the main content,
never inside it.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass

import trafilatura
from trafilatura.settings import use_config

from ingest.read.tables import markdown_tables_as_rows

__all__ = ["WebText", "web_text"]

logger = logging.getLogger(__name__)

# Trafilatura falls back to all the page's text below this many characters (default 250).
_MIN_EXTRACTED_SIZE = "20"
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_MARKER = re.compile(r"^(?:#{1,6}\s+|[-*]\s+|\d+\.\s+)")


@dataclass(frozen=True, slots=True)
class WebText:
    """A page's main text (Markdown-like) with the title and date its metadata give ("" if none)."""

    text: str
    title: str
    date: str


def web_text(html: str | bytes, visible: str) -> WebText | None:
    """The main content of ``html``; None when trafilatura finds none.

    Args:
        html: the page.
        visible: the page's whole visible text, one block per line (``soup_text``), from which
            lines lost inside the main content are recovered.
    """
    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", _MIN_EXTRACTED_SIZE)
    text = trafilatura.extract(
        html,
        output_format="markdown",
        include_tables=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        favor_recall=True,
        config=config,
    )
    if not text or not text.strip():
        logger.debug("trafilatura found no main content")
        return None
    text = _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))
    text = _recover_inner_lines(markdown_tables_as_rows(text), visible)
    metadata = trafilatura.extract_metadata(html)
    title = (metadata.title or "") if metadata is not None else ""
    date = (metadata.date or "") if metadata is not None else ""
    return WebText(text.strip("\n") + "\n", title.strip(), date[:10])


def _recover_inner_lines(text: str, visible: str) -> str:
    """``text`` with the lines of ``visible`` it lacks between two of its lines put back."""
    lines = text.split("\n")
    kept = [index for index, line in enumerate(lines) if line.strip()]
    ours = [_plain(lines[index]) for index in kept]
    theirs_lines = [line for line in visible.split("\n") if line.strip()]
    theirs = [_plain(line) for line in theirs_lines]
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    additions: dict[int, list[str]] = {}
    for tag, i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "insert" and 0 < i1 < len(ours):
            additions[kept[i1]] = theirs_lines[j1:j2]
            logger.debug("recovered %d line(s) dropped by trafilatura", j2 - j1)
    if not additions:
        return text
    out: list[str] = []
    for index, line in enumerate(lines):
        if index in additions:
            out.extend([*additions[index], ""])
        out.append(line)
    return "\n".join(out)


def _plain(line: str) -> str:
    return " ".join(_MARKER.sub("", line.strip()).split()).lower()
