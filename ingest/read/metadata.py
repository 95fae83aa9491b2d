"""Title and date of a document, read from the document itself where it says them."""

from __future__ import annotations

import re
from datetime import date

from assistant.text.dates import FRENCH_MONTHS

__all__ = ["first_heading", "french_date_in", "infer_header", "iso_date"]

_MONTHS = {name: number for number, name in enumerate(FRENCH_MONTHS, start=1)}
_FRENCH_DATE = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:er)?\s+(?P<month>{'|'.join(FRENCH_MONTHS)})\s+(?P<year>\d{{4}})\b",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(r"\b(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})\b")
_ISO_PREFIX = re.compile(r"^(?:D:)?(?P<year>\d{4})-?(?P<month>\d{2})-?(?P<day>\d{2})")
_MD_MARKER = re.compile(r"^#{1,6}\s+")
_ARTICLE = re.compile(r"^(?:article|art\.|annexe)\b", re.IGNORECASE)
_MIN_TITLE_CHARS = 8
_MAX_TITLE_CHARS = 300
_TITLE_SCAN_LINES = 12
_OPENING_CHARS = 600
# Metadata titles that name the file or the tool rather than the text.
_JUNK_TITLE = re.compile(
    r"^(?:microsoft (?:word|powerpoint)|untitled|sans titre|document\d*$|diapositive)"
    r"|\.(?:docx?|pdf|odt|rtf|html?)$",
    re.IGNORECASE,
)


def infer_header(body: str, title: str = "", date: str = "") -> dict[str, str]:
    """``titre`` and ``date`` of a document, from its metadata hints else from its text.

    The title is the metadata title unless it names a file or a tool, else the first heading.
    The date is the one written in the title (« décret du 15 septembre 2021 »), else the
    metadata date, else the first date of the opening lines.
    """
    title = " ".join(title.split())
    if _JUNK_TITLE.search(title) or len(title) < _MIN_TITLE_CHARS:
        title = ""
    title = title or first_heading(body)
    date = french_date_in(title) or iso_date(date) or french_date_in(body[:_OPENING_CHARS])
    return {key: value for key, value in (("titre", title), ("date", date)) if value}


def french_date_in(text: str) -> str:
    """The first date written in ``text`` (« 15 septembre 2021 », « 03/05/2024 »), ISO; or ""."""
    found: list[tuple[int, str]] = []
    for pattern in (_FRENCH_DATE, _NUMERIC_DATE):
        for match in pattern.finditer(text):
            month = match.group("month").lower()
            number = _MONTHS.get(month) or (int(month) if month.isdigit() else 0)
            iso = _valid(int(match.group("year")), number, int(match.group("day")))
            if iso:
                found.append((match.start(), iso))
                break
    return min(found)[1] if found else ""


def iso_date(raw: str) -> str:
    """A metadata date (``D:20210915…`` in PDFs, ``2021-09-15T…``) as ``YYYY-MM-DD``; or ""."""
    match = _ISO_PREFIX.match(raw.strip())
    if match is None:
        return ""
    return _valid(int(match.group("year")), int(match.group("month")), int(match.group("day")))


def first_heading(text: str) -> str:
    """The document's title as its first lines give it: a Markdown heading, else the first line.

    A title typeset over two lines (the second starting in lower case) is joined; a text that
    opens on an article heading has none.
    """
    lines = [line.strip() for line in text.split("\n")[:_TITLE_SCAN_LINES]]
    for line in lines:
        if _MD_MARKER.match(line):
            return _title(_MD_MARKER.sub("", line).strip("# "))
    filled = [line for line in lines if line]
    if not filled or _ARTICLE.match(filled[0]):
        return ""  # a text that opens on « Article 1 » gives no title of its own
    title = filled[0]
    for line in filled[1:3]:
        if not line[:1].islower() or len(title) >= _MAX_TITLE_CHARS:
            break
        title = f"{title} {line}"
    return _title(title)


def _title(text: str) -> str:
    text = " ".join(text.split())
    return text[:_MAX_TITLE_CHARS] if len(text) >= _MIN_TITLE_CHARS else ""


def _valid(year: int, month: int, day: int) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""
